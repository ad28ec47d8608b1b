from __future__ import annotations

from pathlib import Path

import pytest

from newswire.extract.gazetteer import GazetteerError, load_gazetteer, normalize_name
from schemas.events import ActorKind


@pytest.mark.parametrize(
    "spelling", ["Zelensky", "Zelenskiy", "Zelenskyy", "zelenskyy", "Volodymyr Zelensky"]
)
def test_every_spelling_of_zelensky_resolves_to_one_qid(spelling: str) -> None:
    actor = load_gazetteer().resolve(spelling)
    assert actor is not None
    assert actor.id == "Q3874799"
    assert actor.country == "UA"


def test_kyiv_and_kiev_both_name_ukraine() -> None:
    gazetteer = load_gazetteer()
    kyiv, kiev = gazetteer.resolve("Kyiv"), gazetteer.resolve("Kiev")
    assert kyiv is not None and kiev is not None
    assert kyiv.id == kiev.id == "Q212"
    assert kyiv.kind is ActorKind.COUNTRY


def test_resolution_ignores_case_accents_and_leading_article() -> None:
    gazetteer = load_gazetteer()
    elysee = gazetteer.resolve("the ELYSEE")
    assert elysee is not None
    assert elysee.id == "newswire:elysee"
    assert elysee.country == "FR"
    assert gazetteer.resolve("Élysée") == elysee


def test_institutions_resolve_to_their_country() -> None:
    gazetteer = load_gazetteer()
    ministry = gazetteer.resolve("Russia’s foreign ministry")
    kremlin = gazetteer.resolve("the Kremlin")
    assert ministry is not None and kremlin is not None
    assert (ministry.id, ministry.kind, ministry.country) == (
        "newswire:russia-mfa",
        ActorKind.INSTITUTION,
        "RU",
    )
    assert (kremlin.kind, kremlin.country) == (ActorKind.INSTITUTION, "RU")


def test_titles_and_ids_resolve_to_the_person() -> None:
    gazetteer = load_gazetteer()
    by_title = gazetteer.resolve("Russia's top diplomat")
    by_qid = gazetteer.resolve("Q7747")
    witkoff = gazetteer.resolve("Steve Witkoff")
    assert by_title is not None and by_title.name == "Sergey Lavrov"
    assert by_qid is not None and by_qid.name == "Vladimir Putin"
    assert witkoff is not None and witkoff.role == "US special envoy"


def test_unknown_name_resolves_to_none() -> None:
    assert load_gazetteer().resolve("Mark Zuckerberg") is None


def test_normalize_name_unifies_quotes_and_spaces() -> None:
    assert normalize_name("  The   Élysée’s ") == "elysee's"


def test_invalid_field_is_reported_with_file_and_field(extract_fixtures: Path) -> None:
    path = extract_fixtures / "bad_gazetteer.yaml"
    with pytest.raises(GazetteerError) as caught:
        load_gazetteer(path)
    message = str(caught.value)
    assert str(path) in message
    assert "countries[0].country" in message


def test_alias_naming_two_actors_is_rejected(extract_fixtures: Path) -> None:
    with pytest.raises(
        GazetteerError, match="alias 'Paris' of newswire:paris-club already names Q142"
    ):
        load_gazetteer(extract_fixtures / "colliding_gazetteer.yaml")


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(GazetteerError, match="cannot read"):
        load_gazetteer(tmp_path / "absent.yaml")
