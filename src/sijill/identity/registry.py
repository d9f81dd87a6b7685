"""The register as an SPDCI registry: searches by id, expression and predicate; subscriptions;
transactions and their status.

Every attribute a query names must be one the agency's policy allows it to read (a search
on dates of birth discloses dates of birth), and records come back with the allowed fields
only. Residents who locked `registry.search` (or everything) are left out of results.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, literal, not_, or_, select
from sqlalchemy.orm import Session

from sijill import outbox
from sijill.identity.models import AuthLock, RegistrySubscription, RegistryTransaction
from sijill.identity.persons import Subject, ekyc_view, identify
from sijill.identity.policies import ALL_OPERATIONS, AgencyGrant
from sijill.names import is_arabic, normalise_arabic, normalise_latin
from sijill.register import PERSON_ACTIVE, PERSON_DECEASED, Person, resolve_source_id

OPERATION = "registry.search"
MAX_PAGE = 100
# identifier types of `idtype-value` queries: UIN and VID, or the source whose ids they are
ID_SOURCES = {"BRN": "civil", "CNIE": "cnie", "MASSAR": "massar", "CNSS": "cnss", "RAMED": "ramed"}
SEXES = {"male": "M", "female": "F", "M": "M", "F": "F"}
EVENTS = {
    "birth": "birth",
    "live_birth": "birth",
    "livebirth": "birth",
    "death": "death",
}


class QueryRefused(Exception):
    """A search item the registry rejects, with its SPDCI reason code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class SearchResult:
    """The records of one search item, the total before paging, and the UINs disclosed."""

    records: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    disclosed: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)


def _name_condition(column_lat: Any, column_ar: Any, field_lat: str, field_ar: str) -> Callable[..., Any]:
    def condition(grant: AgencyGrant, op: str, value: Any) -> ColumnElement[bool]:
        if op != "eq" or not isinstance(value, str):
            raise QueryRefused("rjct.search_criteria.invalid", "names are compared with eq and a text")
        arabic = is_arabic(value)
        _need(grant, field_ar if arabic else field_lat)
        matched: ColumnElement[bool] = (
            (column_ar == normalise_arabic(value)) if arabic else (column_lat == normalise_latin(value))
        )
        return matched

    return condition


def _need(grant: AgencyGrant, field_name: str) -> None:
    if field_name not in grant.fields:
        raise QueryRefused(
            "rjct.search_criteria.invalid", f"the policy does not allow searching on {field_name}"
        )


def _compare(column: Any, op: str, value: Any) -> ColumnElement[bool]:
    if op == "in":
        if not isinstance(value, list) or not value:
            raise QueryRefused("rjct.search_criteria.invalid", "in takes a non-empty list")
        return column.in_([str(v) for v in value])  # type: ignore[no-any-return]
    comparisons: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
        "eq": lambda c, v: c == v,
        "gt": lambda c, v: c > v,
        "ge": lambda c, v: c >= v,
        "lt": lambda c, v: c < v,
        "le": lambda c, v: c <= v,
    }
    if op not in comparisons or isinstance(value, dict | list):
        raise QueryRefused(
            "rjct.search_criteria.invalid", f"unknown operator {op}: use eq, gt, ge, lt, le, in"
        )
    return comparisons[op](column, str(value))


def _plain(field_name: str, column: Any, convert: Callable[[Any], Any] = str) -> Callable[..., Any]:
    def condition(grant: AgencyGrant, op: str, value: Any) -> ColumnElement[bool]:
        _need(grant, field_name)
        try:
            value = [convert(v) for v in value] if isinstance(value, list) else convert(value)
        except (KeyError, ValueError):
            raise QueryRefused(
                "rjct.search_criteria.invalid", f"a value of {field_name} is not one"
            ) from None
        return _compare(column, op, value)

    return condition


