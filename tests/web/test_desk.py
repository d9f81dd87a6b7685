"""The desk over real HTTP: sign-in, roles, CSRF, headers, the queue worked by two reviewers."""

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from sijill.db.base import utcnow
from sijill.db.engine import session_scope
from sijill.history import events_of
from sijill.linkage import ReviewItem
from sijill.register import Link, Person
from sijill.web.models import DeskSession
from sijill.web.security import SECURITY_HEADERS
from tests.web.conftest import DeskClient, DeskServer

Clients = Callable[[], DeskClient]
_ITEM = re.compile(r"/desk/review/(\d+)")


def _item_of(url: object) -> int:
    found = _ITEM.search(str(url))
    assert found is not None, url
    return int(found.group(1))


def test_pages_send_a_visitor_without_a_session_to_sign_in(client: Clients) -> None:
    c = client()
    for path in ("/desk/", "/desk/review", "/desk/persons", "/desk/dashboards/coverage", "/desk/persons/1"):
        response = c.http.get(path)
        assert response.url.path == "/desk/login", path
        assert 'name="password"' in response.text


def test_a_wrong_password_is_refused_and_five_failures_lock_the_account(client: Clients) -> None:
    c = client()
    assert c.login("amina", "not-her-password").status_code == 401
    for _ in range(4):
        c.login("amina", "not-her-password")
    locked = c.login("amina")
    assert locked.status_code == 401 and locked.url.path == "/desk/login"


def test_each_role_lands_on_its_first_page(client: Clients) -> None:
    landing = {
        "amina": "/desk/review",
        "omar": "/desk/persons",
        "salma": "/desk/dashboards/coverage",
        "driss": "/desk/persons",
    }
    for name, path in landing.items():
        response = client().login(name)
        assert response.status_code == 200 and response.url.path == path


def test_a_role_reaches_only_the_pages_it_is_allowed(client: Clients) -> None:
    reviewer, operator, manager = client(), client(), client()
    reviewer.login("amina")
    operator.login("omar")
    manager.login("salma")
    assert reviewer.http.get("/desk/dashboards/coverage").status_code == 403
    assert reviewer.http.get("/desk/dashboards/quality").status_code == 200
    assert operator.http.get("/desk/review").status_code == 403
    assert manager.http.get("/desk/persons").status_code == 403
    assert manager.http.get("/desk/dashboards/coverage").status_code == 200


def test_a_form_posted_without_the_session_token_or_from_another_site_is_refused(client: Clients) -> None:
    c = client()
    c.login("amina")
    assert c.http.post("/desk/review/next", data={"csrf": "forged"}).status_code == 403
    assert c.http.post("/desk/review/next").status_code == 403
    assert c.http.post("/desk/logout", data={}).status_code == 403
    foreign = c.http.post(
        "/desk/review/next", data={"csrf": c.csrf}, headers={"Origin": "https://elsewhere.example"}
    )
    assert foreign.status_code == 403
    assert c.post("/desk/review/next").status_code == 200


def test_every_form_the_desk_accepts_is_refused_without_the_session_token(client: Clients) -> None:
    from fastapi.routing import APIRoute

    from sijill.web.app import view_routers

    posted = sorted(
        "/desk" + route.path.replace("{item_id}", "1")
        for views in view_routers()
        for route in views.routes
        if isinstance(route, APIRoute) and "POST" in route.methods and route.path != "/login"
    )
    assert len(posted) >= 6, posted  # logout, language, review next and decide, search, results
    c = client()
    c.login("amina")  # a reviewer: every posted form but the sign-in's is hers to send
    for path in posted:
        refused = c.http.post(path, data={"decision": "skip", "q": "x", "language": "ar"})
        assert refused.status_code == 403 and 'class="detail" dir="ltr">csrf<' in refused.text, path
        forged = c.http.post(path, data={"csrf": "forged", "decision": "skip", "q": "x"})
        assert forged.status_code == 403, path
    assert c.http.get("/desk/review").status_code == 200  # still signed in: nothing was done


def test_the_sign_in_form_needs_its_own_token(client: Clients) -> None:
    c = client()
    response = c.http.post("/desk/login", data={"csrf": "x", "name": "amina", "password": "amina-password-1"})
    assert response.status_code == 403


