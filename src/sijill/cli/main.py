"""The `sijill` command line."""

import sys
from typing import Annotated

import typer

from sijill.cli import build as build_cmd
from sijill.cli import evaluate, export, serve, synth
from sijill.cli.agencies import agencies_app
from sijill.cli.audit import audit_app
from sijill.cli.console import err_console, set_up_logging
from sijill.cli.linkage import linkage_app, model_app, review_app
from sijill.cli.names import names_app
from sijill.cli.residents import residents_app
from sijill.cli.uin import uin_app
from sijill.errors import SijillError

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
app.command("evaluate")(evaluate.evaluate_cmd)
db_app.command("upgrade")(build_cmd.db_upgrade)
app.add_typer(export.export_app, name="export")
app.add_typer(uin_app, name="uin")
app.add_typer(names_app, name="names")
app.add_typer(db_app, name="db")
app.add_typer(model_app, name="model")
app.add_typer(linkage_app, name="linkage")
app.add_typer(review_app, name="review")
app.command("serve")(serve.serve)
app.add_typer(agencies_app, name="agencies")
app.add_typer(audit_app, name="audit")
app.add_typer(residents_app, name="residents")


def main() -> None:
    """Run the CLI, turning sijill's errors into a message and their exit code."""
    try:
        app()
    except SijillError as exc:
        err_console.print(f"[red]error:[/] {exc}")
        sys.exit(exc.exit_code)
