"""Benchmark `POST /v1/verify` on a national register, against a bare FastAPI anchor, same run.

The register is copied (never written), migrated, given one agency; the server runs as
`sijill serve --workers N` and is loaded from a separate process on loopback with keep-alive
connections, bounded by a number of requests and a time limit. The audit is on: every
answered call is in the hash-chained log, which is checked at the end. The anchor is a bare
FastAPI + uvicorn app doing one SQLite lookup per request, loaded the same way.

    flock /tmp/sijill-heavy.lock uv run python bench/api.py --db /tmp/shared-1m/register.db
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, inspect, select

DEFAULT_DB = Path("/tmp/shared-1m/register.db")
MISMATCH_SHARE = 0.2


# ---------------------------------------------------------------- the anchor: bare FastAPI


def anchor_app() -> Any:
    """A bare FastAPI app doing one SQLite lookup per request (the figure to compare with)."""
    import threading

    from fastapi import FastAPI
    from pydantic import BaseModel

    path = os.environ["SIJILL_BENCH_ANCHOR_DB"]
    local = threading.local()
    app = FastAPI()

    class Body(BaseModel):
        uin: str
        family_name: str | None = None
        given_name: str | None = None
        date_of_birth: str | None = None
        sex: str | None = None

    class Answer(BaseModel):
        match: bool

    def connection() -> sqlite3.Connection:
        if not hasattr(local, "con"):
            local.con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        return local.con  # type: ignore[no-any-return]

    @app.post("/v1/verify")
    def verify(body: Body) -> Answer:
        row = connection().execute("SELECT birth_date FROM person WHERE uin = ?", (body.uin,)).fetchone()
        return Answer(match=row is not None and row[0] == body.date_of_birth)

    return app


# ---------------------------------------------------------------- the load, from another process


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection sending requests one after the other."""

    def __init__(self, requests: list[bytes], state: dict[str, Any]) -> None:
        self.requests, self.state = requests, state
        self.buffer = b""
        self.started = 0.0
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._send()

    def _send(self) -> None:
        s = self.state
        if s["sent"] >= s["limit"] or time.perf_counter() > s["deadline"]:
            self.transport.close()
            if not self.done.done():
                self.done.set_result(None)
            return
        request = self.requests[s["sent"] % len(self.requests)]
        s["sent"] += 1
        self.started = time.perf_counter()
        self.transport.write(request)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = self.buffer[:end].decode("latin-1").lower()
        length = int(head.split("content-length:")[1].split("\r\n")[0])
        if len(self.buffer) < end + 4 + length:
            return
        status = int(head[9:12])
        body = self.buffer[end + 4 : end + 4 + length]
        self.buffer = self.buffer[end + 4 + length :]
        s = self.state
        s["latencies"].append(time.perf_counter() - self.started)
        s["status"][status] = s["status"].get(status, 0) + 1
        if status == 200:
            s["matches"] += body.endswith(b"true}")
        self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)


async def _load(
    port: int, requests: list[bytes], limit: int, seconds: float, concurrency: int
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    state: dict[str, Any] = {
        "sent": 0,
        "limit": limit,
        "deadline": time.perf_counter() + seconds,
        "latencies": [],
        "status": {},
        "matches": 0,
    }
    began = time.perf_counter()
    conns = [
        (await loop.create_connection(lambda: _Connection(requests, state), "127.0.0.1", port))[1]
        for _ in range(concurrency)
    ]
    await asyncio.gather(*(c.done for c in conns))
    state["elapsed"] = time.perf_counter() - began
    return state


def _load_process(
    port: int, requests: list[bytes], limit: int, seconds: float, concurrency: int, out: Any
) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    out.put(asyncio.run(_load(port, requests, limit, seconds, concurrency)))


def load(port: int, requests: list[bytes], limit: int, seconds: float, concurrency: int) -> dict[str, Any]:
    """Load the server from a separate process; return its counts and latencies."""
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=_load_process, args=(port, requests, limit, seconds, concurrency, out))
    proc.start()
    result: dict[str, Any] = out.get()
    proc.join()
    return result


