"""Each program's rules against amounts computed by hand, with the boundary cases of issue 12.

Ages are completed years on the first day of the period (2026-01-01 for cycle 2026-01); the
test index scores each household at its `pmt` value, so thresholds can be met exactly.
"""

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from sijill.db.engine import session_scope
from sijill.social import decide_change, load_programs, request_change, switch_off, switch_on
from tests.social.conftest import (
    OTHER_URBAN,
    URBAN,
    H,
    P,
    Register,
    amounts,
    exclusions,
    household_ids,
    import_survey,
    recipient,
    run,
)

Make = Callable[[Sequence[P]], Register]


def _family(prefix: str, children: Sequence[tuple[str, float | None]], mother: bool = True) -> list[P]:
    """A father (head), a mother (spouse) and children (birth date, MASSAR attendance or None)."""
    people = [P(f"{prefix}_father", "M", "1980-05-01")]
    if mother:
        people.append(P(f"{prefix}_mother", "F", "1983-07-01"))
    people += [
        P(f"{prefix}_c{i}", "F" if i % 2 else "M", born, attendance=att)
        for i, (born, att) in enumerate(children, 1)
    ]
    return people


def _members(people: Sequence[P]) -> list[tuple[str, str]]:
    roles = {"father": "head", "mother": "spouse"}
    return [(p.key, roles.get(p.key.split("_", 1)[1], "son" if p.sex == "M" else "daughter")) for p in people]


def test_family_allowance_pays_by_rank_age_and_schooling_and_not_the_seventh_child(
    make_register: Make, tmp_path: Path
) -> None:
    people = _family(
        "fa",
        [
            ("2006-02-01", None),  # 19, not in school: rank 1 -> 175
            ("2009-09-09", 0.9),  # 16, in school: rank 2 -> 250
            ("2012-03-03", 0.9),  # 13, in school: rank 3 -> 250
            ("2014-04-04", None),  # 11, not in school: rank 4 -> 24
            ("2019-05-05", 0.9),  # 6, in school: rank 5 -> 36
            ("2023-06-06", None),  # 2: rank 6 -> 36
            ("2024-07-07", None),  # 1: the seventh child -> nothing
        ],
    )
    register = make_register(people)
    import_survey(register, [H("fa", _members(people))], tmp_path / "households.csv")
    run(register, "2026-01")
    assert amounts(register, "family_allowance", "2026-01") == {"fa": 175 + 250 + 250 + 24 + 36 + 36}
    assert recipient(register, "family_allowance", "2026-01", "fa") == register.uin("fa_mother")
    assert exclusions(register, "family_allowance", "2026-01")[
        ("condition_not_met", "beyond the 6th counted child")
    ] == (1, 1)


def test_family_allowance_floor_and_flat_amount_and_an_index_equal_to_the_threshold(
    make_register: Make, tmp_path: Path
) -> None:
    people = [
        P("couple_h", "M", "1960-01-01"),
        P("couple_s", "F", "1962-01-01"),
        P("one_h", "F", "1975-01-01"),
        P("one_c", "M", "2010-02-02"),  # 15, not in school: 175, topped up to 500
        P("at_h", "M", "1970-01-01"),
        P("above_h", "M", "1971-01-01"),
        P("above_s", "F", "1972-01-01"),
    ]
    register = make_register(people)
    households = [
        H("couple", [("couple_h", "head"), ("couple_s", "spouse")], pmt=9.0),
        H("one", [("one_h", "head"), ("one_c", "son")], pmt=9.0, marital="divorced"),
        H("at", [("at_h", "head")], pmt=9.743001),
        H("above", [("above_h", "head"), ("above_s", "spouse")], pmt=9.7430011),
    ]
    import_survey(register, households, tmp_path / "households.csv")
    run(register, "2026-01")
    assert amounts(register, "family_allowance", "2026-01") == {"couple": 500, "one": 500, "at": 500}
    assert recipient(register, "family_allowance", "2026-01", "one") == register.uin("one_h")
    assert exclusions(register, "family_allowance", "2026-01")[
        ("above_threshold", "index above 9.743001")
    ] == (1, 2)
    assert _lines(register, "family_allowance", "2026-01", "one") == [("child", 175), ("minimum", 325)]
    assert _lines(register, "family_allowance", "2026-01", "couple") == [("flat", 500)]


