"""`sijill person show|history|merge|split|undo`: a person's versions, and operators' actions."""

import json
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sijill.cli.console import console
from sijill.cli.database import DbOption, open_register

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from sijill.register.person_versions import PersonState

person_app = typer.Typer(
    help="A person's state and history; operators' merges and splits.", no_args_is_help=True
)
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON")]
ByOption = Annotated[str, typer.Option("--by", help="Who acts (the operator's name), kept in the audit")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why (a reason code or a decision's reference)")]


def parse_at(value: str) -> datetime:
    """Return the time a --at value names: a date means the end of that day (UTC)."""
    from sijill.errors import UsageError

    try:
        if len(value) == 10:
            return datetime.combine(datetime.fromisoformat(value).date(), time.max, tzinfo=UTC)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--at {value!r}: use a date (YYYY-MM-DD) or an ISO time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _records(session: "Session", person_id: int) -> list[dict[str, Any]]:
    from sijill.register.persons import records_of

    return [
        {"id": r.id, "source": r.source, "source_id": r.source_id}
        for r in records_of(session, person_id=person_id)
    ]


def _print_state(state: "PersonState", records: list[dict[str, Any]]) -> None:
    console.print(
        f"UIN {state.uin}  version {state.version}  ({state.attributes.get('status')})", highlight=False
    )
    if state.resolved_from:
        console.print(f"  reached from UIN {state.resolved_from} (merged)", highlight=False)
    for field, value in state.attributes.items():
        if value is not None:
            console.print(f"  {field:12} {value}", highlight=False)
    console.print(
        f"  since {state.valid_from:%Y-%m-%d %H:%M} by {state.changed_by} ({state.reason})", highlight=False
    )
    for r in records:
        console.print(f"  record {r['id']:>8}  {r['source']:7} {r['source_id'] or ''}", highlight=False)


@person_app.command("show")
def show(
    uin: Annotated[str, typer.Argument(help="The person's UIN (an alias leads to the survivor)")],
    at: Annotated[str | None, typer.Option("--at", help="The state held at this date or time")] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Print a person as the register holds it now, or held it at a past date."""
    from sijill.errors import NotFound
    from sijill.register.person_versions import person_at
    from sijill.uin import check_uin

    moment = parse_at(at) if at else datetime.now(UTC)
    with open_register(db, write=False) as session:
        state = person_at(session, uin=check_uin(uin.strip()), at=moment)
        if state is None:
            raise NotFound("this person was not in the register at that time")
        records = _records(session, state.person_id) if at is None else []
    if as_json:
        console.print_json(json.dumps({**state.as_dict(), "records": records}))
        return
    _print_state(state, records)


@person_app.command("history")
def history(
    uin: Annotated[str, typer.Argument(help="The person's UIN")],
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Print every version of a person, oldest first: when, by whom, why, from what."""
    from sijill.register.person_versions import person_history
    from sijill.uin import check_uin

    with open_register(db, write=False) as session:
        versions = person_history(session, uin=check_uin(uin.strip()))
    if as_json:
        console.print_json(json.dumps([v.as_dict() for v in versions]))
        return
    for v in versions:
        to = f"{v.valid_to:%Y-%m-%d %H:%M}" if v.valid_to else "now"
        line = f"v{v.version:<3} {v.valid_from:%Y-%m-%d %H:%M} .. {to:16} {v.changed_by:12} {v.reason:16}"
        console.print(f"{line} {v.attributes.get('status')}  {v.source or ''}", highlight=False)


def _done(outcome: Any, as_json: bool, what: str) -> None:
    from dataclasses import asdict

    if as_json:
        console.print_json(json.dumps(asdict(outcome)))
        return
    extra = f" ({', '.join(outcome.uins)})" if outcome.uins else ""
    console.print(f"{what}: action {outcome.action_id} on UIN {outcome.uin}{extra}", highlight=False)


@person_app.command("merge")
def merge(
    survivor: Annotated[str, typer.Argument(help="The UIN that stays")],
    absorbed: Annotated[str, typer.Argument(help="The UIN that becomes its alias")],
    reason: ReasonOption,
    by: ByOption,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Merge two persons: the absorbed UIN becomes an alias of the survivor's."""
    from sijill.register.operators import merge_persons

    with open_register(db, write=True) as session:
        done = merge_persons(
            session, survivor_uin=survivor.strip(), absorbed_uin=absorbed.strip(), reason=reason, by=by
        )
    _done(done, as_json, "merged")


def _record_ids(value: str) -> list[int]:
    from sijill.errors import UsageError

    try:
        return [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise UsageError(
            "--records takes record ids separated by commas (see `sijill person show`)"
        ) from None


@person_app.command("split")
def split(
    uin: Annotated[str, typer.Argument(help="The person to split")],
    records: Annotated[str, typer.Option("--records", help="Record ids moved to a new person: ID,ID")],
    reason: ReasonOption,
    by: ByOption,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Move some records of a person to a new person with a new UIN, kept apart from now on."""
    from sijill.register.operators import split_person

    with open_register(db, write=True) as session:
        done = split_person(session, uin=uin.strip(), record_ids=_record_ids(records), reason=reason, by=by)
    _done(done, as_json, "split")


@person_app.command("undo")
def undo(
    action_id: Annotated[int, typer.Argument(help="The operator action to undo")],
    reason: ReasonOption,
    by: ByOption,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Undo a merge or a split exactly (refused for an undo, or once later changes build on it)."""
    from sijill.register.operators import undo_action

    with open_register(db, write=True) as session:
        done = undo_action(session, action_id=action_id, reason=reason, by=by)
    _done(done, as_json, "undone")
