"""The household endpoints, mounted in an application that provides sessions and an actor."""

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from sijill.db.engine import session_scope
from sijill.errors import SijillError
from sijill.social.views import router, status_of
from tests.social.conftest import URBAN, H, P, Register, household_ids, import_survey, run

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

Make = Callable[[Sequence[P]], Register]
# Starlette's test client still runs on httpx and says so; the requests themselves are real.
pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient` is deprecated")


def _client(register: Register) -> "TestClient":
    from fastapi.testclient import TestClient

    app = FastAPI()
    app.include_router(router)
    app.state.session_factory = lambda: session_scope(register.engine)

    @app.middleware("http")
    async def actor(request: Request, call_next: Callable[[Request], object]) -> Response:
        request.state.actor = request.headers.get("x-test-actor")
        return await call_next(request)  # type: ignore[misc, no-any-return]

    @app.exception_handler(SijillError)
    async def refused(_request: Request, exc: SijillError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status_of(exc))

    return TestClient(app)


def test_a_household_reads_with_members_score_flags_and_entitlements(
    make_register: Make, tmp_path: Path
) -> None:
    register = make_register([P("h", "F", "1980-01-01"), P("c", "M", "2014-01-01")])
    import_survey(register, [H("x", [("h", "head"), ("c", "son")])], tmp_path / "h.csv")
    run(register, "2026-01")
    client = _client(register)
    household = household_ids(register)["x"]
    assert client.get(f"/social/households/{household}").status_code == 401
    body = client.get(f"/social/households/{household}", headers={"x-test-actor": "agency"}).json()
    assert [m["uin"] for m in body["members"]] == [register.uin("h"), register.uin("c")]
    assert body["score"]["scored"] and body["score"]["model_version"] == "test-identity"
    assert {f["kind"] for f in body["flags"]} == {"school_age_not_in_massar"}
    assert {e["program"]: e["amount_mad"] for e in body["entitlements"]} == {
        "amo_tadamon": 124,
        "family_allowance": 500,
    }
    reach = client.get(
        "/social/programs/family_allowance/cycles/2026-01/reach", headers={"x-test-actor": "a"}
    ).json()
    assert reach == [
        {
            "region_code": "04",
            "region": reach[0]["region"],
            "area": "urban",
            "recipient_sex": "F",
            "households": 1,
            "persons": 2,
            "amount_mad": 500,
        }
    ]
    assert client.get("/social/households/999999", headers={"x-test-actor": "a"}).status_code == 404


def test_an_agency_registers_a_household_by_uin_and_changes_it_with_four_eyes(make_register: Make) -> None:
    register = make_register([P("h", "M", "1970-01-01"), P("s", "F", "1972-01-01")])
    client = _client(register)
    agency = {"x-test-actor": "agency-a"}
    body = {
        "commune": URBAN,
        "members": [{"uin": register.uin("h"), "relationship": "head"}],
        "variables": {"pmt": "9"},
    }
    created = client.post("/social/households", json=body, headers=agency)
    assert created.status_code == 201
    household = created.json()["household_id"]
    unknown = {**body, "members": [{"uin": "2000000001", "relationship": "head"}]}
    refused = client.post("/social/households", json=unknown, headers=agency)
    assert (refused.status_code, refused.json()["detail"]) == (
        422,
        "member 1: no person of the register holds this UIN",
    )
    change = {"kind": "add_member", "payload": {"uin": register.uin("s"), "relationship": "spouse"}}
    request = client.post(f"/social/households/{household}/changes", json=change, headers=agency).json()
    same = client.post(f"/social/changes/{request['id']}/decision", json={"approve": True}, headers=agency)
    assert same.status_code == 409
    other = client.post(
        f"/social/changes/{request['id']}/decision", json={"approve": True}, headers={"x-test-actor": "b"}
    )
    assert (other.status_code, other.json()["status"], other.json()["decided_by"]) == (200, "approved", "b")
