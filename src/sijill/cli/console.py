"""The consoles the CLI prints to, and its logging."""

import logging

from rich.console import Console

console = Console()
err_console = Console(stderr=True)


def set_up_logging(verbose: bool) -> None:
    """Log the `sijill` logger to stderr; INFO with --verbose, WARNING otherwise."""
    from rich.logging import RichHandler

    logger = logging.getLogger("sijill")
    if not logger.handlers:
        logger.addHandler(RichHandler(console=err_console, show_path=False))
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
