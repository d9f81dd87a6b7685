"""The demo report: one self-contained page with its charts and the figures of the register."""

import re
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from sijill.db.engine import session_scope
from sijill.linkage.deterministic import DeterministicLinker
from sijill.register import run_build
from sijill.reports.report import write_report


def test_the_report_holds_its_charts_and_references_nothing_outside(
    engine: Engine, small_sources: Path, tmp_path: Path
) -> None:
    run_build(engine=engine, sources_dir=small_sources, linker=DeterministicLinker(), today=date(2026, 1, 1))
    out = tmp_path / "report" / "report.html"
    with session_scope(engine) as session:
        write_report(session=session, out=out, truth_path=small_sources / "truth.csv", census_share=2e-5)
    page = out.read_text(encoding="utf-8")
    assert page.count("<svg") >= 10
    assert "pairwise precision" in page and "Coverage by region" in page and "largest gap" in page
    assert not re.search(r"(src|href)\s*=|url\(|@import|https?://", page)