ATTRIBUTES: dict[str, Callable[[AgencyGrant, str, Any], ColumnElement[bool]]] = {
    "birthdate": _plain("birth_date", Person.birth_date),
    "birth_date": _plain("birth_date", Person.birth_date),
    "deathdate": _plain("death_date", Person.death_date),
    "death_date": _plain("death_date", Person.death_date),
    "sex": _plain("sex", Person.sex, lambda v: SEXES[str(v)]),
    "family_name": _name_condition(Person.family_lat, Person.family_ar, "family_name_lat", "family_name_ar"),
    "sur_name": _name_condition(Person.family_lat, Person.family_ar, "family_name_lat", "family_name_ar"),
    "given_name": _name_condition(Person.given_lat, Person.given_ar, "given_name_lat", "given_name_ar"),
}


def _attribute(grant: AgencyGrant, name: Any, op: str, value: Any) -> ColumnElement[bool]:
    condition = ATTRIBUTES.get(str(name))
    if condition is None:
        known = ", ".join(sorted(ATTRIBUTES))
        raise QueryRefused("rjct.search_criteria.invalid", f"unknown attribute {name}: use {known}")
    return condition(grant, op, value)


def expression_condition(grant: AgencyGrant, query: Any) -> ColumnElement[bool]:
    """Compile an `expression` query: `{type, value: {attribute: value or {operator: value}}}`.

    The value may also be wrapped as `{"expression": {...}}`; the operators are those of the
    predicates (eq, gt, ge, lt, le, in), and `{"type": "range", "gte": a, "lte": b}` is read too.
    """
    value = query.get("value") if isinstance(query, dict) else None
    if isinstance(value, dict) and isinstance(value.get("expression"), dict):
        value = value["expression"]
    if not isinstance(value, dict) or not value:
        raise QueryRefused("rjct.search_criteria.invalid", "an expression query holds {attribute: condition}")
    conditions = []
    for name, condition in value.items():
        if not isinstance(condition, dict):
            conditions.append(_attribute(grant, name, "eq", condition))
            continue
        for op, operand in condition.items():
            if op == "type":
                continue
            conditions.append(
                _attribute(grant, name, {"gte": "ge", "lte": "le"}.get(str(op), str(op)), operand)
            )
    return and_(*conditions)


def predicate_condition(grant: AgencyGrant, query: Any) -> ColumnElement[bool]:
    """Compile a `predicate` query: a list of `{expression1, condition, expression2}`, all true."""
    if not isinstance(query, list) or not query:
        raise QueryRefused("rjct.search_criteria.invalid", "a predicate query is a list of expressions")
    items = []
    for item in sorted(query, key=lambda i: i.get("seq_num", 0) if isinstance(i, dict) else 0):
        if not isinstance(item, dict) or not isinstance(item.get("expression1"), dict):
            raise QueryRefused("rjct.search_criteria.invalid", "each predicate has an expression1")
        first = _predicate(grant, item["expression1"])
        condition, second = item.get("condition"), item.get("expression2")
        if condition is None and second is None:
            items.append(first)
        elif condition == "not" and second is None:
            items.append(not_(first))
        elif condition in ("and", "or", "not") and isinstance(second, dict):
            other = _predicate(grant, second)
            items.append(
                and_(first, other)
                if condition == "and"
                else or_(first, other)
                if condition == "or"
                else and_(first, not_(other))
            )
        else:
            raise QueryRefused(
                "rjct.search_criteria.invalid", "condition is and, or or not, with expression2"
            )
    return and_(*items)


def _predicate(grant: AgencyGrant, expression: dict[str, Any]) -> ColumnElement[bool]:
    return _attribute(
        grant,
        expression.get("attribute_name"),
        str(expression.get("operator", "eq")),
        expression.get("attribute_value"),
    )


_SEARCH_LOCKED = exists().where(
    AuthLock.uin == Person.uin, AuthLock.operation.in_([literal(OPERATION), literal(ALL_OPERATIONS)])
)
_PERSON_COLUMNS = (
    Person.id,
    Person.uin,
    Person.status,
    Person.family_ar,
    Person.given_ar,
    Person.family_lat,
    Person.given_lat,
    Person.sex,
    Person.birth_date,
    Person.death_date,
)


