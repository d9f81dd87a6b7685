"""The HTTP application: `create_app(...)` builds it on a register; `sijill serve` runs it.

Every domain's router is included in one place, `ROUTERS` (import path, attribute), so that
the social register's and the web desk's routers join the same app by adding one line.
"""

import gc
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from importlib import import_module

from fastapi import APIRouter, FastAPI
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from sijill.api.audit import AuditMiddleware
from sijill.api.errors import install_error_handlers
from sijill.api.runtime import GrantCache, RateLimiter, Services
from sijill.api.settings import ApiSettings
from sijill.errors import SijillError
from sijill.identity import (
    ACCESS_TOKEN_KEY,
    RESIDENT_TOKEN_KEY,
    AuditWriter,
    Notifier,
    registry_signing_key,
    service_secret,
)

logger = logging.getLogger(__name__)

# (module, attribute) of each router of the app, in the order they are included. A router's
# module may hold ERROR_STATUSES, its domain's errors and their HTTP statuses.
ROUTERS: list[tuple[str, str]] = [
    ("sijill.api.oauth", "router"),
    ("sijill.api.identity", "router"),
    ("sijill.api.events", "router"),
    ("sijill.api.declarations", "router"),
    ("sijill.api.match", "router"),
    ("sijill.api.residents", "router"),
    ("sijill.api.registry", "router"),
    ("sijill.api.registry_notify", "router"),
    ("sijill.social.views", "router"),
]
# (module, function) of each sub-application mounted: the web desk, with its own sessions.
MOUNTS: list[tuple[str, str]] = [("sijill.web", "mount_web")]


def routers_of(names: Sequence[tuple[str, str]] = ()) -> list[APIRouter]:
    """Import the routers named (by default every router of `ROUTERS`)."""
    return [getattr(import_module(module), attribute) for module, attribute in (names or ROUTERS)]


def error_statuses_of(names: Sequence[tuple[str, str]] = ()) -> dict[type[SijillError], int]:
    """Return the HTTP statuses of the errors of the routers' domains."""
    statuses: dict[type[SijillError], int] = {}
    for module, _attribute in names or ROUTERS:
        statuses |= getattr(import_module(module), "ERROR_STATUSES", {})
    return statuses


def _load_keys(services: Services) -> None:
    """Load (creating on first use) the MAC keys of access tokens and resident sessions."""
    from sijill.linkage import load_spellings

    with services.session() as session:
        services.access_key = service_secret(session=session, name=ACCESS_TOKEN_KEY)
        services.resident_key = service_secret(session=session, name=RESIDENT_TOKEN_KEY)
        services.registry_key = registry_signing_key(session=session)
        services.spellings = load_spellings(session=session)


def create_app(
    *,
    engine: Engine,
    notifier: Notifier | None = None,
    settings: ApiSettings | None = None,
    routers: Sequence[APIRouter] | None = None,
) -> FastAPI:
    """Build the services on a register's engine (already migrated).

    `notifier` delivers residents' one-time codes (default: the register's outbox);
    `routers` replaces the routers of `ROUTERS` (tests, a desk-only server).
    """
    settings = settings or ApiSettings()
    audit_engine = _own_engine(engine)
    services = Services(
        engine=engine,
        settings=settings,
        notifier=notifier or default_notifier(),
        audit=AuditWriter(audit_engine, run=run_in_threadpool),
        grants=GrantCache(settings.credential_cache_seconds),
        limiter=RateLimiter(settings.workers),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        _load_keys(services)
        # The spellings and caches loaded are long-lived: keep them out of the collector's
        # full passes, which otherwise stall every request for tens of milliseconds.
        gc.collect()
        gc.freeze()
        services.audit.start()
        try:
            yield
        finally:
            await services.audit.stop()
            services.close()
            services.audit.engine.dispose()

    app = FastAPI(
        title="sijill identity services",
        version="1",
        description="Verify, resolve, eKYC, sector tokens, virtual IDs, residents' control, SPDCI registry.",
        lifespan=lifespan,
        max_body_size=settings.max_body_bytes,
    )
    app.state.services = services
    app.state.session_factory = services.session  # what the social router asks of its app
    install_error_handlers(app, error_statuses_of() if routers is None else {})
    for router in routers if routers is not None else routers_of():
        app.include_router(router)
    if routers is None:
        for module, function in MOUNTS:
            getattr(import_module(module), function)(app, engine=engine)
    app.add_middleware(AuditMiddleware, services=services)
    return app


def _own_engine(engine: Engine) -> Engine:
    """Return another engine on the same database, so the audit writer never waits for the pool."""
    from sijill.db.engine import create_engine_for

    return create_engine_for(engine.url.render_as_string(hide_password=False))


def default_notifier() -> Notifier:
    """Return the notifier that writes one-time codes to the register's outbox."""
    from sijill.identity.notifiers import OutboxNotifier

    return OutboxNotifier()


def app_from_environment() -> FastAPI:
    """Build the app from SIJILL_DATABASE_URL (the factory `sijill serve --workers N` runs)."""
    from sijill.db.engine import create_engine_for, require_register
    from sijill.settings import get_settings

    engine = create_engine_for(get_settings().database_url)
    require_register(engine)
    return create_app(engine=engine)
