"""`sijill uin check`."""

from typing import Annotated

import typer

from sijill.cli.console import console, err_console

uin_app = typer.Typer(help="Unique Identifying Numbers.", no_args_is_help=True)


@uin_app.command("check")
def check(number: Annotated[str, typer.Argument(help="The number to check")]) -> None:
    """Exit 0 when the number is a valid UIN, 1 otherwise (saying why)."""
    from sijill.uin import uin_problem

    problem = uin_problem(number.strip())
    if problem:
        err_console.print(f"invalid UIN: {problem}")
        raise typer.Exit(1)
    console.print("valid UIN")
