"""Test support for newswire: the loopback servers the tests start, as one pytest plugin.

:mod:`.loopback` is the one way they serve HTTP on 127.0.0.1 (the indexer's fault proxy and
the Kibana and TLS endpoints use it too); :mod:`.webserver` is the fetcher's scriptable HTTP
server, :mod:`.newssite` the news site the
ingest and DAG tests crawl; :mod:`.plugin` exposes them as fixtures (registered by
``tests/conftest.py``). Beside them, the helpers more than one test module needs, one copy each:
:mod:`.topics` (send raw messages to a Kafka topic, read one back), :mod:`.commands` (run one
command as the CLI registers it), :mod:`.documents` (fetched-document hand-off files), :mod:`.metrics` (Prometheus
textfiles read back) and
:mod:`.clock` (a stepping clock). Test modules import these modules directly (``tests/support`` is on the
test path), never a conftest.
"""
