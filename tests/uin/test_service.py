from sqlalchemy import Engine, insert

from sijill.db.engine import session_scope
from sijill.uin import is_valid_uin
from sijill.uin.models import UIN_RETIRED, Uin
from sijill.uin.service import issue_uins


def test_issued_uins_are_new_valid_and_distinct(engine: Engine) -> None:
    with session_scope(engine) as session:
        uins = issue_uins(session=session, count=500)
    assert len(set(uins)) == 500
    assert all(is_valid_uin(u) for u in uins)


def test_retired_uins_are_never_issued_again(engine: Engine) -> None:
    with session_scope(engine) as session:
        first = issue_uins(session=session, count=50)
        session.execute(insert(Uin), [{"uin": u, "status": UIN_RETIRED} for u in first])
    with session_scope(engine) as session:
        again = issue_uins(session=session, count=200)
    assert not set(first) & set(again)
