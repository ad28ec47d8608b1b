"""Test support for newswire: the loopback servers the tests start, as one pytest plugin.

One module per kind of server, each bound to 127.0.0.1 on a free port: :mod:`.loopback` is the
one way they serve HTTP (a stdlib server in a daemon thread; the benchmarks use it too),
:mod:`.webserver` the fetcher's scriptable HTTP(S) server, :mod:`.newssite` the news site the
ingest and DAG tests crawl, :mod:`.webhook` the alerter's webhook receiver, :mod:`.smtp` its
SMTP sink (aiosmtpd), :mod:`.faultproxy` the fault-injecting proxy in front of Elasticsearch and
:mod:`.kibana` Kibana's saved-objects import endpoint. :mod:`.plugin` starts and stops them as
fixtures (registered by ``tests/conftest.py``).

Beside them, the helpers more than one test module needs, one copy each: :mod:`.topics` (send
raw messages to a Kafka topic, read one back), :mod:`.commands` (run one command as the CLI
registers it), :mod:`.documents` (fetched-document hand-off files), :mod:`.metrics`
(Prometheus textfiles read back), :mod:`.subscriptions` (the alerter tests' channels and
subscription files), :mod:`.fixtures` (our own files in ``tests/fixtures/``) and :mod:`.clock`
(clocks the tests move, and ``wait_for``). Test modules import these modules directly
(``tests/support`` is on the test path), never a conftest.
"""
