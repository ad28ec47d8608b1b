"""robots.txt with RFC 9309 semantics (pure functions; fetching and caching live in the fetcher).

``urllib.robotparser`` is not used: it applies the first matching rule in file order instead of
the longest match, does not support ``*`` and ``$`` wildcards, and does not merge groups that
name the same user agent, so it disagrees with RFC 9309 on ordinary files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from urllib.parse import quote, urlsplit

ROBOTS_PATH = "/robots.txt"
MAX_CRAWL_DELAY_SECONDS = (
    60.0  # a longer Crawl-delay is read as this (the time budgets do the rest)
)
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PERCENT_RE = re.compile(r"%([0-9A-Fa-f]{2})")


class RobotsVerdict(StrEnum):
    """What a robots.txt fetch allows overall."""

    RULES = "rules"
    ALLOW_ALL = "allow-all"
    DISALLOW_ALL = "disallow-all"


@dataclass(frozen=True, slots=True)
class RobotsRule:
    """One ``allow`` or ``disallow`` line, its pattern in canonical percent-encoding."""

    allow: bool
    pattern: str

    def matches(self, path: str) -> bool:
        """Whether the rule's pattern matches a canonical path (RFC 9309 ``*`` and ``$``)."""
        return _compile_pattern(self.pattern).match(path) is not None


@dataclass(frozen=True, slots=True)
class RobotsPolicy:
    """The rules that apply to our user agent on one host."""

    verdict: RobotsVerdict
    rules: tuple[RobotsRule, ...] = field(default=())
    crawl_delay: float | None = None  # seconds between requests the site asks for (non-standard)

    def rate_limit(self, rate_per_second: float) -> float:
        """The request rate to use: ``rate_per_second``, slowed down to honour ``Crawl-delay``."""
        if self.crawl_delay is None or self.crawl_delay <= 0:
            return rate_per_second
        return min(rate_per_second, 1.0 / self.crawl_delay)

    def is_allowed(self, url_or_path: str) -> bool:
        """Whether our agent may fetch the URL (or ``path?query``), by the longest matching rule.

        Equal-length allow and disallow matches resolve to allow, the least restrictive rule
        (RFC 9309 section 2.2.2); ``/robots.txt`` itself is always allowed.
        """
        path = canonical_path(url_or_path)
        if path == ROBOTS_PATH or self.verdict is RobotsVerdict.ALLOW_ALL:
            return True
        if self.verdict is RobotsVerdict.DISALLOW_ALL:
            return False
        best: RobotsRule | None = None
        for rule in self.rules:
            if not rule.matches(path):
                continue
            if (
                best is None
                or len(rule.pattern) > len(best.pattern)
                or (len(rule.pattern) == len(best.pattern) and rule.allow and not best.allow)
            ):
                best = rule
        return best is None or best.allow


ALLOW_ALL = RobotsPolicy(RobotsVerdict.ALLOW_ALL)
DISALLOW_ALL = RobotsPolicy(RobotsVerdict.DISALLOW_ALL)


def _normalize_percent(text: str) -> str:
    """Percent-encode non-ASCII, upper-case escapes, decode escaped unreserved characters."""

    def _fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else f"%{match.group(1).upper()}"

    encoded = quote(text, safe="".join(chr(c) for c in range(0x21, 0x7F)))
    return _PERCENT_RE.sub(_fix, encoded)


def canonical_path(url_or_path: str) -> str:
    """The ``path?query`` part of a URL in the canonical form rules are compared against."""
    if url_or_path.startswith(("http://", "https://")):
        parts = urlsplit(url_or_path)
        path = parts.path or "/"
        if parts.query:
            path = f"{path}?{parts.query}"
    else:
        path = url_or_path or "/"
    return _normalize_percent(path)


@lru_cache(maxsize=4096)
def _compile_pattern(pattern: str) -> re.Pattern[str]:
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    regex = ".*".join(re.escape(piece) for piece in body.split("*"))
    return re.compile(regex + (r"\Z" if anchored else ""), re.S)


def _agent_matches(value: str, token: str) -> bool:
    name = re.split(r"[/\s]", value.strip(), maxsplit=1)[0].lower()
    return name == token.lower()


def parse_robots(text: str, token: str) -> RobotsPolicy:
    """The policy a robots.txt body sets for the product token ``token``.

    Groups naming the token (case-insensitively) are merged; without any, the ``*`` groups are
    merged; without those either, everything is allowed. Unknown lines are ignored.
    """
    groups: list[tuple[list[str], list[RobotsRule], float | None]] = []
    agents: list[str] = []
    rules: list[RobotsRule] = []
    delay: float | None = None
    in_rules = False
    for raw_line in text.splitlines():
        line = raw_line.split("#", 1)[0].strip()
        if ":" not in line:
            continue
        key, _, value = line.partition(":")
        key = key.strip().lower().replace("_", "-")
        value = value.strip()
        if key == "user-agent":
            if in_rules:
                groups.append((agents, rules, delay))
                agents, rules, delay, in_rules = [], [], None, False
            agents.append(value)
        elif key == "crawl-delay":
            if not agents:
                continue
            in_rules = True
            try:
                seconds = float(value)
            except ValueError:
                continue
            if seconds == seconds and 0 < seconds < float("inf"):  # not NaN, not infinite
                delay = max(delay or 0.0, min(seconds, MAX_CRAWL_DELAY_SECONDS))
        elif key in ("allow", "disallow"):
            if not agents:
                continue  # rules before any user-agent line belong to no group
            in_rules = True
            if value:
                rules.append(RobotsRule(allow=key == "allow", pattern=_normalize_percent(value)))
    if agents:
        groups.append((agents, rules, delay))
    mine = [(r, d) for a, r, d in groups if any(_agent_matches(agent, token) for agent in a)]
    if not mine:
        mine = [(r, d) for a, r, d in groups if any(agent.strip() == "*" for agent in a)]
    if not mine:
        return ALLOW_ALL
    delays = [d for _, d in mine if d is not None]
    return RobotsPolicy(
        RobotsVerdict.RULES,
        tuple(rule for group, _ in mine for rule in group),
        max(delays) if delays else None,
    )


def policy_for_status(status: int, body: str, token: str) -> RobotsPolicy:
    """The policy implied by a robots.txt response: 2xx parsed, 4xx allow all, 5xx disallow all."""
    if 200 <= status < 300:
        return parse_robots(body, token)
    if 400 <= status < 500:
        return ALLOW_ALL
    return DISALLOW_ALL


def robots_url(url: str) -> str:
    """The robots.txt URL governing ``url`` (same scheme, host and port)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{ROBOTS_PATH}"


def encode_policy(policy: RobotsPolicy) -> str:
    """A compact text form of a policy for the durable cache."""
    lines = [policy.verdict.value]
    lines += [f"{'A' if rule.allow else 'D'} {rule.pattern}" for rule in policy.rules]
    if policy.crawl_delay is not None:
        lines.append(f"C {policy.crawl_delay!r}")
    return "\n".join(lines)


def decode_policy(text: str) -> RobotsPolicy:
    """The policy stored by :func:`encode_policy`."""
    head, *rest = text.split("\n")
    rules = tuple(
        RobotsRule(allow=line[0] == "A", pattern=line[2:])
        for line in rest
        if line[:1] in ("A", "D")
    )
    delays = [float(line[2:]) for line in rest if line.startswith("C ")]
    return RobotsPolicy(RobotsVerdict(head), rules, delays[0] if delays else None)
