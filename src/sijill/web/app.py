"""The desk as a FastAPI application: mounted on the service's app, or standing alone.

The desk is its own sub-application (`mount_web`), with its own sessions (a cookie, never
the agencies' Bearer tokens), its own error pages and security headers, and no OpenAPI
schema: it is a website for people, not part of the API.
"""

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Any, TypeVar

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sijill.db.engine import session_scope
from sijill.db.locks import writer_engine, writer_session
from sijill.web.security import SECURITY_HEADERS, install_error_pages, unexpected_error_page

DESK_PATH = "/desk"
T = TypeVar("T")


def commune_name(code: object, language: str) -> str | None:
    """Return the name of a commune from its HCP code, in the desk's language, or None."""
    from sijill.geo import communes

    commune = communes().get(code) if isinstance(code, str) else None
    if commune is None:
        return None
    return commune.name_ar if language == "ar" else commune.name_fr


def register_mark(session: Session) -> tuple[Any, ...]:
    """Return what changes whenever the figures of the register may change.

    Every change to persons and links is in the history, every file in a build, every
    record in `source_record`; the census share is the desk's own setting.
    """
    from sqlalchemy import func, select

    from sijill.history import HistoryEvent
    from sijill.register import Build
    from sijill.sources import SourceRecord
    from sijill.web.models import DeskSetting

    return (
        session.scalar(select(func.max(HistoryEvent.id))),
        session.scalar(select(func.max(Build.id))),
        session.scalar(select(func.max(SourceRecord.id))),
        tuple(session.execute(select(DeskSetting.name, DeskSetting.value).order_by(DeskSetting.name))),
    )


class Desk:
    """What every view of the desk needs: the register, the templates, how to open sessions."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        env = Environment(
            loader=PackageLoader("sijill.web", "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.globals["commune_name"] = commune_name
        self.templates = Jinja2Templates(env=env)
        self._figures: dict[str, tuple[tuple[Any, ...], Any]] = {}

    def figures(self, name: str, compute: Callable[[Session], T]) -> T:
        """Return figures of the register, computed again only when the register has changed.

        Dashboards read the whole register (a second or more at a national scale); the
        register changes with builds and decisions, not with every page view.
        """
        with self.reading() as session:
            mark = register_mark(session)
            held = self._figures.get(name)
            if held is not None and held[0] == mark:
                value: T = held[1]
                return value
            value = compute(session)
        self._figures[name] = (mark, value)
        return value

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """Yield a session that only reads."""
        with session_scope(self.engine) as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """Yield a session that writes the desk's own tables (sign-in, leases, language).

        On SQLite it begins IMMEDIATE, so that it waits its turn behind another writer
        instead of failing half-way; it does not take the register-wide lock, so that a
        build does not keep reviewers from signing in on PostgreSQL.
        """
        from sijill.settings import get_settings

        wait = get_settings().lock_wait_seconds
        with session_scope(writer_engine(self.engine, wait_seconds=min(wait, 10.0))) as session:
            yield session

    @contextmanager
    def changing_register(self) -> Iterator[Session]:
        """Yield a session holding the register-wide writer lock (a review decision)."""
        with writer_session(self.engine) as session:
            yield session


def desk_of(request: Request) -> Desk:
    """Return the desk serving a request."""
    desk: Desk = request.app.state.desk
    return desk


def _desk_app(engine: Engine) -> FastAPI:
    from sijill.web.views import auth, dashboards, persons, review

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, title="sijill desk")
    app.state.desk = Desk(engine)
    static = resources.files("sijill.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    for module in (auth, review, persons, dashboards):
        app.include_router(module.router)
    install_error_pages(app)

    @app.middleware("http")
    async def _headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        try:
            response = await call_next(request)
        except Exception as exc:  # anything not turned into a page already: never a trace
            response = unexpected_error_page(request, exc)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith(f"{request.scope.get('root_path', '')}/static"):
            response.headers["Cache-Control"] = "no-store"
        return response

    return app


def mount_web(app: FastAPI, *, engine: Engine, path: str = DESK_PATH) -> None:
    """Mount the desk on an application at `path` (the service's app, or a bare one)."""
    app.mount(path, _desk_app(engine), name="desk")


def create_desk_app(engine: Engine) -> FastAPI:
    """Return an application serving only the desk, with `/` leading to it.

    The register must exist at this version's schema (the desk never migrates it).
    """
    from sijill.db.engine import require_register

    require_register(engine)
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    mount_web(app, engine=engine)

    @app.get("/", include_in_schema=False)
    def _home() -> RedirectResponse:
        return RedirectResponse(f"{DESK_PATH}/", status_code=303)

    return app