def _descendants(pid: int) -> list[int]:
    """Return a process and all its descendants (the server and its workers)."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            todo += [int(c) for c in task.read_text().split()]
    return found


def cpu_seconds(pid: int) -> float:
    """Return the CPU time (user + system) used so far by a process tree."""
    total = 0
    for p in _descendants(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def summary(name: str, r: dict[str, Any]) -> dict[str, Any]:
    """Print and return requests/s and latency percentiles of one run."""
    lat = sorted(r["latencies"])
    n = len(lat)
    figures = {
        "requests": n,
        "seconds": round(r["elapsed"], 2),
        "rps": round(n / r["elapsed"]),
        "p50_ms": round(lat[n // 2] * 1000, 2) if n else None,
        "p99_ms": round(lat[int(n * 0.99)] * 1000, 2) if n else None,
        "status": r["status"],
        "cpu_us": round(r["cpu"] / n * 1e6) if n else None,
    }
    print(
        f"{name:<22} {figures['rps']:>7,} req/s  p50 {figures['p50_ms']:>6} ms  p99 {figures['p99_ms']:>6} ms"
        f"  server CPU {figures['cpu_us']} us/request"
        f"  ({n:,} requests in {figures['seconds']} s, status {r['status']})"
    )
    return figures


# ---------------------------------------------------------------- the register and the servers


def copy_register(source: Path, work: Path) -> Path:
    """Copy a SQLite register consistently (the backup API), never writing the source.

    A copy already in the work directory is reused (the agency's credential is rotated).
    """
    target = work / "register.db"
    if target.exists():
        return target
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    return target


def prepare(db: Path, rate: int) -> str:
    """Migrate the copy and add the benchmark agency; return its credential."""
    from alembic import command

    from sijill.db.engine import alembic_config, create_engine_for, migrate, session_scope
    from sijill.identity import Policy, add_agency, list_agencies, rotate_credential

    engine = create_engine_for(f"sqlite:///{db}")
    if not inspect(engine).has_table("agency"):
        # A register made while the migration chain held only placeholders is stamped past
        # 0006 without its tables: mark it at 0005 so that 0006 runs for real.
        command.stamp(alembic_config(engine), "0005")
    migrate(engine)
    with session_scope(engine) as session:
        if any(a.name == "bench" for a in list_agencies(session=session)):
            issued = rotate_credential(session=session, name="bench")
        else:
            policy = Policy(purpose="benchmark", operations=("verify",))
            issued = add_agency(session=session, name="bench", policy=policy, rate_per_second=rate)
    engine.dispose()
    return issued.credential


def claims(db: Path, count: int, seed: int) -> list[dict[str, Any]]:
    """Draw persons and what an agency would claim of them; a share with a wrong given name."""
    rng = random.Random(seed)
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    top = con.execute("SELECT max(id) FROM person").fetchone()[0]
    ids = rng.sample(range(1, top + 1), min(count * 2, top))
    rows = con.execute(
        "SELECT uin, family_lat, given_lat, family_ar, given_ar, birth_date, sex FROM person "
        f"WHERE status = 'active' AND id IN ({','.join(map(str, ids))})"
    ).fetchall()
    con.close()
    given_names = [r[2] or r[4] for r in rows]
    out = []
    for uin, fam_lat, giv_lat, fam_ar, giv_ar, dob, sex in rows[:count]:
        body = {
            "uin": uin,
            "family_name": (fam_lat or fam_ar or "").upper() if rng.random() < 0.5 else (fam_ar or fam_lat),
            "given_name": giv_lat or giv_ar,
            "date_of_birth": dob,
            "sex": sex,
        }
        if rng.random() < MISMATCH_SHARE:
            body["given_name"] = rng.choice(given_names)
        out.append({k: v for k, v in body.items() if v})
    return out


def http_requests(bodies: list[dict[str, Any]], credential: str | None) -> list[bytes]:
    """Return raw HTTP/1.1 keep-alive requests for these bodies."""
    auth = f"Authorization: Bearer {credential}\r\n" if credential else ""
    out = []
    for b in bodies:
        payload = json.dumps(b, ensure_ascii=False).encode()
        head = (
            f"POST /v1/verify HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        )
        out.append(head.encode() + payload)
    return out


def free_port() -> int:
    """Return a free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    """Wait until the server answers on its port."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                time.sleep(1.0)  # let every worker finish its start-up
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("the server did not come up")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server started here and wait for it."""
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def serve_sijill(db: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    """Start `sijill serve` on the copy."""
    cmd = [sys.executable, "-m", "sijill", "serve", "--db", f"sqlite:///{db}", "--port", str(port)]
    return subprocess.Popen([*cmd, "--workers", str(workers)])


def serve_anchor(db: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    """Start the bare FastAPI anchor app with uvicorn."""
    env = {**os.environ, "SIJILL_BENCH_ANCHOR_DB": str(db)}
    cmd = [sys.executable, "-m", "uvicorn", "--app-dir", str(Path(__file__).parent), "api:anchor_app"]
    cmd += [
        "--factory",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    return subprocess.Popen(cmd, env=env)


def audit_check(db: Path) -> tuple[int, bool]:
    """Return the number of audit entries and whether the chain is intact."""
    from sijill.db.engine import create_engine_for, session_scope
    from sijill.identity import AuditEntry, verify_chain

    engine = create_engine_for(f"sqlite:///{db}")
    with session_scope(engine) as session:
        count = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
        intact = verify_chain(session=session).intact
    engine.dispose()
    return count, intact


def run(args: argparse.Namespace, work: Path) -> None:
    """Copy, prepare, then load the anchor and sijill in turn."""
    t = time.perf_counter()
    db = copy_register(args.db, work)
    credential = prepare(db, rate=100_000)
    bodies = claims(db, args.persons, args.seed)
    persons = (
        sqlite3.connect(f"file:{db}?mode=ro", uri=True).execute("SELECT count(*) FROM person").fetchone()[0]
    )
    print(
        f"register: {persons:,} persons (copied and prepared in {time.perf_counter() - t:.0f} s); "
        f"{len(bodies):,} distinct claims, {MISMATCH_SHARE:.0%} with a wrong given name"
    )
    print(
        f"load: {args.concurrency} keep-alive connections, at most {args.requests:,} requests or "
        f"{args.seconds:.0f} s, from a separate process; server: {args.workers} workers; "
        f"{os.cpu_count()} cores"
    )
    results = {}
    before_entries = audit_check(db)[0]
    for name, start, credential_used in (
        ("anchor (bare FastAPI)", serve_anchor, None),
        ("sijill /v1/verify", serve_sijill, credential),
    ):
        port = free_port()
        proc = start(db, port, args.workers)
        try:
            wait_ready(port, proc)
            reqs = http_requests(bodies, credential_used)
            warm = load(port, reqs[: min(len(reqs), 2000)], 2000, 10.0, args.concurrency)
            before = cpu_seconds(proc.pid)
            measured = load(port, reqs, args.requests, args.seconds, args.concurrency)
            measured["cpu"] = cpu_seconds(proc.pid) - before
            results[name] = summary(name, measured)
            results[name]["warm_up"] = len(warm["latencies"])
        finally:
            stop(proc)
    ours, anchor = results["sijill /v1/verify"], results["anchor (bare FastAPI)"]
    entries, intact = audit_check(db)
    answered = sum(ours["status"].values()) + ours["warm_up"] + before_entries
    print(f"ratio sijill / anchor: {ours['rps'] / anchor['rps']:.2f}")
    print(
        f"audit: {entries:,} entries, {answered:,} expected (earlier + warm-up + measured); intact: {intact}"
    )
    goal = ours["rps"] >= 2000 and ours["p99_ms"] <= 25
    print(f"goal >= 2,000 req/s with p99 <= 25 ms: {'met' if goal else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help="SQLite register to copy")
    parser.add_argument("--requests", type=int, default=60_000, help="At most this many requests per run")
    parser.add_argument("--seconds", type=float, default=30.0, help="At most this long per run")
    parser.add_argument("--concurrency", type=int, default=32, help="Keep-alive connections")
    parser.add_argument("--workers", type=int, default=2, help="Server worker processes")
    parser.add_argument("--persons", type=int, default=20_000, help="Distinct persons in the claims")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--work", type=Path, default=None, help="Scratch directory (default: a temporary one)"
    )
    args = parser.parse_args()
    if args.work is not None:
        args.work.mkdir(parents=True, exist_ok=True)
        run(args, args.work)
        return
    with tempfile.TemporaryDirectory(prefix="sijill-bench-api-") as work:
        run(args, Path(work))


if __name__ == "__main__":
    main()
