"""The desk in a real browser: Playwright driving Debian's Chromium against a live server.

Each test starts a fresh Chromium profile, signs in as a person of one role and works the
desk as they would; screenshots go to `test-artifacts/screenshots/` (git-ignored).
"""

import os
import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, expect, sync_playwright
from sqlalchemy import select

from sijill.db.engine import session_scope
from sijill.linkage.splink_linker import SplinkLinker
from sijill.register import Link, Person, run_build
from tests.web.conftest import USERS, DeskServer

CHROMIUM = Path(os.environ.get("SIJILL_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
NARROW = {"width": 375, "height": 780}


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)")
    with sync_playwright() as p:
        yield p


@pytest.fixture
def sqlite_register(built_sqlite: Path, tmp_path: Path) -> str:
    copy = tmp_path / "register.db"
    shutil.copy(built_sqlite, copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def live(sqlite_register: str) -> Iterator[DeskServer]:
    server = DeskServer(sqlite_register)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def browser(playwright: Playwright, tmp_path: Path) -> Iterator[BrowserContext]:
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "chromium-profile"),
        executable_path=str(CHROMIUM),
        args=CHROMIUM_ARGS,
        headless=True,
        viewport={"width": 1280, "height": 900},
    )
    yield context
    context.close()


# The elements reaching past the screen's edge (a mobile browser zooms the page out to fit
# them, so the window's own width grows with them: measure against the screen's).
_WIDER_THAN = """width => Array.from(document.querySelectorAll('body *'))
  .filter(e => e.getBoundingClientRect().right > width + 1 && !e.closest('.table-wrap'))
  .map(e => e.tagName + '.' + e.className)"""


def _fits_the_screen(page: Page, width: int) -> None:
    """Assert that nothing but a scrolling table reaches past a screen this wide."""
    wider = page.evaluate(_WIDER_THAN, width)
    assert not wider, wider
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _sign_in(page: Page, live: DeskServer, name: str) -> None:
    page.goto(f"{live.base}/desk/login")
    page.fill("#name", name)
    page.fill("#password", USERS[name][1])
    page.click("#sign-in")
    expect(page.locator("#logout")).to_be_visible()


def _open_next_pair(page: Page) -> int:
    page.click("#start-review")
    expect(page.locator("#decide")).to_be_visible()
    found = re.search(r"/review/(\d+)", page.url)
    assert found is not None
    return int(found.group(1))


def _records_of_item(live: DeskServer, item_id: int) -> tuple[int, int]:
    from sijill.linkage import ReviewItem

    with session_scope(live.engine) as session:
        item = session.get(ReviewItem, item_id)
        assert item is not None
        return item.record_id_l, item.record_id_r


def _person_of(live: DeskServer, record_id: int) -> Person:
    with session_scope(live.engine) as session:
        person_id = session.scalar(select(Link.person_id).where(Link.source_record_id == record_id))
        person = session.get(Person, person_id)
        assert person is not None
        return person


def test_a_reviewer_links_a_pair_with_the_keyboard_and_sees_one_person_with_the_decision(
    browser: BrowserContext, live: DeskServer
) -> None:
    page = browser.new_page()
    _sign_in(page, live, "amina")
    expect(page).to_have_url(re.compile(r"/desk/review$"))
    item = _open_next_pair(page)
    expect(page.locator("svg.waterfall")).to_be_visible()
    expect(page.locator("table.records bdi[dir=rtl]").first).to_be_visible()
    _shot(page, "review-pair")
    left, right = _records_of_item(live, item)
    page.keyboard.press("l")
    expect(page.locator("#done-notice")).to_be_visible()
    page.click("#done-person")
    expect(page.locator("#history tr.review_linked")).to_have_count(1)
    expect(page.locator("#history")).to_contain_text("amina")
    survivor = _person_of(live, left)
    assert _person_of(live, right).id == survivor.id
    expect(page.locator("#person-uin")).to_have_text(survivor.uin)
    expect(page.locator("#versions tr.version.current")).to_contain_text("amina")
    _shot(page, "person-after-link")


