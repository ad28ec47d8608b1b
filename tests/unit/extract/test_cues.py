from __future__ import annotations

import ast
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from newswire.extract import modality, rules
from newswire.extract.cues import CueError, CueFile, load_cues, parse_cues
from newswire.extract.gazetteer import load_gazetteer
from newswire.extract.patterns import EXTRACTOR_RELEASE, extractor_version, load_lexicon

PACKAGED = resources.files("newswire.extract").joinpath("data/cues.yaml").read_text("utf-8")
EXTRACT_DIR = Path(modality.__file__).resolve().parent


def _packaged_data() -> dict[str, Any]:
    data = yaml.safe_load(PACKAGED)
    assert isinstance(data, dict)
    return data


def _dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, allow_unicode=True)


def test_the_packaged_cues_load_once_as_frozen_word_sets() -> None:
    cues = load_cues()
    assert load_cues() is cues
    assert cues.version
    assert "deny" in cues.modality.negating_verbs
    assert isinstance(cues.leader_contact.visit, frozenset)
    assert cues.modality.negating_particles == {"rule": "out", "call": "off"}
    with pytest.raises(ValidationError):
        cues.version = "x"  # type: ignore[misc]


def test_the_modules_use_the_loaded_words() -> None:
    cues = load_cues()
    assert modality.NEGATING_VERBS is cues.modality.negating_verbs
    assert modality.ATTRIBUTION_VERBS is cues.modality.attribution_verbs


def test_the_cue_version_is_part_of_the_extractor_version() -> None:
    lexicon, gazetteer = load_lexicon(), load_gazetteer()
    version = extractor_version(lexicon, gazetteer.version)
    assert f"+cues{load_cues().version}+" in version
    assert version.startswith(f"{EXTRACTOR_RELEASE}+lex{lexicon.version}+cues")
    assert extractor_version(lexicon, gazetteer.version, "99") != version


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("version"), "version: Field required"),
        (lambda d: d.update(version=2), "version: Input should be a valid string"),
        (lambda d: d.update(extra={}), "extra: Extra inputs are not permitted"),
        (lambda d: d["shared"].update(latter=["latter", "Former"]), "shared.latter"),
        (lambda d: d["shared"].update(latter=["latter", "latter"]), "repeated word 'latter'"),
        (lambda d: d["shared"].update(latter=["latter", 3]), "shared.latter"),
        (lambda d: d["shared"].update(latter="latter"), "shared.latter"),
        (lambda d: d["modality"].pop("hedge_words"), "modality.hedge_words: Field required"),
        (
            lambda d: d["modality"]["negating_particles"].update(give="up"),
            "'give' is not in negating_verbs",
        ),
    ],
)
def test_a_bad_cue_file_is_refused_naming_the_field(
    change: Callable[[dict[str, Any]], object], message: str
) -> None:
    data = _packaged_data()
    change(data)
    with pytest.raises(CueError) as caught:
        parse_cues(_dump(data), "cues.yaml")
    assert str(caught.value).startswith("cues.yaml: ")
    assert message in str(caught.value)


def test_invalid_yaml_is_refused() -> None:
    with pytest.raises(CueError, match="not valid YAML"):
        parse_cues("version: [", "cues.yaml")


def test_the_packaged_file_round_trips() -> None:
    assert parse_cues(_dump(_packaged_data()), "copy") == load_cues()
    assert isinstance(load_cues(), CueFile)


def test_no_word_list_is_left_in_the_code() -> None:
    """Word lists live in data/cues.yaml; only dependency-label sets stay in Python."""
    sources = [EXTRACT_DIR / "modality.py", *sorted((EXTRACT_DIR / "rules").glob("*.py"))]
    for source in sources:
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in tree.body:
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Name)
                and node.value.func.id == "frozenset"
            ):
                name = ast.unparse(node.targets[0])
                assert name.endswith(("_DEPS", "_LINKS", "_BOUNDARIES", "_KINDS")), (source, name)


def test_the_rules_package_keeps_its_public_names() -> None:
    for name in (
        "ActorHit",
        "TriggerContext",
        "RuleOutcome",
        "clause_verb",
        "controller_subjects",
        "argument_zone",
        "clause_subtree",
        "resolve_pronoun",
        "resolve_own_country",
        "UKRAINE_ID",
    ):
        assert hasattr(rules, name), name
