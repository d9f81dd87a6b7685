"""`sijill users add|list|passwd|disable|enable` and `sijill desk census-share`: the desk's users."""

import sys
from typing import Annotated

import typer

from sijill.cli.console import console
from sijill.cli.database import DbOption, open_register

users_app = typer.Typer(help="Users of the review desk and dashboards.", no_args_is_help=True)
desk_app = typer.Typer(help="Settings of the review desk held by the register.", no_args_is_help=True)
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input, not a prompt")
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password: str = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    return password


@users_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The user's sign-in name")],
    role: Annotated[str, typer.Option("--role", help="reviewer, operator, program_manager or auditor")],
    language: Annotated[str, typer.Option(help="fr or ar")] = "fr",
    password_stdin: PasswordStdin = False,
    db: DbOption = None,
) -> None:
    """Create a desk user with one role."""
    from sijill.web import create_user

    password = _password(password_stdin)
    with open_register(db, write=True) as session:
        create_user(session=session, name=name, role=role, password=password, language=language)
    console.print(f"desk user {name} created ({role})")


@users_app.command("list")
def list_cmd(db: DbOption = None) -> None:
    """List the desk's users, their roles and languages."""
    from rich.table import Table

    from sijill.web import list_users

    table = Table(title="Desk users")
    for col in ("name", "role", "language", "active"):
        table.add_column(col)
    with open_register(db, write=False) as session:
        for u in list_users(session=session):
            table.add_row(u.name, u.role, u.language, "yes" if u.active else "no")
    console.print(table)


@users_app.command("passwd")
def passwd(
    name: Annotated[str, typer.Argument(help="The user's sign-in name")],
    password_stdin: PasswordStdin = False,
    db: DbOption = None,
) -> None:
    """Give a desk user a new password (their sessions end)."""
    from sijill.web import set_password

    password = _password(password_stdin)
    with open_register(db, write=True) as session:
        set_password(session=session, name=name, password=password)
    console.print(f"password of {name} changed")


def _set_active(name: str, active: bool, db: str | None) -> None:
    from sijill.web.users import set_active

    with open_register(db, write=True) as session:
        set_active(session=session, name=name, active=active)
    console.print(f"desk user {name} {'enabled' if active else 'disabled'}")


@users_app.command("disable")
def disable(
    name: Annotated[str, typer.Argument(help="The user's sign-in name")], db: DbOption = None
) -> None:
    """Stop a desk user from signing in (their sessions end)."""
    _set_active(name, False, db)


@users_app.command("enable")
def enable(name: Annotated[str, typer.Argument(help="The user's sign-in name")], db: DbOption = None) -> None:
    """Let a disabled desk user sign in again."""
    _set_active(name, True, db)


@desk_app.command("census-share")
def census_share(
    share: Annotated[float, typer.Argument(help="Share of the 2024 census this register is meant to hold")],
    db: DbOption = None,
) -> None:
    """Say which share of the census population the register covers (1 for a national one)."""
    from sijill.web import set_census_share

    with open_register(db, write=True) as session:
        set_census_share(session=session, share=share)
    console.print(f"census share set to {share:g}")