def _searchable(condition: ColumnElement[bool]) -> "Select[*tuple[Any, ...]]":
    return select(*_PERSON_COLUMNS).where(
        condition, Person.status.in_([PERSON_ACTIVE, PERSON_DECEASED]), not_(_SEARCH_LOCKED)
    )


def search_persons(
    *,
    session: Session,
    grant: AgencyGrant,
    query_type: str,
    query: Any,
    page_size: int = 10,
    page_number: int = 1,
) -> SearchResult:
    """Run one search item of an agency; raise QueryRefused with the reason code when it cannot."""
    if not 1 <= page_size <= MAX_PAGE or page_number < 1:
        raise QueryRefused("rjct.pagination.invalid", f"page_size is 1 to {MAX_PAGE}, page_number from 1")
    if query_type == "idtype-value":
        subjects = _by_identifier(session, grant, query)
        return _result(grant, subjects, len(subjects))
    if query_type == "expression":
        condition = expression_condition(grant, query)
    elif query_type == "predicate":
        condition = predicate_condition(grant, query)
    else:
        raise QueryRefused(
            "rjct.search_criteria.invalid", "query_type is idtype-value, expression or predicate"
        )
    stmt = _searchable(condition)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(stmt.order_by(Person.id).limit(page_size).offset((page_number - 1) * page_size))
    subjects = [Subject(r[0], r[1], "search", *r[2:10], locked=False) for r in rows]  # type: ignore[misc]
    return _result(grant, subjects, total)


def _by_identifier(session: Session, grant: AgencyGrant, query: Any) -> list[Subject]:
    if not isinstance(query, dict) or not isinstance(query.get("value"), str | int):
        raise QueryRefused("rjct.search_criteria.invalid", "an idtype-value query is {type, value}")
    kind, value = str(query.get("type", "")).upper(), str(query["value"]).strip()
    if kind in ("UIN", "VID"):
        if not value.isdigit() or len(value) != (10 if kind == "UIN" else 16):
            raise QueryRefused(
                "rjct.search_criteria.invalid", f"a {kind} has {10 if kind == 'UIN' else 16} digits"
            )
        subject = identify(session=session, number=value, operation=OPERATION)
    elif kind in ID_SOURCES:
        if ID_SOURCES[kind] not in grant.sources:
            raise QueryRefused(
                "rjct.search_criteria.invalid", f"the policy does not allow {kind} identifiers"
            )
        uin = resolve_source_id(session=session, source=ID_SOURCES[kind], source_id=value)
        subject = identify(session=session, number=uin, operation=OPERATION) if uin else None
    else:
        known = ", ".join(["UIN", "VID", *ID_SOURCES])
        raise QueryRefused("rjct.search_criteria.invalid", f"unknown identifier type {kind}: use {known}")
    return [] if subject is None or subject.locked else [subject]


def _result(grant: AgencyGrant, subjects: list[Subject], total: int) -> SearchResult:
    result = SearchResult(total=total)
    for subject in subjects:
        view = ekyc_view(subject, grant.fields)
        result.records.append(dci_record(view))
        result.disclosed.append((subject.uin, subject.via, tuple(sorted(k for k in view if k != "deceased"))))
    return result


def dci_record(view: dict[str, Any]) -> dict[str, Any]:
    """Write an eKYC view as a DCI person record (name, sex, birthdate, identifier ...)."""
    record: dict[str, Any] = {}
    if "uin" in view:
        record |= {"identifier_type": "UIN", "identifier": view["uin"]}
    name = {
        k: view[f]
        for k, f in (("sur_name", "family_name_lat"), ("given_name", "given_name_lat"))
        if f in view
    }
    if name:
        record["name"] = name
    if "sex" in view:
        record["sex"] = {"M": "male", "F": "female"}.get(view["sex"] or "", "unknown")
    if "birth_date" in view:
        record["birthdate"] = view["birth_date"]
    if "death_date" in view:
        record["deathdate"] = view["death_date"]
    extra = [{"name": f, "value": view[f]} for f in ("family_name_ar", "given_name_ar") if f in view]
    record["additional_attributes"] = [*extra, {"name": "deceased", "value": view["deceased"]}]
    return record


