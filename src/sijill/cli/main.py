"""The `sijill` command line."""

import sys
from typing import Annotated, NoReturn

import typer

from sijill.cli import build as build_cmd
from sijill.cli import demo, evaluate, export, match, serve, synth
from sijill.cli.agencies import agencies_app
from sijill.cli.audit import audit_app
from sijill.cli.console import err_console, set_up_logging
from sijill.cli.enrol import enrol_app
from sijill.cli.events import event_app
from sijill.cli.households import households_app
from sijill.cli.index import index_app
from sijill.cli.linkage import linkage_app, model_app, review_app
from sijill.cli.names import names_app
from sijill.cli.outbox import outbox_app
from sijill.cli.person import person_app
from sijill.cli.programs import programs_app
from sijill.cli.residents import residents_app
from sijill.cli.uin import uin_app
from sijill.cli.users import desk_app, users_app
from sijill.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, SijillError

app = typer.Typer(
    help="sijill: the National Population Register and Unified Social Register.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The register database.", no_args_is_help=True)


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress at INFO")] = False,
) -> None:
    set_up_logging(verbose)


app.command("build")(build_cmd.build)
app.command("quarantine")(export.quarantine)
app.command("synth")(synth.synth)
app.command("match")(match.match)
app.command("evaluate")(evaluate.evaluate_cmd)
app.command("demo")(demo.demo)
db_app.command("upgrade")(build_cmd.db_upgrade)
app.add_typer(export.export_app, name="export")
app.add_typer(uin_app, name="uin")
app.add_typer(names_app, name="names")
app.add_typer(db_app, name="db")
app.add_typer(model_app, name="model")
app.add_typer(linkage_app, name="linkage")
app.add_typer(review_app, name="review")
app.add_typer(households_app, name="households")
app.add_typer(index_app, name="index")
app.add_typer(programs_app, name="programs")
app.add_typer(users_app, name="users")
app.add_typer(desk_app, name="desk")
app.command("serve")(serve.serve)
app.add_typer(agencies_app, name="agencies")
app.add_typer(audit_app, name="audit")
app.add_typer(residents_app, name="residents")
app.add_typer(person_app, name="person")
app.add_typer(event_app, name="event")
app.add_typer(outbox_app, name="outbox")
app.add_typer(enrol_app, name="enrol")


def _interrupted(exc: BaseException) -> bool:
    """Return True for Ctrl-C, however deep a library wrapped it (DuckDB, Splink, Spark)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, KeyboardInterrupt) or "interrupt" in type(current).__name__.lower():
            return True
        if "Query interrupted" in str(current):
            return True
        current = current.__cause__ or current.__context__
    return False


_INTERRUPTED = "interrupted; nothing was changed (a build or an event commits whole or not at all)"


def _fail(message: str, code: int) -> NoReturn:
    err_console.print(f"[red]error:[/] {message}", highlight=False)
    sys.exit(code)


def main() -> None:
    """Run the CLI; every failure becomes one line and its exit code, never a traceback.

    `--verbose` shows the traceback of an unexpected error, for a developer.
    """
    try:
        app()
    except SijillError as exc:
        _fail(str(exc), exc.exit_code)
    except BaseException as exc:
        if isinstance(exc, SystemExit):
            if exc.code == EXIT_INTERRUPTED:  # Typer turns a bare Ctrl-C into a silent Exit(130)
                _fail(_INTERRUPTED, EXIT_INTERRUPTED)
            raise
        if _interrupted(exc):
            _fail(_INTERRUPTED, EXIT_INTERRUPTED)
        if "-v" in sys.argv[1:] or "--verbose" in sys.argv[1:]:
            raise
        _fail(_unexpected(exc), EXIT_INTERNAL)


def _unexpected(exc: BaseException) -> str:
    """Describe an unexpected error by its kind only: its text may hold personal values."""
    from sqlalchemy.exc import OperationalError, SQLAlchemyError

    if isinstance(exc, OperationalError) and "locked" in str(exc.orig):
        return "the register is locked by another writer; try again when it has finished"
    if isinstance(exc, SQLAlchemyError):
        cause = type(getattr(exc, "orig", None) or exc).__name__
        return f"the database refused an operation ({cause}); nothing was changed"
    if isinstance(exc, OSError):
        return f"{exc.strerror or type(exc).__name__}" + (f": {exc.filename}" if exc.filename else "")
    return f"unexpected {type(exc).__name__}; nothing was changed. Run with --verbose for the traceback"
