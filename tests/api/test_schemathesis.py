"""Schemathesis against the OpenAPI of a running server on PostgreSQL: no input, however odd,
makes the services fail with a server error."""

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance

from sijill.db.engine import session_scope
from sijill.identity import FIELDS, OPERATIONS, SOURCES, Policy, add_agency
from tests.api.conftest import Server, serve

MAX_EXAMPLES = 40


@pytest.fixture(scope="module")
def live_server(small_sources: Path) -> Iterator[Server]:
    """One server on a PostgreSQL register built by Splink (every operation, online matching too,
    can answer), with an agency allowed everything."""
    import uuid

    from sqlalchemy import text

    from sijill.db.engine import create_engine_for, migrate
    from sijill.linkage.splink_linker import SplinkLinker
    from sijill.register.flows import run_build
    from tests.identity.conftest import _pg_admin, _pg_url

    name = f"sijill_test_api_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    with admin.connect() as con:
        con.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine_for(_pg_url(name))
    migrate(engine)
    run_build(engine=engine, sources_dir=small_sources, linker=SplinkLinker(), today=date(2026, 1, 1))
    everything = Policy(
        purpose="fuzzing", operations=OPERATIONS, fields=FIELDS, sources=SOURCES, sector="fuzz"
    )
    with session_scope(engine) as session:
        credential = add_agency(
            session=session, name="fuzzer", policy=everything, rate_per_second=100_000
        ).credential
    for running in serve(engine):
        running.agencies = {"fuzzer": credential}
        yield running
    engine.dispose()
    with admin.connect() as con:
        con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_no_input_makes_a_server_error(live_server: Server) -> None:
    schema = schemathesis.openapi.from_url(f"{live_server.url}/openapi.json")
    headers = {"Authorization": f"Bearer {live_server.agencies['fuzzer']}"}
    labels = []
    for result in schema.get_all_operations():
        operation = result.ok()
        labels.append(operation.label)

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def no_server_error(case: Any) -> None:
            case.call_and_validate(
                base_url=live_server.url,
                headers=headers,
                checks=[not_a_server_error, content_type_conformance],
            )

        no_server_error()
    assert {"POST /v1/verify", "POST /registry/sync/search", "GET /v1/events", "POST /v1/match"} <= set(
        labels
    )
