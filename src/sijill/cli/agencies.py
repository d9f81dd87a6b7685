"""`sijill agencies add|list|revoke|rotate|key|notify`: partner agencies, policies, notifications."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sijill.cli.console import console, err_console
from sijill.cli.database import DbOption, open_register

if TYPE_CHECKING:
    import httpx

    from sijill.identity import IssuedCredential

agencies_app = typer.Typer(help="Partner agencies, their policies and credentials.", no_args_is_help=True)


def _listed(values: list[str] | None) -> tuple[str, ...]:
    """Accept repeated options and comma-separated lists alike."""
    return tuple(v.strip() for value in values or [] for v in value.split(",") if v.strip())


def _show_credential(issued: "IssuedCredential") -> None:
    console.print(
        f"agency {issued.agency}, purpose {issued.purpose}: credential (shown once, keep it secret)"
    )
    console.print(issued.credential, soft_wrap=True, highlight=False)
    err_console.print(
        f"OAuth2 client id {issued.key_id}; client secret: the part after sjl_{issued.key_id}_",
        highlight=False,
    )


@agencies_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The agency's name, e.g. cnops")],
    purpose: Annotated[str, typer.Option(help="The purpose its policy serves, e.g. health-insurance")],
    operations: Annotated[
        list[str], typer.Option("--operations", help="verify, resolve, persons, tokens, ...")
    ],
    fields: Annotated[
        list[str] | None, typer.Option("--fields", help="eKYC fields: uin, birth_date, ...")
    ] = None,
    sources: Annotated[list[str] | None, typer.Option("--sources", help="Registries it may resolve")] = None,
    sector: Annotated[str | None, typer.Option(help="Sector of its tokens, e.g. health")] = None,
    rate: Annotated[int, typer.Option(help="Calls per second allowed to the agency")] = 100,
    db: DbOption = None,
) -> None:
    """Create an agency (or add a purpose to one) and print its credential once."""
    from pydantic import ValidationError

    from sijill.errors import UsageError
    from sijill.identity import Policy, add_agency

    try:
        policy = Policy(
            purpose=purpose,
            operations=_listed(operations),
            fields=_listed(fields),
            sources=_listed(sources),
            sector=sector,
        )
    except ValidationError as exc:
        raise UsageError("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())) from None
    with open_register(db, write=True) as session:
        issued = add_agency(session=session, name=name, policy=policy, rate_per_second=rate)
    _show_credential(issued)


@agencies_app.command("list")
def list_cmd(db: DbOption = None) -> None:
    """List the agencies, their policies and how many active credentials each has."""
    from rich.table import Table

    from sijill.identity import list_agencies

    with open_register(db, write=False) as session:
        agencies = list_agencies(session=session)
    table = Table(title="Agencies")
    for col in (
        "agency",
        "status",
        "rate/s",
        "purpose",
        "operations",
        "fields",
        "sources",
        "sector",
        "credentials",
    ):
        table.add_column(col)
    for a in agencies:
        for p in a.policies or [{}]:
            table.add_row(
                a.name,
                a.status,
                str(a.rate_per_second),
                str(p.get("purpose", "")),
                ", ".join(p.get("operations", [])),  # type: ignore[arg-type]
                ", ".join(p.get("fields", [])),  # type: ignore[arg-type]
                ", ".join(p.get("sources", [])),  # type: ignore[arg-type]
                str(p.get("sector") or ""),
                str(p.get("active_credentials", 0)),
            )
    console.print(table)


@agencies_app.command("revoke")
def revoke(name: Annotated[str, typer.Argument(help="The agency to revoke")], db: DbOption = None) -> None:
    """Revoke an agency and all its credentials (running servers stop accepting them within seconds)."""
    from sijill.identity import revoke_agency

    with open_register(db, write=True) as session:
        count = revoke_agency(session=session, name=name)
    console.print(f"agency {name} revoked ({count} active credentials revoked)")


@agencies_app.command("rotate")
def rotate(
    name: Annotated[str, typer.Argument(help="The agency whose credential to replace")],
    purpose: Annotated[str | None, typer.Option(help="The policy, when the agency has several")] = None,
    db: DbOption = None,
) -> None:
    """Revoke a policy's active credentials and print a new one once."""
    from sijill.identity import rotate_credential

    with open_register(db, write=True) as session:
        issued = rotate_credential(session=session, name=name, purpose=purpose)
    _show_credential(issued)