def test_a_decision_made_in_the_browser_survives_a_full_rebuild(
    browser: BrowserContext, live: DeskServer, small_sources: Path
) -> None:
    page = browser.new_page()
    _sign_in(page, live, "amina")
    linked = _open_next_pair(page)
    page.click("#decide-match")
    expect(page.locator("#done-notice")).to_be_visible()
    apart = int(re.search(r"/review/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    page.keyboard.press("k")  # keep apart, by its shortcut
    expect(page.locator("#done-notice")).to_be_visible()
    pair_linked, pair_apart = _records_of_item(live, linked), _records_of_item(live, apart)
    survivor = _person_of(live, pair_linked[0])
    run_build(
        engine=live.engine,
        sources_dir=small_sources,
        linker=SplinkLinker(),
        today=date(2026, 1, 1),
        retrain=True,
    )
    assert _person_of(live, pair_linked[1]).id == survivor.id
    assert _person_of(live, pair_apart[0]).id != _person_of(live, pair_apart[1]).id
    page.goto(f"{live.base}/desk/persons/{survivor.id}")
    expect(page.locator("#person-uin")).to_have_text(survivor.uin)
    expect(page.locator("#history tr.review_linked")).to_have_count(1)


def test_an_operator_finds_a_person_by_an_arabic_name_as_they_type(
    browser: BrowserContext, live: DeskServer
) -> None:
    with session_scope(live.engine) as session:
        person = session.scalars(
            select(Person)
            .where(Person.family_ar.is_not(None), Person.given_ar.is_not(None))
            .order_by(Person.id)
        ).first()
        assert person is not None
        query, uin = f"{person.given_ar} {person.family_ar}", person.uin
    page = browser.new_page()
    _sign_in(page, live, "omar")
    expect(page).to_have_url(re.compile(r"/desk/persons$"))
    page.locator("#q").press_sequentially(query, delay=20)
    hit = page.locator("ol.hits a.hit", has_text=uin)
    expect(hit).to_be_visible()
    _shot(page, "search-arabic")
    hit.click()
    expect(page.locator("#person-uin")).to_have_text(uin)


def test_a_reviewer_cannot_reach_the_program_pages(browser: BrowserContext, live: DeskServer) -> None:
    page = browser.new_page()
    _sign_in(page, live, "amina")
    expect(page.locator("nav")).not_to_contain_text("Programmes")
    expect(page.locator("nav")).not_to_contain_text("Couverture")
    for path in ("/desk/dashboards/programs", "/desk/dashboards/coverage", "/desk/households/1"):
        response = page.goto(f"{live.base}{path}")
        assert response is not None and response.status == 403, path
        expect(page.locator("h1")).to_contain_text("Accès refusé")
    _shot(page, "reviewer-refused")


def test_an_operator_opens_a_household_from_a_members_page(browser: BrowserContext, live: DeskServer) -> None:
    from sijill.social import Entitlement, HouseholdMember

    with session_scope(live.engine) as session:
        household = session.scalars(
            select(Entitlement.household_id).where(Entitlement.amount_mad > 0).order_by(Entitlement.id)
        ).first()
        member = session.scalars(
            select(Person.uin)
            .join(HouseholdMember, HouseholdMember.person_id == Person.id)
            .where(HouseholdMember.household_id == household, HouseholdMember.status == "active")
        ).first()
    assert member is not None
    page = browser.new_page()
    _sign_in(page, live, "omar")
    page.fill("#q", member)
    page.click("#search")
    page.locator("ol.hits a.hit").first.click()
    page.click("#household-link")
    expect(page.locator("h1")).to_contain_text(str(household))
    expect(page.locator("#index svg.waterfall")).to_be_visible()
    expect(page.locator("#members tr.member").first).to_be_visible()
    expect(page.locator("#entitlements tr.entitlement").first).to_be_visible()
    _shot(page, "household")


def test_a_program_manager_sees_reach_and_amounts_by_sex(browser: BrowserContext, live: DeskServer) -> None:
    page = browser.new_page()
    _sign_in(page, live, "salma")
    page.click("nav >> text=Programmes")
    expect(page.locator("section.program").first).to_be_visible()
    expect(page.locator("section.program svg.bars").first).to_be_visible()
    _shot(page, "programs")


def test_the_review_desk_works_on_a_narrow_screen(
    playwright: Playwright, live: DeskServer, tmp_path: Path
) -> None:
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "narrow-profile"),
        executable_path=str(CHROMIUM),
        args=CHROMIUM_ARGS,
        headless=True,
        viewport=NARROW,
        is_mobile=True,
        has_touch=True,
    )
    try:
        page = context.new_page()
        _sign_in(page, live, "amina")
        _open_next_pair(page)
        _fits_the_screen(page, NARROW["width"])
        buttons = page.locator("#decide button")
        for i in range(buttons.count()):
            box = buttons.nth(i).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= NARROW["width"]
        _shot(page, "review-pair-narrow")
        page.locator("#decide-skip").tap()
        expect(page).to_have_url(re.compile(r"/review/\d+$"))
        skipped = page.url
        page.keyboard.press("s")  # skip, by its shortcut: another pair
        expect(page).not_to_have_url(skipped)
        expect(page).to_have_url(re.compile(r"/review/\d+$"))
        for path, shot in (
            ("/desk/dashboards/quality", "quality-narrow"),
            ("/desk/persons", "search-narrow"),
        ):
            page.goto(f"{live.base}{path}")
            expect(page.locator("h1")).to_be_visible()
            _fits_the_screen(page, NARROW["width"])
            _shot(page, shot)
    finally:
        context.close()


def test_an_auditor_works_in_arabic_right_to_left(browser: BrowserContext, live: DeskServer) -> None:
    page = browser.new_page()
    _sign_in(page, live, "driss")
    page.click("#lang-ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("nav")).to_contain_text("الأشخاص")
    page.goto(f"{live.base}/desk/dashboards/coverage")
    expect(page.locator("h1")).to_have_text("تغطية السجل")
    expect(page.locator("svg.bars").first).to_be_visible()
    nav = page.locator("header.top .brand").bounding_box()
    assert nav is not None and nav["x"] > 640  # right to left: the brand sits on the right
    _shot(page, "coverage-arabic")
    page.goto(f"{live.base}/desk/dashboards/quality")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    _shot(page, "quality-arabic")
