"""Births and deaths declared by the civil registry on `/v1/events`, and what agencies then see:
the new person, a deceased person saying so, a merged UIN leading to its survivor."""

from sijill.db.engine import session_scope
from sijill.db.locks import writer_session
from sijill.identity import PERPETUAL, accesses_of, issue_vid
from sijill.register.operators import merge_persons
from sijill.uin import new_uin
from tests.api.conftest import Server, residents

COMMUNE = "01.511.01.01"


def _mother(server: Server) -> str:
    return next(p.uin for p in residents(server.engine, 20) if p.sex == "F" and p.birth_date < "2000")


def _birth(mother_uin: str, **changes: str) -> dict[str, str]:
    body = {
        "sex": "F",
        "birth_date": "2026-11-30",
        "commune": COMMUNE,
        "family_name_lat": "alaoui",
        "given_name_lat": "amina",
        "mother_uin": mother_uin,
    }
    return body | changes


def test_a_declared_birth_gets_a_uin_that_agencies_then_see(server: Server) -> None:
    mother = _mother(server)
    with server.client(server.agencies["civil"]) as civil:
        declared = civil.post("/v1/events/births", json=_birth(mother))
        feed = civil.get("/v1/events").json()["events"]
    assert declared.status_code == 201, declared.text
    uin = declared.json()["uin"]
    [event] = [e for e in feed if e["id"] == declared.json()["event_id"]]
    assert event["kind"] == "birth" and event["uin"] == uin and event["payload"]["mother_uin"] == mother
    with server.client(server.agencies["cnss"]) as cnss:
        person = cnss.get(f"/v1/persons/{uin}").json()
    assert person == {"uin": uin, "birth_date": "2026-11-30", "death_date": None, "deceased": False}
    with session_scope(server.engine) as session:
        [entry] = [e for e in accesses_of(session=session, uin=uin) if e.operation == "events.births"]
    assert entry.agency == "civil" and entry.outcome == "declared"


def test_a_declared_death_is_said_by_persons_and_verify_no_longer_matches(server: Server) -> None:
    person = residents(server.engine, 1)[0]
    with server.client(server.agencies["civil"]) as civil:
        declared = civil.post("/v1/events/deaths", json={"uin": person.uin, "death_date": "2026-11-29"})
        again = civil.post("/v1/events/deaths", json={"uin": person.uin, "death_date": "2026-11-29"})
    assert declared.status_code == 201 and declared.json()["uin"] == person.uin
    assert again.status_code == 409 and "already recorded deceased" in again.text
    with server.client(server.agencies["cnss"]) as cnss:
        seen = cnss.get(f"/v1/persons/{person.uin}").json()
    assert seen["deceased"] is True and seen["death_date"] == "2026-11-29"
    with server.client(server.agencies["bank"]) as bank:
        claim = {"uin": person.uin, "date_of_birth": person.birth_date}
        assert bank.post("/v1/verify", json=claim).json() == {"match": False}


def test_bad_declarations_get_their_4xx(server: Server) -> None:
    people = residents(server.engine, 2)
    mother = _mother(server)
    with session_scope(server.engine) as session:
        vid = issue_vid(session=session, uin=people[0].uin, kind=PERPETUAL, issued_by="test").vid
    with server.client(server.agencies["civil"]) as civil:
        by_vid = civil.post("/v1/events/deaths", json={"uin": vid, "death_date": "2026-11-29"})
        unknown = civil.post("/v1/events/deaths", json={"uin": new_uin(), "death_date": "2026-11-29"})
        future = civil.post("/v1/events/deaths", json={"uin": people[1].uin, "death_date": "2999-01-01"})
        no_sex = civil.post("/v1/events/births", json=_birth(mother, sex="X"))
        odd_date = civil.post("/v1/events/births", json=_birth(mother, birth_date="30/11/2026"))
    assert by_vid.status_code == 422 and "VID cannot be used here" in by_vid.text
    assert unknown.status_code == 404
    assert future.status_code == 422 and "not in the future" in future.text
    assert no_sex.status_code == 422 and odd_date.status_code == 422
    with server.client(server.agencies["cnops"]) as cnops:
        refused = cnops.post("/v1/events/deaths", json={"uin": people[1].uin, "death_date": "2026-11-29"})
    assert refused.status_code == 403


def test_a_uin_merged_by_an_operator_leads_to_the_survivor(server: Server) -> None:
    survivor, absorbed = residents(server.engine, 2)
    with writer_session(server.engine) as session:
        merge_persons(
            session, survivor_uin=survivor.uin, absorbed_uin=absorbed.uin, reason="same person", by="test"
        )
    with server.client(server.agencies["cnss"]) as cnss:
        seen = cnss.get(f"/v1/persons/{absorbed.uin}").json()
    assert seen["uin"] == survivor.uin
    with server.client(server.agencies["civil"]) as civil:
        died = civil.post("/v1/events/deaths", json={"uin": absorbed.uin, "death_date": "2026-11-29"})
    assert died.status_code == 201 and died.json()["uin"] == survivor.uin
