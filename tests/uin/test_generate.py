import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sijill.errors import InvalidUIN
from sijill.uin import check_uin, is_valid_uin, new_uin, uin_problem, verhoeff_digit
from sijill.uin.generate import _has_forbidden_run


def _with_check(body: str) -> str:
    return body + verhoeff_digit(body)


def test_new_uins_follow_every_rule() -> None:
    for _ in range(2000):
        uin = new_uin()
        assert len(uin) == 10 and uin.isdigit()
        assert uin[0] not in "01"
        assert not _has_forbidden_run(uin)
        assert is_valid_uin(uin)


def test_new_uins_do_not_repeat_in_a_large_draw() -> None:
    drawn = [new_uin() for _ in range(20_000)]
    assert len(set(drawn)) > 19_990


@pytest.mark.parametrize("run", ["123", "987", "555", "210", "789"])
def test_runs_of_three_are_forbidden(run: str) -> None:
    assert _has_forbidden_run(f"58{run}29")


def test_runs_over_the_check_digit_count() -> None:
    body = "583692044"
    uin = _with_check(body)
    assert uin[-1] == verhoeff_digit(body)
    assert _has_forbidden_run("5836920" + "444") is True


def test_leading_zero_or_one_is_refused() -> None:
    assert uin_problem(_with_check("058369204")) == "a UIN never starts with 0 or 1"
    assert uin_problem(_with_check("158369204")) == "a UIN never starts with 0 or 1"


def test_wrong_length_and_letters_are_refused() -> None:
    assert uin_problem("12345") is not None
    assert uin_problem("58369204a1") is not None


def test_check_uin_names_the_problem() -> None:
    uin = new_uin()
    broken = uin[:-1] + str((int(uin[-1]) + 1) % 10)
    with pytest.raises(InvalidUIN, match="check digit"):
        check_uin(broken)
    assert check_uin(uin) == uin


@settings(max_examples=200)
@given(st.integers(2 * 10**8, 10**9 - 1))
def test_valid_uins_are_exactly_the_rule_abiding_check_digited_numbers(body: int) -> None:
    uin = _with_check(str(body))
    assert is_valid_uin(uin) == (not _has_forbidden_run(uin))


def test_uins_drawn_in_bulk_follow_every_rule() -> None:
    from sijill.uin.generate import new_uins

    drawn = new_uins(50_000)
    assert len(drawn) == 50_000 and all(is_valid_uin(u) for u in drawn)
    assert {u[0] for u in drawn} == set("23456789")
