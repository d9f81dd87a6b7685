"""`/registry/notify`: births and deaths the civil registry notifies, as SPDCI notify envelopes.

The civil registry (a policy naming `registry.notify` and the civil source) sends a signed
envelope of `notify_event` items, each a birth or a death with one DCI person record:

- a birth: `name` (`sur_name`, `given_name`), `sex` (male, female), `birthdate`, and in
  `additional_attributes` the `commune` of birth, the `mother_uin` (and `father_uin`) and the
  Arabic names (`family_name_ar`, `given_name_ar`);
- a death: `identifier_type` UIN, `identifier`, `deathdate`.

Each item becomes a life event of the register (`sijill.register.events`), on its own: one
refused (a second death, an unknown UIN) leaves the others done. The answer is an ACK; each
item's outcome (and, for a policy with the field `uin`, the person's UIN) is read back with
`/registry/sync/txn/status`.
"""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from sijill.api.deps import AgencyCall, require
from sijill.api.registry import Ack, Envelope, ack_answer, check_envelope, request_items
from sijill.db.locks import writer_session
from sijill.errors import SijillError
from sijill.identity.registry import event_of, record_transaction
from sijill.register.events import BirthDeclaration, EventOutcome, declare_birth, record_death

router = APIRouter(tags=["spdci registry"])
SEXES = {"male": "M", "female": "F", "M": "M", "F": "F"}


class NotifyRefused(Exception):
    """A notify item that cannot be read as a birth or a death; the message says why."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _attributes(record: dict[str, Any]) -> dict[str, str]:
    listed = record.get("additional_attributes")
    items = listed if isinstance(listed, list) else []
    return {str(a.get("name")): str(a.get("value")) for a in items if isinstance(a, dict) and a.get("value")}


def _text(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not value:
        raise NotifyRefused(f"the record needs {key}")
    return value


def _birth(session: Session, record: dict[str, Any], by: str) -> EventOutcome:
    name = record.get("name") if isinstance(record.get("name"), dict) else {}
    assert isinstance(name, dict)
    extra = _attributes(record)
    if "commune" not in extra or "mother_uin" not in extra:
        raise NotifyRefused("a birth needs the commune and mother_uin attributes")
    child = BirthDeclaration(
        sex=SEXES.get(str(record.get("sex")), "?"),
        birth_date=_text(record, "birthdate"),
        commune=extra["commune"],
        family_ar=extra.get("family_name_ar"),
        given_ar=extra.get("given_name_ar"),
        family_lat=name.get("sur_name") or None,
        given_lat=name.get("given_name") or None,
    )
    return declare_birth(
        session, child=child, mother_uin=extra["mother_uin"], father_uin=extra.get("father_uin"), by=by
    )


def _death(session: Session, record: dict[str, Any], by: str) -> EventOutcome:
    if str(record.get("identifier_type", "")).upper() != "UIN":
        raise NotifyRefused("a death names the person by identifier_type UIN")
    return record_death(
        session, uin=_text(record, "identifier"), death_date=_text(record, "deathdate"), by=by
    )


def _declare(session: Session, call: AgencyCall, item: dict[str, Any]) -> dict[str, Any]:
    """Apply one notify item in its own savepoint; return its outcome for the transaction's status."""
    answer: dict[str, Any] = {"reference_id": str(item.get("reference_id", "")), "timestamp": _now()}
    data = item.get("data") if isinstance(item.get("data"), dict) else {}
    assert isinstance(data, dict)
    event, records = event_of(data.get("reg_event_type")), data.get("reg_records")
    try:
        if (
            event is None
            or not isinstance(records, list)
            or len(records) != 1
            or not isinstance(records[0], dict)
        ):
            raise NotifyRefused("an item is a birth or a death with one record")
        with session.begin_nested():
            declare = _birth if event == "birth" else _death
            outcome = declare(session, records[0], f"agency:{call.grant.agency}")
    except (NotifyRefused, SijillError) as refused:
        return answer | {
            "status": "rjct",
            "status_reason_code": "rjct.event.invalid",
            "status_reason_message": str(refused),
        }
    call.audit.touched.append((outcome.uin, "notify", ("uin",)))
    if "uin" in call.grant.fields:
        answer["reg_records"] = [{"identifier_type": "UIN", "identifier": outcome.uin}]
    return answer | {"status": "succ", "reg_event_type": event}


@router.post("/registry/notify", summary="SPDCI notify: births and deaths from the civil registry")
def registry_notify(
    envelope: Envelope, call: Annotated[AgencyCall, Depends(require("registry.notify"))]
) -> Ack:
    """Declare each birth or death notified; acknowledge, the outcomes read back by status."""
    reason = check_envelope(call, envelope, "notify")
    items = request_items(envelope, "notify_event") if reason is None else reason
    if isinstance(items, str):
        return ack_answer("", ("err.request.bad", items))
    with writer_session(call.services.engine) as session:
        txn = record_transaction(
            session=session,
            agency_id=call.grant.agency_id,
            message_id=envelope.header.message_id,
            transaction_id=str(envelope.message.get("transaction_id", "")),
            action="notify",
            status="succ",
            summary={},
        )
        if txn is None:
            return ack_answer("", ("err.request.bad", "rjct.message_id.duplicate"))
        answers = [_declare(session, call, item) for item in items]
        txn.summary = {"reference_ids": [a["reference_id"] for a in answers], "responses": answers}
        return ack_answer(txn.correlation_id)