def event_of(text: Any) -> str | None:
    """Return birth or death for an SPDCI event type (LiveBirth, spdci-common:...:Death ...)."""
    tail = str(text or "").rsplit(":", 1)[-1].replace("-", "_").lower()
    return EVENTS.get(tail)


def subscribe(
    *,
    session: Session,
    agency_id: int,
    event_type: str,
    notify_record_type: str,
    filter: dict[str, Any],
    sender_uri: str | None,
) -> RegistrySubscription:
    """Record a subscription of an agency to births or deaths; return it with its code."""
    row = RegistrySubscription(
        code=str(uuid.uuid4()),
        agency_id=agency_id,
        event_type=event_type,
        notify_record_type=notify_record_type,
        filter=filter,
        sender_uri=sender_uri,
    )
    session.add(row)
    session.flush()
    # The feed this subscription is notified from starts now: events published before it are not sent.
    outbox.subscribe(session, name=feed_name(row.code), from_latest=True)
    return row


def feed_name(code: str) -> str:
    """Return the name of a subscription's cursor in the register's outbox."""
    return f"spdci:{code}"


def unsubscribe(*, session: Session, agency_id: int, codes: list[str]) -> dict[str, str]:
    """End subscriptions of an agency; return each code's status (unsubscribe, or invalid)."""
    rows = session.scalars(
        select(RegistrySubscription).where(
            RegistrySubscription.agency_id == agency_id, RegistrySubscription.code.in_(codes)
        )
    )
    found = {r.code: r for r in rows}
    for row in found.values():
        row.status = "unsubscribe"
    return {c: "unsubscribe" if c in found else "invalid" for c in codes}


def subscriptions_of(*, session: Session, event_type: str) -> list[RegistrySubscription]:
    """Return the live subscriptions to an event type, oldest first."""
    stmt = select(RegistrySubscription).where(
        RegistrySubscription.event_type == event_type, RegistrySubscription.status == "subscribe"
    )
    return list(session.scalars(stmt.order_by(RegistrySubscription.id)))


def record_transaction(
    *,
    session: Session,
    agency_id: int,
    message_id: str,
    transaction_id: str,
    action: str,
    status: str,
    summary: dict[str, Any],
) -> RegistryTransaction | None:
    """Record a message received; None when the agency sent this message id before."""
    held = session.scalar(
        select(RegistryTransaction.id).where(
            RegistryTransaction.agency_id == agency_id, RegistryTransaction.message_id == message_id
        )
    )
    if held is not None:
        return None
    row = RegistryTransaction(
        agency_id=agency_id,
        message_id=message_id,
        transaction_id=transaction_id,
        correlation_id=str(uuid.uuid4()),
        action=action,
        status=status,
        summary=summary,
    )
    session.add(row)
    session.flush()
    return row


def transactions_of(
    *, session: Session, agency_id: int, attribute: str, values: list[str]
) -> list[RegistryTransaction]:
    """Return an agency's transactions by transaction id, correlation id or reference ids."""
    stmt = select(RegistryTransaction).where(RegistryTransaction.agency_id == agency_id)
    if attribute == "transaction_id":
        stmt = stmt.where(RegistryTransaction.transaction_id.in_(values))
    elif attribute == "correlation_id":
        stmt = stmt.where(RegistryTransaction.correlation_id.in_(values))
    elif attribute not in ("reference_id_list", "subscription_code_list"):
        return []
    rows = list(session.scalars(stmt.order_by(RegistryTransaction.id)))
    if attribute == "reference_id_list":
        rows = [r for r in rows if set(values) & set(r.summary.get("reference_ids", []))]
    if attribute == "subscription_code_list":
        rows = [r for r in rows if set(values) & set(r.summary.get("subscription_codes", []))]
    return rows or []
