from __future__ import annotations

from pathlib import Path

import pytest

from newswire.extract.gazetteer import load_gazetteer
from newswire.extract.patterns import (
    LexiconError,
    extractor_version,
    load_lexicon,
    registered_rules,
)
from newswire.extract.prefilter import SentencePrefilter, fold_accents, split_sentences
from schemas.events import EventType


def test_sentences_do_not_break_after_abbreviations() -> None:
    text = "U.S. President Joe Biden met Mr. Scholz. They spoke for an hour.\nNext line"
    spans = [text[s.start : s.end] for s in split_sentences(text)]
    assert spans == [
        "U.S. President Joe Biden met Mr. Scholz.",
        "They spoke for an hour.",
        "Next line",
    ]


def test_accent_folding_keeps_offsets() -> None:
    text = "the Élysée said"
    assert fold_accents(text) == "the Elysee said"
    assert len(fold_accents(text)) == len(text)


def test_only_sentences_with_an_actor_and_a_trigger_stem_are_candidates() -> None:
    prefilter = SentencePrefilter(load_gazetteer(), load_lexicon())
    text = (
        "The weather stayed mild all week. Macron spoke with Putin on Tuesday. "
        "Macron likes football. Officials met in a small town."
    )
    chosen = [text[c.span.start : c.span.end] for c in prefilter.candidates(text)]
    assert chosen == ["Macron spoke with Putin on Tuesday."]


def test_candidates_carry_the_actors_named_before_them() -> None:
    prefilter = SentencePrefilter(load_gazetteer(), load_lexicon())
    text = "Estonia's government met on Monday. It said they would send troops."
    candidates = prefilter.candidates(text)
    assert text[candidates[-1].span.start :].startswith("It said")
    assert candidates[-1].context_ids == ("Q191",)


def test_off_topic_text_has_no_candidates() -> None:
    prefilter = SentencePrefilter(load_gazetteer(), load_lexicon())
    assert prefilter.candidates("The recipe needs two eggs. Bake for an hour.") == []


def test_an_article_outside_the_war_has_no_candidates_when_a_theatre_is_set() -> None:
    gazetteer, lexicon = load_gazetteer(), load_lexicon()
    gated = SentencePrefilter(gazetteer, lexicon, theatre=frozenset({"ru", "ua"}))
    elsewhere = "Macron met Scholz in Berlin on Tuesday. They talked about farm subsidies."
    assert SentencePrefilter(gazetteer, lexicon).candidates(elsewhere)
    assert gated.candidates(elsewhere) == []
    # One sentence naming a side of the war opens the whole article, as after the parse.
    war = elsewhere + " Macron later spoke with Zelenskiy by phone."
    assert gated.candidates(war) == SentencePrefilter(gazetteer, lexicon).candidates(war)


def test_lexicon_errors_name_the_file_and_field(extract_fixtures: Path) -> None:
    path = extract_fixtures / "bad_lexicon.yaml"
    with pytest.raises(LexiconError) as caught:
        load_lexicon(path)
    assert str(path) in str(caught.value)
    assert "types.LEADER_CONTACT.lemmas.0.pos" in str(caught.value)


def test_every_type_has_a_versioned_rule_in_the_extractor_version() -> None:
    from newswire.extract import rules  # noqa: F401  (registers the rules)

    registered = registered_rules()
    assert set(registered) == set(EventType)
    version = extractor_version(load_lexicon(), load_gazetteer().version)
    expected_rules = ".".join(str(registered[t].version) for t in EventType)
    assert version.endswith(f"+rules{expected_rules}")
    assert f"+lex{load_lexicon().version}+" in version
