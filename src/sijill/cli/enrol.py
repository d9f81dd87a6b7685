"""`sijill enrol person|sync|review|decide|bundle` and `sijill enrol device add|list|revoke|keygen`."""

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sijill.cli.console import console, err_console
from sijill.cli.database import DbOption, open_register, register_engine

if TYPE_CHECKING:
    from sijill.enrolment import EnrolmentOutcome, Evidence, SyncReport

enrol_app = typer.Typer(
    help="Enrol people no registry holds, at a desk or from field devices.", no_args_is_help=True
)
device_app = typer.Typer(help="Field devices and the keys they sign bundles with.", no_args_is_help=True)
enrol_app.add_typer(device_app, name="device")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a summary")]
ByOption = Annotated[str, typer.Option("--by", help="Who does this (an operator's or reviewer's name)")]
EXIT_ENTRIES_REFUSED = 1


def _pairs(values: list[str] | None, what: str, example: str) -> list[tuple[str, str]]:
    out = []
    for value in values or []:
        first, sep, second = value.partition(":")
        if not sep or not first.strip() or not second.strip():
            raise typer.BadParameter(f"write a {what} as {example}")
        out.append((first.strip(), second.strip()))
    return out


def _evidence(
    documents: list[str] | None, witnesses: list[str] | None, parents: list[str] | None
) -> "Evidence":
    from sijill.enrolment import Document, Evidence, Parent

    return Evidence(
        tuple(Document(t, n) for t, n in _pairs(documents, "document", "TYPE:NUMBER, e.g. cnie:AB123456")),
        tuple(w.strip() for w in witnesses or []),
        tuple(Parent(u, r) for r, u in _pairs(parents, "parent", "ROLE:UIN, e.g. mother:2345678901")),
    )


def _print_outcome(outcome: "EnrolmentOutcome") -> None:
    label = outcome.client_id or outcome.number or "-"
    if outcome.outcome == "new":
        console.print(f"{label}: new person, UIN {outcome.uin} (enrolment {outcome.number})", highlight=False)
    elif outcome.outcome == "queued":
        uins = (
            ", ".join(str(c["uin"]) for c in outcome.candidates[:3] if c.get("uin")) or "an unlinked record"
        )
        console.print(
            f"{label}: held for review (matcher: {outcome.decision}; likely {uins}); "
            f"no UIN issued (enrolment {outcome.number})",
            highlight=False,
        )
    elif outcome.outcome == "already":
        console.print(f"{label}: already applied (enrolment {outcome.number})", highlight=False)
    else:
        console.print(f"{label}: refused: {outcome.reason}", highlight=False)


