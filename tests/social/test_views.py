"""The household endpoints in `sijill serve`, behind the API's agency credentials and policies."""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine

from sijill.db.engine import session_scope
from sijill.identity import Policy, add_agency
from tests.api.conftest import Server, serve
from tests.social.conftest import URBAN, H, P, Register, household_ids, import_survey, run

Make = Callable[[Sequence[P]], Register]

POLICIES = {
    "social-desk": Policy(purpose="social-register", operations=("households.read", "households.write")),
    "social-desk-2": Policy(purpose="social-register", operations=("households.read", "households.write")),
    "statistics": Policy(purpose="program-statistics", operations=("programs.read",)),
    "bank": Policy(purpose="account-opening", operations=("verify",)),
}


@contextmanager
def _server(engine: Engine) -> Iterator[Server]:
    with session_scope(engine) as session:
        credentials = {
            name: add_agency(session=session, name=name, policy=policy).credential
            for name, policy in POLICIES.items()
        }
    for running in serve(engine):
        running.agencies = credentials
        yield running


def test_a_household_reads_with_members_score_flags_and_entitlements_within_policy(
    make_register: Make, tmp_path: Path
) -> None:
    register = make_register([P("h", "F", "1980-01-01"), P("c", "M", "2014-01-01")])
    import_survey(register, [H("x", [("h", "head"), ("c", "son")])], tmp_path / "h.csv")
    run(register, "2026-01")
    household = household_ids(register)["x"]
    with _server(register.engine) as server:
        path = f"/v1/social/households/{household}"
        assert server.client().get(path).status_code == 401
        assert server.client(server.agencies["bank"]).get(path).status_code == 403
        body = server.client(server.agencies["social-desk"]).get(path).json()
        reach = server.client(server.agencies["statistics"]).get(
            "/v1/social/programs/family_allowance/cycles/2026-01/reach"
        )
        missing = server.client(server.agencies["social-desk"]).get("/v1/social/households/999999")
    assert [m["uin"] for m in body["members"]] == [register.uin("h"), register.uin("c")]
    assert body["score"]["scored"] and body["score"]["model_version"] == "test-identity"
    assert {f["kind"] for f in body["flags"]} == {"school_age_not_in_massar"}
    assert {e["program"]: e["amount_mad"] for e in body["entitlements"]} == {
        "amo_tadamon": 124,
        "family_allowance": 500,
    }
    child = next(e for e in body["entitlements"] if e["program"] == "family_allowance")["lines"]
    assert {(line["component"], line["beneficiary_uin"]) for line in child} == {
        ("child", register.uin("c")),
        ("minimum", None),
    }
    assert reach.status_code == 200
    assert [
        (r["region_code"], r["area"], r["recipient_sex"], r["households"], r["amount_mad"])
        for r in reach.json()
    ] == [("04", "urban", "F", 1, 500)]
    assert missing.status_code == 404


def test_an_agency_registers_a_household_by_uin_and_another_credential_approves_its_change(
    make_register: Make,
) -> None:
    register = make_register([P("h", "M", "1970-01-01"), P("s", "F", "1972-01-01")])
    body = {
        "commune": URBAN,
        "members": [{"uin": register.uin("h"), "relationship": "head"}],
        "variables": {"pmt": "9"},
    }
    change = {"kind": "add_member", "payload": {"uin": register.uin("s"), "relationship": "spouse"}}
    with _server(register.engine) as server:
        desk = server.client(server.agencies["social-desk"])
        created = desk.post("/v1/social/households", json=body)
        unknown = desk.post(
            "/v1/social/households", json={**body, "members": [{"uin": "2000000001", "relationship": "head"}]}
        )
        household = created.json()["household_id"]
        request = desk.post(f"/v1/social/households/{household}/changes", json=change).json()
        same = desk.post(f"/v1/social/changes/{request['id']}/decision", json={"approve": True})
        other = server.client(server.agencies["social-desk-2"]).post(
            f"/v1/social/changes/{request['id']}/decision", json={"approve": True}
        )
        statistics = server.client(server.agencies["statistics"]).post("/v1/social/households", json=body)
    assert created.status_code == 201
    assert (unknown.status_code, unknown.json()["detail"]) == (
        422,
        "member 1: no person of the register holds this UIN",
    )
    assert same.status_code == 409
    assert (other.status_code, other.json()["status"]) == (200, "approved")
    assert other.json()["decided_by"].startswith("social-desk-2#")
    assert statistics.status_code == 403
