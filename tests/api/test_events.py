"""`GET /v1/events`: the feed in order, persons named by UIN or sector token as the policy says."""

from sijill.db.engine import session_scope
from sijill.identity import accesses_of
from sijill.outbox import publish
from tests.api.conftest import Server, residents


def _publish(server: Server, uins: list[str]) -> list[int]:
    with session_scope(server.engine) as session:
        return [
            publish(session, kind="death" if i % 2 else "birth", uin=uin, payload={"seq": i})
            for i, uin in enumerate(uins)
        ]


def test_the_feed_is_read_in_order_after_the_last_id_handled(server: Server) -> None:
    people = residents(server.engine, 5)
    ids = _publish(server, [p.uin for p in people])
    with server.client(server.agencies["civil"]) as civil:
        first = civil.get("/v1/events", params={"limit": 3}).json()
        rest = civil.get("/v1/events", params={"after": first["next_after"]}).json()
        none_left = civil.get("/v1/events", params={"after": rest["next_after"]}).json()
    read = first["events"] + rest["events"]
    assert [e["id"] for e in read] == ids and first["next_after"] == ids[2]
    assert [e["uin"] for e in read] == [p.uin for p in people]
    assert [e["kind"] for e in read] == ["birth", "death", "birth", "death", "birth"]
    assert read[1]["payload"] == {"seq": 1} and "token" not in read[1]
    assert none_left == {"events": [], "next_after": ids[-1]}


def test_an_agency_without_the_uin_field_reads_its_sector_tokens_and_no_payload(server: Server) -> None:
    person = residents(server.engine, 1)[0]
    _publish(server, [person.uin])
    with server.client(server.agencies["schools"]) as schools:
        [event] = schools.get("/v1/events").json()["events"]
        token = schools.post("/v1/tokens", json={"uin": person.uin}).json()["token"]
    assert event["token"] == token and set(event) == {"id", "at", "kind", "token"}


def test_reading_the_feed_is_in_each_persons_access_list(server: Server) -> None:
    person = residents(server.engine, 1)[0]
    _publish(server, [person.uin])
    with server.client(server.agencies["civil"]) as civil:
        assert civil.get("/v1/events").status_code == 200
    with session_scope(server.engine) as session:
        [entry] = [e for e in accesses_of(session=session, uin=person.uin) if e.operation == "events.read"]
    assert entry.agency == "civil" and entry.fields == ["uin"] and entry.outcome == "ok"


def test_the_feed_refuses_other_agencies_and_bad_bounds(server: Server) -> None:
    with server.client(server.agencies["bank"]) as bank:
        assert bank.get("/v1/events").status_code == 403
    with server.client(server.agencies["civil"]) as civil:
        for params, where in (({"after": -1}, "after"), ({"limit": 0}, "limit"), ({"limit": 1001}, "limit")):
            answer = civil.get("/v1/events", params=params)
            assert answer.status_code == 422 and answer.json()["detail"][0]["loc"][-1] == where


def test_a_residents_code_goes_to_the_outbox_for_delivery_and_never_to_an_agencys_feed(
    server: Server,
) -> None:
    """The default notifier writes the code where the delivery gateway reads it; agencies never see it."""
    from sijill.identity.codes import redeem_code, request_code
    from sijill.identity.notifiers import OutboxNotifier
    from sijill.outbox import EVENT_RESIDENT_CODE, PRIVATE_KINDS, read_events

    person = residents(server.engine, 1)[0]
    [before] = _publish(server, [person.uin])
    with session_scope(server.engine) as session:
        assert request_code(session=session, uin=person.uin, notifier=OutboxNotifier())
    with session_scope(server.engine) as session:
        [message] = read_events(session, after=before, kinds=[EVENT_RESIDENT_CODE])
        assert message.uin == person.uin and message.kind in PRIVATE_KINDS
        code = str(message.payload["code"])
    with server.client(server.agencies["civil"]) as civil:
        feed = civil.get("/v1/events", params={"after": before - 1}).json()
    assert [e["id"] for e in feed["events"]] == [before]
    with session_scope(server.engine) as session:
        assert redeem_code(session=session, uin=person.uin, code=code)
