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
