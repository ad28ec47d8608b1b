from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser

from consumers.alerter.developments import fold_event, start_development
from consumers.alerter.feeds import FeedWriter, etag_of, feed_path, render_feed

NOW = datetime(2024, 3, 18, 12, 0, tzinfo=UTC)


def test_feed_is_deterministic_valid_and_rewritten_only_on_change(
    make_event, tmp_path: Path
) -> None:
    dev = start_development(make_event("call_planned", "lemonde"), "dev-1", 0, NOW)
    assert render_feed("s", [dev]) == render_feed("s", [dev])
    writer = FeedWriter(tmp_path)
    assert writer.update([("s", dev)]) == [feed_path(tmp_path, "s")]
    first = feed_path(tmp_path, "s").read_bytes()
    assert writer.update([("s", dev)]) == []
    assert etag_of(feed_path(tmp_path, "s").read_bytes()) == etag_of(first)
    later = fold_event(dev, make_event("call_held", "bbc"), NOW + timedelta(hours=1)).development
    assert writer.update([("s", later)]) == [feed_path(tmp_path, "s")]
    parsed = feedparser.parse(feed_path(tmp_path, "s").read_bytes())
    assert not parsed.bozo
    (entry,) = parsed.entries
    assert entry.id == "urn:newswire:development:dev-1"
    assert "Modality: asserted" in entry.summary
    assert len(entry.links) == 2
