"""newswire, the library: ingest, extract, transport (Kafka), search (Elasticsearch), stack.

It imports :mod:`schemas` and never :mod:`consumers`; only the command line (:mod:`newswire.cli`,
:mod:`newswire.demo`) sees everything. Helpers used by every room live here once:
:mod:`newswire.validation`, :mod:`newswire.fsutil`, :mod:`newswire.retry`,
:mod:`newswire.resources`, :mod:`newswire.settings`, :mod:`newswire.errors`.
"""
