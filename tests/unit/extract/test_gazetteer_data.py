"""Coverage and consistency of the packaged gazetteer data (newswire/extract/data/gazetteer/)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from importlib.util import find_spec
from pathlib import Path

import pytest
import yaml

from newswire.extract import gazetteer as gz
from newswire.extract.gazetteer import GazetteerError, Term, load_gazetteer, normalize_name
from schemas.events import ActorKind

DATA = Path(gz.__file__).resolve().parent / "data" / "gazetteer"

# QIDs carried over from gazetteer 2025.11.3 (the only ones confirmed); any other QID must be
# added here with how it was confirmed.
CONFIRMED_QIDS = {
    "Q142", "Q159", "Q212", "Q30", "Q145", "Q183", "Q36", "Q191", "Q211", "Q37", "Q33", "Q34",
    "Q35", "Q20", "Q55", "Q31", "Q38", "Q29", "Q45", "Q28", "Q218", "Q213", "Q16", "Q408",
    "Q43", "Q148", "Q668", "Q184", "Q794", "Q423", "Q17", "Q7747", "Q3052772", "Q3874799",
    "Q6279", "Q22686", "Q61053", "Q567", "Q180589", "Q60772", "Q35525", "Q8880", "Q7184",
    "Q458", "Q1065",
}  # fmt: skip

# Roles one person holds at a time for a country: two holders may not overlap (a handover day
# may be shared).
SINGLE_HOLDER_ROLES = {"head of government", "foreign minister", "defence minister"}


@pytest.fixture(scope="module")
def gazetteer() -> gz.Gazetteer:
    return load_gazetteer()


def _countries_rows() -> list[dict[str, object]]:
    data = yaml.safe_load((DATA / "countries.yaml").read_text(encoding="utf-8"))
    return list(data["countries"])


def test_every_un_member_observer_kosovo_and_taiwan_is_present(gazetteer: gz.Gazetteer) -> None:
    rows = _countries_rows()
    assert sum(row.get("un") == "member" for row in rows) == 193
    assert {row["country"] for row in rows if row.get("un") == "observer"} == {"VA", "PS"}
    codes = {e.country for e in gazetteer.entries if e.kind is ActorKind.COUNTRY}
    assert {"XK", "TW", "UA", "RU", "MD", "BY"} <= codes
    assert len(codes) == len(rows) == 197


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ("Kyiv", "UA"), ("Moscow", "RU"), ("Chisinau", "MD"), ("Tbilisi", "GE"),
        ("Türkiye", "TR"), ("Czechia", "CZ"), ("the Netherlands", "NL"), ("U.S.", "US"),
        ("Moldovan", "MD"), ("Kosovar", "XK"), ("Burma", "MM"), ("Eswatini", "SZ"),
        ("DRC", "CD"), ("Ivory Coast", "CI"), ("Vatican", "VA"), ("Taipei", "TW"),
    ],
)  # fmt: skip
def test_country_names_capitals_and_demonyms_resolve(
    gazetteer: gz.Gazetteer, form: str, code: str
) -> None:
    entry = gazetteer.lookup(form)
    assert entry is not None and entry.kind is ActorKind.COUNTRY and entry.country == code


def test_excluded_words_name_nothing(gazetteer: gz.Gazetteer) -> None:
    overrides = yaml.safe_load((DATA / "overrides.yaml").read_text(encoding="utf-8"))
    countries = {e.name for e in gazetteer.entries if e.kind is ActorKind.COUNTRY}
    for word, reason in overrides["excluded"].items():
        assert reason, word
        entry = gazetteer.lookup(word)
        if word in countries:  # "Chad", "Georgia": the country's own name stays
            assert entry is not None and entry.name == word
        elif word == "Brussels":
            assert entry is not None and entry.id == "Q458"
        else:
            assert entry is None, (word, entry)


def test_western_flags(gazetteer: gz.Gazetteer) -> None:
    western = {e.country for e in gazetteer.entries if e.kind is ActorKind.COUNTRY and e.western}
    assert {"US", "GB", "FR", "DE", "PL", "TR", "JP", "AU", "NZ", "KR", "CA", "AT", "IE"} <= western
    assert not western & {"RU", "BY", "CN", "IR", "KP", "UA"}


def test_every_qid_was_confirmed(gazetteer: gz.Gazetteer) -> None:
    qids = {e.id for e in gazetteer.entries if e.id.startswith("Q")}
    assert qids <= CONFIRMED_QIDS


def test_every_person_has_a_term_and_terms_are_well_formed(gazetteer: gz.Gazetteer) -> None:
    people = [e for e in gazetteer.entries if e.kind is ActorKind.PERSON]
    assert len(people) >= 150
    for person in people:
        assert person.terms, person.id
        assert person.name in person.aliases, person.id
        for term in person.terms:
            assert term.country, (person.id, term)
            assert term.end is None or term.start <= term.end, (person.id, term)


def test_terms_do_not_overlap_within_one_role(gazetteer: gz.Gazetteer) -> None:
    holders: dict[tuple[str, str | None], list[tuple[Term, str]]] = defaultdict(list)
    for entry in gazetteer.entries:
        own: dict[tuple[str, str | None], list[Term]] = defaultdict(list)
        for term in entry.terms:
            own[(term.role, term.country)].append(term)
            holders[(term.role, term.country)].append((term, entry.id))
        for same_role in own.values():
            _assert_disjoint([(term, entry.id) for term in same_role])
    for (role, _country), held in holders.items():
        if role in SINGLE_HOLDER_ROLES:
            _assert_disjoint(held)


def _assert_disjoint(terms: list[tuple[Term, str]]) -> None:
    ordered = sorted(terms, key=lambda pair: pair[0].start)
    for (first, who), (second, other) in itertools.pairwise(ordered):
        assert first.end is not None and first.end <= second.start, (who, first, other, second)


def test_existing_roles_stay_and_role_on_follows_the_terms(gazetteer: gz.Gazetteer) -> None:
    johnson = gazetteer.lookup("Boris Johnson")
    lecornu = gazetteer.lookup("Lecornu")
    witkoff = gazetteer.lookup("Witkoff")
    assert johnson is not None and lecornu is not None and witkoff is not None
    assert witkoff.role == "US special envoy"
    assert johnson.role_on(dt.date(2018, 1, 1)) == "foreign minister"
    assert johnson.role_on(dt.date(2021, 6, 1)) == "head of government"
    assert johnson.role_on(dt.date(2024, 1, 1)) is None
    assert lecornu.role_on(dt.date(2023, 3, 1)) == "defence minister"
    assert lecornu.role_on(dt.date(2025, 9, 9)) == "head of government"
    assert lecornu.terms_on(dt.date(2025, 12, 1))[0].country == "FR"


@pytest.mark.parametrize(
    ("form", "kind"),
    [
        ("Reuters", ActorKind.MEDIA), ("TASS", ActorKind.MEDIA), ("Kyiv Independent", ActorKind.MEDIA),
        ("Meduza", ActorKind.MEDIA), ("Rossiya 1", ActorKind.MEDIA), ("Wagner", ActorKind.GROUP),
        ("IAEA", ActorKind.ORGANIZATION), ("UN Security Council", ActorKind.INSTITUTION),
        ("Zelenskiy", ActorKind.PERSON), ("Guterres", ActorKind.PERSON),
    ],
)  # fmt: skip
def test_media_institutions_and_people_resolve(
    gazetteer: gz.Gazetteer, form: str, kind: ActorKind
) -> None:
    entry = gazetteer.lookup(form)
    assert entry is not None and entry.kind is kind


def test_media_count(gazetteer: gz.Gazetteer) -> None:
    assert sum(e.kind is ActorKind.MEDIA for e in gazetteer.entries) >= 60


def test_the_default_gazetteer_is_loaded_once_and_cached() -> None:
    fresh = gz._load_default.__wrapped__()
    assert len(fresh) == len(load_gazetteer())
    assert load_gazetteer() is load_gazetteer()


def test_a_folder_or_manifest_path_loads_the_same_gazetteer(gazetteer: gz.Gazetteer) -> None:
    by_folder = load_gazetteer(DATA)
    by_manifest = load_gazetteer(DATA / "index.yaml")
    assert by_folder.version == by_manifest.version == gazetteer.version
    assert len(by_folder) == len(gazetteer)


def _write_manifest(tmp_path: Path, ambiguous: list[str]) -> Path:
    (tmp_path / "a.yaml").write_text(
        "countries:\n  - {id: 'newswire:country-cg', name: Republic of the Congo, country: CG,"
        " aliases: [Congo]}\n"
        "  - {id: 'newswire:country-cd', name: DR Congo, country: CD, aliases: [Congo]}\n",
        encoding="utf-8",
    )
    manifest = tmp_path / "index.yaml"
    manifest.write_text(
        yaml.safe_dump({"version": "t1", "files": ["a.yaml"], "ambiguous": ambiguous}),
        encoding="utf-8",
    )
    return manifest


def test_collisions_across_files_are_errors_unless_declared_ambiguous(tmp_path: Path) -> None:
    with pytest.raises(GazetteerError, match="alias 'Congo' of newswire:country-cd already names"):
        load_gazetteer(_write_manifest(tmp_path, []))
    loaded = load_gazetteer(_write_manifest(tmp_path, ["Congo"]))
    assert loaded.lookup("Congo") is None
    assert loaded.ambiguous == {"congo": ("newswire:country-cg", "newswire:country-cd")}
    assert "Congo" not in {form for form, _ in loaded.surface_forms()}


def test_an_unneeded_ambiguous_form_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(GazetteerError, match="fewer than two actors"):
        load_gazetteer(_write_manifest(tmp_path, ["Congo", "Narnia"]))


def test_a_bad_part_file_is_named(tmp_path: Path) -> None:
    manifest = _write_manifest(tmp_path, [])
    (tmp_path / "a.yaml").write_text("countries:\n  - {id: x, name: X, country: xx}\n")
    with pytest.raises(GazetteerError, match=r"a\.yaml: countries\[0\]\.id"):
        load_gazetteer(manifest)


def test_normalized_keys_have_one_owner(gazetteer: gz.Gazetteer) -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for form, entry in gazetteer.surface_forms():
        owners[normalize_name(form)].add(entry.id)
    assert not {key: ids for key, ids in owners.items() if len(ids) > 1}


@pytest.mark.skipif(find_spec("pycountry") is None, reason="the dev group is not installed")
def test_countries_yaml_is_up_to_date() -> None:
    from newswire.extract.data import build_gazetteer

    assert build_gazetteer.main(["--check"]) == 0


def test_an_actor_carries_the_role_held_on_the_event_day() -> None:
    from newswire.extract.gazetteer import load_gazetteer

    gazetteer = load_gazetteer()
    holder = next(e for e in gazetteer.entries if len({t.role for t in e.terms}) >= 2)
    for term in holder.terms:
        assert holder.to_actor(on=term.start).role == holder.role_on(term.start)
    assert holder.to_actor().role == holder.role
