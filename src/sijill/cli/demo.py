"""`sijill demo`: the whole system in one command, from a synthetic population to a report.

Generates a population, builds the register on SQLite, imports its households into the
social register and runs a benefits cycle of every program (prepared, approved by another
person, released), makes the desk ready (its users, the census share of the sample, the
name index), writes the crosswalk and a self-contained report, then says where the report
is and how to open the desk.
"""

import secrets
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sijill.cli.console import console

if TYPE_CHECKING:
    from rich.progress import Progress
    from sqlalchemy import Engine

# The demo's desk users: one of each role, all with the password printed at the end.
DEMO_USERS = {
    "reviewer": "reviewer",
    "operator": "operator",
    "manager": "program_manager",
    "auditor": "auditor",
}
SYNTH_STEPS = ["population", "civil", "cnie", "massar", "cnss", "ramed", "households"]


def _progress() -> "Progress":
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def _synthesise(bar: "Progress", sources: Path, persons: int, seed: int) -> None:
    from sijill.synth import generate

    task = bar.add_task("generating the population", total=len(SYNTH_STEPS))
    generate(
        sources,
        persons=persons,
        seed=seed,
        on_progress=lambda step: bar.update(task, advance=1, description=f"generating: {step}"),
    )
    bar.update(task, description="population generated")


def _build(bar: "Progress", engine: "Engine", sources: Path) -> None:
    from sijill.linkage import linker_for
    from sijill.register import BuildProgress, run_build
    from sijill.settings import get_settings

    task = bar.add_task("checking the extracts", total=None)
    stage = bar.add_task("linking", total=None, visible=False)
    hooks = BuildProgress(
        on_extracts=lambda found: bar.update(task, total=sum(e.lines for e in found)),
        on_file_start=lambda e: bar.update(task, description=f"ingesting {e.path.name}"),
        on_rows=lambda n: bar.advance(task, n),
        on_stage=lambda s: bar.update(stage, description=s, visible=True),
    )
    summary = run_build(
        engine=engine,
        sources_dir=sources,
        linker=linker_for("splink"),
        chunk_size=get_settings().chunk_size,
        progress=hooks,
    )
    done = sum(f.read for f in summary.files)
    bar.update(task, completed=done, total=done, description="extracts ingested")
    bar.update(stage, total=1, completed=1, description=f"register built: {summary.persons_total:,} persons")


def _months(today: date) -> tuple[date, str]:
    """Return the day the households are declared (this month's first) and the next period."""
    first = today.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following.strftime("%Y-%m")


def _households(bar: "Progress", engine: "Engine", sources: Path, declared_on: date) -> str:
    from sijill.db import writer_session
    from sijill.social import import_households

    task = bar.add_task("importing the households", total=1)
    with writer_session(engine) as session:
        outcome = import_households(
            session=session, path=sources / "households.csv", declared_on=declared_on, by="demo-clerk"
        )
    bar.update(task, completed=1, description=f"households imported: {outcome.created:,}")
    return f"{outcome.created:,} households, {outcome.members_accepted:,} members"


def _benefits_cycle(bar: "Progress", engine: "Engine", out: Path, period: str) -> str:
    """Prepare the cycle of every program, approve it (another person), release it."""
    from sijill.db import writer_session
    from sijill.social import approve_cycle, release_cycle, run_cycle

    stages = ["following the register", "scoring", "loading", "cross-checks", "computing", "writing"]
    task = bar.add_task(f"benefits cycle {period}", total=len(stages) + 2)
    with writer_session(engine) as session:
        run = run_cycle(
            session=session,
            period=period,
            by="demo-preparer",
            out_dir=out,
            on_stage=lambda s: bar.update(task, advance=1, description=f"cycle {period}: {s}"),
        )
    with writer_session(engine) as session:
        approve_cycle(session=session, period=period, by="demo-approver")
        bar.advance(task)
        release_cycle(session=session, period=period, by="demo-approver", out_dir=out)
        bar.advance(task)
    paid = sum(run.households.values())
    bar.update(task, completed=len(stages) + 2, description=f"cycle {period} released")
    return f"{paid:,} entitlements, {sum(run.amounts.values()):,} MAD"


