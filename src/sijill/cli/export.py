"""`sijill export crosswalk` and `sijill quarantine`."""

from pathlib import Path
from typing import Annotated

import typer

from sijill.cli.console import console
from sijill.cli.database import DbOption, open_register

export_app = typer.Typer(help="Export from the register.", no_args_is_help=True)


@export_app.command("crosswalk")
def crosswalk(
    out: Annotated[Path, typer.Option("--out", help="CSV file to write")],
    db: DbOption = None,
    detail: Annotated[
        bool, typer.Option(help="Add file, line, status and reason: what became of every data row")
    ] = False,
) -> None:
    """Write source,source_id,uin for every source record (empty uin when quarantined)."""
    from sijill.register import export_crosswalk

    with open_register(db, write=False) as session:
        count = export_crosswalk(session=session, out=out, detail=detail)
    console.print(f"wrote {count:,} rows to {out}")


def quarantine(
    db: DbOption = None,
    source: Annotated[str | None, typer.Option(help="Only this source (civil, cnie, ...)")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows")] = 100,
) -> None:
    """List quarantined rows with the reason each was not accepted."""
    from rich.table import Table

    from sijill.register import quarantined

    with open_register(db, write=False) as session:
        rows = quarantined(session=session, source=source, limit=limit)
    table = Table(title="Quarantined rows")
    for col in ("source", "row", "batch", "reason"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["source"], str(r["row_number"]), str(r["batch_id"]), r["reason"] or "")
    console.print(table)
    console.print(f"{len(rows)} rows shown")
