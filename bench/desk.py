"""Benchmark the review desk over real HTTP: page latency, and the queue at a national size.

uv run python bench/desk.py --db sqlite:///demo/sijill.db     # a register made by `sijill demo`
uv run python bench/desk.py --persons 50000                     # build one first (use the heavy lock)

The anchor is the issue's: a 50,000-person build queues about 800 pairs, and the queue holds
20,000 pairs at 1M persons. The queue is timed as built, then with pending pairs added (pairs
of random records, the evidence of a real item) up to 20,000, in a copy of the register.
"""

import argparse
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.web.conftest import DeskServer

from sijill.db.engine import create_engine_for, migrate, session_scope
from sijill.linkage import ReviewItem
from sijill.register import Person, run_build
from sijill.sources import SourceRecord
from sijill.synth import generate
from sijill.web import create_user
from sijill.web.queue import claim_next, queue_entries
from sijill.web.search import refresh_name_index

NATIONAL_QUEUE = 20_000
REPEAT = 15
PASSWORD = "bench-password-1"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _median_ms(action: Callable[[], object], repeat: int = REPEAT) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _register(args: argparse.Namespace, work: Path) -> str:
    if args.db:
        source = Path(args.db.removeprefix("sqlite:///"))
        copy = work / "register.db"
        shutil.copy(source, copy)
        return f"sqlite:///{copy}"
    sources = work / "sources"
    generate(sources, persons=args.persons, seed=1)
    url = f"sqlite:///{work / 'register.db'}"
    engine = create_engine_for(url)
    migrate(engine)
    from sijill.linkage import linker_for

    run_build(engine=engine, sources_dir=sources, linker=linker_for("splink"))
    engine.dispose()
    return url


def _bench_user(url: str) -> None:
    engine = create_engine_for(url)
    with session_scope(engine) as session:
        create_user(session=session, name="bench-auditor", role="auditor", password=PASSWORD)
        create_user(session=session, name="bench-reviewer", role="reviewer", password=PASSWORD)
        refresh_name_index(session=session)
    engine.dispose()


def _client(base: str, name: str) -> tuple[httpx.Client, str]:
    http = httpx.Client(base_url=base, follow_redirects=True, timeout=120)
    token = _CSRF.search(http.get("/desk/login").text)
    assert token is not None
    page = http.post("/desk/login", data={"csrf": token.group(1), "name": name, "password": PASSWORD})
    csrf = _CSRF.search(page.text)
    assert csrf is not None
    return http, csrf.group(1)


def _pages(url: str) -> None:
    engine = create_engine_for(url)
    with session_scope(engine) as session:
        person = session.scalars(
            select(Person).where(Person.family_ar.is_not(None), Person.family_lat.is_not(None)).limit(1)
        ).one()
        arabic, latin = f"{person.given_ar} {person.family_ar}", f"{person.family_lat} {person.given_lat}"
        uin, pid = person.uin, person.id
    engine.dispose()
    server = DeskServer(url)
    server.start()
    try:
        auditor, csrf = _client(server.base, "bench-auditor")
        reviewer, rcsrf = _client(server.base, "bench-reviewer")
        figures = {
            "review queue page": lambda: reviewer.get("/desk/review"),
            "next pair (claim + page)": lambda: reviewer.post("/desk/review/next", data={"csrf": rcsrf}),
            "search by UIN": lambda: auditor.post("/desk/persons", data={"csrf": csrf, "q": uin}),
            "search Arabic name": lambda: auditor.post("/desk/persons", data={"csrf": csrf, "q": arabic}),
            "search Latin name": lambda: auditor.post("/desk/persons", data={"csrf": csrf, "q": latin}),
            "person page": lambda: auditor.get(f"/desk/persons/{pid}"),
            "coverage dashboard": lambda: auditor.get("/desk/dashboards/coverage"),
            "quality dashboard": lambda: auditor.get("/desk/dashboards/quality"),
        }
        print("page | median ms | pages/s")
        for name in ("coverage dashboard", "quality dashboard"):
            start = time.perf_counter()
            figures[name]()
            print(f"{name}, first view after a change | {(time.perf_counter() - start) * 1000:.1f} | -")
        for name, action in figures.items():
            ms = _median_ms(action, 5 if "dashboard" in name else REPEAT)
            print(f"{name} | {ms:.1f} | {1000 / ms:.1f}")
        decisions = []
        for _ in range(10):
            item = re.search(
                r"/review/(\d+)", str(reviewer.post("/desk/review/next", data={"csrf": rcsrf}).url)
            )
            if item is None:
                break
            start = time.perf_counter()
            reviewer.post(f"/desk/review/{item.group(1)}", data={"csrf": rcsrf, "decision": "non_match"})
            decisions.append(time.perf_counter() - start)
        if decisions:
            ms = statistics.median(decisions) * 1000
            print(f"decision (keep apart, next pair) | {ms:.1f} | {1000 / ms:.1f}")
    finally:
        server.stop()


def _queue_at(url: str, size: int) -> tuple[int, float, float]:
    """Grow the pending queue to `size` pairs; return its size, the time to order it (its top
    50, as the queue page shows) and to claim the next pair."""
    engine = create_engine_for(url)
    with session_scope(engine) as session:
        pending = int(session.scalar(select(func.count()).where(ReviewItem.status == "pending")) or 0)
        model = session.scalars(select(ReviewItem).limit(1)).first()
        ids = list(session.scalars(select(SourceRecord.id).where(SourceRecord.status == "accepted")))
        known = {(a, b) for a, b in session.execute(select(ReviewItem.record_id_l, ReviewItem.record_id_r))}
        rng = random.Random(7)
        while pending < size:
            a, b = sorted(rng.sample(ids, 2))
            if (a, b) in known:
                continue
            known.add((a, b))
            session.add(
                ReviewItem(
                    record_id_l=a,
                    record_id_r=b,
                    match_weight=rng.uniform(2, 6),
                    evidence=model.evidence if model else {},
                )
            )
            pending += 1
    with session_scope(engine) as session:
        order = _median_ms(lambda: queue_entries(session=session, limit=50), 5)
        user = session.scalar(select(func.min(func.coalesce(ReviewItem.id, 0))))
        from sijill.web.models import DeskUser

        reviewer = session.scalar(select(DeskUser.id).where(DeskUser.name == "bench-reviewer"))
        assert reviewer is not None and user is not None
        start = time.perf_counter()
        claim_next(session=session, user_id=reviewer)
        claim = (time.perf_counter() - start) * 1000
        session.rollback()
    engine.dispose()
    return pending, order, claim


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", help="sqlite:///PATH of a built register (copied, never changed)")
    parser.add_argument("--persons", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="web_bench_") as tmp:
        url = _register(args, Path(tmp))
        _bench_user(url)
        _pages(url)
        built, order, claim = _queue_at(url, 0)
        print(
            f"\nqueue as built: {built:,} pending pairs; ordered in {order:.0f} ms, claimed in {claim:.0f} ms"
        )
        grown, order20, claim20 = _queue_at(url, NATIONAL_QUEUE)
        print(
            f"queue at the 1M anchor: {grown:,} pending pairs; ordered in {order20:.0f} ms "
            f"({order20 / max(order, 1e-9):.1f}x), next claimed in {claim20:.0f} ms"
        )


if __name__ == "__main__":
    main()
