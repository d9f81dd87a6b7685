"""The household page: members, the index explained term by term, flags and entitlements."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from sijill.reports.charts import waterfall_chart
from sijill.web.desk import desk_of
from sijill.web.security import DeskRoute
from sijill.web.views.common import Viewer, disclose, render, require, translator

router = APIRouter(prefix="/households", route_class=DeskRoute)
HouseholdViewer = Annotated[Viewer, Depends(require("households"))]
HOUSEHOLD_FIELDS = ("members", "sex", "birth_date", "survey", "index", "flags", "entitlements")


def _person_ids(session: Any, uins: list[str]) -> dict[str, int]:
    from sijill.uin.service import holder_of

    found = {uin: holder_of(session=session, uin=uin) for uin in uins}
    return {uin: pid for uin, pid in found.items() if pid is not None}


def _index_steps(score: dict[str, Any], t: Any) -> list[tuple[str, float, float]]:
    """Return the index as a waterfall: the constant, the region, then each term that counts."""
    steps: list[tuple[str, float, float]] = []
    total = 0.0
    parts = [(t("household.constant"), float(score.get("constant", 0.0)))]
    parts.append((t("household.region_constant"), float(score.get("region_constant", 0.0))))
    parts += [(str(term["term"]), float(term["contribution"])) for term in score.get("terms", [])]
    for label, weight in parts:
        if weight == 0.0 and steps:
            continue
        total += weight
        steps.append((label, weight, total))
    return steps


def _grouped_lines(lines: list[dict[str, Any]]) -> list[tuple[str, int, int]]:
    """Return an entitlement's lines as (rule, amount, how many): five members, one line."""
    counts: dict[tuple[str, int], int] = {}
    for line in lines:
        key = (str(line["rule"]), int(line["amount_mad"]))
        counts[key] = counts.get(key, 0) + 1
    return [(rule, amount, n) for (rule, amount), n in counts.items()]


@router.get("/{household_id}", response_class=HTMLResponse)
def household_page(request: Request, viewer: HouseholdViewer, household_id: int) -> Response:
    """Show a household: members, its index explained, its flags and entitlements, history."""
    from sijill.social import household_view

    t = translator(viewer)
    with desk_of(request).reading() as session:
        view = household_view(session=session, household_id=household_id)
        uins = [m["uin"] for m in view["members"] if m["uin"]]
        person_ids = _person_ids(session, uins)
    disclose(request, viewer, "household", uins, HOUSEHOLD_FIELDS)
    for entitlement in view["entitlements"]:
        entitlement["grouped_lines"] = _grouped_lines(entitlement["lines"])
    score = view["score"] or {}
    chart = None
    if score.get("scored"):
        chart = waterfall_chart(
            _index_steps(score, t),
            title=t("household.index_waterfall"),
            value_text=lambda v: t.signed(v, 3),
            total_label=t("household.index"),
        )
    return render(request, viewer, "household.html", h=view, score=score, chart=chart, person_ids=person_ids)
