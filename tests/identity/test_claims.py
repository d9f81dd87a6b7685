"""Claims: names tolerant of the person's spellings, never another person's look-alike name."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sijill.identity import Claims, claims_match, date_matches, name_matches
from sijill.identity.claims import differ_by_ending


@pytest.mark.parametrize(
    ("claim", "held"),
    [
        ("Mohammed", ["محمد", "mhamed"]),
        ("MOHAMED", ["محمد"]),
        ("El Alaoui", ["العلوي"]),
        ("Elalaoui", ["alaoui"]),
        ("Khaoula", ["khaula"]),
        ("Noureddine", ["nour eddine"]),
    ],
)
def test_the_persons_spellings_match(claim: str, held: list[str]) -> None:
    assert name_matches(claim, held)


@pytest.mark.parametrize(
    ("claim", "held"),
    [
        ("Karima", ["كريم", "karim"]),
        ("Karim", ["كريمة", "karima"]),
        ("Mansouri", ["منصور", "mansour"]),
        ("Mansour", ["المنصوري", "mansouri"]),
        ("Saad", ["سعيد", "said"]),
        ("Ahmed", ["محمد", "mohammed"]),
        ("Hassani", ["hassan"]),
        ("Rachida", ["rachid"]),
    ],
)
def test_a_look_alike_name_is_a_mismatch(claim: str, held: list[str]) -> None:
    assert not name_matches(claim, held)


@given(
    st.sampled_from(["karim", "rachid", "khalid", "mansour", "hassan", "said", "nabil"]),
    st.sampled_from("ai"),
)
def test_a_name_plus_a_final_vowel_never_matches(name: str, vowel: str) -> None:
    assert differ_by_ending(name, name + vowel)
    assert not name_matches(name + vowel, [name])


def test_dates_are_strict_and_a_year_is_checked_against_the_year() -> None:
    assert date_matches("1990-05-01", "1990-05-01")
    assert date_matches("1990", "1990-05-01") and date_matches("1990", "1990")
    assert not date_matches("1990-05-02", "1990-05-01")
    assert not date_matches("1990-05-01", "1990")  # a full date cannot be confirmed by a year alone
    assert not date_matches("1990", None)


def test_every_claim_must_hold_and_more_names_are_read_only_when_needed() -> None:
    asked: list[bool] = []

    def more() -> tuple[list[str], list[str]]:
        asked.append(True)
        return ["el alaoui"], ["mhamed"]

    held = {"family": ["العلوي"], "given": ["محمد"], "birth_date": "1990-05-01", "sex": "M"}
    assert claims_match(Claims("El Alaoui", "Mohammed", "1990", "M"), **held, more_names=more)  # type: ignore[arg-type]
    assert not asked
    assert not claims_match(Claims(sex="F"), **held, more_names=more)  # type: ignore[arg-type]
    assert claims_match(Claims(given_name="Mhamed"), **held, more_names=more)  # type: ignore[arg-type]
    assert not claims_match(Claims(given_name="Ahmed"), **held, more_names=more)  # type: ignore[arg-type]
