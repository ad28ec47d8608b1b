"""The Kafka consumers: the shared runtime and service skeleton, the indexer, the alerter.

Consumers import :mod:`newswire` and :mod:`schemas`; neither imports them.
"""
