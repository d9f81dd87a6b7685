"""`sijill programs ...`: programs as configuration, four-eyes cycles, payments, reports."""

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from sijill.cli.console import console
from sijill.cli.database import DbOption, open_register

programs_app = typer.Typer(help="Social programs: cycles, approval, release, payments.", no_args_is_help=True)
emergency_app = typer.Typer(help="Emergency top-ups switched on for listed communes.", no_args_is_help=True)
programs_app.add_typer(emergency_app, name="emergency")

ByOption = Annotated[str, typer.Option("--by", help="Who does this (recorded; four eyes compare it)")]
CycleOption = Annotated[str, typer.Option("--cycle", help="The period, YYYY-MM")]
ProgramOption = Annotated[str | None, typer.Option("--program", help="Only this program")]
ProgramsDirOption = Annotated[
    Path | None, typer.Option("--programs", help="Directory of program files (default: the shipped ones)")
]
TokenKeyOption = Annotated[
    Path | None, typer.Option("--token-key-file", help="Key file: write sector tokens instead of UINs")
]


def _token_key(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        key = path.read_bytes().strip()
    except OSError:
        raise typer.BadParameter("cannot read the key file", param_hint="--token-key-file") from None
    if len(key) < 16:
        raise typer.BadParameter("the key must hold at least 16 bytes", param_hint="--token-key-file")
    return key


@programs_app.command("list")
def list_programs(programs: ProgramsDirOption = None) -> None:
    """List the programs, validating every file (a file that does not validate is named)."""
    from rich.table import Table

    from sijill.social import load_programs

    table = Table(title="programs")
    for col in ("id", "version", "status", "index at most", "benefits", "source"):
        table.add_column(col)
    for loaded in load_programs(programs).values():
        p = loaded.program
        line = p.eligibility.index_max
        table.add_row(
            p.id,
            p.version,
            p.status,
            "" if line is None else str(line.value),
            ", ".join(b.component for b in p.benefits),
            p.source[:60],
        )
    console.print(table)


@programs_app.command("run")
def run(
    cycle: CycleOption,
    out: Annotated[Path, typer.Option("--out", help="Directory of the payment lists")],
    by: ByOption,
    program: ProgramOption = None,
    programs: ProgramsDirOption = None,
    model: Annotated[Path | None, typer.Option("--model", help="Index model file")] = None,
    db: DbOption = None,
) -> None:
    """Prepare the cycle of every program for a period; write DIR/<program>.csv and exclusions.csv."""
    from rich.progress import Progress

    from sijill.social import load_index, load_programs, run_cycle

    loaded = load_programs(programs)
    stages = ["following the register", "scoring", "loading", "cross-checks", "computing", "writing"]
    with Progress(console=console) as bar:
        task = bar.add_task("preparing", total=len(stages))
        with open_register(db, write=True) as session:
            result = run_cycle(
                session=session,
                period=cycle,
                by=by,
                out_dir=out,
                programs=loaded,
                index=load_index(model),
                only=[program] if program else None,
                on_stage=lambda s: bar.update(task, advance=1, description=s),
            )
    for name in sorted(result.households):
        state = "prepared" if name in result.recomputed else "kept (already approved)"
        console.print(
            f"{name}: {result.households[name]:,} households, {result.amounts[name]:,} MAD, {state}"
        )
    console.print(f"files in {out}: {', '.join(p.name for p in result.files)}")
    console.print(
        "next: another person approves with `sijill programs approve --cycle " + cycle + " --by NAME`"
    )


@programs_app.command("approve")
def approve(cycle: CycleOption, by: ByOption, program: ProgramOption = None, db: DbOption = None) -> None:
    """Approve the prepared cycles of a period; the preparer cannot approve."""
    from sijill.social import approve_cycle

    with open_register(db, write=True) as session:
        cycles = [c.program for c in approve_cycle(session=session, period=cycle, by=by, program=program)]
    console.print(f"approved: {', '.join(cycles)}")


@programs_app.command("release")
def release(
    cycle: CycleOption,
    by: ByOption,
    out: Annotated[Path, typer.Option("--out", help="Directory of the bank-facing files")],
    program: ProgramOption = None,
    token_key_file: TokenKeyOption = None,
    db: DbOption = None,
) -> None:
    """Release approved cycles: write DIR/<program>.release.csv of what is payable."""
    from sijill.social import release_cycle

    key = _token_key(token_key_file)
    with open_register(db, write=True) as session:
        files = release_cycle(
            session=session, period=cycle, by=by, out_dir=out, program=program, token_key=key
        )
    console.print(f"released: {', '.join(p.name for p in files)} in {out}")


@programs_app.command("reconcile")
def reconcile(
    file: Annotated[Path, typer.Argument(help="Payment-status file from the payment agency", exists=True)],
    out: Annotated[Path | None, typer.Option("--out", help="CSV of the differences")] = None,
    token_key_file: TokenKeyOption = None,
    db: DbOption = None,
) -> None:
    """Record paid, failed and returned payments; report every difference."""
    from sijill.social import reconcile_payments, write_differences

    key = _token_key(token_key_file)
    with open_register(db, write=True) as session:
        result = reconcile_payments(session=session, path=file, token_key=key)
    recorded = ", ".join(f"{k} {v:,}" for k, v in sorted(result.recorded.items())) or "nothing"
    console.print(f"{result.lines:,} lines read; recorded: {recorded}")
    for kind, count in sorted(result.counts().items()):
        console.print(f"  [yellow]difference: {kind}: {count:,}[/]")
    if out is not None:
        write_differences(result, out)
        console.print(f"differences written to {out}")


@programs_app.command("status")
def status(cycle: CycleOption, db: DbOption = None) -> None:
    """Show the cycles of a period: state, who prepared and approved, totals, payments."""
    from sijill.social import cycles_of_period

    with open_register(db, write=False) as session:
        rows = cycles_of_period(session=session, period=cycle)
    for r in rows:
        console.print(
            f"{r['program']}: {r['status']} (prepared by {r['prepared_by']}, "
            f"approved by {r['approved_by'] or '-'}, released by {r['released_by'] or '-'}); "
            f"{r['households']:,} households, {r['amount_mad']:,} MAD, {r['paid']:,} paid"
        )


@programs_app.command("report")
def report(
    cycle: CycleOption,
    out: Annotated[Path, typer.Option("--out", help="HTML file to write")],
    survey: Annotated[Path | None, typer.Option(help="Survey with consumption: add targeting errors")] = None,
    db: DbOption = None,
) -> None:
    """Write the report of a period: reach by region, area and sex, amounts, exclusions, charts."""
    from sijill.social import write_report

    with open_register(db, write=False) as session:
        write_report(session=session, period=cycle, out=out, survey=survey)
    console.print(f"report written to {out}")


@emergency_app.command("on")
def emergency_on(
    name: Annotated[str, typer.Option(help="Name of the event (e.g. 'Al Haouz earthquake')")],
    communes: Annotated[str, typer.Option(help="Commune codes, comma-separated, or @FILE with one a line")],
    event_date: Annotated[str, typer.Option(help="Date of the event, YYYY-MM-DD")],
    first: Annotated[str, typer.Option("--from", help="First period paid, YYYY-MM")],
    by: ByOption,
    program: Annotated[str, typer.Option(help="The emergency program")] = "emergency_topup",
    months: Annotated[int | None, typer.Option(help="Months paid (default: the program's)")] = None,
    programs: ProgramsDirOption = None,
    db: DbOption = None,
) -> None:
    """Switch an emergency top-up on for listed communes."""
    from sijill.social import load_programs, switch_on

    codes = _communes(communes)
    try:
        day = date.fromisoformat(event_date)
    except ValueError:
        raise typer.BadParameter("write the date YYYY-MM-DD", param_hint="--event-date") from None
    loaded = load_programs(programs)
    if program not in loaded:
        raise typer.BadParameter(f"no program {program!r}", param_hint="--program")
    with open_register(db, write=True) as session:
        activation = switch_on(
            session=session,
            program=loaded[program],
            name=name,
            communes_listed=codes,
            event_date=day,
            first_period=first,
            by=by,
            months=months,
        )
        number, last = activation.id, activation.last_period
    console.print(f"emergency {number} on: {len(codes)} communes, {first} to {last}")


def _communes(value: str) -> list[str]:
    if value.startswith("@"):
        try:
            text = Path(value[1:]).read_text(encoding="utf-8")
        except OSError:
            raise typer.BadParameter("cannot read the commune file", param_hint="--communes") from None
        return [line.strip() for line in text.splitlines() if line.strip()]
    return [c.strip() for c in value.split(",") if c.strip()]


@emergency_app.command("off")
def emergency_off(
    activation: Annotated[int, typer.Argument(help="Emergency id")],
    first_unpaid: Annotated[str, typer.Option("--from", help="First period no longer paid, YYYY-MM")],
    by: ByOption,
    db: DbOption = None,
) -> None:
    """Switch an emergency top-up off from a period on."""
    from sijill.social import switch_off

    with open_register(db, write=True) as session:
        last = switch_off(
            session=session, activation_id=activation, from_period=first_unpaid, by=by
        ).last_period
    console.print(f"emergency {activation} off: last period paid {last}")


@emergency_app.command("list")
def emergency_list(db: DbOption = None) -> None:
    """List emergency top-ups, switched on and off."""
    from sijill.social import activations

    with open_register(db, write=False) as session:
        rows = [
            (a.id, a.program, a.name, len(a.communes), a.first_period, a.last_period, a.switched_off_at)
            for a in activations(session=session)
        ]
    for number, program, name, count, first, last, off in rows:
        console.print(
            f"{number}: {program} '{name}', {count} communes, {first} to {last}{' (off)' if off else ''}"
        )
