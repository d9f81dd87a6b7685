"""One writer at a time: concurrent builds wait for each other or are refused, never interleave."""

import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import Engine, func, select

from sijill.db.engine import create_engine_for, session_scope
from sijill.db.locks import writer_session
from sijill.sources.models import ACCEPTED, SourceRecord


def _start(sources: Path, db_url: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sijill",
            "build",
            str(sources),
            "--db",
            db_url,
            "--engine",
            "deterministic",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )


def _accepted_duplicates(engine: Engine) -> int:
    with session_scope(engine) as session:
        stmt = (
            select(SourceRecord.source, SourceRecord.source_id)
            .where(SourceRecord.status == ACCEPTED)
            .group_by(SourceRecord.source, SourceRecord.source_id)
            .having(func.count() > 1)
        )
        return len(session.execute(stmt).all())


def _fresh_url(db_url: str, tmp_path: Path) -> str:
    """The same backend, but a database holding no schema yet (the fixture's is migrated)."""
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    engine = create_engine_for(db_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    engine.dispose()
    return db_url


def test_two_builds_started_together_both_finish_one_after_the_other(
    db_url: str, small_sources: Path, tmp_path: Path
) -> None:
    url = _fresh_url(db_url, tmp_path)
    first = _start(small_sources, url, "--wait", "300")
    time.sleep(0.3)
    second = _start(small_sources, url, "--wait", "300")
    outs = [p.communicate(timeout=600) for p in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], [err for _, err in outs]
    assert all("Traceback" not in err for _, err in outs)
    engine = create_engine_for(url)
    assert _accepted_duplicates(engine) == 0
    engine.dispose()


def test_a_writer_that_may_not_wait_is_refused_with_a_message(db_url: str, small_sources: Path) -> None:
    engine = create_engine_for(db_url)
    with writer_session(engine) as session:
        session.execute(select(1))  # the writer lock is held until this block ends
        second = _start(small_sources, db_url, "--wait", "1")
        _, err = second.communicate(timeout=600)
    engine.dispose()
    assert second.returncode == 7, err
    assert "another writer" in err and "Traceback" not in err


def test_readers_do_not_wait_for_a_writer(engine: Engine) -> None:
    with writer_session(engine) as session:
        session.execute(select(1))
        with session_scope(engine) as reader:
            assert reader.scalar(select(func.count()).select_from(SourceRecord)) == 0
