"""web desk: users, roles and sessions

Tables of `sijill.web`: the desk's users (role, password digest, language), their sessions,
the leases that keep two reviewers off one review item, the items a reviewer skipped, the
phonetic name index of search, and the desk's settings held by the register.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "desk_setting",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_desk_setting")),
    )
    op.create_table(
        "desk_user",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", _TS, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_user")),
        sa.UniqueConstraint("name", name=op.f("uq_desk_user_name")),
    )
    op.create_table(
        "desk_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("last_seen", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["desk_user.id"], name=op.f("fk_desk_session_user_id_desk_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_session")),
    )
    op.create_index(op.f("ix_desk_session_user_id"), "desk_session", ["user_id"], unique=False)
    op.create_table(
        "name_key",
        sa.Column("record_id", _ID, nullable=False),
        sa.Column("family_key", sa.String(length=64), nullable=False),
        sa.Column("given_key", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"], ["source_record.id"], name=op.f("fk_name_key_record_id_source_record")
        ),
        sa.PrimaryKeyConstraint("record_id", "family_key", "given_key", name=op.f("pk_name_key")),
    )
    op.create_index("ix_name_key_family_given", "name_key", ["family_key", "given_key"], unique=False)
    op.create_index("ix_name_key_given_key", "name_key", ["given_key"], unique=False)
    op.create_table(
        "review_lease",
        sa.Column("review_item_id", _ID, nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("claimed_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["review_item_id"],
            ["review_item.id"],
            name=op.f("fk_review_lease_review_item_id_review_item"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["desk_user.id"], name=op.f("fk_review_lease_user_id_desk_user")
        ),
        sa.PrimaryKeyConstraint("review_item_id", name=op.f("pk_review_lease")),
    )
    op.create_index(op.f("ix_review_lease_user_id"), "review_lease", ["user_id"], unique=False)
    op.create_table(
        "review_skip",
        sa.Column("review_item_id", _ID, nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["review_item_id"],
            ["review_item.id"],
            name=op.f("fk_review_skip_review_item_id_review_item"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["desk_user.id"], name=op.f("fk_review_skip_user_id_desk_user")),
        sa.PrimaryKeyConstraint("review_item_id", "user_id", name=op.f("pk_review_skip")),
    )


def downgrade() -> None:
    op.drop_table("review_skip")
    op.drop_index(op.f("ix_review_lease_user_id"), table_name="review_lease")
    op.drop_table("review_lease")
    op.drop_index("ix_name_key_given_key", table_name="name_key")
    op.drop_index("ix_name_key_family_given", table_name="name_key")
    op.drop_table("name_key")
    op.drop_index(op.f("ix_desk_session_user_id"), table_name="desk_session")
    op.drop_table("desk_session")
    op.drop_table("desk_user")
    op.drop_table("desk_setting")
