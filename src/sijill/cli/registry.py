"""`sijill export crosswalk`, `sijill quarantine`, `sijill uin check`."""

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sijill.cli.build import DbOption
from sijill.cli.console import console, engine_for, err_console
from sijill.db.engine import migrate, session_scope
from sijill.register.service import export_crosswalk, quarantined
from sijill.uin import uin_problem

export_app = typer.Typer(help="Export from the register.", no_args_is_help=True)
uin_app = typer.Typer(help="Unique Identifying Numbers.", no_args_is_help=True)


@export_app.command("crosswalk")
def crosswalk(
    out: Annotated[Path, typer.Option("--out", help="CSV file to write")],
    db: DbOption = None,
) -> None:
    """Write source,source_id,uin for every source record (empty uin when quarantined)."""
    engine = engine_for(db)
    migrate(engine)
    with session_scope(engine) as session:
        count = export_crosswalk(session=session, out=out)
    console.print(f"wrote {count:,} rows to {out}")


def quarantine(
    db: DbOption = None,
    source: Annotated[str | None, typer.Option(help="Only this source (civil, cnie, ...)")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows")] = 100,
) -> None:
    """List quarantined rows with the reason each was not accepted."""
    engine = engine_for(db)
    migrate(engine)
    with session_scope(engine) as session:
        rows = quarantined(session=session, source=source, limit=limit)
    table = Table(title="Quarantined rows")
    for col in ("source", "row", "batch", "reason"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["source"], str(r["row_number"]), str(r["batch_id"]), r["reason"] or "")
    console.print(table)
    console.print(f"{len(rows)} rows shown")


@uin_app.command("check")
def check(number: Annotated[str, typer.Argument(help="The number to check")]) -> None:
    """Exit 0 when the number is a valid UIN, 1 otherwise (saying why)."""
    problem = uin_problem(number.strip())
    if problem:
        err_console.print(f"invalid UIN: {problem}")
        raise typer.Exit(1)
    console.print("valid UIN")
