"""`sijill audit verify` and `sijill audit accesses`."""

from typing import Annotated

import typer

from sijill.cli.console import console, err_console
from sijill.cli.database import DbOption, open_register

audit_app = typer.Typer(help="The hash-chained audit log of the identity services.", no_args_is_help=True)


def _anchor(text: str) -> tuple[int, str]:
    seq, _, digest = text.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise typer.BadParameter(f"{text!r}: write an anchor as SEQ:HASH, as `audit verify` prints the head")
    return int(seq), digest


@audit_app.command("verify")
def verify(
    anchor: Annotated[
        list[str] | None, typer.Option("--anchor", help="SEQ:HASH of a head recorded earlier, to check")
    ] = None,
    db: DbOption = None,
) -> None:
    """Check every entry's hash and link; exit 1 naming each altered, inserted or removed entry."""
    from sijill.identity import verify_chain

    with open_register(db, write=False) as session:
        report = verify_chain(session=session, anchors=[_anchor(a) for a in anchor or []])
    for problem in report.problems:
        err_console.print(f"[red]{problem}[/]", highlight=False)
    console.print(f"{report.entries:,} entries; head {report.head_seq}:{report.head_hash}", highlight=False)
    if not report.intact:
        err_console.print(f"audit log NOT intact: {len(report.problems)} problems")
        raise typer.Exit(1)
    console.print("audit log intact")


@audit_app.command("accesses")
def accesses(
    uin: Annotated[str, typer.Argument(help="The person's UIN")],
    limit: Annotated[int, typer.Option(help="At most this many entries")] = 50,
    db: DbOption = None,
) -> None:
    """List the calls that touched a person, newest first."""
    from rich.table import Table

    from sijill.identity import accesses_of

    with open_register(db, write=False) as session:
        entries = accesses_of(session=session, uin=uin, limit=limit)
    table = Table(title="Accesses")
    for col in ("seq", "time", "actor", "agency", "purpose", "operation", "fields", "outcome"):
        table.add_column(col)
    for e in entries:
        table.add_row(
            str(e.seq),
            e.at.isoformat(timespec="seconds"),
            e.actor,
            e.agency or "",
            e.purpose or "",
            e.operation,
            ", ".join(e.fields),
            e.outcome,
        )
    console.print(table)