def _lines(register: Register, program: str, period: str, ref: str) -> list[tuple[str, int]]:
    from sqlalchemy import select

    from sijill.social import Entitlement, Household

    with session_scope(register.engine) as session:
        stmt = (
            select(Entitlement.lines)
            .join(Household, Household.id == Entitlement.household_id)
            .where(Entitlement.program == program, Entitlement.period == period, Household.ref == ref)
        )
        lines = session.scalars(stmt).one()
    return sorted((c, int(a)) for c, _rule, a, _b in lines)


def test_a_child_turning_21_in_the_cycles_month_counts_that_month_and_not_the_next(
    make_register: Make, tmp_path: Path
) -> None:
    people = _family(
        "t",
        [
            ("2005-01-15", None),  # turns 21 on 2026-01-15: 20 on 2026-01-01, rank 1 -> 175
            ("2008-01-01", 0.9),  # 18: rank 2 -> 250
            ("2010-06-01", 0.9),  # 15: rank 3 -> 250
            ("2016-06-01", 0.9),  # 9: rank 4 -> 36; rank 3 from February -> 250
        ],
    )
    register = make_register(people)
    import_survey(register, [H("t", _members(people))], tmp_path / "households.csv")
    run(register, "2026-01")
    run(register, "2026-02")
    assert amounts(register, "family_allowance", "2026-01") == {"t": 175 + 250 + 250 + 36}
    assert amounts(register, "family_allowance", "2026-02") == {"t": 250 + 250 + 250}


def test_birth_grants_go_to_the_first_and_second_births_of_the_period(
    make_register: Make, tmp_path: Path
) -> None:
    people = [
        P("b1_h", "M", "1990-01-01"),
        P("b1_s", "F", "1992-01-01"),
        P("b1_baby", "F", "2026-01-10"),
        P("b2_h", "M", "1988-01-01"),
        P("b2_s", "F", "1990-03-01"),
        P("b2_older", "M", "2020-05-05"),
        P("b2_baby", "M", "2026-01-20"),
    ]
    register = make_register(people)
    households = [
        H("b1", [("b1_h", "head"), ("b1_s", "spouse")]),
        H("b2", [("b2_h", "head"), ("b2_s", "spouse"), ("b2_older", "son")]),
    ]
    import_survey(register, households, tmp_path / "households.csv")
    ids = household_ids(register)
    for ref, baby, born in (("b1", "b1_baby", "2026-01-10"), ("b2", "b2_baby", "2026-01-20")):
        with session_scope(register.engine) as session:
            payload = {
                "uin": register.uin(baby),
                "relationship": "daughter" if ref == "b1" else "son",
                "since": born,
            }
            request = request_change(
                session=session, household_id=ids[ref], kind="add_member", payload=payload, by="clerk"
            )
            decide_change(session=session, request_id=request.id, by="supervisor", approve=True)
    run(register, "2026-01")
    run(register, "2026-02")
    # January: no child on the 1st: the flat 500, and the birth grant (2,000 first, 1,000 second).
    assert amounts(register, "family_allowance", "2026-01") == {"b1": 500 + 2000, "b2": 500 + 1000}
    # February: the baby is a child under 6 (250), topped up to 500; the grant is not paid again.
    assert amounts(register, "family_allowance", "2026-02") == {"b1": 500, "b2": 500}
    # Rank 1-3 aged 0-5: 250 each; b1's one baby is topped up by 250, b2's two reach 500.
    assert _lines(register, "family_allowance", "2026-02", "b1") == [("child", 250), ("minimum", 250)]
    assert _lines(register, "family_allowance", "2026-02", "b2") == [("child", 250), ("child", 250)]
    assert _lines(register, "family_allowance", "2026-01", "b2") == [
        ("birth_grant", 1000),
        ("child", 250),
        ("minimum", 250),
    ]


