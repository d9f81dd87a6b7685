"""Each agency x operation x field: an agency gets what its policy names and nothing else, and
what it may not do tells it nothing about who is in the register."""

from typing import Any

import httpx
import pytest

from sijill.api.registry import STATUS_OPERATIONS
from sijill.identity import FIELDS
from sijill.uin import new_uin
from tests.api.conftest import POLICIES, Server, residents

IDENTITY_OPERATIONS = ("verify", "resolve", "persons", "tokens")


def _source_id(server: Server, source: str) -> str:
    from sqlalchemy import select

    from sijill.db.engine import session_scope
    from sijill.register import Link
    from sijill.sources import ACCEPTED, SourceRecord

    with session_scope(server.engine) as session:
        stmt = (
            select(SourceRecord.source_id)
            .join(Link, Link.source_record_id == SourceRecord.id)
            .where(SourceRecord.source == source, SourceRecord.status == ACCEPTED)
            .order_by(SourceRecord.id)
        )
        found = session.scalars(stmt.limit(1)).first()
    assert found is not None
    return found


def _call(client: httpx.Client, operation: str, uin: str, source_ids: dict[str, str]) -> httpx.Response:
    if operation == "verify":
        return client.post("/v1/verify", json={"uin": uin})
    if operation == "resolve":
        return client.post("/v1/resolve", json={"source": "cnss", "source_id": source_ids["cnss"]})
    if operation == "persons":
        return client.get(f"/v1/persons/{uin}")
    return client.post("/v1/tokens", json={"uin": uin})


def test_every_agency_gets_exactly_what_its_policy_allows(server: Server) -> None:
    person = residents(server.engine, 1)[0]
    source_ids = {s: _source_id(server, s) for s in ("cnss", "cnie", "massar")}
    for agency, (policy, _rate) in POLICIES.items():
        if agency == "slow":
            continue
        with server.client(server.agencies[agency]) as client:
            for operation in IDENTITY_OPERATIONS:
                answer = _call(client, operation, person.uin, source_ids)
                allowed = operation in policy.operations and (
                    operation != "resolve" or "cnss" in policy.sources
                )
                assert answer.status_code == (200 if allowed else 403), (agency, operation, answer.text)
                if not allowed:
                    continue
                body: dict[str, Any] = answer.json()
                _check_disclosure(operation, body, policy.fields, policy.sector)


def _check_disclosure(
    operation: str, body: dict[str, Any], fields: tuple[str, ...], sector: str | None
) -> None:
    if operation == "verify":
        assert set(body) == {"match"}
    elif operation == "persons":
        assert set(body) == {*fields, "deceased"}
    elif operation == "resolve":
        assert set(body) == ({"uin"} if "uin" in fields else {"token"})
    else:
        assert set(body) == {"sector", "token"} and body["sector"] == sector


@pytest.mark.parametrize("field", FIELDS)
def test_a_field_outside_the_policy_is_refused(server: Server, field: str) -> None:
    person = residents(server.engine, 1)[0]
    policy = POLICIES["cnops"][0]
    with server.client(server.agencies["cnops"]) as client:
        answer = client.get(f"/v1/persons/{person.uin}", params={"fields": [field]})
    if field in policy.fields:
        assert answer.status_code == 200 and set(answer.json()) == {field, "deceased"}
    else:
        assert answer.status_code == 403


def test_a_source_outside_the_policy_is_refused(server: Server) -> None:
    with server.client(server.agencies["cnops"]) as client:
        answer = client.post("/v1/resolve", json={"source": "cnie", "source_id": _source_id(server, "cnie")})
    assert answer.status_code == 403


def test_refusals_read_the_same_whether_or_not_the_uin_exists(server: Server) -> None:
    person = residents(server.engine, 1)[0]
    unknown = new_uin()
    with server.client(server.agencies["bank"]) as client:
        known_answer = client.get(f"/v1/persons/{person.uin}")
        unknown_answer = client.get(f"/v1/persons/{unknown}")
        token_known = client.post("/v1/tokens", json={"uin": person.uin})
        token_unknown = client.post("/v1/tokens", json={"uin": unknown})
    assert known_answer.status_code == unknown_answer.status_code == 403
    assert known_answer.content == unknown_answer.content
    assert token_known.status_code == token_unknown.status_code == 403
    assert token_known.content == token_unknown.content


def test_not_found_reads_the_same_for_unknown_locked_and_revoked(server: Server) -> None:
    from sijill.db.engine import session_scope
    from sijill.identity import PERPETUAL, issue_vid, lock, revoke_vid

    people = residents(server.engine, 3)
    with session_scope(server.engine) as session:
        lock(session=session, uin=people[0].uin, operation="persons", by="test")
        vid = issue_vid(session=session, uin=people[1].uin, kind=PERPETUAL, issued_by="test").vid
        revoke_vid(session=session, vid=vid)
    with server.client(server.agencies["cnops"]) as client:
        answers = [client.get(f"/v1/persons/{n}") for n in (new_uin(), people[0].uin, vid)]
        assert client.get(f"/v1/persons/{people[2].uin}").status_code == 200
    assert {a.status_code for a in answers} == {404}
    assert len({a.content for a in answers}) == 1