def test_every_page_carries_the_security_headers_and_no_session_cookie_is_readable_by_scripts(
    client: Clients,
) -> None:
    c = client()
    login_page = c.http.get("/desk/login")
    c.login("driss")
    for response in (login_page, c.http.get("/desk/persons"), c.http.get("/desk/static/desk.css")):
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value
    assert c.http.get("/desk/persons").headers["cache-control"] == "no-store"
    signed_in = c.http.get("/desk/login")
    raw = c.login("driss").history[0].headers.get_list("set-cookie")
    assert any("sijill_desk=" in h and "HttpOnly" in h and "SameSite=strict" in h for h in raw)
    assert signed_in.status_code == 200


def test_an_idle_or_old_session_expires(client: Clients, desk: DeskServer) -> None:
    c = client()
    c.login("amina")
    with session_scope(desk.engine) as session:
        session.execute(update(DeskSession).values(last_seen=utcnow() - timedelta(hours=2)))
    assert c.http.get("/desk/review").url.path == "/desk/login"
    c.login("amina")
    with session_scope(desk.engine) as session:
        session.execute(update(DeskSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert c.http.get("/desk/review").url.path == "/desk/login"


def test_signing_out_ends_the_session(client: Clients, desk: DeskServer) -> None:
    c = client()
    c.login("amina")
    assert c.post("/desk/logout").url.path == "/desk/login"
    assert c.http.get("/desk/review").url.path == "/desk/login"
    with session_scope(desk.engine) as session:
        assert session.scalars(select(DeskSession)).all() == []


def test_two_reviewers_are_never_given_the_same_pair(client: Clients) -> None:
    amina, karim = client(), client()
    amina.login("amina")
    karim.login("karim")
    first = _item_of(amina.post("/desk/review/next").url)
    second = _item_of(karim.post("/desk/review/next").url)
    assert first != second
    assert _item_of(amina.post("/desk/review/next").url) == first  # she keeps her own pair
    refused = karim.post(f"/desk/review/{first}", decision="match")
    assert refused.status_code == 409
    page = karim.http.get(f"/desk/review/{first}").text
    assert "amina" in page and 'id="decide"' not in page


def test_a_decided_pair_is_not_decided_again(client: Clients) -> None:
    amina, karim = client(), client()
    amina.login("amina")
    karim.login("karim")
    item = _item_of(amina.post("/desk/review/next").url)
    assert amina.post(f"/desk/review/{item}", decision="non_match").status_code == 200
    assert karim.post(f"/desk/review/{item}", decision="match").status_code == 409


def test_linking_a_pair_merges_the_persons_at_once_with_the_reviewer_in_the_history(
    client: Clients, desk: DeskServer
) -> None:
    c = client()
    c.login("amina")
    item = _item_of(c.post("/desk/review/next").url)
    with session_scope(desk.engine) as session:
        pair = session.get(ReviewItem, item)
        assert pair is not None
        records = (pair.record_id_l, pair.record_id_r)
    done = c.post(f"/desk/review/{item}", decision="match")
    assert done.status_code == 200 and 'id="done-notice"' in done.text
    with session_scope(desk.engine) as session:
        persons = {r: p for r, p in session.execute(select(Link.source_record_id, Link.person_id))}
        assert persons[records[0]] == persons[records[1]]
        survivor = persons[records[0]]
        assert "review_linked" in [
            e.action for e in events_of(session=session, entity="person", entity_id=survivor)
        ]
    page = c.http.get(f"/desk/persons/{survivor}").text
    assert "review_linked" in page and "amina" in page
    versions = _section(page, 'id="versions"')
    assert versions.count('<tr class="version') == 2  # built, then linked
    assert "amina" in versions and "review_linked" in versions


def test_skipping_a_pair_gives_the_reviewer_another_and_leaves_it_to_others(client: Clients) -> None:
    amina, karim = client(), client()
    amina.login("amina")
    karim.login("karim")
    item = _item_of(amina.post("/desk/review/next").url)
    following = _item_of(amina.post(f"/desk/review/{item}", decision="skip").url)
    assert following != item
    assert _item_of(karim.post("/desk/review/next").url) == item


def test_a_merged_persons_page_leads_to_the_survivor(client: Clients, desk: DeskServer) -> None:
    c = client()
    c.login("amina")
    item = _item_of(c.post("/desk/review/next").url)
    c.post(f"/desk/review/{item}", decision="match")
    with session_scope(desk.engine) as session:
        merged = session.scalars(select(Person).where(Person.merged_into.is_not(None))).first()
        assert merged is not None
        survivor = merged.merged_into
    assert c.http.get(f"/desk/persons/{merged.id}").url.path == f"/desk/persons/{survivor}"


def test_search_finds_a_person_by_uin_source_id_and_name_in_either_script(
    client: Clients, desk: DeskServer
) -> None:
    with session_scope(desk.engine) as session:
        person = session.scalars(
            select(Person)
            .where(Person.family_ar.is_not(None), Person.family_lat.is_not(None))
            .order_by(Person.id)
        ).first()
        assert person is not None
        record = session.scalars(
            select(Link.source_record_id).where(Link.person_id == person.id).order_by(Link.source_record_id)
        ).first()
        from sijill.sources import SourceRecord

        source = session.get(SourceRecord, record)
        assert source is not None
        queries = [
            person.uin,
            f"{source.source}:{source.source_id}",
            f"{person.given_ar} {person.family_ar}",
            f"{person.family_lat.upper()} {person.given_lat}",  # type: ignore[union-attr]
        ]
    c = client()
    c.login("omar")
    for query in queries:
        page = c.post("/desk/persons", q=query).text
        assert f'href="/desk/persons/{person.id}"' in page, query
    assert 'id="no-hits"' in c.post("/desk/persons", q="Zzyzx Qwerty").text


def test_the_language_is_chosen_per_user(client: Clients) -> None:
    amina, karim = client(), client()
    amina.login("amina")
    karim.login("karim")
    page = amina.post("/desk/language", language="ar", back="/desk/review")
    assert page.url.path == "/desk/review" and '<html lang="ar" dir="rtl">' in page.text
    assert "قائمة المراجعة" in page.text
    assert '<html lang="fr" dir="ltr">' in karim.http.get("/desk/review").text
    again = client()
    assert '<html lang="ar" dir="rtl">' in again.login("amina").text


def test_pages_load_nothing_from_another_site(client: Clients, desk: DeskServer) -> None:
    household, member = _household_with_entitlement(desk)
    reviewer, c = client(), client()
    reviewer.login("amina")
    pair = reviewer.post("/desk/review/next")
    c.login("driss")
    pages = [pair, c.http.get("/desk/login"), c.post("/desk/persons", q="Alaoui")]
    for path in (
        "/desk/persons",
        f"/desk/persons/{member}",
        f"/desk/households/{household}",
        "/desk/dashboards/coverage",
        "/desk/dashboards/quality",
        "/desk/dashboards/programs",
    ):
        pages.append(c.http.get(path))
    for page in pages:
        assert page.status_code == 200, page.url
        assert not re.search(r'(src|href|action)="(https?:)?//', page.text), page.url
        loaded = re.findall(r'(?:src|href)="([^"#]+)"', page.text)
        assert loaded and all(u.startswith(("/desk/", "data:")) for u in loaded), page.url
    assert "url(" not in c.http.get("/desk/static/desk.css").text
    script = c.http.get("/desk/static/htmx.min.js")
    assert script.status_code == 200 and "htmx" in script.text
    assert "Zero-Clause BSD" in c.http.get("/desk/static/htmx.LICENSE.txt").text


def test_the_coverage_dashboard_lists_the_communes_of_largest_gap_first(client: Clients) -> None:
    c = client()
    c.login("salma")
    page = c.http.get("/desk/dashboards/coverage").text
    table = page[page.index('id="gaps"') :]
    gaps = [
        float(g.replace("\u202f", "").replace(",", "."))
        for g in re.findall(r"<td>([\d\u202f,]+)</td></tr>", table)
    ]
    assert len(gaps) >= 10 and gaps == sorted(gaps, reverse=True)
    assert page.count('class="chart bars"') >= 3  # persons by region, coverage rate, commune type
    types = page[page.index("Milieu urbain et rural") :]
    assert "urbain" in types[:4000] and "rural" in types[:4000]
    assert "Recensement 2024" in page


def test_an_unexpected_failure_shows_a_page_without_the_database_error(
    client: Clients, desk: DeskServer
) -> None:
    from sqlalchemy import text

    with desk.engine.begin() as connection:
        connection.execute(text("DROP TABLE desk_setting"))
    c = client()
    c.login("salma")
    response = c.http.get("/desk/dashboards/coverage")
    assert response.status_code == 500
    assert "desk_setting" not in response.text and "SELECT" not in response.text


def test_the_desk_refuses_a_register_that_does_not_exist(tmp_path: Path) -> None:
    from sijill.db.engine import create_engine_for
    from sijill.errors import NotFound
    from sijill.web import create_desk_app

    engine = create_engine_for(f"sqlite:///{tmp_path / 'missing.db'}")
    with pytest.raises(NotFound):
        create_desk_app(engine)
    engine.dispose()


def test_the_dashboards_follow_the_register_after_a_decision(client: Clients) -> None:
    auditor, karim = client(), client()
    auditor.login("driss")
    karim.login("karim")
    before = auditor.http.get("/desk/dashboards/quality").text
    assert "karim" not in before
    item = _item_of(karim.post("/desk/review/next").url)
    karim.post(f"/desk/review/{item}", decision="match")
    after = auditor.http.get("/desk/dashboards/quality").text
    assert "karim 1" in after


def test_the_desk_joins_another_application_without_entering_its_schema(register_url: str) -> None:
    import threading

    import httpx
    import uvicorn
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse

    from sijill.db.engine import create_engine_for
    from sijill.errors import SijillError
    from sijill.web import mount_web
    from tests.web.conftest import free_port

    app = FastAPI()

    @app.get("/v1/ping")
    def ping() -> dict[str, str]:
        return {"pong": "yes"}

    async def as_json(_request: object, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=400)

    app.add_exception_handler(SijillError, as_json)
    engine = create_engine_for(register_url)
    mount_web(app, engine=engine)
    assert all(not path.startswith("/desk") for path in app.openapi()["paths"])
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.02)
    try:
        c = DeskClient(httpx.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=True, timeout=60))
        assert c.http.get("/v1/ping").json() == {"pong": "yes"}
        assert c.login("amina").url.path == "/desk/review"
        missing = c.http.get("/desk/review/999999")
        assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
        assert missing.headers["content-security-policy"] == SECURITY_HEADERS["Content-Security-Policy"]
        c.http.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()


