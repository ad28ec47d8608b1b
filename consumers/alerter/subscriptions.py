"""Loading, checking and editing subscription files.

A file is validated by :meth:`SubscriptionCatalogue.from_yaml_text` (strict, unknown fields
refused), then checked here: every error names the file and the subscription. Secrets named by
channels must be set in the environment when the alerter loads the file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from consumers.alerter.actors import ActorTerm, Resolver, resolve_term
from consumers.alerter.errors import SubscriptionError
from consumers.alerter.settings import read_secret_env
from consumers.alerter.signing import standard_webhooks_key
from newswire.fsutil import write_text_atomically
from schemas.subscriptions import (
    AppriseChannel,
    EmailChannel,
    SignatureScheme,
    SlackChannel,
    Subscription,
    SubscriptionCatalogue,
    WebhookChannel,
)


@dataclass(frozen=True, slots=True)
class ResolvedSubscription:
    """A subscription with its actor terms resolved and its keywords compiled."""

    subscription: Subscription
    actors_all: tuple[ActorTerm, ...]
    actors_any: tuple[ActorTerm, ...]
    keyword_patterns: tuple[re.Pattern[str], ...]

    @property
    def id(self) -> str:
        """The subscription id."""
        return self.subscription.id


def keyword_pattern(keyword: str) -> re.Pattern[str]:
    """A case-insensitive pattern finding ``keyword`` at the start of a word."""
    return re.compile(r"(?<!\w)" + re.escape(keyword.strip()), re.IGNORECASE)


def _raw_subscriptions(text: str) -> list[Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return []
    if isinstance(data, dict) and isinstance(data.get("subscriptions"), list):
        return list(data["subscriptions"])
    return []


def _describe_location(loc: Sequence[int | str], raw: list[Any]) -> tuple[str, str]:
    """(which subscription, which field) for a pydantic error location."""
    if len(loc) >= 2 and loc[0] == "subscriptions" and isinstance(loc[1], int):
        index = loc[1]
        entry = raw[index] if index < len(raw) else None
        sub_id = entry.get("id") if isinstance(entry, dict) else None
        who = f"subscription {sub_id!r} (entry {index + 1})" if sub_id else f"entry {index + 1}"
        rest = loc[2:]
    else:
        who, rest = "the file", loc
    field = ""
    for part in rest:
        field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
    return who, field or "(top level)"


def parse_catalogue(text: str, origin: str) -> SubscriptionCatalogue:
    """Validate the text of a subscriptions file; errors name ``origin`` and the subscription."""
    try:
        catalogue = SubscriptionCatalogue.from_yaml_text(text)
    except yaml.YAMLError as exc:
        raise SubscriptionError(f"{origin}: not valid YAML: {exc}") from exc
    except ValidationError as exc:
        raw = _raw_subscriptions(text)
        lines = []
        for error in exc.errors():
            who, field = _describe_location(error["loc"], raw)
            lines.append(f"{origin}: {who}: {field}: {error['msg']}")
        raise SubscriptionError("\n".join(lines)) from exc
    for index, sub in enumerate(catalogue.subscriptions):
        who = f"{origin}: subscription {sub.id!r} (entry {index + 1})"
        for field_name in ("actors_all", "actors_any", "keywords"):
            values: tuple[str, ...] = getattr(sub, field_name)
            if any(not value.strip() for value in values):
                raise SubscriptionError(f"{who}: {field_name}: empty value")
    return catalogue


def load_catalogue(path: Path) -> SubscriptionCatalogue:
    """Read and validate a subscriptions file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SubscriptionError(f"{path}: cannot read subscriptions file: {exc}") from exc
    return parse_catalogue(text, str(path))


def secret_env_names(
    channel: WebhookChannel | SlackChannel | EmailChannel | AppriseChannel,
) -> list[tuple[str, str]]:
    """(option, environment variable) pairs of the secrets a channel needs."""
    if isinstance(channel, AppriseChannel):
        return [("url_env", channel.url_env)]
    if isinstance(channel, WebhookChannel):
        return [("secret_env", channel.secret_env)] if channel.secret_env else []
    if isinstance(channel, SlackChannel):
        return [("webhook_url_env", channel.webhook_url_env)]
    pairs = []
    if channel.username_env:
        pairs.append(("username_env", channel.username_env))
    if channel.password_env:
        pairs.append(("password_env", channel.password_env))
    return pairs


