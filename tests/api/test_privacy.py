"""No personal data in the logs at INFO or above, whatever the calls and their failures."""

import logging

import pytest

from tests.api.conftest import Server, residents

CLIENT_LOGGERS = ("httpx", "httpcore")  # the test's own client logs the URLs it calls


def test_calls_and_their_failures_log_no_personal_value(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    person = residents(server.engine, 1)[0]
    secrets = {person.uin, person.family_lat, person.given_lat, person.given_ar, person.birth_date}
    caplog.set_level(logging.INFO)
    with server.client(server.agencies["cnops"]) as client:
        client.post("/v1/verify", json={"uin": person.uin, "family_name": person.family_lat})
        client.post("/v1/verify", json={"uin": person.uin, "date_of_birth": person.birth_date + "x"})
        client.get(f"/v1/persons/{person.uin}")
        client.get(f"/v1/persons/{person.uin}", params={"fields": ["uin"]})
        client.post("/v1/resolve", json={"source": "cnss", "source_id": person.uin})
        client.post("/v1/me/codes", json={"id": person.uin})
    with server.client(server.agencies["civil"]) as civil:
        civil.post("/v1/events/deaths", json={"uin": person.uin, "death_date": "2026-11-29"})
        civil.post("/v1/events/deaths", json={"uin": person.uin, "death_date": "2026-11-29"})  # refused
        civil.post(
            "/v1/events/births",
            json={
                "sex": "F",
                "birth_date": "2026-11-30",
                "commune": "01.511.01.01",
                "given_name_lat": person.given_lat,
                "mother_uin": person.uin,
            },
        )
        civil.get("/v1/events")
    with server.client("sjl_nonsense") as stranger:
        stranger.get(f"/v1/persons/{person.uin}")
    server_side = [r for r in caplog.records if not r.name.startswith(CLIENT_LOGGERS)]
    logged = "\n".join(r.getMessage() for r in server_side if r.levelno >= logging.INFO)
    assert not [s for s in secrets if s and s in logged]
