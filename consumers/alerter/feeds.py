"""An Atom feed per subscription: one entry per development, rewritten when one changes.

:class:`FeedWriter` keeps, next to each ``<subscription id>.atom``, the developments of that feed
(``.<subscription id>.developments.json``) and renders the feed from them deterministically: a
feed whose developments did not change keeps its bytes, hence its ETag, and is not rewritten.
Both files are replaced atomically, so a web server or feed reader never sees half a feed.
"""

from __future__ import annotations

import hashlib
import json
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from consumers.alerter.developments import Development
from consumers.alerter.errors import AlerterError
from consumers.alerter.render import TYPE_LABEL, modality_label
from newswire.fsutil import write_bytes_atomically

ATOM_NS = "http://www.w3.org/2005/Atom"
MAX_ENTRIES = 200


class FeedError(AlerterError):
    """A feed could not be written."""


def feed_path(directory: Path, subscription_id: str) -> Path:
    """Where the feed of ``subscription_id`` is written."""
    return directory / f"{subscription_id}.atom"


def etag_of(data: bytes) -> str:
    """A strong ETag for the bytes of a feed."""
    return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


def _actors(development: Development) -> str:
    names = [actor.name for actor in development.actors]
    return ", ".join(names) if names else "unknown actors"


def _title(development: Development) -> str:
    return (
        f"{TYPE_LABEL[development.type]}: {_actors(development)} "
        f"({modality_label(development.modality)})"
    )


def _summary(development: Development) -> str:
    day = development.anchor_date.isoformat() if development.anchor_date else "date unknown"
    lines = [
        f"Actors: {_actors(development)}",
        f"Modality: {development.modality.value}",
        f"Date: {day}",
        f"Sources: {development.source_count}",
        "",
        "Evidence:",
        *(f'- "{" ".join(text.split())}"' for text in development.evidence),
    ]
    if development.source_urls:
        lines += ["", "Source links:", *(f"- {url}" for url in development.source_urls)]
    return "\n".join(lines)


def render_feed(subscription_id: str, developments: Iterable[Development]) -> bytes:
    """The Atom document of a subscription's developments, newest first (deterministic)."""
    items = sorted(developments, key=lambda d: (d.updated_at, d.development_id), reverse=True)[
        :MAX_ENTRIES
    ]
    ET.register_namespace("", ATOM_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    sub(feed, "id", f"urn:newswire:subscription:{subscription_id}")
    sub(feed, "title", f"newswire: {subscription_id}")
    updated = items[0].updated_at if items else None
    sub(feed, "updated", updated.isoformat() if updated else "1970-01-01T00:00:00+00:00")
    author = sub(feed, "author")
    sub(author, "name", "newswire")
    sub(feed, "generator", "newswire alerter")
    for development in items:
        entry = sub(feed, "entry")
        sub(entry, "id", f"urn:newswire:development:{development.development_id}")
        sub(entry, "title", _title(development))
        sub(entry, "published", development.created_at.isoformat())
        sub(entry, "updated", development.updated_at.isoformat())
        for position, url in enumerate(development.source_urls):
            sub(entry, "link", href=url, rel="alternate" if position == 0 else "related")
        sub(entry, "category", term=development.type.value, label=TYPE_LABEL[development.type])
        sub(entry, "category", term=f"modality:{development.modality.value}")
        for actor in development.actors:
            sub(entry, "category", term=f"actor:{actor.id}", label=actor.name)
        sub(entry, "summary", _summary(development), type="text")
    ET.indent(feed)
    data: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


class FeedWriter:
    """Writes ``DIR/<subscription id>.atom`` for the developments each subscription matches."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FeedError(f"{directory}: cannot create the feed directory: {exc}") from exc

    def _state_path(self, subscription_id: str) -> Path:
        return self.directory / f".{subscription_id}.developments.json"

    def _load(self, subscription_id: str) -> dict[str, Development]:
        path = self._state_path(subscription_id)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise FeedError(f"{path}: cannot read the feed's developments: {exc}") from exc
        try:
            loaded = [Development.model_validate_json(json.dumps(item)) for item in raw]
        except ValidationError as exc:
            raise FeedError(f"{path}: not a list of developments: {exc}") from exc
        return {d.development_id: d for d in loaded}

    def update(self, changes: Iterable[tuple[str, Development]]) -> list[Path]:
        """Fold (subscription id, development) pairs into their feeds; returns feeds rewritten."""
        by_subscription: dict[str, list[Development]] = {}
        for subscription_id, development in changes:
            by_subscription.setdefault(subscription_id, []).append(development)
        written = []
        with self._lock:
            for subscription_id, developments in sorted(by_subscription.items()):
                known = self._load(subscription_id)
                before = dict(known)
                for development in developments:
                    # The feed shows what subscribers see: alert marks are not part of it.
                    known[development.development_id] = development.model_copy(
                        update={"alerts": ()}
                    )
                if known == before:
                    continue
                kept = sorted(known.values(), key=lambda d: d.updated_at, reverse=True)
                kept = kept[:MAX_ENTRIES]
                data = render_feed(subscription_id, kept)
                path = feed_path(self.directory, subscription_id)
                try:
                    state = json.dumps([d.model_dump(mode="json") for d in kept], sort_keys=True)
                    write_bytes_atomically(self._state_path(subscription_id), state.encode())
                    if not path.exists() or path.read_bytes() != data:
                        write_bytes_atomically(path, data)
                        written.append(path)
                except OSError as exc:
                    raise FeedError(f"{path}: cannot write the feed: {exc}") from exc
        return written
