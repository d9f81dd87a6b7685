"""The SPDCI registry interface, driven as OpenSPP's DCI client drives a registry: envelopes signed
with ed25519 and verified both ways, searches by id, expression and predicate, subscriptions."""

import copy
import uuid

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from sijill.db.engine import session_scope
from sijill.identity import set_agency_key
from tests.api.conftest import Server, residents
from tests.api.spdci_client import DciClient

SENDER = "spp.example.org"


@pytest.fixture
def dci(server: Server) -> DciClient:
    """OpenSPP's side: the `spp` agency, with its signing key registered."""
    key_id, secret = server.agencies["spp"].split("_", 2)[1:]
    client = DciClient(server.url, client_id=key_id, client_secret=secret, sender_id=SENDER)
    pem = client.key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    with session_scope(server.engine) as session:
        set_agency_key(session=session, name="spp", sender_id=SENDER, public_key=pem)
    return client


def _records(answer: dict[str, object]) -> list[dict[str, object]]:
    items = answer["message"]["search_response"]  # type: ignore[index]
    assert items[0]["status"] == "succ", items[0]  # type: ignore[index]
    return list(items[0]["data"]["reg_records"])  # type: ignore[index]


def test_a_search_by_uin_answers_a_signed_envelope_with_the_allowed_fields(
    server: Server, dci: DciClient
) -> None:
    person = residents(server.engine, 1)[0]
    answer = dci.search("idtype-value", {"type": "UIN", "value": person.uin})
    assert dci.registry_signed(answer)
    assert answer["header"]["action"] == "on-search" and answer["header"]["status"] == "succ"
    [record] = _records(answer)
    assert record["identifier"] == person.uin and record["birthdate"] == person.birth_date
    assert record["name"] == {"sur_name": person.family_lat, "given_name": person.given_lat}
    assert record["sex"] == {"M": "male", "F": "female"}[person.sex]
    assert "deathdate" not in record  # not in the agency's policy


def test_a_tampered_answer_fails_the_clients_check(server: Server, dci: DciClient) -> None:
    person = residents(server.engine, 1)[0]
    answer = dci.search("idtype-value", {"type": "UIN", "value": person.uin})
    forged = copy.deepcopy(answer)
    forged["message"]["search_response"][0]["data"]["reg_records"][0]["birthdate"] = "1900-01-01"
    assert dci.registry_signed(answer) and not dci.registry_signed(forged)


def test_predicate_and_expression_searches_page_through_matches(server: Server, dci: DciClient) -> None:
    person = residents(server.engine, 1)[0]
    year = person.birth_date[:4]
    predicate = [
        {
            "seq_num": 1,
            "expression1": {
                "attribute_name": "birthdate",
                "operator": "ge",
                "attribute_value": f"{year}-01-01",
            },
            "condition": "and",
            "expression2": {
                "attribute_name": "birthdate",
                "operator": "le",
                "attribute_value": f"{year}-12-31",
            },
        },
        {
            "seq_num": 2,
            "expression1": {"attribute_name": "sex", "operator": "eq", "attribute_value": "female"},
        },
    ]
    first = dci.search("predicate", predicate, page_size=2)
    records = _records(first)
    total = first["message"]["search_response"][0]["pagination"]["total_count"]
    assert total >= len(records) and len(records) <= 2
    assert all(r["birthdate"].startswith(year) and r["sex"] == "female" for r in records)
    expression = {
        "type": "ns:org:QueryType:expression",
        "value": {
            "birthdate": {"type": "range", "gte": f"{year}-01-01", "lte": f"{year}-12-31"},
            "sex": "female",
        },
    }
    again = dci.search("expression", expression, page_size=100)
    assert again["message"]["search_response"][0]["pagination"]["total_count"] == total


def test_a_birth_registration_number_finds_its_person(server: Server, dci: DciClient) -> None:
    from sqlalchemy import select

    from sijill.register import Link, Person
    from sijill.sources import ACCEPTED, SourceRecord

    with session_scope(server.engine) as session:
        acte, uin = session.execute(
            select(SourceRecord.source_id, Person.uin)
            .join(Link, Link.source_record_id == SourceRecord.id)
            .join(Person, Person.id == Link.person_id)
            .where(SourceRecord.source == "civil", SourceRecord.status == ACCEPTED)
            .limit(1)
        ).one()
    [record] = _records(dci.search("idtype-value", {"type": "BRN", "value": acte}))
    assert record["identifier"] == uin


