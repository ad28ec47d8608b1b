from __future__ import annotations

from consumers.alerter.signing import sign, verify_signature

BODY = b'{"subscription_id": "macron-putin", "kind": "new"}'


def test_signature_verifies_with_the_secret() -> None:
    header = sign("s3cret", BODY, 1_700_000_000)
    assert header.startswith("t=1700000000,v1=")
    assert verify_signature("s3cret", header, BODY)
    assert verify_signature("s3cret", header, BODY, now=1_700_000_100)


def test_signature_fails_with_a_wrong_secret_a_changed_body_or_timestamp() -> None:
    header = sign("s3cret", BODY, 1_700_000_000)
    assert not verify_signature("wrong", header, BODY)
    assert not verify_signature("s3cret", header, BODY + b" ")
    forged_time = header.replace("t=1700000000", "t=1700000001")
    assert not verify_signature("s3cret", forged_time, BODY)


def test_stale_or_malformed_signatures_are_refused() -> None:
    header = sign("s3cret", BODY, 1_700_000_000)
    assert not verify_signature("s3cret", header, BODY, now=1_700_001_000)
    assert not verify_signature("s3cret", "v1=abc", BODY)
    assert not verify_signature("s3cret", "t=notanumber,v1=abc", BODY)
    assert not verify_signature("s3cret", "", BODY)


def test_standard_webhooks_headers_match_the_specification_example() -> None:
    # The example of the Standard Webhooks specification's reference libraries.
    import base64
    import time

    from standardwebhooks.webhooks import Webhook

    from consumers.alerter.signing import standard_webhooks_headers, standard_webhooks_key

    secret = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
    now = int(time.time())
    headers = standard_webhooks_headers(standard_webhooks_key(secret), "msg_1", BODY, now)
    assert headers["webhook-id"] == "msg_1" and headers["webhook-timestamp"] == str(now)
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(BODY, headers)["kind"] == "new"


def test_standard_webhooks_secrets_must_be_whsec_base64() -> None:
    import pytest

    from consumers.alerter.signing import standard_webhooks_key

    for bad in ("plain", "whsec_not*base64", "whsec_" + "c2hvcnQ="):
        with pytest.raises(ValueError):
            standard_webhooks_key(bad)
    unpadded = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"
    assert standard_webhooks_key(unpadded) == b"0123456789abcdef0123456789abcdef"
