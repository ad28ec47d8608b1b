"""The trained decision stage: its artefact, its features, and how it is trained."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from newswire.extract.actors import entity_actor, slug
from newswire.extract.decision import (
    FEATURES_VERSION,
    DecisionModelError,
    load_decision_model,
    parse_model,
    sentence_features,
)
from newswire.extract.evaluation import Split, load_corpus
from newswire.extract.extractor import ArticleInput, EventExtractor
from newswire.extract.training import train
from schemas.events import ActorKind, EventType


def _minimal_model(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": "t",
        "features_version": FEATURES_VERSION,
        "trained_on": {"split": "tune"},
        "types": {
            "LEADER_CONTACT": {"bias": 0.0, "threshold": 0.6, "add_threshold": 0.9, "weights": {}}
        },
        "modality": {"classes": ["asserted", "negated"], "bias": [1.0, 0.0], "weights": {}},
    }
    data.update(changes)
    return data


def test_the_packaged_model_was_trained_on_the_tuning_split_only() -> None:
    model = load_decision_model()
    assert model.trained_on["split"] == Split.TUNE.value
    assert model.trained_on["articles"] == len(load_corpus(Split.TUNE))


def test_the_model_version_is_part_of_the_extractor_version(
    decided_extractor: EventExtractor, extractor: EventExtractor
) -> None:
    assert decided_extractor.version.endswith(f"+decision.{load_decision_model().version}")
    assert extractor.version.endswith("+rules")


def test_a_model_for_other_features_or_a_broken_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DecisionModelError, match="run `make train`"):
        parse_model(_minimal_model(features_version=FEATURES_VERSION + 1), "m.json")
    with pytest.raises(DecisionModelError, match=r"m.json: types.LEADER_CONTACT.threshold"):
        bad = _minimal_model()
        bad["types"]["LEADER_CONTACT"]["threshold"] = 2.0
        parse_model(bad, "m.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(DecisionModelError, match="not valid JSON"):
        load_decision_model(str(broken))


def test_a_linear_model_scores_features_and_applies_its_thresholds() -> None:
    data = _minimal_model()
    data["types"]["LEADER_CONTACT"]["weights"] = {"w:call": 3.0}
    model = parse_model(data, "m.json")
    (with_call,) = model.decide(["bias", "w:call"])
    (without,) = model.decide(["bias"])
    assert with_call.accepted and with_call.probability > 0.9
    assert not without.accepted and without.probability == pytest.approx(0.5)
    modality, probability = model.modality(["bias"], EventType.LEADER_CONTACT)
    assert modality.value == "asserted" and 0.5 < probability < 1.0


def test_sentence_features_carry_rules_triggers_and_cue_classes(
    decided_extractor: EventExtractor,
) -> None:
    text = "Macron did not rule out sending French troops to Ukraine, his office said."
    (parsed,) = decided_extractor.parsed_sentences([ArticleInput.from_text("a", text)])
    features = sentence_features(parsed[0].view)
    assert features == sentence_features(parsed[0].view)
    assert "rule:TROOP_DEPLOYMENT" in features
    assert "trig:TROOP_DEPLOYMENT" in features
    assert any(f.startswith("c:modality.") for f in features)
    assert "pos:lead" in features


def test_the_decision_stage_drops_sport_and_keeps_a_plain_call(
    decided_extractor: EventExtractor,
) -> None:
    sport = (
        "Ukraine attacked relentlessly in the second half and France's defence finally broke "
        "when Mudryk struck from twenty metres, the coach said after the match in Paris."
    )
    call = (
        "KYIV, March 19 - Ukrainian President Volodymyr Zelensky spoke with U.S. President "
        "Donald Trump by phone on Wednesday about a ceasefire with Russia, his office said."
    )
    assert decided_extractor.extract_text("sport", sport) == []
    events = decided_extractor.extract_text("call", call)
    assert [e.type for e in events] == [EventType.LEADER_CONTACT]


def test_named_entities_beyond_the_gazetteer_get_stable_ids() -> None:
    first = entity_actor("PERSON", "Bridget Brink's")
    again = entity_actor("PERSON", "Bridget Brink")
    assert first is not None and again is not None and first.id == again.id
    assert first.id == "newswire:person-bridget-brink"
    outlet = entity_actor("ORG", "the Kyiv Post")
    assert outlet is not None and outlet.kind is ActorKind.MEDIA and outlet.name == "Kyiv Post"
    assert entity_actor("DATE", "Monday") is None
    assert slug("Jean-Noël Barrot") == "jean-noel-barrot"


def test_training_is_reproducible() -> None:
    articles = load_corpus(Split.TUNE)[:12]
    first = json.dumps(train(articles, folds=3), sort_keys=True)
    second = json.dumps(train(articles, folds=3), sort_keys=True)
    assert first == second
    assert json.loads(first)["trained_on"]["articles"] == 12


def test_modality_weights_of_the_wrong_width_are_refused() -> None:
    bad = _minimal_model()
    bad["modality"]["weights"] = {"w:call": [0.1]}
    with pytest.raises(DecisionModelError, match="differ in length"):
        parse_model(bad, "m.json")


def test_a_rule_mention_stands_at_its_threshold_and_an_added_type_needs_the_stricter_one() -> None:
    data = _minimal_model()
    data["types"]["LEADER_CONTACT"]["weights"] = {"w:talk": 1.0}
    model = parse_model(data, "m.json")
    (decision,) = model.decide(["bias", "w:talk"])
    assert decision.accepted
    assert decision.probability < model.add_threshold(EventType.LEADER_CONTACT)


def test_a_rule_mention_stands_on_the_blend_of_probability_and_rule_confidence() -> None:
    data = _minimal_model()
    data["types"]["LEADER_CONTACT"]["rule_weight"] = 0.5
    model = parse_model(data, "m.json")
    (decision,) = model.decide(["bias"])  # probability 0.5, threshold 0.6
    assert not decision.accepted
    assert model.accepts(decision, rule_confidence=0.8)  # 0.5 * 0.5 + 0.5 * 0.8 = 0.65
    assert not model.accepts(decision, rule_confidence=0.6)  # 0.55
