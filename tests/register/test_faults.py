"""kill -9 at any point of a build leaves the register consistent, and a re-run gives the same persons."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from sijill.db.engine import create_engine_for, migrate
from sijill.synth import generate
from tests.register.consistency import check_register
from tests.register.test_determinism import partition

ENV = {"COLUMNS": "200", "PATH": "/usr/bin:/bin"}
KILL_AFTER = (0.8, 2.0, 3.5)  # seconds into a build: reading, linking, writing persons


def _build(sources: Path, url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sijill", "build", str(sources), "--db", url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )


@pytest.fixture(scope="module")
def fault_sources(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A first extract and a later one (more persons), for an initial and an incremental build."""
    root = tmp_path_factory.mktemp("faults")
    generate(root / "later", persons=2500, seed=13)
    first = root / "first"
    first.mkdir()
    for path in (root / "later").glob("*.csv"):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        (first / path.name).write_text("".join(lines[: 1 + (len(lines) - 1) * 4 // 5]), encoding="utf-8")
    return first, root / "later"


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["first", "later"])
def test_a_killed_build_leaves_a_consistent_register_and_a_rerun_the_same_persons(
    engine: Engine, db_url: str, fault_sources: tuple[Path, Path], tmp_path: Path, stage: str
) -> None:
    first, later = fault_sources
    reference = create_engine_for(f"sqlite:///{tmp_path / 'reference.db'}")
    migrate(reference)
    for sources in (first, later)[: 1 if stage == "first" else 2]:
        assert _build(sources, str(reference.url)).wait(timeout=600) == 0
    expected = partition(reference)
    reference.dispose()
    if stage == "later":
        assert _build(first, db_url).wait(timeout=600) == 0
    target = first if stage == "first" else later
    for delay in KILL_AFTER:
        process = _build(target, db_url)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        check_register(engine)
    assert _build(target, db_url).wait(timeout=600) == 0
    check_register(engine)
    assert partition(engine) == expected
