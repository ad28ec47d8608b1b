"""Both consumer services read their connections from settings built once at their entry point."""

from __future__ import annotations

import pytest

from consumers.alerter.settings import AlerterSettings
from consumers.indexer.settings import IndexerSettings
from newswire.settings import ElasticsearchSettings


@pytest.mark.parametrize("settings_class", [AlerterSettings, IndexerSettings])
def test_the_elasticsearch_connection_comes_from_the_es_environment(
    settings_class: type[AlerterSettings | IndexerSettings], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSWIRE_ES_URL", "http://127.0.0.1:4444")
    monkeypatch.setenv("NEWSWIRE_ES_REQUEST_TIMEOUT_SECONDS", "7.5")
    settings = settings_class()
    assert settings.es == ElasticsearchSettings()
    assert settings.es.url == "http://127.0.0.1:4444"
    assert settings.es.request_timeout_seconds == 7.5


@pytest.mark.parametrize("settings_class", [AlerterSettings, IndexerSettings])
def test_given_elasticsearch_settings_are_kept(
    settings_class: type[AlerterSettings | IndexerSettings],
) -> None:
    given = ElasticsearchSettings(url="http://127.0.0.1:5555")
    assert settings_class(es=given).es == given
