"""Person search and the person page."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sijill.web.desk import desk_of
from sijill.web.persons import person_view, surviving_person_id
from sijill.web.search import Hit, refresh_name_index, search_persons, unindexed_records
from sijill.web.security import DeskRoute
from sijill.web.views.common import FormDep, Viewer, base_path, disclose, render, require

router = APIRouter(prefix="/persons", route_class=DeskRoute)
ACCESS_LOG_SHOWN = 50
Operator = Annotated[Viewer, Depends(require("persons"))]


SEARCH_FIELDS = ("name", "sex", "birth_date")
PERSON_FIELDS = ("name", "sex", "birth_date", "death_date", "records", "versions", "history")
LIVE_SEARCH_CHARS = 3


def _search(request: Request, viewer: Viewer, query: str) -> list[Hit]:
    """Search (indexing first the names of records that arrived since), and audit the hits."""
    desk = desk_of(request)
    with desk.reading() as session:
        behind = unindexed_records(session=session)
    if behind:
        with desk.writing() as session:
            refresh_name_index(session=session)
    with desk.reading() as session:
        hits = search_persons(session=session, query=query)
    disclose(request, viewer, "search", [h.person.uin for h in hits], SEARCH_FIELDS)
    return hits


@router.get("", response_class=HTMLResponse)
def search_page(request: Request, viewer: Operator) -> Response:
    """Show the search form (queries are posted: names and ids stay out of URLs and logs)."""
    return render(request, viewer, "persons_search.html", query="", hits=None)


@router.post("", response_class=HTMLResponse)
def search(request: Request, viewer: Operator, form: FormDep) -> Response:
    """Show the persons a UIN, a source id or a name leads to."""
    query = str(form.get("q", ""))[:200]
    return render(request, viewer, "persons_search.html", query=query, hits=_search(request, viewer, query))


@router.post("/results", response_class=HTMLResponse)
def results(request: Request, viewer: Operator, form: FormDep) -> Response:
    """Return only the results list (for search as one types)."""
    query = str(form.get("q", ""))[:200]
    hits = _search(request, viewer, query) if len(query.strip()) >= LIVE_SEARCH_CHARS else None
    return render(request, viewer, "persons_results.html", query=query, hits=hits)


@router.get("/{person_id}", response_class=HTMLResponse)
def person_page(request: Request, viewer: Operator, person_id: int) -> Response:
    """Show a person: UINs, attributes and their sources, records, history; merged ones lead on."""
    with desk_of(request).reading() as session:
        current = surviving_person_id(session=session, person_id=person_id)
        if current != person_id:
            return RedirectResponse(f"{base_path(request)}/persons/{current}", status_code=303)
        view = person_view(session=session, person_id=person_id)
    disclose(request, viewer, "person", [view.person.uin], PERSON_FIELDS)
    household_id, entitlements = _household_of(request, viewer, view.person.uin)
    accesses = None
    if viewer.can("access_log"):
        from sijill.identity import accesses_of

        with desk_of(request).reading() as session:
            accesses = accesses_of(session=session, uin=view.person.uin, limit=ACCESS_LOG_SHOWN)
    return render(
        request,
        viewer,
        "person.html",
        view=view,
        accesses=accesses,
        household_id=household_id,
        entitlements=entitlements,
    )


def _household_of(request: Request, viewer: Viewer, uin: str) -> tuple[int | None, list[dict[str, Any]]]:
    """Return the person's household and its entitlements, for those who may see them."""
    if not (viewer.can("households") or viewer.can("programs")):
        return None, []
    from sijill.social import household_entitlements, household_of

    with desk_of(request).reading() as session:
        household_id = household_of(session=session, uin=uin)
        if household_id is None:
            return None, []
        return household_id, household_entitlements(session=session, household_id=household_id)