def test_sector_tokens_are_stable_within_a_sector_and_differ_across(server: Server) -> None:
    person = residents(server.engine, 1)[0]
    with (
        server.client(server.agencies["cnops"]) as health,
        server.client(server.agencies["schools"]) as schools,
    ):
        first = health.post("/v1/tokens", json={"uin": person.uin}).json()
        again = health.post("/v1/tokens", json={"uin": person.uin}).json()
        other = schools.post("/v1/tokens", json={"uin": person.uin}).json()
    assert first == again and first["sector"] == "health"
    assert other["sector"] == "education" and other["token"] != first["token"]
    assert person.uin not in first["token"]


def test_resolve_gives_the_uin_or_the_token_as_the_policy_says(server: Server) -> None:
    cnss_id = _source_id(server, "cnss")
    with server.client(server.agencies["cnss"]) as cnss, server.client(server.agencies["cnops"]) as cnops:
        by_cnss = cnss.post("/v1/resolve", json={"source": "cnss", "source_id": cnss_id}).json()
        by_cnops = cnops.post("/v1/resolve", json={"source": "cnss", "source_id": cnss_id}).json()
        token = cnops.post("/v1/tokens", json={"uin": by_cnss["uin"]}).json()
        missing = cnss.post("/v1/resolve", json={"source": "cnss", "source_id": "000000000"})
    assert set(by_cnss) == {"uin"} and set(by_cnops) == {"token"}
    assert by_cnops["token"] == token["token"]
    assert missing.status_code == 404


def test_a_merged_uin_resolves_and_a_deceased_person_says_so(server: Server) -> None:
    from sqlalchemy import select, update

    from sijill.db.engine import session_scope
    from sijill.register import PERSON_DECEASED, PERSON_MERGED, Person
    from sijill.uin.service import alias_uins

    survivor, absorbed = residents(server.engine, 2)
    with session_scope(server.engine) as session:
        ids = dict(
            session.execute(
                select(Person.uin, Person.id).where(Person.uin.in_([survivor.uin, absorbed.uin]))
            ).all()
        )
        session.execute(
            update(Person)
            .where(Person.id == ids[absorbed.uin])
            .values(status=PERSON_MERGED, merged_into=ids[survivor.uin])
        )
        alias_uins(
            session=session,
            absorbed=[ids[absorbed.uin]],
            survivor=ids[survivor.uin],
            survivor_uin=survivor.uin,
        )
        dead = session.execute(
            select(Person.uin, Person.death_date).where(Person.status == PERSON_DECEASED)
        ).first()
    assert dead is not None
    with server.client(server.agencies["cnss"]) as cnss:
        merged = cnss.get(f"/v1/persons/{absorbed.uin}").json()
        deceased = cnss.get(f"/v1/persons/{dead.uin}").json()
    assert merged["uin"] == survivor.uin and merged["birth_date"] == survivor.birth_date
    assert deceased["deceased"] is True and deceased["death_date"] == dead.death_date
    with server.client(server.agencies["bank"]) as bank:
        assert bank.post("/v1/verify", json={"uin": dead.uin}).json() == {"match": False}
        assert bank.post(
            "/v1/verify", json={"uin": absorbed.uin, "date_of_birth": survivor.birth_date}
        ).json() == {"match": True}


# Each endpoint an agency calls, with the operation its policy must name (method, path, body).
AGENCY_ENDPOINTS: list[tuple[str, str, str, dict[str, Any] | None]] = [
    ("verify", "POST", "/v1/verify", {"uin": "UIN"}),
    ("resolve", "POST", "/v1/resolve", {"source": "cnss", "source_id": "123"}),
    ("persons", "GET", "/v1/persons/UIN", None),
    ("tokens", "POST", "/v1/tokens", {"uin": "UIN"}),
    ("events.read", "GET", "/v1/events", None),
    ("events.births", "POST", "/v1/events/births", {}),
    ("events.deaths", "POST", "/v1/events/deaths", {"uin": "UIN", "death_date": "2026-11-29"}),
    ("match", "POST", "/v1/match", {"source": "civil", "record": {"acte_id": "1"}}),
    ("registry.search", "POST", "/registry/sync/search", {}),
    ("registry.status", "POST", "/registry/sync/txn/status", {}),
    ("registry.status", "POST", "/registry/txn/status", {}),
    ("registry.notify", "POST", "/registry/notify", {}),
    ("registry.subscribe", "POST", "/registry/subscribe", {}),
    ("registry.subscribe", "POST", "/registry/unsubscribe", {}),
]


def test_every_agency_is_refused_each_operation_its_policy_does_not_name(server: Server) -> None:
    person = residents(server.engine, 1)[0]
    refusals: set[bytes] = set()
    for agency, (policy, _rate) in POLICIES.items():
        with server.client(server.agencies[agency]) as client:
            for operation, method, path, body in AGENCY_ENDPOINTS:
                allowing = STATUS_OPERATIONS if operation == "registry.status" else (operation,)
                if set(allowing) & set(policy.operations) or agency == "slow":
                    continue
                sent = {k: person.uin if v == "UIN" else v for k, v in (body or {}).items()}
                answer = client.request(
                    method, path.replace("UIN", person.uin), json=sent if body is not None else None
                )
                assert answer.status_code == 403, (agency, path, answer.text)
                refusals.add(answer.content)
    assert len(refusals) == 2  # one body on /v1, one in the SPDCI convention: nothing else said
