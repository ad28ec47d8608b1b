from __future__ import annotations

from itertools import combinations

import pytest

from newswire.extract.modality import PRECEDENCE, CueFamily, decide_modality
from schemas.events import Modality

F = CueFamily


def test_the_table_orders_every_deciding_family_once() -> None:
    families = [family for family, _ in PRECEDENCE]
    assert families == [F.NEGATED, F.HYPOTHETICAL, F.HEDGED, F.PLANNED, F.FUTURE, F.ATTRIBUTED]
    # "would" is resolved into FUTURE or HYPOTHETICAL before the table is read.
    assert F.WOULD not in families


def test_nothing_fired_is_asserted() -> None:
    assert decide_modality(set()) is Modality.ASSERTED
    assert decide_modality({F.WOULD}) is Modality.ASSERTED


@pytest.mark.parametrize(
    ("families", "expected"),
    [
        ({F.NEGATED}, Modality.NEGATED),
        ({F.HYPOTHETICAL}, Modality.HYPOTHETICAL),
        ({F.HEDGED}, Modality.REPORTED),
        ({F.PLANNED}, Modality.PLANNED),
        ({F.FUTURE}, Modality.PLANNED),
        ({F.ATTRIBUTED}, Modality.REPORTED),
        ({F.NEGATED, F.HYPOTHETICAL, F.HEDGED}, Modality.NEGATED),
        ({F.HYPOTHETICAL, F.PLANNED}, Modality.HYPOTHETICAL),
        ({F.HEDGED, F.FUTURE}, Modality.REPORTED),  # "will reportedly travel"
        ({F.FUTURE, F.ATTRIBUTED}, Modality.PLANNED),  # "will travel, his office said"
        ({F.PLANNED, F.ATTRIBUTED}, Modality.PLANNED),
    ],
)
def test_precedence(families: set[CueFamily], expected: Modality) -> None:
    assert decide_modality(families) is expected


def test_the_first_family_in_the_table_always_wins() -> None:
    ranked = [family for family, _ in PRECEDENCE]
    decided = dict(PRECEDENCE)
    for size in range(1, len(ranked) + 1):
        for combo in combinations(ranked, size):
            first = min(combo, key=ranked.index)
            assert decide_modality(set(combo)) is decided[first]
