"""Life events and operator merges on a register: latency of each, one transaction each.

It WRITES the register it is given: run it on a copy (`cp register.db /tmp/copy.db`).

    uv run --no-sync python bench/events.py --db sqlite:////tmp/copy.db --n 20
"""

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.db.engine import create_engine_for, migrate, session_scope
from sijill.db.locks import writer_session
from sijill.register import (
    BirthDeclaration,
    Person,
    change_address,
    declare_birth,
    merge_persons,
    person_at,
    record_death,
)

COMMUNE = "01.511.01.01"


def _report(label: str, ms: list[float]) -> None:
    ranked = sorted(ms)
    p95 = ranked[min(len(ranked) - 1, int(0.95 * len(ranked)))]
    print(f"{label:10} p50 {statistics.median(ms):7.1f} ms  p95 {p95:7.1f} ms  ({len(ms)} runs)", flush=True)


def _timed(engine: object, label: str, fn: Callable[[Session, int], object], n: int) -> None:
    ms = []
    for i in range(n):
        start = time.perf_counter()
        with writer_session(engine) as session:  # type: ignore[arg-type]
            fn(session, i)
        ms.append((time.perf_counter() - start) * 1000)
    _report(label, ms)


def main() -> None:
    """Time births, deaths, changes of address, merges and state reads."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--n", type=int, default=20)
    args = parser.parse_args()
    engine = create_engine_for(args.db)
    migrate(engine)
    n = args.n
    with session_scope(engine) as session:
        stmt = select(Person.uin).where(
            Person.status == "active", Person.sex == "F", Person.birth_date < "1990-01-01"
        )
        uins = list(session.scalars(stmt.limit(5 * n)))
        persons = len(list(session.scalars(select(Person.id).limit(2_000_000))))
    print(f"register of {persons} persons ({engine.dialect.name})")
    child = BirthDeclaration("F", "2026-11-30", COMMUNE, family_lat="alaoui", given_lat="amina")
    _timed(engine, "birth", lambda s, i: declare_birth(s, child=child, mother_uin=uins[i], by="bench"), n)
    _timed(
        engine, "death", lambda s, i: record_death(s, uin=uins[n + i], death_date="2026-11-29", by="bench"), n
    )
    _timed(
        engine, "address", lambda s, i: change_address(s, uin=uins[2 * n + i], commune=COMMUNE, by="bench"), n
    )
    _timed(
        engine,
        "merge",
        lambda s, i: merge_persons(
            s, survivor_uin=uins[3 * n + i], absorbed_uin=uins[4 * n + i], reason="b", by="b"
        ),
        n,
    )
    ms = []
    for uin in uins[: 5 * n]:
        start = time.perf_counter()
        with session_scope(engine) as session:
            person_at(session, uin=uin, at=datetime.now(UTC))
        ms.append((time.perf_counter() - start) * 1000)
    _report("person_at", ms)
    engine.dispose()


if __name__ == "__main__":
    main()
