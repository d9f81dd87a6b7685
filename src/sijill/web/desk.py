"""The desk's state: the register's engine, its templates, its sessions, cached figures."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sijill.db.engine import session_scope
from sijill.db.locks import writer_engine, writer_session

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
    """Return the desk serving a request.

    `mount_web` gives the application its desk; inside the service's application (its
    `ROUTERS`), the desk is made on first use from the services' engine.
    """
    state = request.app.state
    desk: Desk | None = getattr(state, "desk", None)
    if desk is None:
        engine = getattr(getattr(state, "services", None), "engine", None)
        if not isinstance(engine, Engine):
            raise RuntimeError("the desk has no register: use sijill.web.mount_web(app, engine=...)")
        desk = state.desk = Desk(engine)
    return desk