def test_amo_tadamon_pays_each_member_below_its_threshold_and_not_a_household_with_cnss_wages(
    make_register: Make, tmp_path: Path
) -> None:
    people = [
        *_family("a4", [("2015-01-01", 0.9), ("2018-01-01", 0.9)]),
        P("eq_h", "M", "1950-01-01"),
        P("eq_s", "F", "1955-01-01"),
        P("hi_h", "M", "1950-02-02"),
        P("wage_h", "M", "1985-01-01", wage=5200),
        P("wage_s", "F", "1986-01-01"),
    ]
    register = make_register(people)
    households = [
        H("a4", _members(people[:4]), pmt=9.0),
        H("eq", [("eq_h", "head"), ("eq_s", "spouse")], pmt=9.3264284),
        H("hi", [("hi_h", "head")], pmt=9.33),
        H("wage", [("wage_h", "head"), ("wage_s", "spouse")], pmt=9.0),
    ]
    import_survey(register, households, tmp_path / "households.csv")
    run(register, "2026-01")
    assert amounts(register, "amo_tadamon", "2026-01") == {"a4": 4 * 62, "eq": 2 * 62}
    assert recipient(register, "amo_tadamon", "2026-01", "a4") == register.uin("a4_father")
    excluded = exclusions(register, "amo_tadamon", "2026-01")
    assert excluded[("above_threshold", "index above 9.3264284")] == (1, 1)
    assert excluded[("above_threshold", "flag cnss_wage_above")] == (1, 2)


def test_school_attendance_pays_by_level_for_three_children_who_attend(
    make_register: Make, tmp_path: Path
) -> None:
    people = _family(
        "s",
        [
            ("2018-03-01", 0.95),  # 7: primary years 1-2 -> 60, but the fourth child attending
            ("2016-03-01", 0.90),  # 9: primary years 3-4 -> 80
            ("2014-03-01", 0.85),  # 11: primary years 5-6 -> 100
            ("2012-03-01", 0.50),  # 13: attendance below 0.8 -> nothing
            ("2011-06-01", 0.99),  # 14: lower secondary -> 140
            ("2020-01-01", None),  # 5: not enrolled -> nothing
        ],
    )
    first_year = [P("s1_mother", "F", "1990-01-01"), P("s1_c1", "M", "2019-09-01", attendance=0.8)]
    register = make_register([*people, *first_year])
    households = [
        H("s", _members(people)),
        # A child of 6 whose attendance equals the threshold: primary years 1-2, 60.
        H("s1", [("s1_mother", "head"), ("s1_c1", "son")], marital="divorced"),
    ]
    import_survey(register, households, tmp_path / "households.csv")
    run(register, "2026-01")
    assert amounts(register, "school_attendance", "2026-01") == {"s": 140 + 100 + 80, "s1": 60}
    assert recipient(register, "school_attendance", "2026-01", "s") == register.uin("s_mother")
    excluded = exclusions(register, "school_attendance", "2026-01")
    assert excluded[("condition_not_met", "attendance below 0.8")] == (1, 1)
    assert excluded[("condition_not_met", "beyond the 3rd counted child")] == (1, 1)
    assert excluded[("condition_not_met", "child not enrolled in MASSAR")] == (1, 1)


def test_widows_allowance_pays_each_orphan_up_to_the_family_cap(make_register: Make, tmp_path: Path) -> None:
    people = [
        P("w", "F", "1980-01-01"),
        P("w_c1", "M", "2022-01-01"),  # 3 -> 350
        P("w_c2", "F", "2015-01-01", attendance=0.9),  # 10, in school -> 350
        P("w_c3", "M", "2013-01-01", attendance=0.9),  # 12, in school -> 350
        P("w_c4", "F", "2010-01-01", attendance=0.9),  # 15, in school -> 350, cut to the 1,050 cap
        P("w_c5", "M", "2007-01-01"),  # 18, not in school -> nothing
        P("d", "F", "1981-01-01"),
        P("d_c1", "M", "2019-01-01"),
    ]
    register = make_register(people)
    households = [
        H(
            "widow",
            [("w", "head")] + [(f"w_c{i}", "son" if i % 2 else "daughter") for i in range(1, 6)],
            marital="widowed",
        ),
        H("divorced", [("d", "head"), ("d_c1", "son")], marital="divorced"),
    ]
    import_survey(register, households, tmp_path / "households.csv")
    run(register, "2026-01")
    assert amounts(register, "widows_allowance", "2026-01") == {"widow": 1050}
    assert (
        _lines(register, "widows_allowance", "2026-01", "widow")
        == [("maximum", -350)] + [("orphan", 350)] * 4
    )
    assert recipient(register, "widows_allowance", "2026-01", "widow") == register.uin("w")
    excluded = exclusions(register, "widows_allowance", "2026-01")
    assert excluded[("condition_not_met", "head is not a widowed woman")] == (1, 2)
    assert excluded[("condition_not_met", "no orphan rate for this age and schooling")] == (1, 1)