@pytest.mark.parametrize(
    ("query_type", "query", "code"),
    [
        (
            "idtype-value",
            {"type": "CNIE", "value": "BK123456"},
            "rjct.search_criteria.invalid",
        ),  # not a source of the policy
        ("idtype-value", {"type": "PASSPORT", "value": "X1"}, "rjct.search_criteria.invalid"),
        (
            "predicate",
            [{"expression1": {"attribute_name": "deathdate", "operator": "ge", "attribute_value": "2000"}}],
            "rjct.search_criteria.invalid",
        ),
        (
            "predicate",
            [{"expression1": {"attribute_name": "salary", "operator": "gt", "attribute_value": 1}}],
            "rjct.search_criteria.invalid",
        ),
        ("predicate", "person.age >= 18", "rjct.search_criteria.invalid"),
        ("graphql", {}, "rjct.search_criteria.invalid"),
    ],
)
def test_searches_the_policy_or_the_registry_cannot_answer_are_rejected_with_a_reason(
    dci: DciClient, query_type: str, query: object, code: str
) -> None:
    answer = dci.search(query_type, query)
    item = answer["message"]["search_response"][0]
    assert item["status"] == "rjct" and item["status_reason_code"] == code and "data" not in item
    assert dci.registry_signed(answer)


def test_envelopes_not_signed_by_the_agency_are_refused(server: Server, dci: DciClient) -> None:
    person = residents(server.engine, 1)[0]
    message = {
        "transaction_id": "t1",
        "search_request": [
            {
                "reference_id": "r1",
                "timestamp": "2026-01-01T00:00:00Z",
                "search_criteria": {
                    "query_type": "idtype-value",
                    "query": {"type": "UIN", "value": person.uin},
                },
            }
        ],
    }
    envelope = dci.envelope("search", message)
    unsigned = {**envelope, "signature": None}
    forged = copy.deepcopy(envelope)
    forged["message"]["search_request"][0]["search_criteria"]["query"]["value"] = residents(server.engine, 2)[
        1
    ].uin
    by_another = DciClient(server.url, client_id="x", client_secret="y", sender_id=SENDER)
    other_key = {**envelope, "signature": by_another.sign(envelope["header"], envelope["message"])}
    for bad, code in (
        (unsigned, "err.signature.missing"),
        (forged, "err.signature.invalid"),
        (other_key, "err.signature.invalid"),
    ):
        answer = dci.post("/registry/sync/search", bad)
        assert answer.status_code == 401
        assert answer.json()["errors"][0]["code"] == code
    assert dci.post("/registry/sync/search", envelope).status_code == 200


def test_a_repeated_message_id_and_a_wrong_count_are_rejected(server: Server, dci: DciClient) -> None:
    person = residents(server.engine, 1)[0]
    item = {
        "reference_id": "r1",
        "timestamp": "2026-01-01T00:00:00Z",
        "search_criteria": {"query_type": "idtype-value", "query": {"type": "UIN", "value": person.uin}},
    }
    envelope = dci.envelope("search", {"transaction_id": "t1", "search_request": [item]})
    assert dci.post("/registry/sync/search", envelope).json()["header"]["status"] == "succ"
    again = dci.post("/registry/sync/search", envelope).json()
    assert (
        again["header"]["status"] == "rjct"
        and again["header"]["status_reason_code"] == "rjct.message_id.duplicate"
    )
    miscounted = dci.envelope("search", {"transaction_id": "t2", "search_request": [item]}, count=3)
    assert (
        dci.post("/registry/sync/search", miscounted).json()["header"]["status_reason_code"]
        == "rjct.total_count.invalid"
    )
    wrong_action = dci.envelope("subscribe", {"transaction_id": "t3", "search_request": [item]})
    assert (
        dci.post("/registry/sync/search", wrong_action).json()["header"]["status_reason_code"]
        == "rjct.action.invalid"
    )


