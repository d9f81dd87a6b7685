"""One app for every domain: the social register behind the agencies' policies, the desk mounted
with its own sessions, and the agencies' Bearer tokens kept apart from the desk's cookies."""

from sijill.db.engine import session_scope
from sijill.identity import Policy, add_agency
from tests.api.conftest import Server


def test_the_social_register_admits_agencies_by_policy(server: Server) -> None:
    with session_scope(server.engine) as session:
        reader = add_agency(
            session=session,
            name="ministry",
            policy=Policy(purpose="targeting", operations=("households.read", "programs.read")),
        ).credential
    with server.client() as anonymous:
        assert anonymous.get("/v1/social/programs").status_code == 401
    with server.client(server.agencies["bank"]) as bank:
        assert bank.get("/v1/social/programs").status_code == 403
    with server.client(reader) as ministry:
        assert ministry.get("/v1/social/programs").status_code == 200
        assert ministry.get("/v1/social/households/987654").status_code == 404
        refused = ministry.post("/v1/social/households", json={"commune": "x", "members": []})
        assert refused.status_code == 403  # declaring households needs households.write


def test_the_desk_is_mounted_and_ignores_agency_credentials(server: Server) -> None:
    with server.client(server.agencies["cnops"]) as client:
        page = client.get("/desk/", follow_redirects=False)
        assert page.status_code in (200, 303)
        assert "/v1/verify" in client.get("/openapi.json").json()["paths"]
        assert not any(p.startswith("/desk") for p in client.get("/openapi.json").json()["paths"])
