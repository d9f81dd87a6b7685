"""Fixtures of the linkage tests: a small register linked by Splink."""

from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sijill.db.engine import create_engine_for, session_scope
from sijill.linkage.features import linkage_frame, load_records
from sijill.linkage.service import latest_model
from sijill.linkage.spellings import load_spellings
from sijill.linkage.splink_linker import SplinkLinker
from sijill.register.flows import run_build


@pytest.fixture(scope="session")
def built(
    tmp_path_factory: pytest.TempPathFactory, small_sources: Path
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """A register of the small synthetic population linked by Splink: its records, features, model."""
    url = f"sqlite:///{tmp_path_factory.mktemp('online') / 'register.db'}"
    engine = create_engine_for(url)
    run_build(engine=engine, sources_dir=small_sources, linker=SplinkLinker(), today=date(2026, 1, 1))
    with session_scope(engine) as session:
        records = load_records(session=session)
        frame = linkage_frame(records, load_spellings(session=session))
        model = latest_model(session=session)
        assert model is not None
        settings = model.settings
    engine.dispose()
    return records, frame, settings