def test_what_the_desk_shows_is_in_the_audit_log_and_an_auditor_sees_it(
    client: Clients, desk: DeskServer
) -> None:
    from sijill.identity import ACTOR_OPERATOR, accesses_of

    with session_scope(desk.engine) as session:
        person = session.scalars(select(Person).where(Person.status == "active").order_by(Person.id)).first()
        assert person is not None
        uin = person.uin
    operator, auditor = client(), client()
    operator.login("omar")
    operator.post("/desk/persons", q=uin)
    operator.http.get(f"/desk/persons/{person.id}")
    with session_scope(desk.engine) as session:
        entries = accesses_of(session=session, uin=uin)
    assert [e.operation for e in entries] == ["desk.person", "desk.search"]
    assert all(e.actor == ACTOR_OPERATOR and e.agency == "omar" and e.via == "desk" for e in entries)
    assert 'id="access-log"' not in operator.http.get(f"/desk/persons/{person.id}").text
    auditor.login("driss")
    log = auditor.http.get(f"/desk/persons/{person.id}").text
    table = log[log.index('id="access-log"') :]
    assert table.count('class="access operator"') == 4 and "omar" in table and "driss" in table


def test_a_person_is_found_by_a_virtual_id(client: Clients, desk: DeskServer) -> None:
    from sijill.identity import issue_vid

    with session_scope(desk.engine) as session:
        person = session.scalars(select(Person).where(Person.status == "active").order_by(Person.id)).first()
        assert person is not None
        vid = issue_vid(session=session, uin=person.uin, kind="perpetual", issued_by="test").vid
    c = client()
    c.login("omar")
    page = c.post("/desk/persons", q=vid).text
    assert f'href="/desk/persons/{person.id}"' in page and "par VID" in page


