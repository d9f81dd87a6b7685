"""`sijill serve`: the identity services over HTTP (FastAPI on uvicorn)."""

import os
from typing import Annotated

import typer

from sijill.cli.console import console
from sijill.cli.database import DbOption, database_url


def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (about one per core)")] = 1,
) -> None:
    """Serve /v1 and the SPDCI registry interface; OpenAPI at /openapi.json, docs at /docs."""
    import uvicorn

    from sijill.cli.database import register_engine
    from sijill.identity.keys import prepare_keys

    url = database_url(db)
    engine = register_engine(url, write=True)
    try:
        prepare_keys(engine)  # once here, before the workers race to create them
    finally:
        engine.dispose()
    os.environ["SIJILL_DATABASE_URL"] = url
    os.environ["SIJILL_API_WORKERS"] = str(workers)
    console.print(f"serving on http://{host}:{port} ({workers} workers); docs at /docs", highlight=False)
    uvicorn.run(
        "sijill.api.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # paths hold UINs: no per-request log lines
        log_level="warning",
        server_header=False,
    )
