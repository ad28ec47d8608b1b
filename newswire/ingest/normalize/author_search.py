"""trafilatura's author search (``trafilatura.metadata.extract_author``) in one pass over the page.

trafilatura copies the whole page, deletes comment sections, sidebars, dates and figures from the
copy with one XPath expression, then runs up to three more expressions over every element of it,
most of their tests EXSLT regular expressions (a Python call per element and attribute): several
times the cost of the rest of our metadata. The tests only look at an element's own tag and
attributes (and, for one, a child's text), so here one walk over the page evaluates them all, in
the same order and with the same regular expressions, and only the few elements that match are
copied to read their text, with the same deletions applied inside them. The answer is the same
string; :func:`search_author` falls back to trafilatura's own search when trafilatura's
expressions are not the ones this module was written from (another trafilatura version).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from copy import deepcopy
from itertools import chain
from typing import Any

from trafilatura.htmlprocessing import prune_unwanted_nodes
from trafilatura.json_metadata import normalize_authors
from trafilatura.metadata import extract_author
from trafilatura.utils import trim
from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS

_AUTHOR_CHARS_LIMIT = 120  # extract_author's len_limit

# trafilatura's expressions as written in the version this module mirrors (whitespace aside).
_DISCARD_SOURCES = (
    ".//*[self::a or self::div or self::section or self::span][ @id='comments' or "
    "@class='comments' or @class='title' or @class='date' or re:test(@id, "
    "'^comments|comment-?list|ProductReviews') or re:test(@class, '^[Cc]omments|commentlist|"
    "comments-list|sidebar|is-hidden|quote|embedly-instagram|article-(?:share|support)|print|"
    "category|meta-date|meta-reviewer') or contains(@data-component, 'Figure')]",
    "//time|//figure",
)
_AUTHOR_SOURCES = (
    "//*[self::a or self::address or self::div or self::link or self::p or self::span or "
    "self::strong][ @rel='author' or @id='author' or @class='author' or @itemprop='author name' "
    "or rel='me' or @data-testid='AuthorCard' or @data-testid='AuthorURL' or re:test(@class, "
    "'author-?name|AuthorName|authorName')]|//author",
    "//*[self::a or self::div or self::h3 or self::h4 or self::p or self::span][ @class='byline' "
    "or @class='username' or @class='byl' or @class='BBL' or contains(@itemprop, 'author') or "
    "re:test(@id, 'author|zuozhe|bianji|xiaobian') or re:test(@class, 'author|channel-name|"
    "zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name')]",
    "//*[ contains(@data-component, 'Byline') or contains(@itemprop, 'author') or re:test(@id, "
    "'[Aa]uthor') or re:test(@class, '[Aa]uthor|screenname|writer|[Bb]yline')]",
)

# The same regular expressions, compiled as lxml compiles those of re:test (re.search on str).
_DISCARD_TAGS = frozenset({"a", "div", "section", "span"})
_DISCARD_ID_RE = re.compile(r"^comments|comment-?list|ProductReviews")
_DISCARD_CLASS_RE = re.compile(
    r"^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram|"
    r"article-(?:share|support)|print|category|meta-date|meta-reviewer"
)
_FIRST_TAGS = frozenset({"a", "address", "div", "link", "p", "span", "strong"})
_FIRST_CLASS_RE = re.compile(r"author-?name|AuthorName|authorName")
_SECOND_TAGS = frozenset({"a", "div", "h3", "h4", "p", "span"})
_SECOND_CLASSES = frozenset({"byline", "username", "byl", "BBL"})
_SECOND_ID_RE = re.compile(r"author|zuozhe|bianji|xiaobian")
_SECOND_CLASS_RE = re.compile(
    r"author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name"
)
_THIRD_ID_RE = re.compile(r"[Aa]uthor")
_THIRD_CLASS_RE = re.compile(r"[Aa]uthor|screenname|writer|[Bb]yline")


def _spelled(expression: Any) -> str:
    return " ".join(str(expression.path).split())


def _mirrors_trafilatura() -> bool:
    return tuple(map(_spelled, AUTHOR_DISCARD_XPATHS)) == tuple(
        " ".join(source.split()) for source in _DISCARD_SOURCES
    ) and tuple(map(_spelled, AUTHOR_XPATHS)) == tuple(
        " ".join(source.split()) for source in _AUTHOR_SOURCES
    )


_MIRRORS_TRAFILATURA = _mirrors_trafilatura()


def _pruned_copy(element: Any) -> Any:
    """A copy of the element with the sections trafilatura deletes from its copy deleted."""
    return prune_unwanted_nodes(deepcopy(element), AUTHOR_DISCARD_XPATHS)


def _parents_of_rel_me(tree: Any) -> set[Any]:
    """Elements with a ``<rel>`` child whose text is ``me`` (the XPath test ``rel='me'``).

    The text is the child's as in trafilatura's pruned copy (a deleted ``<time>`` inside it
    takes its text along).
    """
    return {
        rel.getparent()
        for rel in tree.iter("rel")
        if rel.getparent() is not None and _pruned_copy(rel).text_content() == "me"
    }


def _matches(tree: Any) -> tuple[set[Any], tuple[list[Any], list[Any], list[Any]]]:
    """The roots of the deleted sections, and each author expression's elements in page order."""
    deleted: set[Any] = set()
    first: list[Any] = []
    second: list[Any] = []
    third: list[Any] = []
    rel_me = _parents_of_rel_me(tree)
    for element in tree.iter():
        tag = element.tag
        if not isinstance(tag, str):  # comments and processing instructions are not elements
            continue
        get = element.get
        id_value, class_value = get("id"), get("class")
        itemprop, component = get("itemprop"), get("data-component")
        id_text, class_text = id_value or "", class_value or ""
        if tag in ("time", "figure") or (
            tag in _DISCARD_TAGS
            and element is not tree  # .//* : descendants of the page's root only
            and (
                id_value == "comments"
                or class_value in ("comments", "title", "date")
                or _DISCARD_ID_RE.search(id_text)
                or _DISCARD_CLASS_RE.search(class_text)
                or (component is not None and "Figure" in component)
            )
        ):
            deleted.add(element)
        if tag == "author" or (
            tag in _FIRST_TAGS
            and (
                get("rel") == "author"
                or id_value == "author"
                or class_value == "author"
                or itemprop == "author name"
                or element in rel_me
                or get("data-testid") in ("AuthorCard", "AuthorURL")
                or _FIRST_CLASS_RE.search(class_text)
            )
        ):
            first.append(element)
        if tag in _SECOND_TAGS and (
            class_value in _SECOND_CLASSES
            or (itemprop is not None and "author" in itemprop)
            or _SECOND_ID_RE.search(id_text)
            or _SECOND_CLASS_RE.search(class_text)
        ):
            second.append(element)
        if (
            (component is not None and "Byline" in component)
            or (itemprop is not None and "author" in itemprop)
            or _THIRD_ID_RE.search(id_text)
            or _THIRD_CLASS_RE.search(class_text)
        ):
            third.append(element)
    return deleted, (first, second, third)


def _text_after_deletions(element: Any) -> str:
    """The element's text as in trafilatura's pruned copy of the page, trimmed."""
    text: str = trim(" ".join(_pruned_copy(element).itertext()))
    return text


def _one_pass_search(tree: Any) -> str | None:
    deleted, expressions = _matches(tree)

    def kept(element: Any) -> bool:
        return not any(node in deleted for node in chain((element,), element.iterancestors()))

    for elements in expressions:
        for element in elements:
            if not kept(element):
                continue
            content = _text_after_deletions(element)
            if content and 2 < len(content) < _AUTHOR_CHARS_LIMIT:
                found: str | None = normalize_authors(None, content)
                return found
    return None


def _trafilatura_search(tree: Any) -> str | None:
    found: str | None = extract_author(tree)
    return found


search_author: Callable[[Any], str | None] = (
    _one_pass_search if _MIRRORS_TRAFILATURA else _trafilatura_search
)
search_author.__doc__ = "The author string trafilatura's ``extract_author`` finds in a page tree."
