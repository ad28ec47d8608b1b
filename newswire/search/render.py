"""Printing search hits as a rich table or as JSON."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from newswire.search.adapter import EventHit, SearchResult
from newswire.search.query import HIGHLIGHT_END, HIGHLIGHT_START
from schemas.events import Event


def event_date(event: Event) -> str:
    """The date shown for an event: when it happened, else when it was reported."""
    if event.event_date is not None:
        return event.event_date.isoformat()
    for moment in (event.published_at, event.first_seen_at, event.extracted_at):
        if moment is not None:
            return moment.date().isoformat()
    return ""


def highlight_markup(text: str) -> str:
    """Rich markup of highlighted text: the matches in bold, everything else escaped."""
    out: list[str] = []
    bold = False
    for piece in text.replace(HIGHLIGHT_END, HIGHLIGHT_START).split(HIGHLIGHT_START):
        if piece:
            out.append(f"[bold yellow]{escape(piece)}[/]" if bold else escape(piece))
        bold = not bold
    return "".join(out)


def highlight_html(text: str) -> str:
    """Highlighted text with ``<em>`` tags, for JSON output."""
    return text.replace(HIGHLIGHT_START, "<em>").replace(HIGHLIGHT_END, "</em>")


def hit_row(hit: EventHit) -> tuple[str, str, str, str, str, str]:
    """The table cells of one hit: date, type, actors, modality, evidence, source."""
    event = hit.event
    evidence = (
        highlight_markup(hit.highlighted_evidence)
        if hit.highlighted_evidence
        else escape(event.evidence)
    )
    return (
        event_date(event),
        event.type.value,
        escape(", ".join(actor.name for actor in event.actors)),
        event.modality.value,
        evidence,
        escape(event.source_id or event.article_url or ""),
    )


def result_json(result: SearchResult) -> str:
    """The JSON form: total, and each hit's event, score and highlighted evidence."""
    payload: dict[str, Any] = {
        "total": result.total,
        "hits": [
            {
                "score": hit.score,
                "evidence_highlighted": (
                    highlight_html(hit.highlighted_evidence) if hit.highlighted_evidence else None
                ),
                "event": hit.event.model_dump(mode="json"),
            }
            for hit in result.hits
        ],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2)


def print_table(result: SearchResult, console: Console) -> None:
    """Print the hits as a table, newest first, with the total in the title."""
    table = Table(
        title=f"{result.total} event(s), showing {len(result.hits)}",
        title_justify="left",
        show_lines=True,
    )
    for column in ("date", "type", "actors", "modality", "evidence", "source"):
        table.add_column(column, overflow="fold")
    for hit in result.hits:
        table.add_row(*hit_row(hit))
    console.print(table)