@agencies_app.command("key")
def key(
    name: Annotated[str, typer.Argument(help="The agency")],
    sender_id: Annotated[str, typer.Option("--sender-id", help="Its SPDCI sender id, e.g. spp.example.org")],
    public_key: Annotated[Path, typer.Option("--public-key", help="Its ed25519 public key (PEM, or base64)")],
    db: DbOption = None,
) -> None:
    """Register the key an agency signs its SPDCI messages with, and its sender id."""
    from sijill.errors import UsageError
    from sijill.identity import set_agency_key

    try:
        text = public_key.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{public_key}: cannot read the key ({type(exc).__name__})") from None
    with open_register(db, write=True) as session:
        set_agency_key(session=session, name=name, sender_id=sender_id, public_key=text)
    console.print(f"agency {name}: SPDCI sender {sender_id}, signing key registered", highlight=False)


@agencies_app.command("notify")
def notify(
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each subscriber's answer")] = 10.0,
    every: Annotated[
        float | None,
        typer.Option(min=0.05, help="Keep running: a round every this many seconds (a dispatcher)"),
    ] = None,
    rounds: Annotated[
        int | None, typer.Option(min=1, help="With --every: stop after this many rounds")
    ] = None,
    db: DbOption = None,
) -> None:
    """Send subscribed agencies the births and deaths since their last acknowledgement (SPDCI notify).

    Once by default (exit 1 when a subscriber did not acknowledge). With `--every`, a
    dispatcher: a round every so many seconds until interrupted, a subscriber that did not
    acknowledge being sent the same events again at the next round (nothing is lost: the
    cursor moves only on an ACK).
    """
    import time

    import httpx

    from sijill.errors import SijillError, UsageError

    if every is None:
        if rounds is not None:
            raise UsageError("--rounds needs --every")
        with httpx.Client(timeout=timeout) as client:
            subscriptions, sent, refused = _notify_round(db, client)
        console.print(f"{subscriptions} subscriptions: {sent} events sent, {refused} not acknowledged")
        if refused:
            raise typer.Exit(1)
        return
    done = 0
    with httpx.Client(timeout=timeout) as client:
        while rounds is None or done < rounds:
            started = time.monotonic()
            try:
                subscriptions, sent, refused = _notify_round(db, client)
            except SijillError as exc:  # the register busy or down: try again next round
                err_console.print(f"round {done + 1}: {exc}", highlight=False)
                subscriptions, sent, refused = 0, 0, 0
            done += 1
            if sent or refused:
                console.print(
                    f"round {done}: {subscriptions} subscriptions, {sent} events sent, "
                    f"{refused} not acknowledged (sent again next round)"
                )
            if rounds is None or done < rounds:
                time.sleep(max(0.0, every - (time.monotonic() - started)))
    console.print(f"{done} rounds done")


def _notify_round(db: str | None, client: "httpx.Client") -> tuple[int, int, int]:
    """Notify every live subscription once; return (subscriptions, events sent, not acknowledged).

    Why no writer lock: a subscriber may take seconds to answer, and neither the subscription's
    cursor nor the audit chain needs the register's lock, so ingests and events go on beside it.
    """
    from sijill.api.settings import ApiSettings
    from sijill.cli.database import register_engine
    from sijill.db.engine import session_scope
    from sijill.identity import registry_signing_key
    from sijill.identity.notify import live_subscriptions, notify_subscription

    engine = register_engine(db, write=True)
    try:
        with session_scope(engine) as session:
            subscriptions = live_subscriptions(session=session)
        sent, refused = 0, 0
        for subscription_id in subscriptions:
            with session_scope(engine) as session:  # one subscription, one unit of work
                count = notify_subscription(
                    session=session,
                    subscription_id=subscription_id,
                    client=client,
                    key=registry_signing_key(session=session),
                    registry_id=ApiSettings().registry_id,
                )
            sent, refused = sent + (count or 0), refused + (count is None)
    finally:
        engine.dispose()
    return len(subscriptions), sent, refused
