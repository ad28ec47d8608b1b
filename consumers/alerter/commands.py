"""``newswire subscriptions list|add|remove|test``: typer commands the lead registers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from consumers.alerter.channels import build_notifier
from consumers.alerter.core import channel_label
from consumers.alerter.errors import AlerterError, SubscriptionError
from consumers.alerter.matching import notification_key
from consumers.alerter.settings import AlerterSettings, read_secret_env
from consumers.alerter.subscriptions import (
    add_subscription,
    load_catalogue,
    remove_subscription,
    secret_env_names,
)
from newswire.validation import describe_errors
from schemas.base import stable_id
from schemas.events import ActorKind, ActorRef, Event, Modality
from schemas.notifications import Notification, NotificationKind
from schemas.subscriptions import Subscription

subscriptions_app = typer.Typer(
    help="Manage alert subscriptions (a YAML file).", no_args_is_help=True
)

FileOption = Annotated[
    Path | None,
    typer.Option("--file", "-f", help="Subscriptions file (default: the alerter's)."),
]


def _file(path: Path | None) -> Path:
    return path if path is not None else AlerterSettings().subscriptions_file


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


@subscriptions_app.command("list")
def list_subscriptions(
    file: FileOption = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """List the subscriptions of the file, with their channels and missing secrets."""
    path = _file(file)
    try:
        catalogue = load_catalogue(path)
    except SubscriptionError as exc:
        raise _fail(str(exc)) from exc
    rows: list[dict[str, Any]] = []
    for sub in catalogue.subscriptions:
        missing = [
            env
            for channel in sub.channels
            for _, env in secret_env_names(channel)
            if read_secret_env(env) is None
        ]
        rows.append(
            {
                "id": sub.id,
                "enabled": sub.enabled,
                "description": sub.description,
                "event_types": [t.value for t in sub.event_types],
                "actors_all": list(sub.actors_all),
                "actors_any": list(sub.actors_any),
                "modalities": [m.value for m in sub.modalities],
                "mode": sub.mode.value,
                "channels": [channel_label(i, c.type) for i, c in enumerate(sub.channels)],
                "missing_secrets": missing,
            }
        )
    if json_output:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        typer.echo(f"{path}: no subscriptions")
    for row in rows:
        state = "" if row["enabled"] else " (disabled)"
        typer.echo(f"{row['id']}{state}: {row['description'] or ''}")
        typer.echo(f"  types: {', '.join(row['event_types'])}; mode: {row['mode']}")
        if row["actors_all"]:
            typer.echo(f"  all of: {', '.join(row['actors_all'])}")
        if row["actors_any"]:
            typer.echo(f"  any of: {', '.join(row['actors_any'])}")
        typer.echo(f"  modalities: {', '.join(row['modalities'])}")
        typer.echo(f"  channels: {', '.join(row['channels'])}")
        if row["missing_secrets"]:
            typer.echo(f"  missing secrets: {', '.join(row['missing_secrets'])}")


@subscriptions_app.command("add")
def add(
    subscription_id: Annotated[str, typer.Argument(help="The new subscription's id.")],
    event_type: Annotated[list[str], typer.Option("--event-type", "-t", help="Repeatable.")],
    file: FileOption = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    actor_all: Annotated[list[str] | None, typer.Option("--actor-all")] = None,
    actor_any: Annotated[list[str] | None, typer.Option("--actor-any")] = None,
    country: Annotated[list[str] | None, typer.Option("--country")] = None,
    modality: Annotated[list[str] | None, typer.Option("--modality")] = None,
    keyword: Annotated[list[str] | None, typer.Option("--keyword")] = None,
    min_confidence: Annotated[float | None, typer.Option("--min-confidence")] = None,
    min_sources: Annotated[int | None, typer.Option("--min-sources")] = None,
    mode: Annotated[str | None, typer.Option("--mode", help="instant|hourly|daily")] = None,
    webhook: Annotated[str | None, typer.Option("--webhook", help="Webhook URL.")] = None,
    secret_env: Annotated[
        str | None, typer.Option("--secret-env", help="Env var of the webhook secret.")
    ] = None,
    signature: Annotated[
        str | None,
        typer.Option("--signature", help="Webhook signature: newswire|standard-webhooks."),
    ] = None,
    apprise_env: Annotated[
        str | None, typer.Option("--apprise-env", help="Env var of an Apprise service URL.")
    ] = None,
    slack_env: Annotated[
        str | None, typer.Option("--slack-env", help="Env var of a Slack webhook URL.")
    ] = None,
    email: Annotated[list[str] | None, typer.Option("--email", help="Recipient.")] = None,
    smtp_host: Annotated[str, typer.Option("--smtp-host")] = "127.0.0.1",
    smtp_port: Annotated[int, typer.Option("--smtp-port")] = 25,
    starttls: Annotated[bool, typer.Option("--starttls")] = False,
) -> None:
    """Add a subscription to the file (validated before the file is written)."""
    path = _file(file)
    channels: list[dict[str, Any]] = []
    if webhook:
        channels.append(
            {"type": "webhook", "url": webhook, "secret_env": secret_env, "signature": signature}
        )
    if apprise_env:
        channels.append({"type": "apprise", "url_env": apprise_env})
    if slack_env:
        channels.append({"type": "slack", "webhook_url_env": slack_env})
    if email:
        channels.append(
            {
                "type": "email",
                "to": email,
                "smtp_host": smtp_host,
                "smtp_port": smtp_port,
                "starttls": starttls,
            }
        )
    data: dict[str, Any] = {
        "id": subscription_id,
        "description": description,
        "event_types": event_type,
        "actors_all": actor_all or [],
        "actors_any": actor_any or [],
        "countries": country or [],
        "keywords": keyword or [],
        "channels": [{k: v for k, v in c.items() if v is not None} for c in channels],
    }
    optional = {
        "modalities": modality,
        "min_confidence": min_confidence,
        "min_sources": min_sources,
        "mode": mode,
    }
    data.update({k: v for k, v in optional.items() if v is not None})
    try:
        sub = Subscription.model_validate_json(json.dumps(data))
    except ValidationError as exc:
        details = describe_errors(exc, root="")
        raise _fail(f"subscription {subscription_id!r} is not valid: {details}") from exc
    try:
        add_subscription(path, sub)
    except SubscriptionError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(f"added {subscription_id} to {path}")


@subscriptions_app.command("remove")
def remove(
    subscription_id: Annotated[str, typer.Argument(help="The subscription to remove.")],
    file: FileOption = None,
) -> None:
    """Remove a subscription from the file."""
    path = _file(file)
    try:
        remove_subscription(path, subscription_id)
    except SubscriptionError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(f"removed {subscription_id} from {path}")


def sample_notification(sub: Subscription, now: datetime) -> Notification:
    """A made-up notification matching ``sub``, to test its channels end to end."""
    names = [*sub.actors_all, *sub.actors_any[:1]] or ["Sample Actor"]
    actors = tuple(
        ActorRef(
            id=term if term.startswith("Q") and term[1:].isdigit() else f"newswire:sample-{i}",
            name=term,
            kind=ActorKind.PERSON,
        )
        for i, term in enumerate(names)
    )
    article_id = stable_id("newswire-test", sub.id)
    evidence = f"This is a test notification of subscription {sub.id} from newswire."
    event = Event(
        event_id=stable_id(article_id, "event"),
        article_id=article_id,
        type=sub.event_types[0],
        actors=actors,
        modality=sub.modalities[0] if sub.modalities else Modality.ASSERTED,
        event_date=now.date(),
        evidence=evidence,
        evidence_start=0,
        evidence_end=len(evidence),
        confidence=1.0,
        article_url="https://example.org/newswire-test",
        article_title="newswire test notification",
        published_at=now,
    )
    development_id = stable_id("development-test", sub.id, now.isoformat())
    return Notification(
        idempotency_key=notification_key(sub.id, development_id, 1),
        subscription_id=sub.id,
        development_id=development_id,
        development_version=1,
        kind=NotificationKind.NEW,
        changes=("test notification",),
        headline=f"[test] {sub.description or sub.id}",
        event=event,
        source_count=1,
        source_urls=("https://example.org/newswire-test",),
        created_at=now,
        test=True,
    )


@subscriptions_app.command("test")
def test(
    subscription_id: Annotated[str, typer.Argument(help="The subscription to test.")],
    file: FileOption = None,
) -> None:
    """Send a sample notification (marked as a test) through every channel, now.

    Prints, per channel, what it is (URL and signature scheme, or the variable holding an
    Apprise URL), the idempotency key sent and whether it went through.
    """
    settings = AlerterSettings()
    path = file if file is not None else settings.subscriptions_file
    try:
        catalogue = load_catalogue(path)
    except SubscriptionError as exc:
        raise _fail(str(exc)) from exc
    sub = next((s for s in catalogue.subscriptions if s.id == subscription_id), None)
    if sub is None:
        raise _fail(f"{path}: no subscription {subscription_id!r}")
    notification = sample_notification(sub, datetime.now(UTC))
    failures = 0
    typer.echo(f"test notification {notification.idempotency_key} for {sub.id}")
    for position, channel in enumerate(sub.channels):
        label = channel_label(position, channel.type)
        what: str = channel.type
        try:
            notifier = build_notifier(channel, settings)
            what = notifier.describe()
            try:
                notifier.send(notification, notification.idempotency_key)
            finally:
                notifier.close()
        except AlerterError as exc:
            failures += 1
            typer.echo(f"{label}: FAILED: {exc} [{what}]")
        else:
            typer.echo(f"{label}: sent [{what}]")
    if failures:
        raise typer.Exit(code=1)
