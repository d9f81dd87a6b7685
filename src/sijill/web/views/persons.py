"""Person search and the person page."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sijill.web.app import desk_of
from sijill.web.persons import person_view, surviving_person_id
from sijill.web.search import refresh_name_index, search_persons, unindexed_records
from sijill.web.views.common import FormDep, Viewer, base_path, render, require

router = APIRouter(prefix="/persons")
Operator = Annotated[Viewer, Depends(require("persons"))]


def _search(request: Request, query: str) -> list[object]:
    """Search, first indexing the names of records that arrived since the last search."""
    desk = desk_of(request)
    with desk.reading() as session:
        behind = unindexed_records(session=session)
    if behind:
        with desk.writing() as session:
            refresh_name_index(session=session)
    with desk.reading() as session:
        return list(search_persons(session=session, query=query))


@router.get("", response_class=HTMLResponse)
def search_page(request: Request, viewer: Operator) -> Response:
    """Show the search form (queries are posted: names and ids stay out of URLs and logs)."""
    return render(request, viewer, "persons_search.html", query="", hits=None)


@router.post("", response_class=HTMLResponse)
def search(request: Request, viewer: Operator, form: FormDep) -> Response:
    """Show the persons a UIN, a source id or a name leads to."""
    query = str(form.get("q", ""))[:200]
    return render(request, viewer, "persons_search.html", query=query, hits=_search(request, query))


@router.post("/results", response_class=HTMLResponse)
def results(request: Request, viewer: Operator, form: FormDep) -> Response:
    """Return only the results list (for search as one types)."""
    query = str(form.get("q", ""))[:200]
    return render(request, viewer, "persons_results.html", query=query, hits=_search(request, query))


@router.get("/{person_id}", response_class=HTMLResponse)
def person_page(request: Request, viewer: Operator, person_id: int) -> Response:
    """Show a person: UINs, attributes and their sources, records, history; merged ones lead on."""
    with desk_of(request).reading() as session:
        current = surviving_person_id(session=session, person_id=person_id)
        if current != person_id:
            return RedirectResponse(f"{base_path(request)}/persons/{current}", status_code=303)
        view = person_view(session=session, person_id=person_id)
    return render(request, viewer, "person.html", view=view)
