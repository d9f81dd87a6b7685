"""The review queue: the queue, one pair side by side with its waterfall, and the decision."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sijill.errors import ReviewConflict
from sijill.linkage import ReviewItem
from sijill.register import settle_review
from sijill.reports.charts import waterfall_chart
from sijill.reports.quality import backlog
from sijill.web.app import desk_of
from sijill.web.queue import (
    ARABIC_FIELDS,
    claim,
    claim_next,
    lease_holder,
    pair_view,
    queue_entries,
    queue_size,
    release,
    skip,
)
from sijill.web.views.common import FormDep, Viewer, base_path, render, require, translator

router = APIRouter(prefix="/review")
Reviewer = Annotated[Viewer, Depends(require("review"))]
DECISIONS = ("match", "non_match", "skip")
QUEUE_SHOWN = 50


@router.get("", response_class=HTMLResponse)
def queue(request: Request, viewer: Reviewer) -> Response:
    """Show the queue, highest impact first, with who holds which pair."""
    with desk_of(request).reading() as session:
        entries = queue_entries(session=session, limit=QUEUE_SHOWN)
        total = queue_size(session=session)
        counts = backlog(session=session)
    return render(request, viewer, "review_queue.html", entries=entries, total=total, backlog=counts)


def _next_page(request: Request, item_id: int | None, done: int | None = None) -> Response:
    base = base_path(request)
    target = f"{base}/review/{item_id}" if item_id is not None else f"{base}/review"
    if done is not None:
        target += f"?done={done}"
    return RedirectResponse(target, status_code=303)


@router.post("/next")
def take_next(request: Request, viewer: Reviewer, _form: FormDep) -> Response:
    """Claim the next pair for this reviewer (or the one they already hold) and open it."""
    with desk_of(request).writing() as session:
        item_id = claim_next(session=session, user_id=viewer.user_id)
    return _next_page(request, item_id)


@router.get("/{item_id}", response_class=HTMLResponse)
def pair(request: Request, viewer: Reviewer, item_id: int, done: int | None = None) -> Response:
    """Show one pair: both records side by side, their persons, each comparison's weight."""
    t = translator(viewer)
    with desk_of(request).reading() as session:
        view = pair_view(session=session, item_id=item_id)
        holder = lease_holder(session=session, item_id=item_id)
        finished = None
        if done is not None and session.get(ReviewItem, done) is not None:
            finished = pair_view(session=session, item_id=done)
    steps = [
        (t(f"comparison.{name}") if name != "prior" else t("review.prior"), w, total)
        for name, _, w, total in view.steps
    ]
    chart = waterfall_chart(
        steps, title=t("review.waterfall"), value_text=lambda v: t.signed(v), total_label=t("review.total")
    )
    return render(
        request,
        viewer,
        "review_pair.html",
        view=view,
        chart=chart,
        mine=holder == viewer.user_id,
        arabic=ARABIC_FIELDS,
        finished=finished,
    )


@router.post("/{item_id}")
def decide(request: Request, viewer: Reviewer, item_id: int, form: FormDep) -> Response:
    """Link, keep apart or skip the pair; the register follows at once; open the next pair."""
    decision = str(form.get("decision", ""))
    if decision not in DECISIONS:
        raise ReviewConflict(f"unknown decision {decision!r}")
    desk = desk_of(request)
    if decision == "skip":
        with desk.writing() as session:
            if lease_holder(session=session, item_id=item_id) in (None, viewer.user_id):
                skip(session=session, user_id=viewer.user_id, item_id=item_id)
            return _next_page(request, claim_next(session=session, user_id=viewer.user_id))
    with desk.changing_register() as session:
        if not claim(session=session, user_id=viewer.user_id, item_id=item_id):
            raise ReviewConflict(f"review item {item_id} is being reviewed by another reviewer")
        settle_review(session=session, item_id=item_id, decision=decision, reviewer=viewer.name)
        release(session=session, item_id=item_id)
        following = claim_next(session=session, user_id=viewer.user_id)
    return _next_page(request, following, done=item_id)
