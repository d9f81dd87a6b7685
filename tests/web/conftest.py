"""Fixtures of the desk: a built register on each backend, its users, a live server, clients."""

import re
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import create_engine, text

from sijill.db.engine import create_engine_for, migrate, session_scope
from sijill.linkage.splink_linker import SplinkLinker
from sijill.register import run_build
from sijill.web import create_desk_app, create_user
from tests.conftest import PG_ADMIN_URL

TODAY = date(2026, 1, 1)
# One user of each role, and a second reviewer to work the queue at the same time.
USERS = {
    "amina": ("reviewer", "amina-password-1"),
    "karim": ("reviewer", "karim-password-1"),
    "omar": ("operator", "omar-password-1"),
    "salma": ("program_manager", "salma-password-1"),
    "driss": ("auditor", "driss-password-1"),
}


def _populate(url: str, sources: Path) -> None:
    """Build the register from the sources with the probabilistic linker and add the users."""
    engine = create_engine_for(url)
    migrate(engine)
    run_build(engine=engine, sources_dir=sources, linker=SplinkLinker(), today=TODAY)
    with session_scope(engine) as session:
        for name, (role, password) in USERS.items():
            create_user(session=session, name=name, role=role, password=password)
    engine.dispose()


@pytest.fixture(scope="session")
def built_sqlite(small_sources: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite register built once from the small sources, to copy for each test."""
    path = tmp_path_factory.mktemp("built") / "register.db"
    _populate(f"sqlite:///{path}", small_sources)
    return path


@pytest.fixture(scope="session")
def built_postgres(small_sources: Path, pg_template: str) -> Iterator[str]:
    """A PostgreSQL register built once from the small sources, to copy for each test."""
    name = f"sijill_web_built_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    _populate(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", small_sources)
    yield name
    with admin.connect() as con:
        con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def register_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Yield the URL of a fresh copy of the built register, with its desk users."""
    if request.param == "sqlite":
        built: Path = request.getfixturevalue("built_sqlite")
        copy = tmp_path / "register.db"
        shutil.copy(built, copy)
        yield f"sqlite:///{copy}"
        return
    template: str = request.getfixturevalue("built_postgres")
    name = f"sijill_web_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as con:
        con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def free_port() -> int:
    """Return a free TCP port on localhost."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class DeskServer:
    """The desk served by uvicorn in a thread, on a free localhost port."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine_for(url)
        self.port = free_port()
        config = uvicorn.Config(
            create_desk_app(self.engine),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the desk server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.engine.dispose()


@pytest.fixture
def desk(register_url: str) -> Iterator[DeskServer]:
    """Yield a running desk on a fresh copy of the built register."""
    server = DeskServer(register_url)
    server.start()
    yield server
    server.stop()


_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class DeskClient:
    """A browser-like client of the desk: cookies, and the CSRF token of its session."""

    http: httpx.Client
    csrf: str = ""

    def login(self, name: str, password: str | None = None) -> httpx.Response:
        """Sign in (with the user's own password unless another is given)."""
        page = self.http.get("/desk/login")
        token = _CSRF.search(page.text)
        assert token is not None
        response = self.http.post(
            "/desk/login",
            data={"csrf": token.group(1), "name": name, "password": password or USERS[name][1]},
        )
        found = _CSRF.search(response.text)
        self.csrf = found.group(1) if found and response.status_code == 200 else ""
        return response

    def post(self, path: str, **data: str) -> httpx.Response:
        """Post a form the way the desk's own pages do, with the session's token."""
        return self.http.post(path, data={"csrf": self.csrf, **data})


@pytest.fixture
def client(desk: DeskServer) -> Iterator[Callable[[], DeskClient]]:
    """Yield a maker of clients of the running desk (one per person at the desk)."""
    made: list[httpx.Client] = []

    def make() -> DeskClient:
        http = httpx.Client(base_url=desk.base, follow_redirects=True, timeout=60)
        made.append(http)
        return DeskClient(http)

    yield make
    for http in made:
        http.close()
