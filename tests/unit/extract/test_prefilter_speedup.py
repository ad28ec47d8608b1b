"""The word-index name lookup of the pre-filter gives what the regex alternation gives."""

from __future__ import annotations

import pytest

from newswire.extract.gazetteer import load_gazetteer
from newswire.extract.patterns import load_lexicon
from newswire.extract.prefilter import SentencePrefilter, fold_accents, split_sentences


@pytest.fixture(scope="module")
def prefilter() -> SentencePrefilter:
    return SentencePrefilter(load_gazetteer(), load_lexicon(), 6)


def _hits(prefilter: SentencePrefilter, text: str) -> list[tuple[int, str]]:
    found = [(hit.start, hit.entry.id) for hit in prefilter.actor_hits(text)]
    # The alternation the index replaces is the oracle.
    oracle = prefilter._regex_hits(fold_accents(text))
    assert found == [(hit.start, hit.entry.id) for hit in oracle]
    return found


def test_the_longest_form_at_a_position_wins(prefilter: SentencePrefilter) -> None:
    assert _hits(prefilter, "Leaders met in Andorra la Vella today.") == [
        (15, "newswire:country-andorra")
    ]
    assert _hits(prefilter, "The United Arab Emirates and the Emirates") == [
        (4, "newswire:country-united-arab-emirates"),
        (33, "newswire:country-united-arab-emirates"),
    ]


def test_short_upper_case_forms_match_case_sensitively(prefilter: SentencePrefilter) -> None:
    assert _hits(prefilter, "The US and the U.S. told us about the USA.") == [
        (4, "Q30"),
        (15, "Q30"),
        (38, "Q30"),
    ]
    assert _hits(prefilter, "Nato and NATO, not nato") == [(0, "Q7184"), (9, "Q7184")]
    assert _hits(prefilter, "let us go, the uk said") == []


def test_curly_and_straight_apostrophes_match_alike(prefilter: SentencePrefilter) -> None:
    straight = _hits(prefilter, "Talks with Côte d'Ivoire began.")
    curly = _hits(prefilter, "Talks with Côte d’Ivoire began.")
    assert straight == curly == [(11, "newswire:country-ivory-coast")]
    assert _hits(prefilter, "the People‘s Republic of China") != []


def test_accents_fold_and_case_is_ignored(prefilter: SentencePrefilter) -> None:
    assert _hits(prefilter, "ÖSTERREICH and Osterreich") == [
        (0, "newswire:country-austria"),
        (15, "newswire:country-austria"),
    ]
    assert _hits(prefilter, "Jonas Gahr STØRE spoke") == [(0, "newswire:person-jonas-gahr-store")]


def test_names_at_the_very_start_and_end_of_the_text(prefilter: SentencePrefilter) -> None:
    assert _hits(prefilter, "Estonia") == [(0, "Q191")]
    assert _hits(prefilter, "Kyiv and Estonia") == [(0, prefilter._exact["Kyiv"].id), (9, "Q191")]
    assert _hits(prefilter, "U.S.") == [(0, "Q30")]


def test_whole_words_only(prefilter: SentencePrefilter) -> None:
    assert _hits(prefilter, "Estonians, USB, MUST, Estonia2, _Estonia") == []
    assert _hits(prefilter, "U.S.A.") == []


def test_a_long_form_and_a_short_form_inside_it_are_both_found(
    prefilter: SentencePrefilter,
) -> None:
    # The two sets are matched separately, so an exact-case form inside a longer
    # case-insensitive one is reported too, at its own offset.
    assert _hits(prefilter, "the Republic of Cuba said") == [
        (4, prefilter._folded["republic of cuba"].id),
        (16, prefilter._exact["Cuba"].id),
    ]


def test_odd_case_pairs_behave_as_in_the_alternation(prefilter: SentencePrefilter) -> None:
    # "ı" matches "i" under re.IGNORECASE but not under str.lower: "KIBRIS" is matched and
    # dropped (the dictionary has no "kibris"), "Kıbrıs" is found.
    assert _hits(prefilter, "KIBRIS and Kıbrıs") == [(11, "newswire:country-cyprus")]
    assert _hits(prefilter, "GROẞHERZOGTUM LUXEMBURG") == [(0, "newswire:country-luxembourg")]
    assert _hits(prefilter, "ΣΣ Kelvin ſ and Estonia") == [(16, "Q191")]


def test_candidates_read_the_names_before_them(prefilter: SentencePrefilter) -> None:
    text = (
        "Estonia's government met on Monday. The weather was mild. "
        "It said they would send troops. Latvia agreed later."
    )
    chosen = [(text[c.span.start : c.span.end], c.context_ids) for c in prefilter.candidates(text)]
    assert chosen == [
        ("Estonia's government met on Monday.", ()),
        ("It said they would send troops.", ("Q191",)),
    ]


def test_a_sentence_without_a_name_follows_up_on_the_earlier_ones(
    prefilter: SentencePrefilter,
) -> None:
    text = "Macron spoke with Putin. Officials met in a small town. They met again."
    chosen = [(text[c.span.start : c.span.end], c.context_ids) for c in prefilter.candidates(text)]
    assert chosen == [
        ("Macron spoke with Putin.", ()),
        ("They met again.", ("Q3052772", "Q7747")),
    ]


def test_stems_are_found_where_the_lexicon_pattern_finds_them(
    prefilter: SentencePrefilter,
) -> None:
    text = "A price cap. Face-to-face talks!\nThe PRICE\ncap. Metal. Summitry. unmet, U.S. met"
    positions = range(len(text))
    expected = [q for q in positions if prefilter.stems.match(text, q)]
    assert expected
    assert [q for q in positions if prefilter._stem_starts.match(text, q)] == expected
    assert prefilter._sentences_with_stems(text) == [
        s for s in split_sentences(text) if prefilter.stems.search(text, s.start, s.end)
    ]