def _prepare_desk(bar: "Progress", engine: "Engine", persons: int) -> str:
    """Create the demo users, say which share of the census the sample is, index the names."""
    from sijill.db import writer_session
    from sijill.geo import communes
    from sijill.web import create_user, refresh_name_index, set_census_share

    task = bar.add_task("preparing the desk", total=3)
    password = secrets.token_urlsafe(12)
    with writer_session(engine) as session:
        for name, role in DEMO_USERS.items():
            create_user(session=session, name=name, role=role, password=password)
        bar.advance(task)
        census = sum(c.population for c in communes().values())
        set_census_share(session=session, share=min(1.0, persons / census))
        bar.advance(task)
        refresh_name_index(session=session)
        bar.advance(task)
    bar.update(task, description="desk ready")
    return password


def _report(
    bar: "Progress", engine: "Engine", out: Path, persons: int, seed: int, social: dict[str, str]
) -> Path:
    from sijill.db import session_scope
    from sijill.register import export_crosswalk
    from sijill.reports.report import write_report
    from sijill.web import get_census_share

    task = bar.add_task("writing the crosswalk and the report", total=2)
    with session_scope(engine) as session:
        export_crosswalk(session=session, out=out / "crosswalk.csv")
        bar.advance(task)
        path = write_report(
            session=session,
            out=out / "report.html",
            truth_path=out / "sources" / "truth.csv",
            census_share=get_census_share(session=session),
            extra={"persons_generated": persons, "seed": seed, "figures": social},
        )
        bar.advance(task)
    bar.update(task, description="report written")
    return path


def _check_out_dir(out: Path) -> None:
    if out.exists() and any(out.iterdir()):
        raise typer.BadParameter(f"{out} is not empty: remove it or choose another --out", param_hint="--out")


def demo(
    persons: Annotated[int, typer.Option(min=100, help="Number of synthetic persons")] = 50_000,
    out: Annotated[Path, typer.Option(help="Directory to write everything into (empty or new)")] = Path(
        "demo"
    ),
    seed: Annotated[int, typer.Option(help="Random seed of the population")] = 1,
) -> None:
    """Generate a population, build the register, prepare the desk, write the report."""
    from sijill.db import create_engine_for

    _check_out_dir(out)
    out.mkdir(parents=True, exist_ok=True)
    db = out / "sijill.db"
    url = f"sqlite:///{db}"
    engine = create_engine_for(url)
    declared_on, period = _months(date.today())
    try:
        with _progress() as bar:
            _synthesise(bar, out / "sources", persons, seed)
            _build(bar, engine, out / "sources")
            households = _households(bar, engine, out / "sources", declared_on)
            cycle = _benefits_cycle(bar, engine, out / "cycle", period)
            password = _prepare_desk(bar, engine, persons)
            social = {"in the social register": households, f"benefits cycle {period}": cycle}
            report = _report(bar, engine, out, persons, seed, social)
    finally:
        engine.dispose()
    console.print(f"\n[bold]register:[/] {db}  crosswalk: {out / 'crosswalk.csv'}")
    console.print(
        f"[bold]social register:[/] {households}; cycle {period}: {cycle} (files in {out / 'cycle'})"
    )
    # Commands and paths are printed whole (soft wrap), so that they can be copied as they are.
    console.print(f"[bold]desk:[/] uv run sijill serve --db {url}", soft_wrap=True)
    console.print("       then open http://127.0.0.1:8000/desk/")
    users = ", ".join(f"{name} ({role.replace('_', ' ')})" for name, role in DEMO_USERS.items())
    console.print(f"       sign in as {users}; password for all: [bold]{password}[/]")
    # The last line is the report's path: it needs no network (open it, or copy it anywhere).
    console.print(f"the report opens offline in any browser ({report.resolve().as_uri()}):", soft_wrap=True)
    console.print(f"[bold]report:[/] {report.resolve()}", soft_wrap=True)
