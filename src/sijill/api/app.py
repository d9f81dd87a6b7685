"""The HTTP application: `create_app(...)` builds it on a register; `sijill serve` runs it.

Every domain's router is included in one place, `ROUTERS` (import path, attribute), so that
the social register's and the web desk's routers join the same app by adding one line.
"""

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from importlib import import_module

from fastapi import APIRouter, FastAPI
from sqlalchemy import Engine

from sijill.api.audit import AuditMiddleware
from sijill.api.errors import install_error_handlers
from sijill.api.runtime import GrantCache, RateLimiter, Services
from sijill.api.settings import ApiSettings
from sijill.identity import ACCESS_TOKEN_KEY, RESIDENT_TOKEN_KEY, AuditWriter, Notifier, service_secret

logger = logging.getLogger(__name__)

# (module, attribute) of each router of the app, in the order they are included.
ROUTERS: list[tuple[str, str]] = [
    ("sijill.api.oauth", "router"),
    ("sijill.api.identity", "router"),
    ("sijill.api.residents", "router"),
]


def routers_of(names: Sequence[tuple[str, str]] = ()) -> list[APIRouter]:
    """Import the routers named (by default every router of `ROUTERS`)."""
    return [getattr(import_module(module), attribute) for module, attribute in (names or ROUTERS)]


def _load_keys(services: Services) -> None:
    """Load (creating on first use) the MAC keys of access tokens and resident sessions."""
    from sijill.linkage import load_spellings

    with services.session() as session:
        services.access_key = service_secret(session=session, name=ACCESS_TOKEN_KEY)
        services.resident_key = service_secret(session=session, name=RESIDENT_TOKEN_KEY)
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
    services = Services(
        engine=engine,
        settings=settings,
        notifier=notifier or default_notifier(),
        audit=AuditWriter(engine),
        grants=GrantCache(settings.credential_cache_seconds),
        limiter=RateLimiter(settings.workers),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        _load_keys(services)
        services.audit.start()
        try:
            yield
        finally:
            services.audit.stop()

    app = FastAPI(
        title="sijill identity services",
        version="1",
        description="Verify, resolve, eKYC, sector tokens, virtual IDs, residents' control, SPDCI registry.",
        lifespan=lifespan,
        max_body_size=settings.max_body_bytes,
    )
    app.state.services = services
    install_error_handlers(app)
    for router in routers if routers is not None else routers_of():
        app.include_router(router)
    app.add_middleware(AuditMiddleware, services=services)
    return app


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
