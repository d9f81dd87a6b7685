"""Program figures: each cycle's amount split by the recipient's sex adds up to the cycle's."""

from datetime import date
from pathlib import Path

from sqlalchemy import Engine, select

from sijill.db.engine import session_scope
from sijill.linkage.deterministic import DeterministicLinker
from sijill.register import run_build
from sijill.reports.coverage import person_communes
from sijill.reports.programs import program_figures
from sijill.reports.report import write_report


def _social_register(engine: Engine, sources: Path, out: Path) -> None:
    from sijill.social import import_households, run_cycle

    run_build(engine=engine, sources_dir=sources, linker=DeterministicLinker(), today=date(2026, 1, 1))
    with session_scope(engine) as session:
        import_households(
            session=session, path=sources / "households.csv", declared_on=date(2025, 12, 1), by="c"
        )
    with session_scope(engine) as session:
        run_cycle(session=session, period="2026-01", by="preparer", out_dir=out)


def test_each_cycle_is_split_by_sex_of_the_recipient_without_losing_a_dirham(
    engine: Engine, small_sources: Path, tmp_path: Path
) -> None:
    from sijill.social import Household, HouseholdMember, cycle_amounts

    _social_register(engine, small_sources, tmp_path / "cycle")
    with session_scope(engine) as session:
        figures = program_figures(session=session)
        cycles = {(c["program"], c["period"]): c for c in cycle_amounts(session=session)}
        placed = person_communes(session=session)
        stmt = (
            select(HouseholdMember.person_id, Household.commune)
            .join(Household, Household.id == HouseholdMember.household_id)
            .where(HouseholdMember.status == "active")
        )
        homes = {person: commune for person, commune in session.execute(stmt)}
    assert {p.program for p in figures} == {program for program, _ in cycles}
    paid = 0
    for p in figures:
        for c in p.cycles:
            assert sum(c.amount_by_sex.values()) == c.amount == cycles[(p.program, c.period)]["amount_mad"]
            assert sum(c.households_by_sex.values()) == c.households
            paid += c.amount
        assert sum(sum(n.values()) for _, _, n in p.regions) == (p.latest.households if p.latest else 0)
    assert paid > 0
    assert all(placed[person] == commune for person, commune in homes.items() if person in placed)
    out = tmp_path / "report.html"
    with session_scope(engine) as session:
        write_report(session=session, out=out)
    assert "Programs: reach and amounts per cycle" in out.read_text(encoding="utf-8")
