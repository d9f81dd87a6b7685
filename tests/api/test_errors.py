"""Every bad call gets the right 4xx, with a message that says what is wrong and echoes nothing."""

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from sijill.api.settings import ApiSettings
from sijill.db.engine import session_scope
from sijill.identity import ACCESS_TOKEN, revoke_agency, rotate_credential, sign_token
from sijill.uin import new_uin
from tests.api.conftest import Server, add_agencies, residents, serve


@pytest.fixture
def strict_server(register: Engine) -> Iterator[Server]:
    """A server that caches no grant, so that a revocation bites at once."""
    credentials = add_agencies(register)
    for running in serve(register, ApiSettings(credential_cache_seconds=0)):
        running.agencies = credentials
        yield running


def _bad_uin(uin: str) -> str:
    return uin[:-1] + str((int(uin[-1]) + 1) % 10)


def test_calls_without_a_valid_credential_get_401(strict_server: Server) -> None:
    server = strict_server
    good = server.agencies["bank"]
    key_id = good.split("_")[1]
    body = {"uin": new_uin()}
    for header in (
        None,
        "Basic " + good,
        "Bearer",
        "Bearer sjl_nonsense",
        f"Bearer sjl_{key_id}_wrong-secret",
        "Bearer sjl_000000000000_" + good.split("_", 2)[2],
        "Bearer sjt.e30.AAAA",
    ):
        with server.client() as client:
            answer = client.post("/v1/verify", json=body, headers={"Authorization": header} if header else {})
        assert answer.status_code == 401, header
        assert answer.headers["www-authenticate"] == "Bearer"


def test_a_revoked_agency_and_its_tokens_get_401(strict_server: Server) -> None:
    server = strict_server
    with server.client() as client:
        key_id, secret = server.agencies["bank"].split("_", 2)[1:]
        grant = client.post(
            "/oauth2/client/token",
            data={"grant_type": "client_credentials", "client_id": key_id, "client_secret": secret},
        ).json()
    token = grant["access_token"]
    with server.client(token) as client:
        assert client.post("/v1/verify", json={"uin": new_uin()}).status_code == 200
    with session_scope(server.engine) as session:
        revoke_agency(session=session, name="bank")
    for credential in (token, server.agencies["bank"]):
        with server.client(credential) as client:
            assert client.post("/v1/verify", json={"uin": new_uin()}).status_code == 401


def test_client_credentials_give_a_short_lived_token_and_bad_clients_get_oauth_errors(
    server: Server,
) -> None:
    import base64

    key_id, secret = server.agencies["bank"].split("_", 2)[1:]
    basic = "Basic " + base64.b64encode(f"{key_id}:{secret}".encode()).decode()
    with server.client() as client:
        by_form = client.post(
            "/oauth2/client/token",
            data={"grant_type": "client_credentials", "client_id": key_id, "client_secret": secret},
        )
        by_basic = client.post(
            "/oauth2/client/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": basic},
        )
        wrong_grant = client.post(
            "/oauth2/client/token",
            data={"grant_type": "password", "client_id": key_id, "client_secret": secret},
        )
        wrong_secret = client.post(
            "/oauth2/client/token",
            data={"grant_type": "client_credentials", "client_id": key_id, "client_secret": "nope"},
        )
    for answer in (by_form, by_basic):
        grant = answer.json()
        assert answer.status_code == 200 and grant["token_type"] == "bearer"
        assert grant["expires_in"] == 300 and secret not in grant["access_token"]
        with server.client(grant["access_token"]) as client:
            assert client.post("/v1/verify", json={"uin": new_uin()}).status_code == 200
            assert client.post("/v1/tokens", json={"uin": new_uin()}).status_code == 403
    assert wrong_grant.status_code == 400 and wrong_grant.json() == {"error": "unsupported_grant_type"}
    assert wrong_secret.status_code == 401 and wrong_secret.json() == {"error": "invalid_client"}


def test_a_rotated_credential_gets_401_and_its_successor_is_served(strict_server: Server) -> None:
    server = strict_server
    old = server.agencies["cnops"]
    with session_scope(server.engine) as session:
        new = rotate_credential(session=session, name="cnops").credential
    assert new != old
    with server.client(old) as client:
        assert client.post("/v1/verify", json={"uin": new_uin()}).status_code == 401
    with server.client(new) as client:
        assert client.post("/v1/verify", json={"uin": new_uin()}).status_code == 200


