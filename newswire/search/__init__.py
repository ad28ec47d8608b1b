"""``newswire search``: find events through the ``news-events`` alias.

:mod:`newswire.search.query` builds the request (pure), :mod:`newswire.search.adapter` sends it,
:mod:`newswire.search.render` prints a table or JSON, :mod:`newswire.search.command` is the
command-line function.
"""

from newswire.search.adapter import EventHit, SearchError, search_events
from newswire.search.query import EventQuery, build_search, parse_since
from newswire.search.settings import SearchSettings

__all__ = [
    "EventHit",
    "EventQuery",
    "SearchError",
    "SearchSettings",
    "build_search",
    "parse_since",
    "search_events",
]
