"""The desk as routes of a FastAPI application: the service's, or one of its own.

The desk is one router (`router`, under `/desk`, out of the OpenAPI schema) of `DeskRoute`s,
with its own sessions (a cookie, never the agencies' Bearer tokens), its own error pages and
security headers: it is a website for people, not part of the API. `mount_web(app, engine=)`
adds it to any application; the service's application lists it among its routers.
"""

from importlib import import_module, resources

from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import Engine

from sijill.web.desk import Desk
from sijill.web.security import DESK_PATH, DeskRoute

# Every asset the desk serves: its own, and htmx with its licence (see static/README.md).
STATIC = {
    "htmx.min.js": "text/javascript; charset=utf-8",
    "htmx.LICENSE.txt": "text/plain; charset=utf-8",
    "desk.js": "text/javascript; charset=utf-8",
    "desk.css": "text/css; charset=utf-8",
}
_assets = APIRouter(route_class=DeskRoute)
# The modules of `sijill.web.views`, each with its `router`.
VIEWS = ("auth", "review", "persons", "households", "dashboards")


@_assets.get("/static/{name}", include_in_schema=False)
def static_file(name: str) -> Response:
    """Serve one of the desk's own files, from the package (never a path the client chose)."""
    if name not in STATIC:
        raise _missing()
    content = (resources.files("sijill.web") / "static" / name).read_bytes()
    return Response(content, media_type=STATIC[name], headers={"Cache-Control": "public, max-age=3600"})


def _missing() -> Exception:
    from sijill.errors import NotFound

    return NotFound("no such file of the desk")


def view_routers() -> list[APIRouter]:
    """Return the router of each module of `sijill.web.views`, in the order they are tried."""
    return [import_module(f"sijill.web.views.{name}").router for name in VIEWS]


def desk_router() -> APIRouter:
    """Return the desk's routes under `/desk`."""
    desk = APIRouter(prefix=DESK_PATH, include_in_schema=False, route_class=DeskRoute)
    for views in view_routers():
        desk.include_router(views)
    desk.include_router(_assets)
    return desk


router = desk_router()


def mount_web(app: FastAPI, *, engine: Engine) -> None:
    """Add the desk to an application, on this register, at `/desk/`."""
    app.state.desk = Desk(engine)
    app.include_router(router)


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
