"""`newswire bootstrap`: idempotent topics and templates on the real stack; the Kibana import call."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import ClassVar

import pytest
from elasticsearch import Elasticsearch
from newswire_testing.loopback import LoopbackServer
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


class _KibanaImportEndpoint(BaseHTTPRequestHandler):
    """Records the import requests; answers like Kibana's saved objects API."""

    received: ClassVar[list[dict[str, str]]] = []
    status: ClassVar[int] = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(
            {
                "path": self.path,
                "xsrf": self.headers.get("kbn-xsrf", ""),
                "auth": self.headers.get("Authorization", ""),
                "body": body.decode("utf-8", errors="replace"),
            }
        )
        count = body.count(b'"type"')
        payload = {"success": self.status == 200, "successCount": count, "errors": []}
        data = json.dumps(payload).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def kibana_endpoint() -> Iterator[str]:
    _KibanaImportEndpoint.received = []
    _KibanaImportEndpoint.status = 200
    with LoopbackServer(_KibanaImportEndpoint) as server:
        yield server.url


def test_kibana_import_posts_each_export_with_xsrf_and_credentials(
    kibana_endpoint: str, tmp_path: Path
) -> None:
    export = tmp_path / "objects.ndjson"
    export.write_text('{"type": "index-pattern", "id": "a"}\n{"type": "search", "id": "b"}\n')
    settings = KibanaSettings(url=kibana_endpoint, username="elastic", password=SecretStr("pw"))
    assert import_kibana_objects(settings, [export]) == 2
    (request,) = _KibanaImportEndpoint.received
    assert request["path"] == "/api/saved_objects/_import?overwrite=true"
    assert request["xsrf"]
    assert request["auth"].startswith("Basic ")
    assert '"id": "b"' in request["body"]


def test_a_refused_kibana_import_is_an_error(kibana_endpoint: str, tmp_path: Path) -> None:
    _KibanaImportEndpoint.status = 400
    export = tmp_path / "objects.ndjson"
    export.write_text('{"type": "search", "id": "b"}\n')
    with pytest.raises(BootstrapError, match=r"Kibana refused objects\.ndjson: 400"):
        import_kibana_objects(KibanaSettings(url=kibana_endpoint), [export])
