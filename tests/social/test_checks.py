"""Each cross-check flag, raised with its reason on the household, and not raised without cause."""

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from sijill.db.engine import session_scope
from sijill.social import follow_register, household_flags, run_cross_checks
from tests.social.conftest import H, P, Register, household_ids, import_survey

Make = Callable[[Sequence[P]], Register]
ON = date(2026, 1, 1)


def _flags(register: Register) -> dict[str, set[tuple[str, str]]]:
    ids = household_ids(register)
    with session_scope(register.engine) as session:
        return {
            ref: {(f["kind"], f["reason"]) for f in household_flags(session=session, household_id=i)}
            for ref, i in ids.items()
        }


def _check(register: Register, on: date = ON) -> dict[str, int]:
    with session_scope(register.engine) as session:
        follow_register(session=session)
        return run_cross_checks(session=session, on=on)


def test_a_member_with_cnss_wages_above_the_line_is_flagged(make_register: Make, tmp_path: Path) -> None:
    register = make_register(
        [P("rich", "M", "1980-01-01", wage=5200), P("poor", "M", "1981-01-01", wage=2900)]
    )
    import_survey(
        register, [H("rich", [("rich", "head")]), H("poor", [("poor", "head")])], tmp_path / "h.csv"
    )
    counts = _check(register)
    assert counts["cnss_wage_above"] == 1
    flags = _flags(register)
    assert flags["rich"] == {
        ("cnss_wage_above", "a member (head) is declared to the CNSS above 3,500 MAD a month")
    }
    assert flags["poor"] == set()


def test_a_member_who_died_is_flagged_before_and_after_the_declaration(
    make_register: Make, tmp_path: Path
) -> None:
    people = [
        P("h1", "M", "1950-01-01"),
        P("dead_before", "F", "1952-01-01", died="2025-06-01"),
        P("h2", "M", "1960-01-01"),
        P("dies_after", "F", "1962-01-01"),
    ]
    register = make_register(people)
    households = [
        H("before", [("h1", "head"), ("dead_before", "spouse")]),
        H("after", [("h2", "head"), ("dies_after", "spouse")]),
    ]
    import_survey(register, households, tmp_path / "h.csv")
    register.die("dies_after", "2026-02-01")
    _check(register, date(2026, 3, 1))
    flags = _flags(register)
    assert flags["before"] == {
        ("member_deceased", "a declared member (spouse) was already deceased in the population register")
    }
    assert flags["after"] == {
        ("member_deceased", "a member (spouse) died after the declaration: recertify the household")
    }


def test_a_person_declared_in_two_households_is_flagged_on_both(make_register: Make, tmp_path: Path) -> None:
    register = make_register(
        [P("a", "M", "1970-01-01"), P("b", "M", "1971-01-01"), P("twice", "F", "1990-01-01")]
    )
    households = [
        H("first", [("a", "head"), ("twice", "daughter")]),
        H("second", [("b", "head"), ("twice", "spouse")]),
    ]
    import_survey(register, households, tmp_path / "h.csv")
    _check(register)
    ids = household_ids(register)
    flags = _flags(register)
    assert flags["second"] == {
        (
            "declared_in_two_households",
            f"a declared member (spouse) is an active member of household {ids['first']}",
        )
    }
    assert flags["first"] == {
        ("declared_in_two_households", f"a member is also declared by household {ids['second']}")
    }


def test_a_member_absent_from_the_population_register_is_flagged(make_register: Make, tmp_path: Path) -> None:
    register = make_register([P("h", "M", "1970-01-01")])
    household = H(
        "h",
        [("h", "head"), ("ghost", "son"), ("nobody", "daughter")],
        documents={"ghost": "civil:04.441.01.0/2010/99999", "nobody": ""},
    )
    import_survey(register, [household], tmp_path / "h.csv")
    _check(register)
    assert _flags(register)["h"] == {
        (
            "member_not_in_register",
            "a declared member (son) whose civil document is linked to no person of the register",
        ),
        ("member_not_in_register", "a declared member (daughter) declared without any document"),
    }


def test_a_child_of_school_age_not_in_massar_is_flagged(make_register: Make, tmp_path: Path) -> None:
    people = [
        P("h", "F", "1980-01-01"),
        P("pupil", "M", "2016-03-03", attendance=0.9),
        P("out", "F", "2017-04-04"),
        P("small", "M", "2021-01-01"),
    ]
    register = make_register(people)
    import_survey(
        register,
        [H("h", [("h", "head"), ("pupil", "son"), ("out", "daughter"), ("small", "son")])],
        tmp_path / "h.csv",
    )
    counts = _check(register)
    assert counts["school_age_not_in_massar"] == 1
    assert _flags(register)["h"] == {
        ("school_age_not_in_massar", "a member (daughter) aged 8 is of school age and not enrolled in MASSAR")
    }


def test_an_old_declaration_is_flagged_for_recertification(make_register: Make, tmp_path: Path) -> None:
    register = make_register([P("old", "M", "1970-01-01"), P("new", "M", "1971-01-01")])
    import_survey(register, [H("old", [("old", "head")])], tmp_path / "a.csv", declared_on=date(2022, 11, 30))
    import_survey(register, [H("new", [("new", "head")])], tmp_path / "b.csv", declared_on=date(2025, 1, 1))
    _check(register)
    flags = _flags(register)
    assert flags["old"] == {("recertification_due", "the declaration of 2022-11-30 is older than 36 months")}
    assert flags["new"] == set()
