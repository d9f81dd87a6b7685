"""`sijill outbox subscribe|consume|ack|read`: agencies reading the register's events in order."""

import json
from typing import TYPE_CHECKING, Annotated

import typer

from sijill.cli.console import console
from sijill.cli.database import DbOption, open_register

if TYPE_CHECKING:
    from sijill.outbox import OutboxEvent

outbox_app = typer.Typer(help="The outbox: events subscribers read in order.", no_args_is_help=True)
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object per event")]
NameArgument = Annotated[str, typer.Argument(help="The subscriber's name")]
LimitOption = Annotated[int, typer.Option("--limit", help="At most this many events")]


def _print(events: "list[OutboxEvent]", as_json: bool) -> None:
    for e in events:
        row = {"id": e.id, "at": e.at.isoformat(), "kind": e.kind, "uin": e.uin, "payload": e.payload}
        if as_json:
            console.print(json.dumps(row), highlight=False, soft_wrap=True)
        else:
            console.print(
                f"{e.id:>10}  {e.at:%Y-%m-%d %H:%M:%S}  {e.kind:10} {e.uin or '':10}  {e.payload}",
                highlight=False,
            )


@outbox_app.command("subscribe")
def subscribe(
    name: NameArgument,
    from_latest: Annotated[bool, typer.Option("--from-latest", help="Start after the latest event")] = False,
    db: DbOption = None,
) -> None:
    """Create a subscriber (reading from the first event, or the latest); nothing if it exists."""
    from sijill.outbox import subscribe as subscribe_to

    with open_register(db, write=False) as session:
        position = subscribe_to(session, name=name, from_latest=from_latest).position
    console.print(f"subscriber {name} at event {position}", highlight=False)


@outbox_app.command("consume")
def consume(
    name: NameArgument, limit: LimitOption = 100, as_json: JsonOption = False, db: DbOption = None
) -> None:
    """Print the next events after the subscriber's cursor; `ack` them once handled."""
    from sijill.outbox import consume as consume_events

    with open_register(db, write=False) as session:
        events = consume_events(session, subscriber=name, limit=limit)
    _print(events, as_json)


@outbox_app.command("ack")
def ack(
    name: NameArgument,
    up_to: Annotated[int, typer.Argument(help="The id of the last event handled")],
    db: DbOption = None,
) -> None:
    """Acknowledge every event up to this id: the cursor moves forward, never back."""
    from sijill.outbox import ack as ack_events

    with open_register(db, write=False) as session:
        position = ack_events(session, subscriber=name, up_to=up_to)
    console.print(f"subscriber {name} at event {position}", highlight=False)


@outbox_app.command("read")
def read(
    after: Annotated[int, typer.Option("--after", help="Events with a higher id")] = 0,
    kind: Annotated[list[str] | None, typer.Option("--kind", help="Only these kinds (repeatable)")] = None,
    limit: LimitOption = 100,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Print events after an id, in order, without any subscriber's cursor."""
    from sijill.outbox import read_events

    with open_register(db, write=False) as session:
        events = read_events(session, after=after, limit=limit, kinds=kind)
    _print(events, as_json)