def test_an_agency_without_a_registered_key_or_the_operation_is_refused(server: Server) -> None:
    key_id, secret = server.agencies["spp"].split("_", 2)[1:]
    unregistered = DciClient(server.url, client_id=key_id, client_secret=secret, sender_id=SENDER)
    answer = unregistered.post(
        "/registry/sync/search", unregistered.envelope("search", {"search_request": []})
    )
    assert answer.status_code == 401 and answer.json()["errors"][0]["code"] == "err.signature.missing"
    key_id, secret = server.agencies["bank"].split("_", 2)[1:]
    bank = DciClient(server.url, client_id=key_id, client_secret=secret, sender_id="bank.example.org")
    answer = bank.post("/registry/sync/search", bank.envelope("search", {"search_request": []}))
    assert answer.status_code == 403 and answer.json()["errors"][0]["code"] == "err.request.forbidden"


def test_subscriptions_are_acknowledged_and_read_back_by_their_status(dci: DciClient) -> None:
    ack = dci.subscribe("spdci-common:RegistryEventType:LiveBirth")
    assert ack["message"]["ack_status"] == "ACK"
    correlation = ack["message"]["correlation_id"]
    status = dci.txn_status("correlation_id", correlation, "subscribe")
    assert dci.registry_signed(status)
    response = status["message"]["txnstatus_response"]
    assert response["txn_type"] == "on-subscribe"
    [item] = response["txn_status"]["subscribe_response"]
    assert item["status"] == "succ" and item["subscriptions"][0]["reg_event_type"] == "birth"
    uuid.UUID(item["subscriptions"][0]["code"])
    refused = dci.subscribe("marriage")
    later = dci.txn_status("correlation_id", refused["message"]["correlation_id"], "subscribe")
    assert later["message"]["txnstatus_response"]["txn_status"]["subscribe_response"][0]["status"] == "rjct"


def test_each_person_a_search_discloses_is_in_their_access_list(server: Server, dci: DciClient) -> None:
    from sijill.identity import accesses_of

    person = residents(server.engine, 1)[0]
    dci.search("idtype-value", {"type": "UIN", "value": person.uin})
    with session_scope(server.engine) as session:
        [entry] = [
            e for e in accesses_of(session=session, uin=person.uin) if e.operation == "registry.search"
        ]
    assert entry.agency == "spp" and entry.purpose == "social-protection"
    assert entry.fields == ["birth_date", "family_name_lat", "given_name_lat", "sex", "uin"]


def test_births_and_deaths_are_notified_signed_with_the_allowed_fields_only(
    server: Server, dci: DciClient
) -> None:
    import httpx

    from sijill.api.settings import ApiSettings
    from sijill.db.base import utcnow
    from sijill.identity import lock, registry_signing_key
    from sijill.identity.notify import LifeEvent, deliver, notification, notify_envelope
    from tests.api.conftest import POLICIES

    born, died, locked = residents(server.engine, 3)
    events = [LifeEvent(i + 1, utcnow(), k, p.uin) for i, (k, p) in enumerate(
        (("birth", born), ("death", died), ("death", locked))
    )]  # fmt: skip
    with session_scope(server.engine) as session:
        lock(session=session, uin=locked.uin, operation="registry.search", by="test")
    with session_scope(server.engine) as session:
        key = registry_signing_key(session=session)
        note = notification(session=session, fields=frozenset(POLICIES["spp"][0].fields), events=events)
    envelope = notify_envelope(
        key=key, registry_id=ApiSettings().registry_id, receiver_id=SENDER, message=note.message
    )
    tampered = copy.deepcopy(envelope)
    tampered["message"]["notify_event"][0]["data"]["reg_records"][0]["birthdate"] = "1900-01-01"
    with httpx.Client(transport=httpx.MockTransport(dci.receive_notify)) as client:
        assert not deliver(client=client, sender_uri="https://spp.example.org/dci/", envelope=tampered)
        assert deliver(client=client, sender_uri="https://spp.example.org/dci/", envelope=envelope)
    assert [e["reference_id"] for e in dci.notified] == ["1", "2"]  # the locked resident left out
    birth, death = (e["data"] for e in dci.notified)
    assert birth["reg_event_type"].endswith("LiveBirth") and death["reg_event_type"].endswith("Death")
    [record] = birth["reg_records"]
    assert record["identifier"] == born.uin and record["birthdate"] == born.birth_date
    assert "deathdate" not in record  # not in the spp policy
    assert note.disclosed[0] == (born.uin, ("birth_date", "family_name_lat", "given_name_lat", "sex", "uin"))


