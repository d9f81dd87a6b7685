"""Golden attributes come from the most trusted record; the vectorised path agrees."""

from collections import namedtuple
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sijill.register.golden import GOLDEN_FIELDS, golden_of, goldens_of

Rec = namedtuple("Rec", ["id", "source", "source_id", *GOLDEN_FIELDS])


def _rec(i: int, source: str, **values: str | None) -> Rec:
    return Rec(i, source, f"{source}-{i}", **{f: values.get(f) for f in GOLDEN_FIELDS})


RECORDS = [
    _rec(1, "ramed", family_lat="alaoui", given_lat="mhamed", sex="M", birth_date="1954"),
    _rec(
        2,
        "cnie",
        family_ar="العلوي",
        given_ar="محمد",
        family_lat="el alaoui",
        given_lat="mohammed",
        sex="M",
        birth_date="1954-03-02",
    ),
    _rec(
        3, "civil", family_ar="العلوي", given_ar="محمد", sex="M", birth_date="1954", death_date="2020-01-01"
    ),
    _rec(4, "cnss", family_lat="alaoui", given_lat="mohamed", birth_date="1960-01-01"),
]


def test_each_attribute_comes_from_its_most_trusted_record() -> None:
    g = golden_of(RECORDS)
    assert g["family_ar"] == "العلوي" and g["provenance"]["family_ar"]["source"] == "civil"
    assert g["given_lat"] == "mohammed" and g["provenance"]["given_lat"]["source"] == "cnie"
    assert g["birth_date"] == "1954-03-02"  # a full date before a year, whatever the source
    assert g["death_date"] == "2020-01-01" and g["status"] == "deceased"


def test_the_vectorised_goldens_agree_with_golden_of() -> None:
    frame = pd.DataFrame([r._asdict() for r in RECORDS]).rename(columns={"id": "record_id"})
    frame = frame.astype(object).where(frame.notna(), None)
    many = goldens_of(frame, {1: 10, 2: 10, 3: 10, 4: 20})
    assert many[10] == golden_of(RECORDS[:3])
    assert many[20] == golden_of(RECORDS[3:])


SOURCES = ["civil", "cnie", "massar", "cnss", "ramed"]
_value = st.sampled_from([None, "", "a", "b", "ب"])
_record = st.fixed_dictionaries(
    {
        "source": st.sampled_from(SOURCES),
        "source_id": st.sampled_from(["1", "10", "2", "a", "B", "x9"]),
        "person": st.integers(1, 4),
        **{f: _value for f in GOLDEN_FIELDS if f not in ("birth_date", "death_date")},
        "birth_date": st.sampled_from([None, "", "1954", "1954-03-02", "1960-01-01", "1961"]),
        "death_date": st.sampled_from([None, "", "2020-01-01", "2021-05-06"]),
    }
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_record, min_size=1, max_size=14, unique_by=lambda r: (r["source"], r["source_id"])))
def test_the_vectorised_goldens_agree_with_golden_of_on_any_records(rows: list[dict[str, Any]]) -> None:
    """Many records a person, one registry several times, ties broken by source id, empty
    values, years and full dates, deaths outside the civil registry: SQL and Python agree."""
    records = [
        Rec(i, r["source"], r["source_id"], *(r[f] for f in GOLDEN_FIELDS)) for i, r in enumerate(rows, 1)
    ]
    frame = pd.DataFrame([r._asdict() for r in records]).rename(columns={"id": "record_id"})
    frame = frame.astype(object).where(frame.notna(), None)
    person_of = {i: r["person"] for i, r in enumerate(rows, 1)}
    many = goldens_of(frame, person_of)
    for person in set(person_of.values()):
        assert many[person] == golden_of([r for r in records if person_of[r.id] == person])
