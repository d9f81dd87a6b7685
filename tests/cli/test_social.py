"""The social register's commands as an operator uses them, from a generated population."""

import csv
import json
from pathlib import Path

from sijill.social import load_index
from tests.cli.test_cli import sijill


def _ok(*args: str) -> str:
    result = sijill(*args)
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout


def test_households_cycles_four_eyes_release_reconcile_and_report(
    small_sources: Path, db_url: str, tmp_path: Path
) -> None:
    db = ("--db", db_url)
    _ok("build", str(small_sources), "--engine", "deterministic", *db)
    imported = _ok(
        "households",
        "import",
        str(small_sources / "households.csv"),
        "--by",
        "clerk",
        "--declared-on",
        "2025-12-01",
        *db,
    )
    assert "households created" in imported
    assert "scored" in _ok("index", "score", *db)
    out_a, out_b = tmp_path / "a", tmp_path / "b"
    ran = _ok("programs", "run", "--cycle", "2026-01", "--out", str(out_a), "--by", "amina", *db)
    assert "family_allowance" in ran
    _ok("programs", "run", "--cycle", "2026-01", "--out", str(out_b), "--by", "amina", *db)
    for name in ("family_allowance.csv", "amo_tadamon.csv", "exclusions.csv"):
        assert (out_a / name).read_bytes() == (out_b / name).read_bytes()
    refused = sijill("programs", "approve", "--cycle", "2026-01", "--by", "amina", *db)
    assert refused.returncode == 8 and "four eyes" in refused.stderr
    _ok("programs", "approve", "--cycle", "2026-01", "--by", "youssef", *db)
    bank = tmp_path / "bank"
    _ok("programs", "release", "--cycle", "2026-01", "--by", "youssef", "--out", str(bank), *db)
    with (bank / "family_allowance.release.csv").open(encoding="utf-8") as f:
        released = list(csv.DictReader(f))
    assert released
    status = tmp_path / "status.csv"
    with status.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(
            f, fieldnames=["program", "period", "household_id", "uin", "amount_mad", "status"]
        )
        writer.writeheader()
        writer.writerows(
            {**{k: r[k] for k in writer.fieldnames if k != "status"}, "status": "paid"} for r in released
        )
    reconciled = _ok("programs", "reconcile", str(status), *db)
    assert f"recorded: paid {len(released):,}" in reconciled
    assert "paid" in _ok("programs", "status", "--cycle", "2026-01", *db)
    report = tmp_path / "report.html"
    _ok(
        "programs",
        "report",
        "--cycle",
        "2026-01",
        "--out",
        str(report),
        "--survey",
        str(small_sources / "households.csv"),
        *db,
    )
    page = report.read_text(encoding="utf-8")
    assert (
        "<svg" in page
        and "Targeting errors" in page
        and "<script" not in page
        and "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )
    shown = json.loads(_ok("households", "show", released[0]["household_id"], "--json", *db))
    assert shown["entitlements"] and shown["score"]["scored"]


def test_index_fit_reports_the_targeting_errors_of_the_fitted_and_the_shipped_model(
    small_sources: Path, tmp_path: Path
) -> None:
    out = tmp_path / "fitted.toml"
    printed = _ok(
        "index", "fit", str(small_sources / "households.csv"), "--out", str(out), "--version", "fit-test"
    )
    lines = {line.split()[0]: line for line in printed.splitlines() if "exclusion error" in line}
    assert set(lines) == {"fitted", "shipped"}
    assert all("inclusion error" in line for line in lines.values())
    fitted = load_index(out)
    assert (fitted.version, fitted.status) == ("fit-test", "fitted")
    assert fitted.urban.terms != load_index().urban.terms


def test_an_invalid_program_directory_exits_2_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "broken.toml").write_text('id = "broken"\n', encoding="utf-8")
    result = sijill("programs", "list", "--programs", str(tmp_path))
    assert result.returncode == 2
    assert "broken.toml" in result.stderr


def test_change_requests_emergency_top_ups_and_explanations_from_the_command_line(
    small_sources: Path, db_url: str, tmp_path: Path
) -> None:
    from sqlalchemy import select

    from sijill.db.engine import create_engine_for, session_scope
    from sijill.social import Household

    db = ("--db", db_url)
    _ok("build", str(small_sources), "--engine", "deterministic", *db)
    households = str(small_sources / "households.csv")
    _ok("households", "import", households, "--by", "clerk", "--declared-on", "2025-12-01", *db)
    engine = create_engine_for(db_url)
    with session_scope(engine) as session:
        first = session.execute(select(Household.id, Household.commune).order_by(Household.id)).first()
        assert first is not None
        household, commune = first
        listed = set(session.scalars(select(Household.id).where(Household.commune == commune)))
    engine.dispose()
    other = "01.511.01.01" if commune != "01.511.01.01" else "04.441.01.0"
    switched = _ok(
        "programs", "emergency", "on", "--name", "flood", "--communes", commune,
        "--event-date", "2026-01-05", "--from", "2026-02", "--by", "operator", *db,
    )  # fmt: skip
    assert "1 communes, 2026-02 to 2027-01" in switched
    assert "flood" in _ok("programs", "emergency", "list", *db)
    # The first household moves away after the event: it keeps the top-up.
    move = json.dumps({"commune": other, "since": "2026-01-20"})
    filed = _ok("households", "change", str(household), "move", move, "--by", "clerk", *db)
    request = filed.split("change request ")[1].split()[0]
    assert "1 pending" in _ok("households", "pending", *db)
    refused = sijill("households", "approve", request, "--by", "clerk", *db)
    assert refused.returncode == 8 and "four eyes" in refused.stderr
    assert "approved" in _ok("households", "approve", request, "--by", "supervisor", *db)
    assert "0 pending" in _ok("households", "pending", *db)
    _ok("programs", "run", "--cycle", "2026-02", "--out", str(tmp_path / "out"), "--by", "amina", *db)
    with (tmp_path / "out" / "emergency_topup.csv").open(encoding="utf-8") as f:
        paid = list(csv.DictReader(f))
    assert {int(r["household_id"]) for r in paid} == listed
    assert {r["amount_mad"] for r in paid} == {"2500"}
    explained = _ok("index", "explain", str(household), *db)
    assert "area constant" in explained and "score" in explained
    assert "followed:" in _ok("households", "check", "--on", "2026-02-01", *db)