def check_secrets(catalogue: SubscriptionCatalogue, origin: str) -> None:
    """Fail when an enabled subscription names a secret that is not set or not of its form."""
    missing = []
    for index, sub in enumerate(catalogue.subscriptions):
        if not sub.enabled:
            continue
        for position, channel in enumerate(sub.channels):
            where = f"{origin}: subscription {sub.id!r} (entry {index + 1}): channels[{position}]"
            for option, env_name in secret_env_names(channel):
                value = read_secret_env(env_name)
                if value is None:
                    missing.append(f"{where}.{option}: environment variable {env_name} is not set")
                elif (
                    isinstance(channel, WebhookChannel)
                    and channel.signature is SignatureScheme.STANDARD_WEBHOOKS
                ):
                    try:
                        standard_webhooks_key(value.get_secret_value())
                    except ValueError as exc:
                        missing.append(f"{where}.{option}: {env_name}: {exc}")
    if missing:
        raise SubscriptionError("\n".join(missing))


def resolve_subscription(sub: Subscription, resolver: Resolver | None) -> ResolvedSubscription:
    """Resolve a subscription's actor terms and compile its keywords."""
    return ResolvedSubscription(
        subscription=sub,
        actors_all=tuple(resolve_term(term, resolver) for term in sub.actors_all),
        actors_any=tuple(resolve_term(term, resolver) for term in sub.actors_any),
        keyword_patterns=tuple(keyword_pattern(keyword) for keyword in sub.keywords),
    )


def load_subscriptions(
    path: Path, *, resolver: Resolver | None = None, require_secrets: bool = True
) -> tuple[ResolvedSubscription, ...]:
    """Load, check and resolve the enabled subscriptions of a file."""
    catalogue = load_catalogue(path)
    if require_secrets:
        check_secrets(catalogue, str(path))
    return tuple(
        resolve_subscription(sub, resolver) for sub in catalogue.subscriptions if sub.enabled
    )


def dump_catalogue(catalogue: SubscriptionCatalogue) -> str:
    """The YAML text of a catalogue (defaults left out, field order kept)."""
    data = catalogue.model_dump(mode="json", exclude_defaults=True)
    data.setdefault("subscriptions", [])
    for sub in data["subscriptions"]:
        sub.pop("schema_version", None)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def write_catalogue(path: Path, catalogue: SubscriptionCatalogue) -> None:
    """Write a catalogue atomically, after checking that its text validates back to itself."""
    text = dump_catalogue(catalogue)
    if parse_catalogue(text, str(path)) != catalogue:
        raise SubscriptionError(f"{path}: the catalogue does not survive a YAML round trip")
    write_text_atomically(path, text)


def add_subscription(path: Path, sub: Subscription) -> SubscriptionCatalogue:
    """Add ``sub`` to the file (created when missing); its id must be new."""
    existing = load_catalogue(path) if path.exists() else SubscriptionCatalogue(subscriptions=())
    if any(item.id == sub.id for item in existing.subscriptions):
        raise SubscriptionError(f"{path}: subscription {sub.id!r} already exists")
    updated = SubscriptionCatalogue(subscriptions=(*existing.subscriptions, sub))
    write_catalogue(path, updated)
    return updated


def remove_subscription(path: Path, subscription_id: str) -> SubscriptionCatalogue:
    """Remove the subscription ``subscription_id`` from the file."""
    existing = load_catalogue(path)
    kept = tuple(item for item in existing.subscriptions if item.id != subscription_id)
    if len(kept) == len(existing.subscriptions):
        raise SubscriptionError(f"{path}: no subscription {subscription_id!r}")
    updated = SubscriptionCatalogue(subscriptions=kept)
    write_catalogue(path, updated)
    return updated