def test_an_expired_access_token_gets_401(strict_server: Server) -> None:
    from sijill.identity import ACCESS_TOKEN_KEY, service_secret

    with session_scope(strict_server.engine) as session:
        key = service_secret(session=session, name=ACCESS_TOKEN_KEY)
    expired = sign_token(key=key, kind=ACCESS_TOKEN, claims={"c": 1}, ttl_seconds=-10)
    forged = sign_token(key=b"x" * 32, kind=ACCESS_TOKEN, claims={"c": 1}, ttl_seconds=300)
    for token in (expired, forged):
        with strict_server.client(token) as client:
            assert client.post("/v1/verify", json={"uin": new_uin()}).status_code == 401


@pytest.mark.parametrize(
    ("body", "where", "says"),
    [
        ({"uin": "12345abcde"}, "uin", "only digits"),
        ({"uin": "123456789"}, "uin", "at least 10"),
        ({"uin": "BAD_CHECK"}, "uin", "check digit"),
        ({"uin": "1234567890123456"}, "uin", "check digit of the VID"),
        ({"uin": "UIN", "date_of_birth": "1990-02-30"}, "date_of_birth", "real date"),
        ({"uin": "UIN", "date_of_birth": "30/01/1990"}, "date_of_birth", "YYYY-MM-DD"),
        ({"uin": "UIN", "date_of_birth": "2999"}, "date_of_birth", "between"),
        ({"uin": "UIN", "sex": "X"}, "sex", "'M' or 'F'"),
        ({"uin": "UIN", "family_name": ""}, "family_name", "at least 1"),
        ({"uin": "UIN", "family_name": "x" * 200}, "family_name", "at most 128"),
        ({"uin": "UIN", "surname": "Alaoui"}, "surname", "Extra inputs"),
        ({}, "uin", "Field required"),
    ],
)
def test_bad_verify_input_gets_422_saying_where_and_why(
    server: Server, body: dict[str, str], where: str, says: str
) -> None:
    uin = residents(server.engine, 1)[0].uin
    body = {k: (uin if v == "UIN" else _bad_uin(uin) if v == "BAD_CHECK" else v) for k, v in body.items()}
    with server.client(server.agencies["bank"]) as client:
        answer = client.post("/v1/verify", json=body)
    assert answer.status_code == 422
    errors = answer.json()["detail"]
    assert any(e["loc"][-1] == where and says in e["msg"] for e in errors), errors
    for value in body.values():
        if len(value) > 3:
            assert value not in answer.text  # nothing sent is echoed back


def test_other_bad_requests_get_their_4xx(server: Server) -> None:
    uin = residents(server.engine, 1)[0].uin
    with server.client(server.agencies["cnops"]) as client:
        not_json = client.post(
            "/v1/verify", content=b"{not json", headers={"content-type": "application/json"}
        )
        a_list = client.post("/v1/verify", json=[uin])
        a_vid_for_a_token = client.post("/v1/tokens", json={"uin": "1" * 15 + "4"})
        bad_path = client.get(f"/v1/persons/{_bad_uin(uin)}")
        too_large = client.post("/v1/verify", content=json.dumps({"uin": uin, "x": "y" * 70_000}).encode())
        unknown_path = client.get("/v1/nothing-here")
        wrong_method = client.get("/v1/verify")
    assert not_json.status_code == 422
    assert a_list.status_code == 422
    assert a_vid_for_a_token.status_code == 422 and "VID cannot be used here" in a_vid_for_a_token.text
    assert bad_path.status_code == 422 and "check digit" in bad_path.text
    assert too_large.status_code == 413
    assert unknown_path.status_code == 404
    assert wrong_method.status_code == 405


def test_an_agency_calling_too_fast_gets_429(server: Server) -> None:
    with server.client(server.agencies["slow"]) as client:
        answers = [client.post("/v1/verify", json={"uin": new_uin()}) for _ in range(12)]
    refused = [a for a in answers if a.status_code == 429]
    assert refused and refused[0].headers["retry-after"] == "1"
    assert {a.status_code for a in answers} <= {200, 429}
