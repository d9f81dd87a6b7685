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
    landing = {"amina": "/desk/review", "omar": "/desk/persons", "salma": "/desk/dashboards/coverage"}
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


def test_pages_load_nothing_from_another_site(client: Clients) -> None:
    c = client()
    c.login("driss")
    for path in ("/desk/persons", "/desk/dashboards/coverage", "/desk/dashboards/quality"):
        page = c.http.get(path).text
        assert not re.search(r'(src|href)="(https?:)?//', page), path
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
    assert "<svg" in page


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
