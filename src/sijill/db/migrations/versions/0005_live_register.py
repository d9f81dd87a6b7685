"""live register: the outbox, person versions, parents, operator actions

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")
_TS = sa.DateTime(timezone=True)


def _outbox() -> None:
    op.create_table(
        "outbox_event",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("uin", sa.String(length=10), nullable=True),
        sa.Column("payload", _JSON, nullable=False),
        sa.Column("build_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_event")),
        sqlite_autoincrement=True,  # ids never reused, even of a deleted last row
    )
    op.create_index("ix_outbox_event_kind_id", "outbox_event", ["kind", "id"], unique=False)
    op.create_table(
        "outbox_subscriber",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("acked_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_outbox_subscriber")),
    )


def upgrade() -> None:
    _outbox()


def downgrade() -> None:
    op.drop_table("outbox_subscriber")
    op.drop_index("ix_outbox_event_kind_id", table_name="outbox_event")
    op.drop_table("outbox_event")
