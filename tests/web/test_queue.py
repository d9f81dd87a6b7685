"""Review leases: one holder an item, expiry returns it to the queue, skips, impact order."""

from datetime import timedelta

from sqlalchemy import update

from sijill.db.base import utcnow
from sijill.db.engine import create_engine_for, session_scope
from sijill.web.models import DeskUser, ReviewLease
from sijill.web.queue import claim, claim_next, lease_holder, queue_entries, release, skip


def _user_ids(session: object) -> dict[str, int]:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    return {n: i for n, i in session.execute(select(DeskUser.name, DeskUser.id))}


def test_the_queue_is_ordered_by_impact_then_weight(register_url: str) -> None:
    engine = create_engine_for(register_url)
    with session_scope(engine) as session:
        entries = queue_entries(session=session)
    engine.dispose()
    assert entries
    keys = [(-e.impact, -e.match_weight, e.item_id) for e in entries]
    assert keys == sorted(keys)
    assert all(e.left_person != e.right_person for e in entries)


def test_an_item_has_one_holder_until_its_lease_expires(register_url: str) -> None:
    engine = create_engine_for(register_url)
    with session_scope(engine) as session:
        users = _user_ids(session)
        item = claim_next(session=session, user_id=users["amina"])
        assert item is not None
        assert not claim(session=session, user_id=users["karim"], item_id=item)
        assert claim_next(session=session, user_id=users["karim"]) != item
        assert lease_holder(session=session, item_id=item) == users["amina"]
    with session_scope(engine) as session:
        session.execute(
            update(ReviewLease)
            .where(ReviewLease.review_item_id == item)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    with session_scope(engine) as session:
        assert lease_holder(session=session, item_id=item) is None
        assert claim(session=session, user_id=users["karim"], item_id=item)
        release(session=session, item_id=item)
        assert lease_holder(session=session, item_id=item) is None
    engine.dispose()


def test_a_skipped_item_is_not_offered_again_to_the_one_who_skipped_it(register_url: str) -> None:
    engine = create_engine_for(register_url)
    with session_scope(engine) as session:
        users = _user_ids(session)
        item = claim_next(session=session, user_id=users["amina"])
        assert item is not None
        skip(session=session, user_id=users["amina"], item_id=item)
        assert claim_next(session=session, user_id=users["amina"]) != item
        assert claim_next(session=session, user_id=users["karim"]) == item
    engine.dispose()


def test_a_pairs_waterfall_adds_each_comparison_up_to_its_match_weight(register_url: str) -> None:
    import math

    from sijill.web.queue import pair_view

    engine = create_engine_for(register_url)
    with session_scope(engine) as session:
        view = pair_view(session=session, item_id=queue_entries(session=session, limit=1)[0].item_id)
        evidence = set(view.item.evidence or {})
    engine.dispose()
    names = [name for name, _, _, _ in view.steps]
    assert names[0] == "prior" and set(names[1:]) == evidence
    running = 0.0
    for _, _, weight, total in view.steps:
        running += weight
        assert math.isclose(running, total, abs_tol=1e-6)
    assert math.isclose(view.steps[-1][3], view.item.match_weight, abs_tol=1e-3)
