"""Test support for newswire: the loopback servers the tests start, as one pytest plugin.

:mod:`.webserver` is the fetcher's scriptable HTTP server, :mod:`.newssite` the news site the
ingest and DAG tests crawl; :mod:`.plugin` exposes them as fixtures (registered by
``tests/conftest.py``). Test modules import these modules directly (``tests/support`` is on the
test path), never a conftest.
"""
