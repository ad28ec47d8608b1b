"""`newswire bootstrap`: idempotent topics and templates on the real stack; the Kibana import call."""

from __future__ import annotations

from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from newswire_testing.kibana import KibanaImportEndpoint
from pydantic import SecretStr

from newswire.bootstrap import BootstrapError, KibanaSettings, bootstrap, import_kibana_objects
from newswire.settings import ElasticsearchSettings, KafkaSettings
from schemas.indices import INDICES


@pytest.mark.integration
def test_bootstrap_is_idempotent_on_the_real_stack(
    kafka_settings: KafkaSettings, es_settings: ElasticsearchSettings, es_client: Elasticsearch
) -> None:
    first = bootstrap(kafka_settings, es_settings)
    second = bootstrap(kafka_settings, es_settings)
    assert second.topics_created == []
    assert first.templates == second.templates == [s.template_name for s in INDICES.values()]
    for spec in INDICES.values():
        assert es_client.indices.exists_index_template(name=spec.template_name)


def test_kibana_import_posts_each_export_with_xsrf_and_credentials(
    kibana_endpoint: KibanaImportEndpoint, tmp_path: Path
) -> None:
    export = tmp_path / "objects.ndjson"
    export.write_text('{"type": "index-pattern", "id": "a"}\n{"type": "search", "id": "b"}\n')
    settings = KibanaSettings(url=kibana_endpoint.url, username="elastic", password=SecretStr("pw"))
    assert import_kibana_objects(settings, [export]) == 2
    (request,) = kibana_endpoint.received
    assert request.path == "/api/saved_objects/_import?overwrite=true"
    assert request.xsrf
    assert request.auth.startswith("Basic ")
    assert '"id": "b"' in request.body


def test_a_refused_kibana_import_is_an_error(
    kibana_endpoint: KibanaImportEndpoint, tmp_path: Path
) -> None:
    kibana_endpoint.status = 400
    export = tmp_path / "objects.ndjson"
    export.write_text('{"type": "search", "id": "b"}\n')
    with pytest.raises(BootstrapError, match=r"Kibana refused objects\.ndjson: 400"):
        import_kibana_objects(KibanaSettings(url=kibana_endpoint.url), [export])