def _move(register: Register, ref: str, commune: str, since: str) -> None:
    with session_scope(register.engine) as session:
        request = request_change(
            session=session,
            household_id=household_ids(register)[ref],
            kind="move",
            payload={"commune": commune, "since": since},
            by="clerk",
        )
        decide_change(session=session, request_id=request.id, by="supervisor", approve=True)


def test_emergency_top_up_follows_households_that_lived_in_listed_communes_on_the_event_date(
    make_register: Make, tmp_path: Path
) -> None:
    people = [P("stay", "M", "1970-01-01"), P("mover", "F", "1971-01-01"), P("newcomer", "M", "1972-01-01")]
    register = make_register(people)
    households = [
        H("stay", [("stay", "head")], commune=URBAN, pmt=9.9),
        H("mover", [("mover", "head")], commune=URBAN, pmt=9.9),
        H("newcomer", [("newcomer", "head")], commune=OTHER_URBAN, pmt=9.9),
    ]
    import_survey(register, households, tmp_path / "households.csv")
    with session_scope(register.engine) as session:
        activation = switch_on(
            session=session,
            program=load_programs()["emergency_topup"],
            name="earthquake",
            communes_listed=[URBAN],
            event_date=date(2026, 1, 5),
            first_period="2026-02",
            by="operator",
        ).id
    _move(register, "newcomer", URBAN, "2026-02-01")
    run(register, "2026-01")
    run(register, "2026-02")
    _move(register, "mover", OTHER_URBAN, "2026-03-10")
    run(register, "2026-04")
    run(register, "2027-01")
    run(register, "2027-02")
    assert amounts(register, "emergency_topup", "2026-01") == {}
    assert amounts(register, "emergency_topup", "2026-02") == {"stay": 2500, "mover": 2500}
    assert amounts(register, "emergency_topup", "2026-04") == {"stay": 2500, "mover": 2500}
    assert amounts(register, "emergency_topup", "2027-01") == {"stay": 2500, "mover": 2500}
    assert amounts(register, "emergency_topup", "2027-02") == {}
    with session_scope(register.engine) as session:
        switch_off(session=session, activation_id=activation, from_period="2026-06", by="operator")
    run(register, "2026-06")
    assert amounts(register, "emergency_topup", "2026-06") == {}


def test_the_recipient_rule_is_configuration(make_register: Make, tmp_path: Path) -> None:
    people = [
        P("g_h", "M", "1960-01-01"),
        P("g_gm", "F", "1935-01-01"),
        P("g_c", "M", "2015-01-01", attendance=0.9),
    ]
    register = make_register(people)
    import_survey(
        register, [H("g", [("g_h", "head"), ("g_gm", "parent"), ("g_c", "son")])], tmp_path / "h.csv"
    )
    custom = tmp_path / "programs"
    custom.mkdir()
    shipped = load_programs()["family_allowance"].path
    text = Path(shipped).read_text(encoding="utf-8")
    start = text.index("[recipient]")
    end = text.index("[children]")
    heads = '[recipient]\nrule = "head of household"\nprefer = [{ relationships = ["head"] }]\n\n'
    (custom / "family_allowance.toml").write_text(text[:start] + heads + text[end:], encoding="utf-8")
    run(register, "2026-01")
    # The shipped rule: the mother or a female caregiver, here the grandmother.
    assert recipient(register, "family_allowance", "2026-01", "g") == register.uin("g_gm")
    run(register, "2026-02", programs=load_programs(custom))
    assert recipient(register, "family_allowance", "2026-02", "g") == register.uin("g_h")
