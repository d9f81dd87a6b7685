"""A UIN once issued is kept forever: never deleted, never renumbered (database triggers)."""

import pytest
from sqlalchemy import Engine, insert, text

from sijill.db.engine import session_scope
from sijill.uin import new_uin
from sijill.uin.models import UIN_RETIRED, Uin


@pytest.mark.parametrize(
    "statement",
    ["DELETE FROM uin", "UPDATE uin SET uin = '2345678901'"],
)
def test_the_uin_table_refuses_deleting_or_renumbering(engine: Engine, statement: str) -> None:
    with session_scope(engine) as session:
        session.execute(insert(Uin), [{"uin": new_uin(), "status": UIN_RETIRED}])
    with pytest.raises(Exception, match="never"), session_scope(engine) as session:
        session.execute(text(statement))


def test_a_uin_status_may_change(engine: Engine) -> None:
    uin = new_uin()
    with session_scope(engine) as session:
        session.execute(insert(Uin), [{"uin": uin, "status": "active"}])
    with session_scope(engine) as session:
        session.execute(text("UPDATE uin SET status = 'retired'"))
        assert session.get(Uin, uin).status == UIN_RETIRED  # type: ignore[union-attr]