def _household_with_entitlement(desk: DeskServer) -> tuple[int, int]:
    """Return a household paid by a program this cycle, and one of its members' person id."""
    from sijill.social import Entitlement, HouseholdMember

    with session_scope(desk.engine) as session:
        household = session.scalars(
            select(Entitlement.household_id).where(Entitlement.amount_mad > 0).order_by(Entitlement.id)
        ).first()
        member = session.scalars(
            select(HouseholdMember.person_id).where(
                HouseholdMember.household_id == household, HouseholdMember.status == "active"
            )
        ).first()
    assert household is not None and member is not None
    return household, member


def test_a_household_page_explains_its_index_and_lists_its_entitlements(
    client: Clients, desk: DeskServer
) -> None:
    from sijill.identity import accesses_of
    from sijill.social import household_view

    household, member = _household_with_entitlement(desk)
    operator = client()
    operator.login("omar")
    person_page = operator.http.get(f"/desk/persons/{member}").text
    assert f'href="/desk/households/{household}"' in person_page and 'id="person-programs"' in person_page
    page = operator.http.get(f"/desk/households/{household}")
    assert page.status_code == 200
    with session_scope(desk.engine) as session:
        view = household_view(session=session, household_id=household)
        uins = [m["uin"] for m in view["members"] if m["uin"]]
        logged = [e.operation for uin in uins for e in accesses_of(session=session, uin=uin)]
    assert "svg" in page.text and 'class="chart waterfall"' in page.text
    assert page.text.count('class="entitlement"') == len(view["entitlements"]) > 0
    for term in view["score"]["terms"]:
        assert term["term"] in page.text
    assert logged.count("desk.household") == len(uins)


