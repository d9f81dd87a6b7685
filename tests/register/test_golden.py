"""Golden attributes come from the most trusted record; the vectorised path agrees."""

from collections import namedtuple

import pandas as pd

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
