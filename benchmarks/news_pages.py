"""Realistic full news pages for the normalization benchmark (our own wording, generated).

Each page is what a news site serves: a ``<head>`` with many meta tags, stylesheets, an inline
style block, analytics and ad scripts and (on most layouts) JSON-LD; a body with a cookie banner,
a header and a large navigation menu, a breaking-news ticker, breadcrumbs, the article (headline,
standfirst, byline, date, a figure, 500-1,000 words in 12-25 paragraphs with sub-headings,
inline "read more" boxes and ad slots, share buttons, tags), a "most read" sidebar, a newsletter
box, a related-stories grid, a comments block and a footer with columns of links. Five site
layouts differ in markup, class names and where the publication date is (JSON-LD, meta tags, a
``<time>`` element, only the URL, or only the visible text). Pages weigh 40-110 KB, most of it
outside the article, as real pages do.

Deterministic for a given seed; no two pages share an article body.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_PLACES = (
    "Harwick", "Port Elland", "the northern valley", "Lowmere", "the river district",
    "Castlebrook", "the coastal towns", "Easterby", "the capital", "Redfield", "Marrow Bay",
    "the eastern provinces", "Oakhurst", "Silverton", "the border region", "Kelby",
)  # fmt: skip
_ACTORS = (
    "the regional council", "the transport authority", "union leaders", "the health ministry",
    "local farmers", "the finance committee", "residents' groups", "the port operator",
    "the water board", "school governors", "the energy regulator", "opposition members",
    "the chamber of commerce", "hospital managers", "the planning inspectorate",
    "emergency services", "the housing association", "the university", "rail operators",
)  # fmt: skip
_VERBS = (
    "approved", "rejected", "postponed", "announced", "criticised", "welcomed", "reviewed",
    "questioned", "defended", "published", "extended", "scaled back", "revised", "debated",
)  # fmt: skip
_OBJECTS = (
    "a plan to rebuild the old harbour wall", "new limits on night-time freight traffic",
    "a three-year budget for road repairs", "the proposed closure of two rural clinics",
    "a pay offer for maintenance staff", "a scheme to insulate older homes",
    "the timetable for the new tram line", "rules on short-term holiday lets",
    "a review of flood defences", "plans for a second bridge over the estuary",
    "changes to school catchment areas", "a fund for small food producers",
    "the sale of the former gasworks site", "an inquiry into delayed ambulance responses",
    "a pilot of free bus travel for students", "a cap on parking charges in the centre",
)  # fmt: skip
_TIMES = (
    "on Tuesday", "late on Wednesday", "this week", "on Friday morning", "after a long meeting",
    "earlier this month", "at the weekend", "following months of talks", "on Monday evening",
)  # fmt: skip
_PEOPLE = (
    "Anna Kowal", "Liam Ferris", "Priya Natarajan", "Tomas Reid", "Grace Olufemi",
    "Henrik Solberg", "Maya Castell", "Daniel Abara", "Ruth Ellingham", "Oskar Vane",
    "Leila Haddad", "Samuel Whitcombe", "Ines Duarte", "Patrick Mulvey", "Yara Benoit",
)  # fmt: skip
_ROLES = (
    "a spokesperson for the council", "the committee's chair", "a senior economist",
    "a local shop owner", "the union's regional secretary", "a retired engineer",
    "the authority's chief executive", "a parent who lives nearby", "an independent analyst",
)  # fmt: skip
_QUOTES = (
    "We have listened carefully and this is the fairest option on the table",
    "Nobody asked the people who will actually live with the consequences",
    "The figures simply do not add up, and we will keep saying so",
    "It is a step in the right direction, but it comes years too late",
    "We expect the first work to start before the end of the summer",
    "This decision will be felt by every family in the area",
    "There is still time to get this right if everyone stays at the table",
    "We were promised a consultation and what we got was an announcement",
)  # fmt: skip
_FACTS = (
    "The project is expected to cost about {n} million euros over {k} years.",
    "Around {n},{k}00 people signed a petition against the proposal last spring.",
    "Official figures show that {n} per cent of households in the area rely on the service.",
    "The last comparable scheme, completed in {y}, ran {k} months over schedule.",
    "A survey of {n}00 residents found that two in three supported the change.",
    "The authority said it had received {n}{k} formal objections during the consultation.",
    "Traffic on the route has grown by {n} per cent since {y}, according to the operator.",
)  # fmt: skip
_CONNECTIVES = (
    "However,", "Meanwhile,", "In a statement,", "At the same time,", "Separately,",
    "According to the documents,", "Critics say that", "Supporters argue that",
)  # fmt: skip
_SECTIONS = (
    "World", "Politics", "Business", "Markets", "Technology", "Science", "Health", "Climate",
    "Education", "Sport", "Football", "Culture", "Books", "Film", "Music", "Travel", "Food",
    "Opinion", "Letters", "Obituaries", "Weather", "Puzzles", "Podcasts", "Video", "Local",
)  # fmt: skip
_SITES = (
    ("The Harwick Chronicle", "harwick-chronicle.example"),
    ("Coastal Evening Post", "coastal-post.example"),
    ("Valley Herald", "valley-herald.example"),
    ("Metro Daily Wire", "metro-daily-wire.example"),
    ("Northern Dispatch", "northern-dispatch.example"),
)


@dataclass(frozen=True, slots=True)
class NewsPage:
    """One generated page: its URL, its HTML bytes and the article text written into it."""

    url: str
    html: bytes
    body_text: str


def _sentence(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.45:
        actor = rng.choice(_ACTORS)
        text = (
            f"{actor[0].upper()}{actor[1:]} in {rng.choice(_PLACES)} {rng.choice(_VERBS)} "
            f"{rng.choice(_OBJECTS)} {rng.choice(_TIMES)}."
        )
    elif kind < 0.7:
        text = rng.choice(_FACTS).format(
            n=rng.randint(2, 95), k=rng.randint(2, 9), y=rng.randint(1998, 2021)
        )
    elif kind < 0.85:
        text = f'"{rng.choice(_QUOTES)}," said {rng.choice(_PEOPLE)}, {rng.choice(_ROLES)}.'
    else:
        text = (
            f"{rng.choice(_CONNECTIVES)} {rng.choice(_ACTORS)} said they would study "
            f"{rng.choice(_OBJECTS)} before {rng.choice(_TIMES).removeprefix('on ')}."
        )
    return text


def _paragraphs(rng: random.Random, words: int) -> list[str]:
    paragraphs: list[str] = []
    count = 0
    while count < words:
        paragraph = " ".join(_sentence(rng) for _ in range(rng.randint(2, 4)))
        paragraphs.append(paragraph)
        count += len(paragraph.split())
    return paragraphs


def _links(rng: random.Random, host: str, count: int, prefix: str = "") -> str:
    items = []
    for _ in range(count):
        section = rng.choice(_SECTIONS)
        items.append(
            f'<li class="{prefix}item"><a href="https://{host}/{section.lower()}">{section}</a></li>'
        )
    return "".join(items)


def _headline(rng: random.Random) -> str:
    actor = rng.choice(_ACTORS)
    return f"{actor[0].upper()}{actor[1:]} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}"


def _teasers(rng: random.Random, host: str, count: int, cls: str) -> str:
    out = []
    for number in range(count):
        title = _headline(rng)
        out.append(
            f'<div class="{cls}"><a href="https://{host}/news/{rng.randint(10**6, 10**7)}">'
            f'<img src="https://img.{host}/t/{number}.jpg" alt="" loading="lazy">'
            f"<h3>{title}</h3></a><p>{_sentence(rng)}</p></div>"
        )
    return "".join(out)


def _script(rng: random.Random, size: int) -> str:
    chunks = []
    while sum(map(len, chunks)) < size:
        name = f"m{rng.randint(0, 10**6)}"
        chunks.append(
            f"function {name}(e,t){{var n=document.createElement('script');n.async=!0;"
            f"n.src='https://cdn.tags.example/'+e+'.js?v={rng.randint(1, 999)}';"
            f"t&&n.setAttribute('data-slot',t);document.head.appendChild(n)}}"
            f"window.dataLayer=window.dataLayer||[];dataLayer.push({{event:'{name}',"
            f"section:'{rng.choice(_SECTIONS)}',ts:{rng.randint(10**9, 2 * 10**9)}}});"
        )
    return "".join(chunks)


def _style(rng: random.Random, size: int) -> str:
    rules = []
    while sum(map(len, rules)) < size:
        rules.append(
            f".c{rng.randint(0, 9999)}{{margin:{rng.randint(0, 40)}px;"
            f"padding:{rng.randint(0, 20)}px {rng.randint(0, 20)}px;"
            f"color:#{rng.randint(0, 0xFFFFFF):06x};font-size:{rng.randint(11, 30)}px}}"
        )
    return "".join(rules)


def make_page(number: int, rng: random.Random) -> NewsPage:
    """One realistic news page; the layout cycles over five sites."""
    layout = number % len(_SITES)
    site, host = _SITES[layout]
    published = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 500_000))
    headline = _headline(rng)
    slug = "-".join(headline.lower().replace("'", "").split()[:8])
    if layout == 3:
        url = f"https://{host}/{published:%Y/%m/%d}/{slug}-{number}"
    else:
        url = f"https://{host}/news/{slug}-{number}"
    author = rng.choice(_PEOPLE)
    paragraphs = _paragraphs(rng, rng.randint(500, 1000))
    standfirst = _sentence(rng)
    iso = published.isoformat().replace("+00:00", "Z")
    head = [
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{headline} | {site}</title>",
        f'<meta name="description" content="{standfirst}">',
        f'<meta property="og:title" content="{headline}">',
        f'<meta property="og:site_name" content="{site}">',
        f'<meta property="og:url" content="{url}">',
        '<meta property="og:type" content="article">',
        f'<meta property="og:image" content="https://img.{host}/lead/{number}.jpg">',
        '<meta name="twitter:card" content="summary_large_image">',
        f'<meta name="twitter:title" content="{headline}">',
        '<meta name="robots" content="max-image-preview:large">',
        f'<link rel="canonical" href="{url}">',
        f'<link rel="alternate" type="application/rss+xml" href="https://{host}/rss">',
    ]
    for sheet in range(rng.randint(3, 6)):
        head.append(f'<link rel="stylesheet" href="https://static.{host}/css/{sheet}.css">')
    if layout in (0, 1):
        head.append(f'<meta property="article:published_time" content="{iso}">')
        head.append(f'<meta name="author" content="{author}">')
    if layout == 2:
        head.append(f'<meta name="pubdate" content="{published:%Y%m%d}">')
    head.append(f"<style>{_style(rng, rng.randint(3000, 9000))}</style>")
    head.append(f"<script>{_script(rng, rng.randint(8000, 30000))}</script>")
    if layout in (0, 1, 2):
        ld = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": headline,
            "datePublished": iso if layout != 2 else published.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "author": [{"@type": "Person", "name": author}],
            "publisher": {"@type": "Organization", "name": site},
            "mainEntityOfPage": url,
        }
        head.append(f'<script type="application/ld+json">{json.dumps(ld)}</script>')
    head.append(
        f'<script async src="https://securepubads.example/tag/js/gpt.js?site={host}"></script>'
    )
    nav = (
        f'<nav class="{["primary-nav", "menu", "site-nav", "navbar", "masthead-nav"][layout]}">'
        f"<ul>{_links(rng, host, rng.randint(25, 45), 'nav-')}</ul>"
        f'<div class="mega-menu">'
        + "".join(
            f"<div class='col'><h4>{rng.choice(_SECTIONS)}</h4><ul>{_links(rng, host, 8)}</ul></div>"
            for _ in range(rng.randint(3, 6))
        )
        + "</div></nav>"
    )
    body_parts: list[str] = []
    inline_every = rng.randint(4, 6)
    for index, paragraph in enumerate(paragraphs):
        if index and index % 7 == 0:
            body_parts.append(f"<h2>{_headline(rng)}</h2>")
        body_parts.append(f"<p>{paragraph}</p>")
        if index and index % inline_every == 0:
            body_parts.append(
                f'<div class="ad-slot" id="ad-{index}" data-size="300x250"></div>'
                f'<aside class="inline-related"><strong>Read more:</strong> '
                f'<a href="https://{host}/news/{rng.randint(10**6, 10**7)}">{_headline(rng)}</a>'
                "</aside>"
            )
    if layout == 4:
        dateline = f"<p class='meta'>Published {published:%d %B %Y}, {published:%H:%M}</p>"
    else:
        dateline = (
            f'<time datetime="{iso}" itemprop="datePublished">{published:%d %B %Y}</time>'
            if layout in (0, 3)
            else f"<span class='date'>{published:%d.%m.%Y}</span>"
        )
    article_tag, body_class = (
        ("article", "article-body"),
        ("div", "story-content"),
        ("article", "entry-content"),
        ("div", "post-body"),
        ("main", "text"),
    )[layout]
    article = (
        f'<{article_tag} class="story">'
        f"<h1>{headline}</h1><p class='standfirst'>{standfirst}</p>"
        f"<div class='byline'>By <a href='https://{host}/authors/{author.lower().replace(' ', '-')}'>"
        f"{author}</a>, {rng.choice(_ROLES).removeprefix('a ').removeprefix('the ')}</div>"
        f"{dateline}"
        f'<figure><img src="https://img.{host}/lead/{number}.jpg" alt="{headline}">'
        f"<figcaption>{_sentence(rng)} Photo: {rng.choice(_PEOPLE)}</figcaption></figure>"
        f'<div class="{body_class}">{"".join(body_parts)}</div>'
        '<ul class="share"><li>Share</li><li><a href="#">Facebook</a></li>'
        '<li><a href="#">X</a></li><li><a href="#">Email</a></li><li>Copy link</li></ul>'
        "<div class='tags'>Topics: "
        + " ".join(
            f"<a href='https://{host}/t/{s.lower()}'>{s}</a>" for s in rng.sample(_SECTIONS, 4)
        )
        + f"</div></{article_tag}>"
    )
    sidebar = (
        '<aside class="sidebar"><section class="most-read"><h3>Most read</h3><ol>'
        + "".join(
            f"<li><a href='https://{host}/news/{rng.randint(10**6, 10**7)}'>{_headline(rng)}</a></li>"
            for _ in range(10)
        )
        + "</ol></section><section class='newsletter'><h3>Sign up to our daily newsletter</h3>"
        "<p>The day's top stories in your inbox every morning.</p>"
        "<form><input type='email' placeholder='Email address'><button>Subscribe</button></form>"
        "</section></aside>"
    )
    related = (
        '<section class="related"><h2>More from '
        + site
        + "</h2>"
        + _teasers(rng, host, rng.randint(6, 12), "teaser")
        + "</section>"
    )
    comments = (
        '<section id="comments"><h3>Comments</h3>'
        "<p>You must be logged in to post a comment.</p>"
        + "".join(
            f"<div class='comment'><b>{rng.choice(_PEOPLE)}</b><p>{_sentence(rng)}</p></div>"
            for _ in range(rng.randint(0, 6))
        )
        + "</section>"
    )
    footer = (
        "<footer class='site-footer'>"
        + "".join(
            f"<div class='footer-col'><h4>{rng.choice(_SECTIONS)}</h4><ul>{_links(rng, host, 10)}</ul></div>"
            for _ in range(4)
        )
        + f"<p>Copyright {published:%Y} {site}. All rights reserved.</p>"
        "<p><a href='/privacy'>Privacy</a> <a href='/cookies'>Cookie settings</a> "
        "<a href='/terms'>Terms</a></p></footer>"
    )
    cookie = (
        "<div class='cookie-banner'><p>We use cookies to improve your experience and to show "
        "personalised advertising. You can change your preferences at any time.</p>"
        "<button>Accept all</button><button>Manage cookies</button></div>"
    )
    ticker = (
        "<div class='ticker'><span>Breaking</span><ul>"
        + "".join(f"<li>{_headline(rng)}</li>" for _ in range(4))
        + "</ul></div>"
    )
    crumbs = (
        f"<ol class='breadcrumbs'><li><a href='https://{host}/'>Home</a></li>"
        f"<li><a href='https://{host}/news'>News</a></li>"
        f"<li>{rng.choice(_SECTIONS)}</li></ol>"
    )
    html = (
        f'<!DOCTYPE html><html lang="en"><head>{"".join(head)}</head><body>'
        f"{cookie}<header class='masthead'><a class='logo' href='https://{host}/'>{site}</a>"
        f"{nav}</header>{ticker}<div class='wrap'>{crumbs}{article}{sidebar}</div>"
        f"{related}{comments}{footer}"
        f"<script>{_script(rng, rng.randint(4000, 15000))}</script></body></html>"
    )
    return NewsPage(url=url, html=html.encode("utf-8"), body_text="\n".join(paragraphs))


def make_pages(count: int, seed: int = 14) -> list[NewsPage]:
    """``count`` realistic news pages (deterministic for a seed)."""
    rng = random.Random(seed)
    return [make_page(number, rng) for number in range(count)]
