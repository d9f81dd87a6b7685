"""`sijill residents ...`: an operator acting for a resident (VIDs, locks), audited as such."""

from typing import TYPE_CHECKING, Annotated

import typer

from sijill.cli.console import console
from sijill.cli.database import DbOption, open_register

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

residents_app = typer.Typer(
    help="Act for a resident: virtual IDs and authentication locks.", no_args_is_help=True
)
OperatorOption = Annotated[
    str, typer.Option("--by", help="Who acts (the operator's name), kept in the audit")
]


def _current_uin(session: "Session", uin: str) -> str:
    """Return the current UIN of the person holding this UIN (an alias resolves)."""
    from sijill.identity import UnknownSubject, subject_by_uin
    from sijill.uin import check_uin

    subject = subject_by_uin(session=session, uin=check_uin(uin), operation="operator")
    if subject is None:
        raise UnknownSubject("no person holds this UIN")
    return subject.uin


def _audit(session: "Session", *, operation: str, uin: str, by: str, fields: tuple[str, ...] = ()) -> None:
    from sijill.identity import ACTOR_OPERATOR, AuditRecord, append_entries

    record = AuditRecord(
        operation=operation,
        outcome="ok",
        status_code=200,
        actor=ACTOR_OPERATOR,
        agency=by,
        uin=uin,
        fields=fields,
    )
    append_entries(session=session, records=[record])


@residents_app.command("vid-issue")
def vid_issue(
    uin: Annotated[str, typer.Argument(help="The resident's UIN")],
    by: OperatorOption,
    temporary: Annotated[
        bool, typer.Option("--temporary", help="A temporary VID (default: perpetual)")
    ] = False,
    minutes: Annotated[int | None, typer.Option(help="Life of a temporary VID")] = None,
    uses: Annotated[int | None, typer.Option(help="Uses of a temporary VID")] = None,
    db: DbOption = None,
) -> None:
    """Issue a VID for a resident and print it."""
    from sijill.identity import PERPETUAL, TEMPORARY, issue_vid

    with open_register(db, write=True) as session:
        current = _current_uin(session, uin)
        kind = TEMPORARY if temporary else PERPETUAL
        vid = issue_vid(
            session=session, uin=current, kind=kind, issued_by=f"operator:{by}", minutes=minutes, uses=uses
        )
        _audit(session, operation="operator.vid_issue", uin=current, by=by, fields=("vid",))
        number = vid.vid
    console.print(f"{kind} VID {number}", highlight=False)


@residents_app.command("vid-revoke")
def vid_revoke(
    vid: Annotated[str, typer.Argument(help="The VID to revoke")], by: OperatorOption, db: DbOption = None
) -> None:
    """Revoke a VID."""
    from sijill.identity import UnknownSubject, Vid, revoke_vid

    with open_register(db, write=True) as session:
        held = session.get(Vid, vid)
        if held is None:
            raise UnknownSubject("no VID with this number")
        revoke_vid(session=session, vid=vid)
        _audit(session, operation="operator.vid_revoke", uin=held.uin, by=by)
    console.print("VID revoked")


@residents_app.command("vids")
def vids(uin: Annotated[str, typer.Argument(help="The resident's UIN")], db: DbOption = None) -> None:
    """List a resident's VIDs and their state."""
    from rich.table import Table

    from sijill.identity import vid_state, vids_of

    with open_register(db, write=False) as session:
        rows = vids_of(session=session, uin=_current_uin(session, uin))
        table = Table(title="VIDs")
        for col in ("vid", "kind", "state", "issued", "expires", "uses left"):
            table.add_column(col)
        for v in rows:
            expires = v.expires_at.isoformat(timespec="minutes") if v.expires_at else ""
            uses = "" if v.uses_left is None else str(v.uses_left)
            table.add_row(
                v.vid, v.kind, vid_state(v), v.issued_at.isoformat(timespec="minutes"), expires, uses
            )
    console.print(table)


@residents_app.command("lock")
def lock_cmd(
    uin: Annotated[str, typer.Argument(help="The resident's UIN")],
    by: OperatorOption,
    operation: Annotated[
        str, typer.Option(help="verify, persons, tokens, registry.search, or * for all")
    ] = "*",
    db: DbOption = None,
) -> None:
    """Lock authentication (one operation, or all) on a resident's record."""
    from sijill.identity import lock

    with open_register(db, write=True) as session:
        current = _current_uin(session, uin)
        changed = lock(session=session, uin=current, operation=operation, by=f"operator:{by}")
        _audit(session, operation="operator.lock", uin=current, by=by)
    console.print("locked" if changed else "already locked")


@residents_app.command("unlock")
def unlock_cmd(
    uin: Annotated[str, typer.Argument(help="The resident's UIN")],
    by: OperatorOption,
    operation: Annotated[str, typer.Option(help="The operation locked, or * for the lock of all")] = "*",
    db: DbOption = None,
) -> None:
    """Lift a lock on a resident's record."""
    from sijill.identity import unlock

    with open_register(db, write=True) as session:
        current = _current_uin(session, uin)
        changed = unlock(session=session, uin=current, operation=operation)
        _audit(session, operation="operator.unlock", uin=current, by=by)
    console.print("unlocked" if changed else "was not locked")
