from __future__ import annotations

from typing import Any

import pytest

from newswire.extract.modality import read_modality
from schemas.events import Modality


def _modality_of(nlp: Any, sentence: str, trigger: str) -> Modality:
    doc = nlp(sentence)
    token = next(t for t in doc if t.text == trigger)
    return read_modality(token, lambda _subject: False, sentence_tokens=doc).modality


@pytest.mark.parametrize(
    ("sentence", "trigger", "expected"),
    [
        ("Macron ruled out sending troops to Ukraine.", "sending", Modality.NEGATED),
        ("No call between Macron and Putin is scheduled.", "call", Modality.NEGATED),
        ("Putin did not meet Zelensky in Istanbul.", "meet", Modality.NEGATED),
        ("The Kremlin denied that Putin spoke with Trump.", "spoke", Modality.NEGATED),
        ("Macron will travel to Kyiv tomorrow.", "travel", Modality.PLANNED),
        ("The EU plans to adopt new sanctions next month.", "adopt", Modality.PLANNED),
        ("The United Kingdom is to station instructors in Ukraine.", "station", Modality.PLANNED),
        ("Macron and Scholz are to meet in Berlin.", "meet", Modality.PLANNED),
        (
            "If a ceasefire is reached, we will send forces to Ukraine.",
            "send",
            Modality.HYPOTHETICAL,
        ),
        ("Britain is prepared to deploy troops to Ukraine.", "deploy", Modality.HYPOTHETICAL),
        ("Scholz said he would not rule out sending troops.", "sending", Modality.HYPOTHETICAL),
        ("Russia could strike military facilities in Poland.", "strike", Modality.HYPOTHETICAL),
        ("Putin and Macron reportedly spoke by phone.", "spoke", Modality.REPORTED),
        (
            "According to diplomats, Macron and Putin met in secret.",
            "met",
            Modality.REPORTED,
        ),
        ("Russian forces struck Kharkiv overnight, officials said.", "struck", Modality.REPORTED),
        ("Macron spoke with Putin on Tuesday.", "spoke", Modality.ASSERTED),
    ],
)
def test_modality_from_the_trigger_context(
    nlp: Any, sentence: str, trigger: str, expected: Modality
) -> None:
    assert _modality_of(nlp, sentence, trigger) is expected


def test_a_party_speaking_about_its_own_event_asserts_it(nlp: Any) -> None:
    doc = nlp("Putin spoke with Trump on Thursday, the Kremlin said.")
    token = next(t for t in doc if t.text == "spoke")
    party = read_modality(token, lambda _subject: True, sentence_tokens=doc)
    outsider = read_modality(token, lambda _subject: False, sentence_tokens=doc)
    assert party.modality is Modality.ASSERTED
    assert outsider.modality is Modality.REPORTED


def test_negation_of_another_event_does_not_leak_into_a_nested_one(nlp: Any) -> None:
    doc = nlp("The Elysee denied that Macron had leaked details of his call with Trump.")
    call = next(t for t in doc if t.text == "call")
    leaked = next(t for t in doc if t.text == "leaked")
    assert read_modality(call, lambda _s: False, sentence_tokens=doc).modality is Modality.ASSERTED
    assert read_modality(leaked, lambda _s: False, sentence_tokens=doc).modality is Modality.NEGATED


def test_debunking_words_are_flagged(nlp: Any) -> None:
    doc = nlp("A video falsely claimed to show French troops arriving in Odesa.")
    token = next(t for t in doc if t.text == "troops")
    assert read_modality(token, lambda _s: False, sentence_tokens=doc).debunked