def test_the_program_pages_are_for_program_managers_and_auditors_only(
    client: Clients, desk: DeskServer
) -> None:
    household, _ = _household_with_entitlement(desk)
    reviewer, operator, manager = client(), client(), client()
    reviewer.login("amina")
    operator.login("omar")
    manager.login("salma")
    assert reviewer.http.get("/desk/dashboards/programs").status_code == 403
    assert reviewer.http.get(f"/desk/households/{household}").status_code == 403
    assert operator.http.get("/desk/dashboards/programs").status_code == 403
    page = manager.http.get("/desk/dashboards/programs").text
    assert page.count('class="card program"') >= 4 and "femmes" in page and "2026-01" in page
    assert 'href="/desk/dashboards/programs"' in page
    assert 'href="/desk/dashboards/programs"' not in reviewer.http.get("/desk/review").text


def _section(page: str, marker: str) -> str:
    start = page.index(marker)
    return page[start : page.index("</table>", start)]


def test_a_persons_page_shows_records_provenance_history_household_programs_and_accesses(
    client: Clients, desk: DeskServer
) -> None:
    from sijill.sources import SourceRecord

    household, member = _household_with_entitlement(desk)
    with session_scope(desk.engine) as session:
        person = session.get(Person, member)
        assert person is not None and person.provenance
        origins = [o["source_id"] for o in person.provenance.values() if o]
        records = session.scalars(
            select(SourceRecord.source_id)
            .join(Link, Link.source_record_id == SourceRecord.id)
            .where(Link.person_id == member)
        ).all()
    operator, auditor = client(), client()
    operator.login("omar")
    operator.http.get(f"/desk/persons/{member}")
    auditor.login("driss")
    page = auditor.http.get(f"/desk/persons/{member}").text
    assert records and all(r in _section(page, 'id="records"') for r in records)
    assert origins and all(o in _section(page, 'id="attributes"') for o in origins)
    assert 'class="event ' in _section(page, 'id="history"')
    assert f'href="/desk/households/{household}"' in page
    assert "MAD" in _section(page, 'id="person-programs"')
    accesses = _section(page, 'id="access-log"')
    assert "omar" in accesses and "driss" in accesses


def test_a_household_page_shows_the_flags_the_cross_checks_raised(client: Clients, desk: DeskServer) -> None:
    from sijill.social import HouseholdFlag

    household, _ = _household_with_entitlement(desk)
    with session_scope(desk.engine) as session:
        session.add(HouseholdFlag(household_id=household, kind="member_deceased", reason="death in civil"))
    operator = client()
    operator.login("omar")
    page = operator.http.get(f"/desk/households/{household}").text
    flags = page[page.index('id="flags"') : page.index('id="entitlements"')]
    assert "membre décédé" in flags and "death in civil" in flags


def test_an_operators_merge_shows_as_a_version_and_in_the_history_of_the_survivor(
    client: Clients, desk: DeskServer
) -> None:
    from sijill.register.operators import merge_persons

    with session_scope(desk.engine) as session:
        older, younger = session.scalars(
            select(Person).where(Person.status == "active").order_by(Person.id).limit(2)
        ).all()
        survivor_id, survivor_uin = older.id, older.uin
        merge_persons(
            session, survivor_uin=older.uin, absorbed_uin=younger.uin, reason="same-person", by="op1"
        )
    c = client()
    c.login("omar")
    page = c.http.get(f"/desk/persons/{survivor_id}").text
    current = _section(page, 'id="versions"').split('<tr class="version current">', 1)[1]
    assert "op1" in current.split("</tr>", 1)[0] and "same-person" in current.split("</tr>", 1)[0]
    assert "fusion par un opérateur" in _section(page, 'id="history"')
    assert survivor_uin in page
