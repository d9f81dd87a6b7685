from hypothesis import given
from hypothesis import strategies as st

from sijill.uin import verhoeff_digit, verhoeff_valid

bodies = st.text(alphabet="0123456789", min_size=1, max_size=15)


def test_known_verhoeff_examples() -> None:
    assert verhoeff_digit("236") == "3"
    assert verhoeff_digit("12345") == "1"
    assert verhoeff_valid("2363")
    assert not verhoeff_valid("2364")


@given(bodies)
def test_appended_digit_makes_a_valid_number(body: str) -> None:
    assert verhoeff_valid(body + verhoeff_digit(body))


@given(bodies, st.data())
def test_every_single_digit_error_is_caught(body: str, data: st.DataObject) -> None:
    number = body + verhoeff_digit(body)
    i = data.draw(st.integers(0, len(number) - 1))
    wrong = data.draw(st.sampled_from([d for d in "0123456789" if d != number[i]]))
    assert not verhoeff_valid(number[:i] + wrong + number[i + 1 :])


@given(st.text(alphabet="0123456789", min_size=2, max_size=15), st.data())
def test_every_adjacent_transposition_is_caught(body: str, data: st.DataObject) -> None:
    number = body + verhoeff_digit(body)
    i = data.draw(st.integers(0, len(number) - 2))
    swapped = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
    if swapped != number:
        assert not verhoeff_valid(swapped)