@enrol_app.command("person")
def person(
    by: ByOption,
    family_ar: Annotated[str, typer.Option(help="Family name in Arabic")] = "",
    given_ar: Annotated[str, typer.Option(help="Given name in Arabic")] = "",
    family_lat: Annotated[str, typer.Option(help="Family name in Latin letters")] = "",
    given_lat: Annotated[str, typer.Option(help="Given name in Latin letters")] = "",
    sex: Annotated[str, typer.Option(help="M or F")] = "",
    birth_date: Annotated[str, typer.Option(help="YYYY-MM-DD, DD/MM/YYYY or YYYY")] = "",
    birth_place: Annotated[str, typer.Option(help="Place or commune code of birth")] = "",
    commune: Annotated[str, typer.Option(help="Commune code of residence")] = "",
    father_given_ar: Annotated[str, typer.Option(help="Father's given name in Arabic")] = "",
    document: Annotated[list[str] | None, typer.Option(help="A document seen, TYPE:NUMBER (repeat)")] = None,
    witness: Annotated[list[str] | None, typer.Option(help="A witness's UIN (repeat)")] = None,
    parent: Annotated[list[str] | None, typer.Option(help="A parent, ROLE:UIN (repeat)")] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Enrol one person at a desk: matched first; a new UIN only for a clear new person."""
    from sijill.db.engine import session_scope
    from sijill.db.locks import writer_session
    from sijill.enrolment import EnrolmentForm, enrol_person
    from sijill.register.match import Matcher

    particulars = {
        "family_ar": family_ar,
        "given_ar": given_ar,
        "family_lat": family_lat,
        "given_lat": given_lat,
        "sex": sex,
        "birth_date": birth_date,
        "birth_place": birth_place,
        "commune": commune,
        "father_given_ar": father_given_ar,
    }
    form = EnrolmentForm(
        {k: v for k, v in particulars.items() if v}, by, _evidence(document, witness, parent)
    )
    engine = register_engine(db, write=True)
    try:
        with session_scope(engine) as session:
            matcher = Matcher.load(session)
        with writer_session(engine) as session:
            outcome = enrol_person(session=session, matcher=matcher, form=form)
    finally:
        engine.dispose()
    if as_json:
        console.print_json(json.dumps(outcome.as_dict()))
    else:
        _print_outcome(outcome)


def _print_report(report: "SyncReport") -> None:
    for outcome in report.outcomes:
        _print_outcome(outcome)
    counts = report.counts
    summary = ", ".join(f"{n} {k}" for k, n in counts.items())
    verdict = "all already applied; nothing changed" if report.already_applied else summary
    console.print(f"bundle {report.bundle_id} from {report.device}: {verdict}", highlight=False)


@enrol_app.command("sync")
def sync(
    bundle: Annotated[Path, typer.Argument(help="A JSON bundle, or a CSV bundle's manifest or directory")],
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Verify a device's signed bundle and apply each entry once; exit 9 when refused whole.

    Exit 1 when some entries were refused (the others are applied), 0 otherwise.
    """
    from sijill.enrolment import OUTCOME_REFUSED, sync_bundle

    engine = register_engine(db, write=True)
    try:
        report = sync_bundle(engine=engine, path=bundle)
    finally:
        engine.dispose()
    if as_json:
        console.print_json(json.dumps(report.as_dict()))
    else:
        _print_report(report)
    if any(o.outcome == OUTCOME_REFUSED for o in report.outcomes):
        raise typer.Exit(EXIT_ENTRIES_REFUSED)


@enrol_app.command("review")
def review(
    limit: Annotated[int, typer.Option(help="How many to list")] = 50,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """List the enrolments held for review, with their likely persons (UINs)."""
    from sijill.enrolment import pending_enrolments

    with open_register(db, write=False) as session:
        rows: list[dict[str, Any]] = [
            {
                "number": e.number,
                "device": e.device,
                "operator": e.operator,
                "candidates": [
                    {"uin": c.get("uin"), "probability": c.get("probability")} for c in e.candidates
                ],
            }
            for e in pending_enrolments(session=session, limit=limit)
        ]
    if as_json:
        console.print_json(json.dumps(rows))
        return
    for row in rows:
        likely = ", ".join(f"{c['uin']} ({c['probability']:.2f})" for c in row["candidates"] if c["uin"])
        console.print(f"{row['number']}  by {row['operator']}  likely: {likely or '-'}", highlight=False)
    console.print(f"{len(rows)} enrolments waiting for review")


@enrol_app.command("decide")
def decide(
    number: Annotated[str, typer.Argument(help="The enrolment's number (ENR...)")],
    by: ByOption,
    link: Annotated[str | None, typer.Option("--link", help="The UIN of the person it is")] = None,
    new: Annotated[bool, typer.Option("--new", help="Nobody the register holds: issue a new UIN")] = False,
    note: Annotated[str | None, typer.Option(help="Why")] = None,
    db: DbOption = None,
) -> None:
    """Decide a held enrolment: --link UIN (no new UIN) or --new (a new person and UIN)."""
    from sijill.enrolment import settle_enrolment
    from sijill.errors import UsageError

    if bool(link) == new:
        raise UsageError("give exactly one of --link UIN or --new")
    decision = "new" if new else "link"
    with open_register(db, write=True) as session:
        done = settle_enrolment(
            session=session, number=number, decision=decision, reviewer=by, uin=link, note=note
        )
    console.print(f"enrolment {done.number}: {done.status}, UIN {done.uin}", highlight=False)


@enrol_app.command("bundle")
def bundle_cmd(
    forms: Annotated[Path, typer.Argument(help="A JSON list of entries (as a bundle's entries)")],
    key: Annotated[Path, typer.Option("--key", help="The device's private key (PEM)")],
    device: Annotated[str, typer.Option("--device", help="The device's registered name")],
    bundle_id: Annotated[str, typer.Option("--id", help="The bundle's id, new for each bundle")],
    out: Annotated[Path, typer.Option("--out", help="The bundle file (JSON) or directory (CSV)")],
    csv: Annotated[bool, typer.Option("--csv", help="Write entries.csv and manifest.json")] = False,
) -> None:
    """Sign entries into a bundle as a field device does (for tests, training and demos)."""
    from sijill.enrolment import load_private_key, write_csv_bundle, write_json_bundle
    from sijill.enrolment.forms import form_from_json
    from sijill.errors import UsageError

    try:
        entries = json.loads(forms.read_text(encoding="utf-8"))
        pem = key.read_bytes()
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"cannot read the entries or the key ({type(exc).__name__})") from None
    if not isinstance(entries, list):
        raise UsageError(f"{forms.name}: expected a JSON list of entries")
    parsed = [form_from_json(e) for e in entries]
    write = write_csv_bundle if csv else write_json_bundle
    path = write(out, key=load_private_key(pem), device=device, bundle_id=bundle_id, forms=parsed)
    console.print(f"bundle {bundle_id}: {len(parsed)} entries signed into {path}", highlight=False)


@device_app.command("add")
def device_add(
    name: Annotated[str, typer.Argument(help="The device's name, e.g. tablet-07")],
    public_key: Annotated[str, typer.Option("--public-key", help="A PEM file, or the key in base64")],
    by: ByOption = "operator",
    db: DbOption = None,
) -> None:
    """Register a field device and the ed25519 public key it signs its bundles with."""
    from sijill.enrolment import add_device

    path = Path(public_key)
    text = path.read_text(encoding="utf-8") if path.is_file() else public_key
    with open_register(db, write=True) as session:
        add_device(session=session, name=name, public_key=text, by=by)
    console.print(f"device {name} registered", highlight=False)


@device_app.command("list")
def device_list(db: DbOption = None) -> None:
    """List the devices, their status and public keys."""
    from sijill.enrolment import list_devices

    with open_register(db, write=False) as session:
        devices = [(d.name, d.status, d.public_key) for d in list_devices(session=session)]
    for name, status, key in devices:
        console.print(f"{name}  {status}  {key}", highlight=False)


@device_app.command("revoke")
def device_revoke(
    name: Annotated[str, typer.Argument(help="The device")], by: ByOption = "operator", db: DbOption = None
) -> None:
    """Revoke a device: its bundles are refused from now on."""
    from sijill.enrolment import revoke_device

    with open_register(db, write=True) as session:
        revoke_device(session=session, name=name, by=by)
    console.print(f"device {name} revoked", highlight=False)


@device_app.command("keygen")
def device_keygen(
    out: Annotated[Path, typer.Argument(help="Where to write the private key (PEM); keep it on the device")],
) -> None:
    """Draw a key pair for a device: write the private key, print the public key (base64)."""
    from sijill.enrolment import new_device_key, private_key_pem
    from sijill.errors import OutputError
    from sijill.identity.envelope import raw_public_key

    key = new_device_key()
    try:
        out.write_bytes(private_key_pem(key))
        out.chmod(0o600)
    except OSError as exc:
        raise OutputError(f"{out}: cannot be written ({exc.strerror or type(exc).__name__})") from None
    err_console.print(f"private key written to {out}; register the public key with `sijill enrol device add`")
    console.print(raw_public_key(key.public_key()), highlight=False)
