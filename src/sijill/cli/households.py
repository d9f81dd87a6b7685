"""`sijill households ...`: import, show, change (four eyes) and cross-check households."""

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from sijill.cli.console import console
from sijill.cli.database import DbOption, open_register

households_app = typer.Typer(help="Households of the social register.", no_args_is_help=True)

ByOption = Annotated[str, typer.Option("--by", help="Who does this (recorded; four eyes compare it)")]


def _day(value: str | None, option: str) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter("write the date YYYY-MM-DD", param_hint=option) from None


@households_app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help="Survey file (the generator's households.csv)", exists=True)],
    by: ByOption,
    declared_on: Annotated[
        str | None, typer.Option(help="Date of the declarations, YYYY-MM-DD (today)")
    ] = None,
    documents: Annotated[
        Path | None,
        typer.Option(help="truth.csv of a file without member_ids: which document each member declares"),
    ] = None,
    db: DbOption = None,
) -> None:
    """Register the households of a survey file; members become UINs through the crosswalk."""
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from sijill.social import import_households, read_documents

    day = _day(declared_on, "--declared-on")
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=console) as bar:
        bar.add_task("importing households", total=None)
        with open_register(db, write=True) as session:
            docs = read_documents(documents) if documents else None
            outcome = import_households(session=session, path=file, declared_on=day, by=by, documents=docs)
    console.print(
        f"{outcome.rows:,} rows: {outcome.created:,} households created, {outcome.updated:,} updated, "
        f"{outcome.unchanged:,} unchanged; members accepted {outcome.members_accepted:,}"
    )
    for reason, count in sorted(outcome.members_rejected.items()):
        console.print(f"  members rejected ({reason}): {count:,}")
    for reason, count in sorted(outcome.refused.items()):
        console.print(f"  [yellow]rows refused ({reason}): {count:,}[/]")
    for line, reason in outcome.refused_lines[:10]:
        console.print(f"    line {line}: {reason}")


@households_app.command("show")
def show(
    household_id: Annotated[int, typer.Argument(help="Household id")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    db: DbOption = None,
) -> None:
    """Show a household: members, score explained, flags, entitlements, history."""
    from sijill.social import household_view

    with open_register(db, write=False) as session:
        view = household_view(session=session, household_id=household_id)
    if as_json:
        console.print_json(json.dumps(view, default=str))
        return
    _print_view(view)


def _print_view(view: dict[str, Any]) -> None:
    from rich.table import Table

    console.print(
        f"household {view['household_id']} ({view['status']}), commune {view['commune']} ({view['area']}), "
        f"declared {view['declared_on']}, version {view['version']}"
    )
    members = Table(title="members")
    for col in ("uin", "relationship", "sex", "birth", "status", "reason", "from", "to"):
        members.add_column(col)
    for m in view["members"]:
        members.add_row(
            *(str(m[k] or "") for k in ("uin", "relationship", "sex", "birth_date", "status", "reason")),
            m["start_date"] or "",
            m["end_date"] or "",
        )
    console.print(members)
    score = view["score"] or {}
    if score.get("scored"):
        console.print(
            f"index {score['score']:.4f} (model {score['model_version']}, {score['model_status']}"
            f"{'' if score['current'] else ', stale'})"
        )
        for t in score["terms"]:
            if t["contribution"]:
                console.print(
                    f"  {t['term']:<32} {t['value']:>9.3f} x {t['coefficient']:>8.4f} "
                    f"= {t['contribution']:+.4f}"
                )
    for f in view["flags"]:
        console.print(f"[yellow]flag {f['kind']}[/]: {f['reason']}")
    for e in view["entitlements"][:12]:
        console.print(
            f"{e['period']} {e['program']}: {e['amount_mad']} MAD "
            f"({e['status']}, paid: {e['payment'] or '-'})"
        )


@households_app.command("check")
def check(
    on: Annotated[str | None, typer.Option(help="As of this date, YYYY-MM-DD (today)")] = None,
    db: DbOption = None,
) -> None:
    """Follow the register's births, deaths and merges, then recompute every household's flags."""
    from sijill.social import follow_register, run_cross_checks

    with open_register(db, write=True) as session:
        followed = follow_register(session=session)
        counts = run_cross_checks(session=session, on=_day(on, "--on"))
    console.print(
        f"followed: {followed.births} births, {followed.deaths} deaths, {followed.merges} merges, "
        f"{followed.entitlements_held} entitlements held"
    )
    for kind, count in counts.items():
        console.print(f"  {kind}: {count:,}")


@households_app.command("change")
def change(
    household_id: Annotated[int, typer.Argument(help="Household id")],
    kind: Annotated[
        str, typer.Argument(help="add_member, remove_member, change_head, split, move, update_variables")
    ],
    payload: Annotated[
        str, typer.Argument(help='The change as JSON, e.g. \'{"uin": "...", "relationship": "son"}\'')
    ],
    by: ByOption,
    db: DbOption = None,
) -> None:
    """Request a change to a household; another person must approve it."""
    from sijill.social import request_change

    try:
        data = json.loads(payload)
    except json.JSONDecodeError:
        raise typer.BadParameter("not valid JSON", param_hint="PAYLOAD") from None
    if not isinstance(data, dict):
        raise typer.BadParameter("a JSON object is expected", param_hint="PAYLOAD")
    with open_register(db, write=True) as session:
        request = request_change(session=session, household_id=household_id, kind=kind, payload=data, by=by)
        number = request.id
    console.print(f"change request {number} filed: another person must approve it")


def _decide(request_id: int, by: str, approve: bool, note: str | None, db: str | None) -> None:
    from sijill.social import decide_change

    with open_register(db, write=True) as session:
        request = decide_change(session=session, request_id=request_id, by=by, approve=approve, note=note)
        status = request.status
    console.print(f"change request {request_id} {status}")


@households_app.command("approve")
def approve(
    request_id: Annotated[int, typer.Argument(help="Change request id")],
    by: ByOption,
    note: Annotated[str | None, typer.Option(help="A note for the record")] = None,
    db: DbOption = None,
) -> None:
    """Approve and apply a change request (not by its requester)."""
    _decide(request_id, by, True, note, db)


@households_app.command("reject")
def reject(
    request_id: Annotated[int, typer.Argument(help="Change request id")],
    by: ByOption,
    note: Annotated[str | None, typer.Option(help="Why")] = None,
    db: DbOption = None,
) -> None:
    """Reject a change request (not by its requester)."""
    _decide(request_id, by, False, note, db)


@households_app.command("pending")
def pending(db: DbOption = None) -> None:
    """List the change requests waiting for a decision."""
    from sijill.social import pending_changes

    with open_register(db, write=False) as session:
        rows = [(r.id, r.household_id, r.kind, r.requested_by) for r in pending_changes(session=session)]
    for number, household, kind, requester in rows:
        console.print(f"{number}: household {household}, {kind}, requested by {requester}")
    console.print(f"{len(rows)} pending")