def test_subscribers_are_sent_what_was_published_since_and_again_until_they_ack(
    server: Server, dci: DciClient
) -> None:
    import httpx

    from sijill.identity import accesses_of, registry_signing_key
    from sijill.identity.notify import live_subscriptions, notify_subscription
    from sijill.outbox import publish

    earlier, born, died, again = residents(server.engine, 4)
    with session_scope(server.engine) as session:
        publish(session, kind="birth", uin=earlier.uin, payload={})  # before the subscription
    dci.sender_uri = "https://spp.example.org/dci"
    assert dci.subscribe("LiveBirth")["message"]["ack_status"] == "ACK"
    with session_scope(server.engine) as session:
        publish(session, kind="birth", uin=born.uin, payload={})
        publish(session, kind="death", uin=died.uin, payload={})  # not subscribed to

    def run(receiver: httpx.MockTransport) -> list[int | None]:
        with session_scope(server.engine) as session, httpx.Client(transport=receiver) as client:
            key = registry_signing_key(session=session)
            return [
                notify_subscription(
                    session=session,
                    subscription_id=s,
                    client=client,
                    key=key,
                    registry_id="register.sijill.example.org",
                )
                for s in live_subscriptions(session=session)
            ]

    refusing = httpx.MockTransport(lambda _request: httpx.Response(503))
    assert run(refusing) == [None]
    assert run(httpx.MockTransport(dci.receive_notify)) == [1]
    assert run(httpx.MockTransport(dci.receive_notify)) == [0]  # acknowledged: not sent twice
    with session_scope(server.engine) as session:
        publish(session, kind="birth", uin=again.uin, payload={})
    assert run(httpx.MockTransport(dci.receive_notify)) == [1]
    sent = [e["data"]["reg_records"][0]["identifier"] for e in dci.notified]
    assert sent == [born.uin, again.uin]
    with session_scope(server.engine) as session:
        [entry] = accesses_of(session=session, uin=born.uin)
    assert entry.operation == "registry.notify.sent" and entry.agency == "spp"


def test_the_civil_registry_notifies_births_and_deaths_each_declared_on_its_own(server: Server) -> None:
    key_id, secret = server.agencies["civil"].split("_", 2)[1:]
    crvs = DciClient(server.url, client_id=key_id, client_secret=secret, sender_id="crvs.example.org")
    pem = crvs.key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    with session_scope(server.engine) as session:
        set_agency_key(session=session, name="civil", sender_id="crvs.example.org", public_key=pem)
    people = residents(server.engine, 20)
    mother = next(p for p in people if p.sex == "F" and p.birth_date < "2000")
    dying = next(p for p in people if p != mother)
    birth = {
        "name": {"sur_name": "alaoui", "given_name": "amina"},
        "sex": "female",
        "birthdate": "2026-11-30",
        "additional_attributes": [
            {"name": "commune", "value": "01.511.01.01"},
            {"name": "mother_uin", "value": mother.uin},
        ],
    }
    death = {"identifier_type": "UIN", "identifier": dying.uin, "deathdate": "2026-11-29"}

    def item(event: str, record: dict[str, object]) -> dict[str, object]:
        data = {"reg_event_type": event, "reg_records": [record]}
        return {"reference_id": str(uuid.uuid4()), "timestamp": "2026-12-01T00:00:00Z", "data": data}

    ack = crvs.notify([item("LiveBirth", birth), item("Death", death), item("Death", death)])
    assert ack["message"]["ack_status"] == "ACK"
    status = crvs.txn_status("correlation_id", ack["message"]["correlation_id"], "notify")
    assert crvs.registry_signed(status)
    born, died, twice = status["message"]["txnstatus_response"]["txn_status"]["notify_response"]
    assert [born["status"], died["status"], twice["status"]] == ["succ", "succ", "rjct"]
    assert "already recorded deceased" in twice["status_reason_message"]
    uin = born["reg_records"][0]["identifier"]
    with server.client(server.agencies["cnss"]) as cnss:
        assert cnss.get(f"/v1/persons/{uin}").json()["birth_date"] == "2026-11-30"
        assert cnss.get(f"/v1/persons/{dying.uin}").json()["deceased"] is True
    unsigned = crvs.envelope("notify", {"notify_event": [item("Death", death)]})
    unsigned["message"]["notify_event"][0]["data"]["reg_records"][0]["identifier"] = mother.uin
    refused = crvs.post("/registry/notify", unsigned)
    assert refused.status_code == 401
