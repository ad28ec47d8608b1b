from __future__ import annotations

from pathlib import Path

import pytest
from newswire_testing.fixtures import SIGNED_SUBSCRIPTION

from consumers.alerter.errors import SubscriptionError
from consumers.alerter.settings import DEFAULT_SUBSCRIPTIONS_FILE
from consumers.alerter.subscriptions import (
    add_subscription,
    load_catalogue,
    load_subscriptions,
    parse_catalogue,
    remove_subscription,
)
from schemas.events import EventType, Modality
from schemas.subscriptions import Subscription

MINIMAL = SIGNED_SUBSCRIPTION.read_text(encoding="utf-8")


def test_the_issue_example_loads_when_its_secret_is_set(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NEWSWIRE_TEST_ALERTER_SECRET", "s3cret")
    path = tmp_path / "subs.yaml"
    path.write_text(MINIMAL)
    (sub,) = load_subscriptions(path)
    assert sub.id == "macron-putin"
    assert [t.text for t in sub.actors_all] == ["Emmanuel Macron", "Vladimir Putin"]


def test_a_missing_secret_names_the_file_subscription_and_variable(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.delenv("NEWSWIRE_TEST_ALERTER_SECRET", raising=False)
    path = tmp_path / "subs.yaml"
    path.write_text(MINIMAL)
    with pytest.raises(SubscriptionError) as caught:
        load_subscriptions(path)
    message = str(caught.value)
    assert str(path) in message
    assert "'macron-putin'" in message
    assert "NEWSWIRE_TEST_ALERTER_SECRET is not set" in message


def test_an_unknown_field_names_the_subscription_and_the_field() -> None:
    text = MINIMAL.replace("    event_types:", "    actors_al: [Macron]\n    event_types:")
    with pytest.raises(SubscriptionError) as caught:
        parse_catalogue(text, "subs.yaml")
    message = str(caught.value)
    assert message.startswith("subs.yaml: subscription 'macron-putin' (entry 1): actors_al:")
    assert "Extra inputs are not permitted" in message


def test_a_bad_channel_option_names_the_channel() -> None:
    text = MINIMAL.replace("url: http://127.0.0.1:8085/hook", "url: ftp://127.0.0.1/hook")
    with pytest.raises(SubscriptionError) as caught:
        parse_catalogue(text, "subs.yaml")
    assert "subscription 'macron-putin' (entry 1): channels[0].webhook.url" in str(caught.value)
    unknown_option = MINIMAL.replace("secret_env:", "secret_envv:")
    with pytest.raises(SubscriptionError, match=r"channels\[0\]\.webhook\.secret_envv"):
        parse_catalogue(unknown_option, "subs.yaml")


def test_an_unknown_channel_type_and_bad_yaml_are_clear_errors() -> None:
    with pytest.raises(SubscriptionError, match=r"'macron-putin'.*channels\[0\]"):
        parse_catalogue(MINIMAL.replace("type: webhook", "type: pigeon"), "subs.yaml")
    with pytest.raises(SubscriptionError, match=r"subs\.yaml: not valid YAML"):
        parse_catalogue("subscriptions: [", "subs.yaml")


def test_empty_actor_terms_are_refused() -> None:
    text = MINIMAL.replace("[Emmanuel Macron, Vladimir Putin]", "['Emmanuel Macron', ' ']")
    with pytest.raises(SubscriptionError, match=r"'macron-putin'.*actors_all: empty value"):
        parse_catalogue(text, "subs.yaml")


def test_the_shipped_defaults_cover_macron_putin_and_troops_to_ukraine() -> None:
    catalogue = load_catalogue(DEFAULT_SUBSCRIPTIONS_FILE)
    by_id = {sub.id: sub for sub in catalogue.subscriptions}
    assert by_id["macron-putin"].event_types == (EventType.LEADER_CONTACT,)
    assert set(by_id["macron-putin"].actors_all) == {"Emmanuel Macron", "Vladimir Putin"}
    assert by_id["troops-to-ukraine"].event_types == (EventType.TROOP_DEPLOYMENT,)
    assert "NATO" in by_id["troops-to-ukraine"].actors_any
    # Deployments keep the default modalities, so "ruled out" (negated) never alerts.
    assert by_id["troops-to-ukraine"].modalities == (Modality.ASSERTED, Modality.PLANNED)


def test_add_then_remove_round_trips_through_the_file(tmp_path: Path) -> None:
    path = tmp_path / "subs.yaml"
    sub = Subscription.model_validate_json(
        '{"id": "leaks", "event_types": ["CONFIDENTIAL_LEAK"], "actors_any": ["Macron"],'
        ' "channels": [{"type": "email", "to": ["desk@example.org"]}]}'
    )
    add_subscription(path, sub)
    assert load_catalogue(path).subscriptions == (sub,)
    with pytest.raises(SubscriptionError, match="'leaks' already exists"):
        add_subscription(path, sub)
    remove_subscription(path, "leaks")
    assert load_catalogue(path).subscriptions == ()
    with pytest.raises(SubscriptionError, match="no subscription 'leaks'"):
        remove_subscription(path, "leaks")
