"""The local stack: real Kafka and Elasticsearch from Maven Central, on loopback, without Docker.

``newswire stack up`` resolves the artifacts (cached per user, verified), starts a KRaft Kafka
broker and a single-node Elasticsearch, waits until both answer, creates the catalogue's topics
and index templates and writes the connection settings to ``stack.env`` in its run directory.
"""

from newswire.stack.errors import StackError
from newswire.stack.manager import StackManager, StackStatus

__all__ = ["StackError", "StackManager", "StackStatus"]
