"""The services' commands as an operator uses them: agencies, the audit, residents, serve."""

import socket
import subprocess
import sys
import time

import httpx
from sqlalchemy import text

from sijill.db.engine import create_engine_for, session_scope
from tests.cli.test_cli import sijill
from tests.identity.conftest import built_pg, built_sqlite, register_url, residents

__all__ = ["built_pg", "built_sqlite", "register_url"]


def _credential(output: str) -> str:
    return next(line.strip() for line in output.splitlines() if line.strip().startswith("sjl_"))


def test_agencies_are_added_listed_rotated_and_revoked(register_url: str) -> None:
    added = sijill(
        "agencies", "add", "cnops", "--purpose", "health-insurance", "--operations", "verify,persons",
        "--fields", "birth_date", "--fields", "sex", "--db", register_url,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    first = _credential(added.stdout)
    listed = sijill("agencies", "list", "--db", register_url)
    assert "cnops" in listed.stdout and "health-insu" in listed.stdout and first not in listed.stdout
    rotated = sijill("agencies", "rotate", "cnops", "--db", register_url)
    assert rotated.returncode == 0 and _credential(rotated.stdout) != first
    again = sijill(
        "agencies",
        "add",
        "cnops",
        "--purpose",
        "health-insurance",
        "--operations",
        "verify",
        "--db",
        register_url,
    )
    assert again.returncode == 1 and "already has a policy" in again.stderr
    assert sijill("agencies", "revoke", "cnops", "--db", register_url).returncode == 0
    assert "revoked" in sijill("agencies", "list", "--db", register_url).stdout


def test_a_policy_that_cannot_work_is_refused_with_its_reason(register_url: str) -> None:
    for args, says in (
        (["--operations", "tokens"], "needs --sector"),
        (["--operations", "resolve", "--fields", "uin"], "needs --sources"),
        (["--operations", "verify", "--fields", "salary"], "unknown field salary"),
        (["--operations", "events.births", "--sources", "cnss"], "give --sources civil"),
        (["--operations", "events.read"], "events.read names persons by UIN"),
    ):
        result = sijill("agencies", "add", "x1", "--purpose", "testing", *args, "--db", register_url)
        assert result.returncode == 2 and says in result.stderr, result.stderr


def test_audit_verify_exits_1_naming_a_tampered_entry(register_url: str) -> None:
    person = residents(create_engine_for(register_url), 1)[0]
    sijill("residents", "lock", person.uin, "--by", "amina", "--db", register_url)
    sijill("residents", "unlock", person.uin, "--by", "amina", "--db", register_url)
    ok = sijill("audit", "verify", "--db", register_url)
    assert ok.returncode == 0 and "2 entries" in ok.stdout and "intact" in ok.stdout
    head = ok.stdout.split("head ")[1].split()[0].rstrip(";")
    engine = create_engine_for(register_url)
    with session_scope(engine) as session:
        if engine.dialect.name == "postgresql":
            session.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            session.execute(text("DROP TRIGGER audit_log_no_update"))
        session.execute(text("UPDATE audit_log SET agency = 'nobody' WHERE seq = 1"))
    engine.dispose()
    bad = sijill("audit", "verify", "--anchor", head, "--db", register_url)
    assert bad.returncode == 1 and "entry 1: altered" in bad.stderr
    accesses = sijill("audit", "accesses", person.uin, "--db", register_url)
    assert "operator.lock" in accesses.stdout and "operator.unl" in accesses.stdout
    sijill("residents", "lock", person.uin, "--by", "amina", "--db", register_url)
    with session_scope(engine) as session:
        if engine.dialect.name == "postgresql":
            session.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            session.execute(text("DROP TRIGGER audit_log_no_delete"))
        session.execute(text("DELETE FROM audit_log WHERE seq = 2"))
    engine.dispose()
    removed = sijill("audit", "verify", "--db", register_url)
    assert removed.returncode == 1 and "entry 2: removed" in removed.stderr


def test_an_operator_issues_and_revokes_a_vid_for_a_resident(register_url: str) -> None:
    person = residents(create_engine_for(register_url), 1)[0]
    issued = sijill("residents", "vid-issue", person.uin, "--by", "amina", "--db", register_url)
    assert issued.returncode == 0, issued.stderr
    vid = issued.stdout.split()[-1]
    assert len(vid) == 16
    assert sijill("residents", "vid-issue", person.uin, "--by", "amina", "--db", register_url).returncode == 1
    assert sijill("residents", "vid-revoke", vid, "--by", "amina", "--db", register_url).returncode == 0
    assert "revoked" in sijill("residents", "vids", person.uin, "--db", register_url).stdout
    assert sijill("residents", "lock", "1234567890", "--by", "amina", "--db", register_url).returncode == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_publishes_the_openapi_and_the_docs_and_logs_no_path(register_url: str) -> None:
    uin = residents(create_engine_for(register_url), 1)[0].uin
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sijill",
            "serve",
            "--db",
            register_url,
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                spec = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.3)
        assert spec.status_code == 200 and "/v1/verify" in spec.json()["paths"]
        assert httpx.get(f"http://127.0.0.1:{port}/docs", timeout=5).status_code == 200
        assert httpx.post(f"http://127.0.0.1:{port}/v1/verify", json={}, timeout=5).status_code == 401
        assert httpx.get(f"http://127.0.0.1:{port}/v1/persons/{uin}", timeout=5).status_code == 401
    finally:
        server.terminate()
        out, err = server.communicate(timeout=60)
    assert b"Traceback" not in err
    assert uin.encode() not in out + err  # no access log: paths hold UINs


def test_agencies_notify_reports_what_it_sent(register_url: str) -> None:
    result = sijill("agencies", "notify", "--db", register_url)
    assert result.returncode == 0, result.stderr
    assert "0 subscriptions: 0 events sent, 0 not acknowledged" in result.stdout


def test_agencies_notify_every_runs_as_a_dispatcher_for_its_rounds(register_url: str) -> None:
    result = sijill("agencies", "notify", "--every", "0.05", "--rounds", "3", "--db", register_url)
    assert result.returncode == 0, result.stderr
    assert "3 rounds done" in result.stdout
    refused = sijill("agencies", "notify", "--every", "0", "--db", register_url)
    assert refused.returncode == 2 and "--every" in refused.stderr


def test_agencies_notify_rounds_without_every_is_a_usage_error(register_url: str) -> None:
    result = sijill("agencies", "notify", "--rounds", "2", "--db", register_url)
    assert result.returncode == 2 and "--rounds needs --every" in result.stderr
