"""The command line as a person uses it: exit codes, files written, figures printed."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from sijill.uin import new_uin


def sijill(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sijill", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )


def test_uin_check_exits_0_for_a_valid_uin_and_1_otherwise() -> None:
    uin = new_uin()
    assert sijill("uin", "check", uin).returncode == 0
    broken = uin[:-1] + str((int(uin[-1]) + 1) % 10)
    result = sijill("uin", "check", broken)
    assert result.returncode == 1
    assert "check digit" in result.stderr


def test_names_key_and_compare_print_keys_and_a_score() -> None:
    key = sijill("names", "key", "العلوي")
    assert key.returncode == 0 and "loose key:  LW" in key.stdout
    score = float(sijill("names", "compare", "محمد العلوي", "Mohammed EL ALAOUI").stdout)
    assert 0.9 < score <= 1.0


def test_a_second_build_links_only_what_changed_unless_full(small_sources: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    assert sijill("build", str(small_sources), "--db", db).returncode == 0
    again = sijill("build", str(small_sources), "--db", db)
    assert again.returncode == 0, again.stderr
    assert "mode delta" in again.stdout and "touched 0," in again.stdout
    full = sijill("build", str(small_sources), "--db", db, "--full")
    assert full.returncode == 0 and "mode full" in full.stdout


def test_build_export_and_evaluate_on_a_sources_directory(
    small_sources: Path, db_url: str, tmp_path: Path
) -> None:
    built = sijill("build", str(small_sources), "--db", db_url)
    assert built.returncode == 0, built.stderr
    assert "persons in the register" in built.stdout
    out = tmp_path / "crosswalk.csv"
    assert sijill("export", "crosswalk", "--out", str(out), "--db", db_url).returncode == 0
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with (small_sources / "truth.csv").open(encoding="utf-8") as f:
        assert len(rows) == sum(1 for _ in f) - 1
    scored = sijill("evaluate", "--truth", str(small_sources / "truth.csv"), "--db", db_url, "--json")
    figures = json.loads(scored.stdout)
    assert figures["overall"]["precision"] >= 0.99
    shown = sijill("model", "show", "--db", db_url)
    assert shown.returncode == 0 and "strict keys equal" in shown.stdout
    linked = [r for r in rows if r["uin"]]
    first = linked[0]
    second = next(r for r in linked[1:] if r["uin"] == first["uin"])
    explained = sijill(
        "linkage",
        "explain",
        f"{first['source']}:{first['source_id']}",
        f"{second['source']}:{second['source_id']}",
        "--db",
        db_url,
    )
    assert explained.returncode == 0, explained.stderr
    assert "prior" in explained.stdout and "birth_date" in explained.stdout
    assert sijill("quarantine", "--db", db_url).returncode == 0


def test_a_malformed_file_is_refused_with_exit_code_3(tmp_path: Path) -> None:
    (tmp_path / "cnss.csv").write_bytes("num_immatriculation,nom\n1,Bénié\n".encode("latin-1"))
    result = sijill("build", str(tmp_path), "--db", f"sqlite:///{tmp_path / 'r.db'}")
    assert result.returncode == 3
    assert "not UTF-8" in result.stderr


@pytest.mark.parametrize("args", [["build"], ["uin"], ["export", "crosswalk"]])
def test_usage_errors_exit_2(args: list[str]) -> None:
    assert sijill(*args).returncode == 2
