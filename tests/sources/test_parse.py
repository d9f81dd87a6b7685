from datetime import date

import pytest

from sijill.sources.parse import clean_card, is_card_shaped, parse_date, parse_sex

TODAY = date(2026, 1, 1)


@pytest.mark.parametrize(
    ("text", "iso", "precision"),
    [
        ("1980-11-05", "1980-11-05", "day"),
        ("05/11/1980", "1980-11-05", "day"),
        ("1954", "1954", "year"),
        (" 2001-02-03 ", "2001-02-03", "day"),
        ("5/1/1999", "1999-01-05", "day"),
    ],
)
def test_dates_in_every_listed_format(text: str, iso: str, precision: str) -> None:
    parsed = parse_date(text, today=TODAY)
    assert parsed is not None
    assert (parsed.iso(), parsed.precision) == (iso, precision)


@pytest.mark.parametrize("text", ["", "31/02/1980", "1980-13-01", "2030-01-01", "1850", "hier", "80"])
def test_impossible_or_unreadable_dates_are_none(text: str) -> None:
    assert parse_date(text, today=TODAY) is None


@pytest.mark.parametrize(("code", "sex"), [("M", "M"), ("f", "F"), ("H", "M"), ("", None), ("X", None)])
def test_sex_codes(code: str, sex: str | None) -> None:
    assert parse_sex(code) == sex


def test_cards_are_upper_cased_and_checked() -> None:
    assert clean_card(" bk 123456 ") == "BK123456"
    assert is_card_shaped("BK123456")
    assert not is_card_shaped("123456")
    assert not is_card_shaped("BKX12345")
