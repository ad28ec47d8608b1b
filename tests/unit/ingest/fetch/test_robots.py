"""RFC 9309 robots.txt matching (pure functions)."""

from __future__ import annotations

import pytest

from newswire.ingest.fetch.robots import (
    ALLOW_ALL,
    DISALLOW_ALL,
    RobotsVerdict,
    canonical_path,
    decode_policy,
    encode_policy,
    parse_robots,
    policy_for_status,
    robots_url,
)

ROBOTS = """
# comment line
User-agent: *
Disallow: /private/
Allow: /private/public
Disallow: /*.pdf$
Disallow: /search?q=

User-Agent: NewsWire
User-agent: otherbot
Disallow: /archive/
Allow: /archive/2024/

user-agent: newswire
disallow: /drafts
"""


@pytest.fixture
def ours():
    return parse_robots(ROBOTS, "newswire")


@pytest.fixture
def anyone():
    return parse_robots(ROBOTS, "somebot")


def test_groups_naming_our_token_are_merged_case_insensitively(ours):
    assert not ours.is_allowed("/archive/2019/x.html")
    assert ours.is_allowed("/archive/2024/x.html")
    assert not ours.is_allowed("/drafts/plan.html")
    # The * group does not apply once a group names us.
    assert ours.is_allowed("/private/page.html")


def test_star_group_applies_when_no_group_names_the_agent(anyone):
    assert not anyone.is_allowed("/private/page.html")
    assert anyone.is_allowed("/archive/2019/x.html")


def test_longest_match_wins_regardless_of_order():
    policy = parse_robots("User-agent: *\nAllow: /a/b/\nDisallow: /a/\n", "newswire")
    assert policy.is_allowed("/a/b/c")
    assert not policy.is_allowed("/a/c")
    reversed_order = parse_robots("User-agent: *\nDisallow: /a/\nAllow: /a/b/\n", "newswire")
    assert reversed_order.is_allowed("/a/b/c")


def test_equal_length_allow_beats_disallow():
    policy = parse_robots("User-agent: *\nDisallow: /page\nAllow: /page\n", "newswire")
    assert policy.is_allowed("/page")


def test_wildcard_and_end_anchor(anyone):
    assert not anyone.is_allowed("/files/report.pdf")
    assert anyone.is_allowed("/files/report.pdf?download=1")
    assert not anyone.is_allowed("/search?q=harbor")
    assert anyone.is_allowed("/search")


def test_robots_txt_itself_is_always_allowed():
    assert parse_robots("User-agent: *\nDisallow: /\n", "newswire").is_allowed("/robots.txt")


def test_empty_disallow_allows_everything():
    assert parse_robots("User-agent: *\nDisallow:\n", "newswire").is_allowed("/anything")


def test_rules_before_any_user_agent_are_ignored():
    assert parse_robots("Disallow: /\nUser-agent: *\nAllow: /x\n", "newswire").is_allowed("/y")


def test_no_matching_group_allows_everything():
    assert parse_robots("User-agent: otherbot\nDisallow: /\n", "newswire").verdict is (
        RobotsVerdict.ALLOW_ALL
    )


def test_percent_encoding_is_compared_canonically():
    policy = parse_robots("User-agent: *\nDisallow: /caf%C3%A9\nDisallow: /%7Euser\n", "newswire")
    assert not policy.is_allowed("/café/menu")
    assert not policy.is_allowed("/~user/page")
    assert canonical_path("https://x.org/a%2fb?q=%7e") == "/a%2Fb?q=~"


def test_full_urls_are_matched_by_path_and_query(anyone):
    assert not anyone.is_allowed("https://news.example/private/x.html")
    assert anyone.is_allowed("https://news.example/private/public/x.html")


@pytest.mark.parametrize(
    ("status", "expected"),
    [(404, ALLOW_ALL), (401, ALLOW_ALL), (500, DISALLOW_ALL), (503, DISALLOW_ALL)],
)
def test_status_without_rules(status, expected):
    assert policy_for_status(status, "", "newswire") == expected


def test_policy_round_trips_through_the_cache_encoding(ours):
    assert decode_policy(encode_policy(ours)) == ours
    assert decode_policy(encode_policy(ALLOW_ALL)) == ALLOW_ALL


def test_robots_url_keeps_scheme_host_and_port():
    assert robots_url("https://news.example:8443/a/b?c=1") == "https://news.example:8443/robots.txt"
