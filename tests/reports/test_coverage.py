"""Coverage against the census: persons placed by residence first, largest gap first."""

from datetime import date
from pathlib import Path

from sqlalchemy import Engine, func, select

from sijill.db.engine import session_scope
from sijill.geo import communes, regions
from sijill.linkage.deterministic import DeterministicLinker
from sijill.register import PERSON_ACTIVE, Person, run_build
from sijill.reports.coverage import coverage, person_communes
from sijill.reports.quality import linkage_quality


def _build(engine: Engine, sources: Path) -> None:
    run_build(engine=engine, sources_dir=sources, linker=DeterministicLinker(), today=date(2026, 1, 1))


def test_each_active_person_is_placed_in_a_known_commune_or_counted_unplaced(
    engine: Engine, small_sources: Path
) -> None:
    _build(engine, small_sources)
    share = 800 / sum(c.population for c in communes().values())
    with session_scope(engine) as session:
        placed = person_communes(session=session)
        figures = coverage(session=session, share=share)
        active = session.scalar(select(func.count()).where(Person.status == PERSON_ACTIVE))
    assert set(placed.values()) <= set(communes())
    assert figures.persons == active and figures.unplaced == active - len(placed)
    assert (
        sum(a.persons for a in figures.regions)
        == len(placed)
        == sum(a.persons for a in figures.commune_types)
    )
    assert [a.code for a in figures.regions] == sorted(regions())
    assert sum(a.census for a in figures.regions) == sum(c.population for c in communes().values())
    gaps = [a.gap for a in figures.communes]
    assert gaps == sorted(gaps, reverse=True) and len(figures.communes) == len(communes())
    assert 0.5 < figures.national.coverage <= 1.0


def test_the_quality_figures_add_up_to_the_register(engine: Engine, small_sources: Path) -> None:
    _build(engine, small_sources)
    with session_scope(engine) as session:
        q = linkage_quality(session=session)
    assert sum(q.links_by_method.values()) == q.records == sum(q.records_by_source.values())
    assert sum(q.sources_per_person.values()) == q.persons
    assert q.builds and q.builds[-1]["persons"] == q.persons
    assert q.backlog.pending == 0  # the deterministic linker queues nothing
