"""The configuration the stack writes for its servers."""

from __future__ import annotations

import base64
import zipfile
from pathlib import Path

import pytest

from newswire.stack.elasticsearch import ElasticsearchLayout, elasticsearch_yml, unpack_distribution
from newswire.stack.errors import StackError
from newswire.stack.kafka import KafkaLayout, new_cluster_id, server_properties


def parse_properties(text: str) -> dict[str, str]:
    return dict(
        line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#")
    )


def test_kafka_runs_combined_kraft_mode_on_loopback_only(tmp_path: Path) -> None:
    props = parse_properties(
        server_properties(KafkaLayout(tmp_path), broker_port=19092, controller_port=19093)
    )
    assert props["process.roles"] == "broker,controller"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["controller.quorum.bootstrap.servers"] == "127.0.0.1:19093"
    assert props["log.dirs"] == str(tmp_path / "data")
    assert props["auto.create.topics.enable"] == "false"
    assert props["offsets.topic.replication.factor"] == "1"


def test_cluster_ids_are_kafka_uuids() -> None:
    cluster_id = new_cluster_id()
    assert len(cluster_id) == 22
    assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16
    assert new_cluster_id() != cluster_id


def test_elasticsearch_is_single_node_on_loopback(tmp_path: Path) -> None:
    text = elasticsearch_yml(ElasticsearchLayout(tmp_path), http_port=19200, transport_port=19300)
    settings = dict(line.split(": ", 1) for line in text.splitlines())
    assert settings["network.host"] == "127.0.0.1"
    assert settings["discovery.type"] == "single-node"
    assert settings["http.port"] == "19200"
    assert settings["path.data"] == str(tmp_path / "data")


def test_unpacking_drops_the_top_folder_and_keeps_executable_bits(tmp_path: Path) -> None:
    archive = tmp_path / "es.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        script = zipfile.ZipInfo("elasticsearch-1.0/bin/elasticsearch")
        script.external_attr = 0o755 << 16
        zf.writestr(script, "#!/bin/sh\n")
        zf.writestr("elasticsearch-1.0/config/jvm.options", "-Xss1m\n")
    home = tmp_path / "home"
    assert unpack_distribution(archive, home, "1.0") is True
    assert (home / "bin" / "elasticsearch").stat().st_mode & 0o111
    assert (home / "config" / "jvm.options").read_text() == "-Xss1m\n"
    assert unpack_distribution(archive, home, "1.0") is False


def test_unpacking_refuses_paths_that_escape(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("top/../../etc/passwd", "x")
    with pytest.raises(StackError, match="unsafe path"):
        unpack_distribution(archive, tmp_path / "home", "1.0")
