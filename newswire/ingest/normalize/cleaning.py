"""Our own cleaning of extracted main text: boilerplate lines trafilatura lets through."""

from __future__ import annotations

import re

from newswire.ingest.normalize.fingerprint import normalize_text

_MAX_BOILERPLATE_WORDS = 30
# A bare site copyright line is boilerplate; a wire service's longer usage notice is article text.
_MAX_COPYRIGHT_WORDS = 10
_COPYRIGHT_RE = re.compile(r"^(copyright|©|\(c\))\s.*\ball rights reserved\.?$", re.I)

# A short line matching one of these is never article prose (searched as one alternation: a line
# matches it exactly when it matches one of the patterns).
_BOILERPLATE_LINE_RE = re.compile(
    "|".join(
        f"(?:{pattern})"
        for pattern in (
            r"\b(we|this (web)?site|our (web)?site|our partners) (use|uses|store|and our partners use) cookies\b",
            r"\bcookies?\b.*\b(accept|consent|preferences|settings|policy|agree)\b",
            r"\b(accept|reject|manage) (all )?cookies\b",
            r"^(advertisement|advertising|sponsored( content)?|ad|anzeige|publicité)$",
            r"^(share|share this( article| story)?|share on \w+|tweet|email|print|copy link)( this)?:?$",
            r"^(sign up|subscribe)\b.*\b(newsletter|inbox|updates)\b",
            r"^(follow us|like us) on\b",
            r"^(\d+ )?comments?( \(\d+\))?:?$",
            r"^(leave a (comment|reply)|join the (conversation|discussion)|post a comment|add a comment|show comments|view comments)\b",
            r"^(you must|please) (be )?log(ged)? ?in to (post a )?comment",
            r"^all rights reserved\.?$",
            r"^(skip to (main )?content|back to top|jump to navigation)$",
        )
    ),
    re.I,
)
# A short line announcing a list of other articles: it and the list after it are dropped.
_RELATED_HEADER_RE = re.compile(
    r"^(related|more|recommended|popular|most (read|popular|viewed)|read more|see also|also read|"
    r"read next|you (may|might) also like|trending|more from [\w .'-]+|more on this( story)?|"
    r"related (articles|stories|news|content|coverage|posts|reading|topics)|"
    r"(top|latest|more) (stories|news|headlines))\s*:?$",
    re.I,
)
_LIST_ITEM_RE = re.compile(r"^[-•*·]\s")


def _is_boilerplate(line: str) -> bool:
    word_count = len(line.split())
    if word_count > _MAX_BOILERPLATE_WORDS:
        return False
    if word_count <= _MAX_COPYRIGHT_WORDS and _COPYRIGHT_RE.search(line):
        return True
    return _BOILERPLATE_LINE_RE.search(line) is not None


def clean_main_text(text: str) -> str:
    """Normalize whitespace and drop boilerplate lines and related-article lists.

    Only short lines are candidates, so a sentence of the article that mentions cookies or
    comments is kept.
    """
    lines = normalize_text(text).split("\n")
    kept: list[str] = []
    skipping_list = False
    for line in lines:
        stripped = line.strip()
        if skipping_list:
            if not stripped or _LIST_ITEM_RE.match(stripped):
                continue
            skipping_list = False
        if stripped and _RELATED_HEADER_RE.match(stripped):
            skipping_list = True
            continue
        if stripped and _is_boilerplate(stripped):
            continue
        kept.append(line)
    return normalize_text("\n".join(kept))
