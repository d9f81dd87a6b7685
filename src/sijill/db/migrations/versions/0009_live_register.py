"""live register: the outbox, person versions, parents, operator actions

(0005 stays an empty placeholder: registers already past it must still get these tables.)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
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


def _versions() -> None:
    op.create_table(
        "person_version",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("valid_from", _TS, nullable=False),
        sa.Column("valid_to", _TS, nullable=True),
        sa.Column("attributes", _JSON, nullable=False),
        sa.Column("changed_by", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.Column("build_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_version")),
        sa.UniqueConstraint("person_id", "version", name="uq_person_version_person_id"),
    )
    op.create_table(
        "person_relation",
        sa.Column("person_id", _ID, nullable=False),
        sa.Column("relation", sa.String(length=8), nullable=False),
        sa.Column("relative_id", _ID, nullable=False),
        sa.Column("recorded_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_person_relation_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["relative_id"], ["person.id"], name=op.f("fk_person_relation_relative_id_person")
        ),
        sa.PrimaryKeyConstraint("person_id", "relation", name=op.f("pk_person_relation")),
    )
    op.create_index("ix_person_relation_relative_id", "person_relation", ["relative_id"], unique=False)
    op.create_table(
        "operator_action",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("uin", sa.String(length=10), nullable=False),
        sa.Column("operator", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("detail", _JSON, nullable=False),
        sa.Column("undoes", _ID, nullable=True),
        sa.Column("undone_by", _ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["undoes"], ["operator_action.id"], name=op.f("fk_operator_action_undoes_operator_action")
        ),
        sa.ForeignKeyConstraint(
            ["undone_by"], ["operator_action.id"], name=op.f("fk_operator_action_undone_by_operator_action")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_action")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.add_column("person", sa.Column("commune", sa.String(length=16), nullable=True))
    else:  # in place, no copy of a table of millions of rows
        op.execute("ALTER TABLE person ADD COLUMN commune VARCHAR(16)")


def upgrade() -> None:
    _outbox()
    _versions()


def downgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.drop_column("commune")
    op.drop_table("operator_action")
    op.drop_index("ix_person_relation_relative_id", table_name="person_relation")
    op.drop_table("person_relation")
    op.drop_table("person_version")
    op.drop_table("outbox_subscriber")
    op.drop_index("ix_outbox_event_kind_id", table_name="outbox_event")
    op.drop_table("outbox_event")
