"""Fixtures of the services: a built register on each backend, a running server, agencies."""

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine

from sijill.api.app import create_app
from sijill.api.settings import ApiSettings
from sijill.db.engine import session_scope
from sijill.identity import Policy, add_agency
from sijill.identity.notifiers import CollectingNotifier
from tests.identity.conftest import Resident, built_pg, built_sqlite, register, register_url, residents

__all__ = ["Resident", "built_pg", "built_sqlite", "register", "register_url", "residents"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running server on a register, with the codes its notifier was given."""

    url: str
    engine: Engine
    notifier: CollectingNotifier
    agencies: dict[str, str] = field(default_factory=dict)

    def client(self, credential: str | None = None) -> httpx.Client:
        """Return a client of the server, authenticated as an agency when a credential is given."""
        headers = {"Authorization": f"Bearer {credential}"} if credential else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def serve(engine: Engine, settings: ApiSettings | None = None) -> Iterator[Server]:
    """Run the app on uvicorn in a thread until the test ends."""
    notifier = CollectingNotifier()
    app = create_app(engine=engine, notifier=notifier, settings=settings)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield Server(f"http://127.0.0.1:{port}", engine, notifier)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


# The agencies of the tests: what each may do, as a ministry would grant it.
POLICIES: dict[str, tuple[Policy, int]] = {
    "bank": (Policy(purpose="account-opening", operations=("verify",)), 1000),
    "cnops": (
        Policy(
            purpose="health-insurance",
            operations=("verify", "persons", "resolve", "tokens"),
            fields=("family_name_lat", "given_name_lat", "birth_date", "sex"),
            sources=("cnss",),
            sector="health",
        ),
        1000,
    ),
    "cnss": (
        Policy(
            purpose="social-security",
            operations=("resolve", "persons"),
            fields=("uin", "birth_date", "death_date"),
            sources=("cnss", "cnie"),
        ),
        1000,
    ),
    "schools": (
        Policy(
            purpose="enrolment",
            operations=("tokens", "resolve", "events.read"),
            sources=("massar",),
            sector="education",
        ),
        1000,
    ),
    "civil": (
        Policy(
            purpose="civil-registration",
            operations=("events.births", "events.deaths", "events.read", "registry.notify"),
            fields=("uin",),
            sources=("civil",),
        ),
        1000,
    ),
    "spp": (
        Policy(
            purpose="social-protection",
            operations=("registry.search", "registry.subscribe", "match"),
            fields=("uin", "family_name_lat", "given_name_lat", "birth_date", "sex"),
            sources=("civil",),
        ),
        1000,
    ),
    "slow": (Policy(purpose="throttled", operations=("verify",)), 2),
}


def add_agencies(engine: Engine) -> dict[str, str]:
    """Create the agencies of POLICIES; return each one's credential."""
    with session_scope(engine) as session:
        return {
            name: add_agency(session=session, name=name, policy=policy, rate_per_second=rate).credential
            for name, (policy, rate) in POLICIES.items()
        }


@pytest.fixture
def server(register: Engine) -> Iterator[Server]:
    """A running server on a fresh register, with the agencies of POLICIES."""
    credentials = add_agencies(register)
    for running in serve(register):
        running.agencies = credentials
        yield running
