"""`sijill build` and `sijill db upgrade`."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sijill.cli.console import console
from sijill.cli.database import DbOption, database_url

if TYPE_CHECKING:
    from rich.table import Table

    from sijill.register import BuildSummary


def _summary_table(summary: "BuildSummary") -> "Table":
    from rich.table import Table

    table = Table(title=f"Build {summary.build_id}")
    for col in ("file", "lines", "rows read", "accepted", "unchanged", "quarantined", "reasons"):
        table.add_column(col, justify="right" if col not in ("file", "reasons") else "left")
    for f in summary.files:
        if f.skipped_same_file:
            table.add_row(f.file_name, "-", "-", "-", "-", "-", "same file as before: skipped")
            continue
        reasons = "; ".join(f"{n} {r}" for r, n in sorted(f.quarantined.items(), key=lambda x: -x[1]))
        if f.blank_lines:
            reasons = "; ".join(x for x in (reasons, f"{f.blank_lines} blank lines") if x)
        table.add_row(
            f.file_name,
            f"{f.lines:,}",
            f"{f.read:,}",
            f"{f.accepted:,}",
            f"{f.unchanged:,}",
            f"{f.quarantined_total:,}",
            reasons,
        )
    return table


def build(
    sources_dir: Annotated[Path, typer.Argument(help="Directory holding civil.csv, cnie.csv, ...")],
    db: DbOption = None,
    engine: Annotated[str, typer.Option(help="Linkage: splink (DuckDB), spark, or deterministic")] = "splink",
    retrain: Annotated[
        bool, typer.Option(help="Train a new model version instead of reusing the latest")
    ] = False,
    full: Annotated[bool, typer.Option(help="Link every record again instead of only what changed")] = False,
    wait: Annotated[
        float | None,
        typer.Option(min=0, help="Seconds to wait for another writer (default SIJILL_LOCK_WAIT_SECONDS)"),
    ] = None,
) -> None:
    """Ingest a sources directory, link the records and assign UINs."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from sijill.db.engine import create_engine_for
    from sijill.linkage import linker_for
    from sijill.register import BuildProgress, run_build
    from sijill.settings import get_settings

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("checking files", total=None)
        stage = bar.add_task("linking", total=None, visible=False)
        hooks = BuildProgress(
            on_extracts=lambda found: bar.update(task, total=sum(e.lines for e in found)),
            on_file_start=lambda e: bar.update(task, description=f"ingesting {e.path.name}"),
            on_rows=lambda n: bar.advance(task, n),
            on_stage=lambda s: bar.update(stage, description=s, visible=True),
        )
        summary = run_build(
            engine=create_engine_for(database_url(db)),
            sources_dir=sources_dir,
            linker=linker_for(engine),
            chunk_size=get_settings().chunk_size,
            progress=hooks,
            retrain=retrain,
            full=full,
            wait_seconds=wait,
            compute="spark" if engine == "spark" else "duckdb",
        )
        bar.update(
            task, completed=sum(f.read for f in summary.files), total=sum(f.read for f in summary.files)
        )
        bar.update(stage, total=1, completed=1, description="done")
    console.print(_summary_table(summary))
    if summary.ignored_files:
        console.print(f"ignored (not an extract): {', '.join(summary.ignored_files)}", highlight=False)
    a = summary.assignment
    methods = ", ".join(f"{m} {n:,}" for m, n in sorted(a.links_by_method.items()))
    console.print(
        f"persons in the register: [bold]{summary.persons_total:,}[/] "
        f"(touched {a.persons_touched:,}, created {a.persons_created:,}, "
        f"merged {a.persons_merged:,}, split {a.persons_split:,}, "
        f"retired {a.persons_retired:,})"
    )
    console.print(f"links by method: {methods}")
    figures = ", ".join(
        f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in summary.linkage.items()
    )
    console.print(f"linkage: {figures}")


def db_upgrade(db: DbOption = None) -> None:
    """Create or migrate the register database to the current schema."""
    from sijill.cli.database import register_engine

    register_engine(db, write=True).dispose()
    console.print("register schema is up to date")
