"""VIDs: 16 digits with a Verhoeff digit; perpetual (one active at a time) or temporary (expiry and
uses); revocable; standing for the UIN in verify and eKYC, never in resolve, tokens or matching."""

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select, update

from sijill.db.base import utcnow
from sijill.db.engine import session_scope
from sijill.identity import (
    PERPETUAL,
    TEMPORARY,
    VIA_VID,
    Conflict,
    InvalidRequest,
    UnknownSubject,
    Vid,
    identify,
    issue_vid,
    new_vid,
    revoke_vid,
    vid_problem,
    vid_state,
    vids_of,
)
from sijill.register import Person
from sijill.uin import verhoeff_valid


def _a_uin(engine: Engine) -> str:
    with session_scope(engine) as session:
        uin = session.scalars(select(Person.uin).where(Person.status == "active").limit(1)).first()
    assert uin is not None
    return uin


@given(st.integers(min_value=0, max_value=50))
@settings(max_examples=50)
def test_a_vid_has_16_digits_and_a_verhoeff_check_digit(_n: int) -> None:
    vid = new_vid()
    assert len(vid) == 16 and vid.isdigit() and vid[0] != "0"
    assert verhoeff_valid(vid) and vid_problem(vid) is None


@given(st.integers(min_value=0, max_value=15), st.integers(min_value=1, max_value=9))
def test_any_single_digit_error_is_caught(position: int, shift: int) -> None:
    vid = new_vid()
    broken = vid[:position] + str((int(vid[position]) + shift) % 10) + vid[position + 1 :]
    assert vid_problem(broken) is not None


def test_a_vid_leads_to_its_uin_until_revoked(register: Engine) -> None:
    uin = _a_uin(register)
    with session_scope(register) as session:
        vid = issue_vid(session=session, uin=uin, kind=PERPETUAL, issued_by="test").vid
    with session_scope(register) as session:
        subject = identify(session=session, number=vid, operation="verify")
        assert subject is not None and subject.uin == uin and subject.via == VIA_VID
        revoke_vid(session=session, vid=vid)
    with session_scope(register) as session:
        assert identify(session=session, number=vid, operation="verify") is None
        assert vid_state(session.get(Vid, vid)) == "revoked"  # type: ignore[arg-type]
        with pytest.raises(UnknownSubject):
            revoke_vid(session=session, vid=vid)


def test_at_most_one_active_perpetual_vid(register: Engine) -> None:
    uin = _a_uin(register)
    with session_scope(register) as session:
        first = issue_vid(session=session, uin=uin, kind=PERPETUAL, issued_by="test").vid
        with pytest.raises(Conflict):
            issue_vid(session=session, uin=uin, kind=PERPETUAL, issued_by="test")
        issue_vid(session=session, uin=uin, kind=TEMPORARY, issued_by="test")  # temporary ones may coexist
        revoke_vid(session=session, vid=first)
        second = issue_vid(session=session, uin=uin, kind=PERPETUAL, issued_by="test").vid
        assert second != first
        assert [
            v.vid for v in vids_of(session=session, uin=uin) if v.kind == PERPETUAL and v.status == "active"
        ] == [second]


def test_the_database_refuses_a_second_active_perpetual_vid(register: Engine) -> None:
    from sqlalchemy.exc import IntegrityError

    uin = _a_uin(register)
    with session_scope(register) as session:
        issue_vid(session=session, uin=uin, kind=PERPETUAL, issued_by="test")
    with pytest.raises(IntegrityError), session_scope(register) as session:
        session.add(Vid(vid=new_vid(), uin=uin, kind=PERPETUAL, issued_by="bypass"))
        session.flush()


def test_a_temporary_vid_spends_its_uses(register: Engine) -> None:
    uin = _a_uin(register)
    with session_scope(register) as session:
        vid = issue_vid(session=session, uin=uin, kind=TEMPORARY, issued_by="test", uses=2).vid
    for _ in range(2):
        with session_scope(register) as session:
            assert identify(session=session, number=vid, operation="verify") is not None
    with session_scope(register) as session:
        assert identify(session=session, number=vid, operation="verify") is None
        assert vid_state(session.get(Vid, vid)) == "used"  # type: ignore[arg-type]


def test_a_temporary_vid_expires(register: Engine) -> None:
    uin = _a_uin(register)
    with session_scope(register) as session:
        vid = issue_vid(session=session, uin=uin, kind=TEMPORARY, issued_by="test", minutes=5, uses=3).vid
        session.execute(update(Vid).where(Vid.vid == vid).values(expires_at=utcnow() - timedelta(seconds=1)))
    with session_scope(register) as session:
        assert identify(session=session, number=vid, operation="verify") is None
        assert vid_state(session.get(Vid, vid)) == "expired"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "minutes", "uses"),
    [
        (PERPETUAL, 10, None),
        (PERPETUAL, None, 1),
        (TEMPORARY, 0, 1),
        (TEMPORARY, 10_000, 1),
        (TEMPORARY, 5, 11),
        ("x", None, None),
    ],
)
def test_vid_bounds_are_enforced(register: Engine, kind: str, minutes: int | None, uses: int | None) -> None:
    uin = _a_uin(register)
    with pytest.raises(InvalidRequest), session_scope(register) as session:
        issue_vid(session=session, uin=uin, kind=kind, issued_by="test", minutes=minutes, uses=uses)
