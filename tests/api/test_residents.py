"""Residents: sign in with a one-time code, read every access to their record, lock and unlock
authentication, issue and revoke virtual IDs that agencies can use in verify and eKYC."""

import httpx

from sijill.uin import new_uin
from tests.api.conftest import Resident, Server, residents


def _sign_in(server: Server, number: str, uin: str) -> httpx.Client:
    with server.client() as client:
        assert client.post("/v1/me/codes", json={"id": number}).status_code == 202
    code = server.notifier.last_code(uin)
    assert code is not None
    with server.client() as client:
        answer = client.post("/v1/me/sessions", json={"id": number, "code": code})
    assert answer.status_code == 200, answer.text
    return server.client(answer.json()["access_token"])


def _verify(server: Server, number: str, person: Resident) -> bool:
    with server.client(server.agencies["cnops"]) as client:
        answer = client.post("/v1/verify", json={"uin": number, "date_of_birth": person.birth_date})
    assert answer.status_code == 200
    return bool(answer.json()["match"])


def test_a_resident_reads_who_accessed_their_record(server: Server) -> None:
    person = residents(server.engine, 1)[0]
    with server.client(server.agencies["cnops"]) as cnops:
        assert cnops.get(f"/v1/persons/{person.uin}").status_code == 200
        assert cnops.post("/v1/verify", json={"uin": person.uin}).status_code == 200
    with _sign_in(server, person.uin, person.uin) as me:
        accesses = me.get("/v1/me/accesses").json()
    by_agency = [a for a in accesses if a["agency"] == "cnops"]
    assert [a["operation"] for a in by_agency] == ["verify", "persons"]  # newest first
    assert by_agency[1]["purpose"] == "health-insurance"
    assert by_agency[1]["fields"] == ["birth_date", "family_name_lat", "given_name_lat", "sex"]
    assert by_agency[0]["fields"] == [] and by_agency[0]["outcome"] == "match"
    assert {"me.codes", "me.sessions"} <= {a["operation"] for a in accesses}


def test_asking_a_code_tells_nothing_about_the_number(server: Server) -> None:
    person = residents(server.engine, 1)[0]
    unknown = new_uin()
    with server.client() as client:
        known_answer = client.post("/v1/me/codes", json={"id": person.uin})
        unknown_answer = client.post("/v1/me/codes", json={"id": unknown})
    assert known_answer.status_code == unknown_answer.status_code == 202
    assert known_answer.content == unknown_answer.content
    assert server.notifier.last_code(unknown) is None


def test_a_wrong_code_is_refused_and_tries_are_limited(server: Server) -> None:
    person = residents(server.engine, 1)[0]
    with server.client() as client:
        client.post("/v1/me/codes", json={"id": person.uin})
        code = server.notifier.last_code(person.uin)
        assert code is not None
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        answers = [client.post("/v1/me/sessions", json={"id": person.uin, "code": wrong}) for _ in range(5)]
        late = client.post("/v1/me/sessions", json={"id": person.uin, "code": code})
    assert {a.status_code for a in answers} == {401}
    assert late.status_code == 401  # five wrong tries spent the code
    with server.client() as client:
        assert client.get("/v1/me/accesses").status_code == 401
        assert client.get("/v1/me/accesses", headers={"Authorization": "Bearer sjr.x.y"}).status_code == 401


def test_locks_stop_the_operation_locked_until_unlocked(server: Server) -> None:
    person = residents(server.engine, 1)[0]
    with _sign_in(server, person.uin, person.uin) as me:
        assert me.put("/v1/me/locks/verify").json()[0]["operation"] == "verify"
        assert not _verify(server, person.uin, person)
        with server.client(server.agencies["cnops"]) as cnops:
            assert cnops.get(f"/v1/persons/{person.uin}").status_code == 200
            me.put("/v1/me/locks/*")
            assert cnops.get(f"/v1/persons/{person.uin}").status_code == 404
            me.delete("/v1/me/locks/*")
            me.delete("/v1/me/locks/verify")
            assert cnops.get(f"/v1/persons/{person.uin}").status_code == 200
        assert me.get("/v1/me/locks").json() == []
        assert me.put("/v1/me/locks/resolve").status_code == 422
    assert _verify(server, person.uin, person)


def test_a_vid_works_for_verify_and_ekyc_until_revoked(server: Server) -> None:
    person = residents(server.engine, 1)[0]
    with _sign_in(server, person.uin, person.uin) as me:
        issued = me.post("/v1/me/vids", json={"kind": "perpetual"})
        assert issued.status_code == 201
        vid = issued.json()["vid"]
        assert me.post("/v1/me/vids", json={"kind": "perpetual"}).status_code == 409
        assert _verify(server, vid, person)
        with server.client(server.agencies["cnops"]) as cnops, server.client(server.agencies["cnss"]) as cnss:
            ekyc = cnops.get(f"/v1/persons/{vid}").json()
            assert "uin" not in ekyc and ekyc["birth_date"] == person.birth_date
            assert cnss.get(f"/v1/persons/{vid}").json()["uin"] == person.uin  # only where the policy allows
            assert cnops.post("/v1/tokens", json={"uin": vid}).status_code == 422  # never a token
        assert me.delete(f"/v1/me/vids/{vid}").status_code == 204
        assert [v["state"] for v in me.get("/v1/me/vids").json()] == ["revoked"]
    assert not _verify(server, vid, person)


def test_a_resident_signs_in_with_a_vid_and_a_temporary_vid_is_spent(server: Server) -> None:
    person = residents(server.engine, 1)[0]
    with _sign_in(server, person.uin, person.uin) as me:
        perpetual = me.post("/v1/me/vids", json={"kind": "perpetual"}).json()["vid"]
        once = me.post("/v1/me/vids", json={"kind": "temporary", "uses": 1, "minutes": 10}).json()
        assert once["uses_left"] == 1 and once["expires_at"]
    with _sign_in(server, perpetual, person.uin) as me_again:
        assert me_again.get("/v1/me/vids").status_code == 200
    assert _verify(server, once["vid"], person)
    assert not _verify(server, once["vid"], person)
