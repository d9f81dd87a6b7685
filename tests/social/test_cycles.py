"""Cycles: four eyes, idempotent files, deaths in the middle of a cycle, payments and their guards."""

import csv
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from sijill.db.engine import session_scope
from sijill.social import (
    Cycle,
    Entitlement,
    Payment,
    RuleRefused,
    approve_cycle,
    reconcile_payments,
    release_cycle,
    sector_token,
)
from tests.social.conftest import (
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

PEOPLE = [
    P("father", "M", "1980-01-01"),
    P("mother", "F", "1984-01-01"),
    P("kid1", "M", "2012-05-05", attendance=0.9),
    P("kid2", "F", "2016-05-05", attendance=0.9),
    P("kid3", "M", "2018-05-05", attendance=0.9),
    P("single", "M", "1950-01-01"),
]
HOUSEHOLDS = [
    H(
        "family",
        [("father", "head"), ("mother", "spouse"), ("kid1", "son"), ("kid2", "daughter"), ("kid3", "son")],
    ),
    H("single", [("single", "head")]),
]


@pytest.fixture
def register(make_register: Make, tmp_path: Path) -> Register:
    reg = make_register(PEOPLE)
    import_survey(reg, HOUSEHOLDS, tmp_path / "households.csv")
    return reg


def _approve(register: Register, period: str, by: str = "approver") -> None:
    with session_scope(register.engine) as session:
        approve_cycle(session=session, period=period, by=by)


def _release(register: Register, period: str, out: Path, key: bytes | None = None) -> None:
    with session_scope(register.engine) as session:
        release_cycle(session=session, period=period, by="treasurer", out_dir=out, token_key=key)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_rerunning_a_cycle_writes_byte_identical_files(register: Register, tmp_path: Path) -> None:
    run(register, "2026-03", tmp_path / "a")
    run(register, "2026-03", tmp_path / "b", by="someone else")
    _approve(register, "2026-03")
    run(register, "2026-03", tmp_path / "c")
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == [
        "amo_tadamon.csv",
        "emergency_topup.csv",
        "exclusions.csv",
        "family_allowance.csv",
        "school_attendance.csv",
        "widows_allowance.csv",
    ]
    for name in names:
        first = (tmp_path / "a" / name).read_bytes()
        assert first == (tmp_path / "b" / name).read_bytes() == (tmp_path / "c" / name).read_bytes()
    rows = _rows(tmp_path / "a" / "family_allowance.csv")
    assert list(rows[0]) == ["program", "period", "household_id", "uin", "amount_mad"]
    assert {r["uin"] for r in rows} == {register.uin("mother"), register.uin("single")}


def test_the_preparer_can_never_approve(register: Register) -> None:
    run(register, "2026-03", by="amina")
    with session_scope(register.engine) as session, pytest.raises(RuleRefused, match="four eyes"):
        approve_cycle(session=session, period="2026-03", by="amina")
    # The database refuses it too, whatever writes to it.
    with pytest.raises(DBAPIError), session_scope(register.engine) as session:
        session.execute(
            update(Cycle).values(
                status="approved", approved_by=Cycle.prepared_by, approved_at=text("CURRENT_TIMESTAMP")
            )
        )
    with session_scope(register.engine) as session:
        assert {c.status for c in session.scalars(select(Cycle))} == {"prepared"}


def test_an_approved_cycle_is_not_recomputed_nor_changed(register: Register, tmp_path: Path) -> None:
    run(register, "2026-03")
    _approve(register, "2026-03")
    with pytest.raises(DBAPIError), session_scope(register.engine) as session:
        session.execute(update(Entitlement).values(amount_mad=Entitlement.amount_mad + 1))
    with session_scope(register.engine) as session, pytest.raises(RuleRefused, match="not prepared"):
        approve_cycle(session=session, period="2026-03", by="other")


def test_entitlements_that_were_not_released_can_never_be_paid(register: Register, tmp_path: Path) -> None:
    run(register, "2026-03", tmp_path / "out")
    status = tmp_path / "status.csv"
    rows = _rows(tmp_path / "out" / "family_allowance.csv")
    _write_status(status, [{**r, "status": "paid"} for r in rows])
    with session_scope(register.engine) as session:
        result = reconcile_payments(session=session, path=status)
    assert result.recorded == {}
    assert result.counts() == {"cycle not released: never payable": 2}
    with session_scope(register.engine) as session:
        entitlement = session.scalars(select(Entitlement.id)).first()
    with pytest.raises(DBAPIError), session_scope(register.engine) as session:
        session.add(Payment(entitlement_id=entitlement, status="paid"))
        session.flush()


def _write_status(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(
            f, fieldnames=["program", "period", "household_id", "uin", "amount_mad", "status"]
        )
        writer.writeheader()
        writer.writerows({k: r[k] for k in writer.fieldnames} for r in rows)


def test_reconciling_records_payments_once_and_reports_every_difference(
    register: Register, tmp_path: Path
) -> None:
    run(register, "2026-03")
    _approve(register, "2026-03")
    _release(register, "2026-03", tmp_path / "bank")
    released = _rows(tmp_path / "bank" / "family_allowance.release.csv")
    assert len(released) == 2
    family, single = sorted(released, key=lambda r: r["uin"] != register.uin("mother"))
    status = tmp_path / "status.csv"
    _write_status(
        status,
        [
            {**family, "status": "paid"},
            {**family, "status": "paid"},  # the same payment twice in one file
            {**single, "household_id": "999999", "status": "failed"},
        ],
    )
    with session_scope(register.engine) as session:
        first = reconcile_payments(session=session, path=status)
    assert first.recorded == {"paid": 1}
    assert first.counts() == {
        "reported twice in the file": 1,
        "no such entitlement": 1,
        "no status reported": 1,
    }
    _write_status(status, [{**family, "status": "paid"}, {**single, "amount_mad": "999", "status": "paid"}])
    with session_scope(register.engine) as session:
        second = reconcile_payments(session=session, path=status)
    assert second.recorded == {}
    assert second.counts() == {"already paid": 1, "amount differs": 1}
    _write_status(status, [{**single, "status": "returned"}])
    with session_scope(register.engine) as session:
        third = reconcile_payments(session=session, path=status)
    assert (third.recorded, third.counts()) == ({"returned": 1}, {})
    with session_scope(register.engine) as session:
        assert sorted(session.scalars(select(Payment.status))) == ["paid", "returned"]


def test_a_person_is_never_paid_twice_for_one_program_and_period(register: Register) -> None:
    run(register, "2026-03")
    ids = household_ids(register)
    with pytest.raises(DBAPIError), session_scope(register.engine) as session:
        e = session.scalars(select(Entitlement).where(Entitlement.program == "family_allowance")).first()
        assert e is not None
        other = ids["single"] if e.household_id == ids["family"] else ids["family"]
        session.add(
            Entitlement(
                cycle_id=e.cycle_id,
                program=e.program,
                period=e.period,
                household_id=other,
                recipient_person_id=e.recipient_person_id,
                recipient_uin=e.recipient_uin,
                amount_mad=1,
                commune=e.commune,
                region_code=e.region_code,
                urban=e.urban,
                persons=1,
            )
        )
        session.flush()


def test_the_release_file_may_carry_sector_tokens_instead_of_uins(register: Register, tmp_path: Path) -> None:
    key = b"a test key of the payment sector"
    run(register, "2026-03")
    _approve(register, "2026-03")
    _release(register, "2026-03", tmp_path / "bank", key=key)
    rows = _rows(tmp_path / "bank" / "family_allowance.release.csv")
    assert "uin" not in rows[0]
    assert {r["sector_token"] for r in rows} == {
        sector_token(key, register.uin(k)) for k in ("mother", "single")
    }
    assert register.uin("mother") not in (tmp_path / "bank" / "family_allowance.release.csv").read_text()


def test_a_recipient_who_dies_in_the_middle_of_a_cycle_is_not_paid_and_the_next_cycle_pays_another(
    register: Register, tmp_path: Path
) -> None:
    run(register, "2026-03")
    assert amounts(register, "family_allowance", "2026-03") == {"family": 750, "single": 500}
    register.die("mother", "2026-03-10")
    _approve(register, "2026-03")
    _release(register, "2026-03", tmp_path / "bank")
    released = _rows(tmp_path / "bank" / "family_allowance.release.csv")
    assert [r["uin"] for r in released] == [register.uin("single")]
    with session_scope(register.engine) as session:
        held = session.scalars(select(Entitlement).where(Entitlement.status == "held")).all()
        assert {e.hold_reason for e in held} == {"recipient deceased"}
    run(register, "2026-04")
    assert recipient(register, "family_allowance", "2026-04", "family") == register.uin("father")
    assert amounts(register, "family_allowance", "2026-04") == {"family": 750, "single": 500}


def test_a_child_who_dies_in_the_middle_of_a_cycle_counts_that_month_and_not_after(
    register: Register,
) -> None:
    register.die("kid2", "2026-03-15")
    run(register, "2026-03")
    run(register, "2026-04")
    assert amounts(register, "family_allowance", "2026-03") == {"family": 750, "single": 500}
    assert amounts(register, "family_allowance", "2026-04") == {"family": 500, "single": 500}
    assert exclusions(register, "family_allowance", "2026-04")[
        ("deceased", "member died before the period")
    ] == (1, 1)


def test_the_exclusions_report_counts_each_reason_with_households_and_persons(
    make_register: Make, tmp_path: Path
) -> None:
    people = [
        P("a", "M", "1970-01-01"),
        P("twice", "F", "1990-01-01"),
        P("b", "M", "1971-01-01"),
        P("g", "M", "1972-01-01"),
        P("gh", "M", "1960-01-01"),
        P("old", "F", "1935-01-01", died="2024-01-01"),
        P("x", "M", "1973-01-01"),
    ]
    reg = make_register(people)
    households = [
        H("first", [("a", "head"), ("twice", "daughter")]),
        H("second", [("b", "head"), ("twice", "spouse")]),  # declared twice: refused here
        H("ghost", [("g", "head"), ("ghost", "son")], documents={"ghost": ""}),
        H("gone", [("gh", "head"), ("old", "parent")]),  # the parent died before the declaration
        H("rich", [("x", "head")], pmt=9.8),
    ]
    import_survey(reg, households, tmp_path / "households.csv")
    run(reg, "2026-01", tmp_path / "out")
    # Every household but "rich" is below both lines; none has a child: the flat 500 each.
    assert amounts(reg, "family_allowance", "2026-01") == {
        "first": 500,
        "second": 500,
        "ghost": 500,
        "gone": 500,
    }
    # AMO Tadamon: 62 a month per counted member, the refused declarations not counted.
    assert amounts(reg, "amo_tadamon", "2026-01") == {"first": 124, "second": 62, "ghost": 62, "gone": 62}
    rows = [r for r in _rows(tmp_path / "out" / "exclusions.csv") if r["program"] == "family_allowance"]
    assert [(r["reason"], r["detail"], r["households"], r["persons"]) for r in rows] == [
        ("above_threshold", "index above 9.743001", "1", "1"),
        ("deceased", "declared member deceased", "1", "1"),
        ("duplicate", "declared in another household", "1", "1"),
        ("not_in_register", "declared member not in the register", "1", "1"),
    ]
    assert {r["period"] for r in rows} == {"2026-01"}
    amo = {
        (r["reason"], r["detail"]): (r["households"], r["persons"])
        for r in _rows(tmp_path / "out" / "exclusions.csv")
        if r["program"] == "amo_tadamon"
    }
    assert amo[("above_threshold", "index above 9.3264284")] == ("1", "1")
    assert amo[("duplicate", "declared in another household")] == ("1", "1")


def _record_death(register: Register, key: str, on: str) -> None:
    from sijill.register import record_death

    with session_scope(register.engine) as session:
        record_death(session, uin=register.uin(key), death_date=on, by="registrar")


def test_deaths_recorded_as_life_events_of_the_register_reach_the_next_cycles(
    register: Register, tmp_path: Path
) -> None:
    from sijill.social import household_flags, household_members

    run(register, "2026-03")
    assert amounts(register, "family_allowance", "2026-03") == {"family": 750, "single": 500}
    # A child dies in March, declared to the civil registry (no rebuild of the register).
    _record_death(register, "kid2", "2026-03-15")
    run(register, "2026-04")
    assert amounts(register, "family_allowance", "2026-04") == {"family": 500, "single": 500}
    assert exclusions(register, "family_allowance", "2026-04")[
        ("deceased", "member died before the period")
    ] == (1, 1)
    family = household_ids(register)["family"]
    with session_scope(register.engine) as session:
        flags = {(f["kind"], f["reason"]) for f in household_flags(session=session, household_id=family)}
        ended = [
            (m["uin"], m["status"], m["reason"])
            for m in household_members(session=session, household_id=family)
            if m["status"] != "active"
        ]
    assert flags == {
        ("member_deceased", "a member (daughter) died after the declaration: recertify the household")
    }
    assert ended == [(register.uin("kid2"), "ended", "death")]
    # The mother, who receives the allowance, dies after the April cycle was approved.
    _approve(register, "2026-04")
    _record_death(register, "mother", "2026-04-10")
    _release(register, "2026-04", tmp_path / "bank")
    released = _rows(tmp_path / "bank" / "family_allowance.release.csv")
    assert [r["uin"] for r in released] == [register.uin("single")]
    run(register, "2026-05")
    assert recipient(register, "family_allowance", "2026-05", "family") == register.uin("father")
    assert amounts(register, "family_allowance", "2026-05") == {"family": 500, "single": 500}
