"""The console the CLI prints to, and the engine it opens."""

import logging

from rich.console import Console
from rich.logging import RichHandler
from sqlalchemy import Engine

from sijill.db.engine import create_engine_for
from sijill.settings import get_settings

console = Console()
err_console = Console(stderr=True)


def engine_for(db: str | None) -> Engine:
    """Return the engine of the register named by --db, else SIJILL_DATABASE_URL."""
    return create_engine_for(db or get_settings().database_url)


def set_up_logging(verbose: bool) -> None:
    """Log the `sijill` logger to stderr; INFO with --verbose, WARNING otherwise."""
    logger = logging.getLogger("sijill")
    if not logger.handlers:
        logger.addHandler(RichHandler(console=err_console, show_path=False))
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
