"""identity services: agencies, policies, credentials, keys, VIDs, locks, codes, audit, SPDCI

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64
_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION sijill_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.create_table(
        "agency",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("rate_per_second", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sender_id", sa.String(length=99), nullable=True),
        sa.Column("public_key", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency")),
        sa.UniqueConstraint("name", name=op.f("uq_agency_name")),
        sa.UniqueConstraint("sender_id", name=op.f("uq_agency_sender_id")),
    )
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=10), nullable=False),
        sa.Column("agency_id", sa.BigInteger(), nullable=True),
        sa.Column("agency", sa.String(length=64), nullable=True),
        sa.Column("purpose", sa.String(length=64), nullable=True),
        sa.Column("operation", sa.String(length=32), nullable=False),
        sa.Column("uin", sa.String(length=10), nullable=True),
        sa.Column("via", sa.String(length=8), nullable=True),
        sa.Column(
            "fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("status_code", sa.SmallInteger(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_uin_seq", "audit_log", ["uin", "seq"], unique=False)
    op.create_table(
        "auth_lock",
        sa.Column("uin", sa.String(length=10), nullable=False),
        sa.Column("operation", sa.String(length=32), nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("uin", "operation", name=op.f("pk_auth_lock")),
    )
    op.create_table(
        "one_time_code",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("uin", sa.String(length=10), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_one_time_code")),
    )
    op.create_index(op.f("ix_one_time_code_uin"), "one_time_code", ["uin"], unique=False)
    op.create_table(
        "sector_key",
        sa.Column("sector", sa.String(length=32), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sector", name=op.f("pk_sector_key")),
    )
    op.create_table(
        "service_key",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_service_key")),
    )
    op.create_table(
        "vid",
        sa.Column("vid", sa.String(length=16), nullable=False),
        sa.Column("uin", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("uses_left", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("vid", name=op.f("pk_vid")),
    )
    op.create_index(op.f("ix_vid_uin"), "vid", ["uin"], unique=False)
    op.create_index(
        "uq_vid_one_active_perpetual",
        "vid",
        ["uin"],
        unique=True,
        sqlite_where=sa.text("kind = 'perpetual' AND status = 'active'"),
        postgresql_where=sa.text("kind = 'perpetual' AND status = 'active'"),
    )
    op.create_table(
        "agency_policy",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("agency_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column(
            "operations",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "sources",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("sector", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], name=op.f("fk_agency_policy_agency_id_agency")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_policy")),
        sa.UniqueConstraint("agency_id", "purpose", name="uq_agency_policy_purpose"),
    )
    op.create_table(
        "registry_subscription",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("code", sa.String(length=36), nullable=False),
        sa.Column("agency_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_type", sa.String(length=16), nullable=False),
        sa.Column("notify_record_type", sa.String(length=64), nullable=False),
        sa.Column(
            "filter",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("sender_uri", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_registry_subscription_agency_id_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_subscription")),
        sa.UniqueConstraint("code", name=op.f("uq_registry_subscription_code")),
    )
    op.create_index(
        op.f("ix_registry_subscription_agency_id"), "registry_subscription", ["agency_id"], unique=False
    )
    op.create_table(
        "registry_txn",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("agency_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("message_id", sa.String(length=99), nullable=False),
        sa.Column("transaction_id", sa.String(length=99), nullable=False),
        sa.Column("correlation_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column(
            "summary",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], name=op.f("fk_registry_txn_agency_id_agency")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_txn")),
        sa.UniqueConstraint("agency_id", "message_id", name="uq_registry_txn_message"),
        sa.UniqueConstraint("correlation_id", name=op.f("uq_registry_txn_correlation_id")),
    )
    op.create_index(op.f("ix_registry_txn_transaction_id"), "registry_txn", ["transaction_id"], unique=False)
    op.create_table(
        "agency_credential",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("agency_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("policy_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_agency_credential_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["agency_policy.id"], name=op.f("fk_agency_credential_policy_id_agency_policy")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_credential")),
        sa.UniqueConstraint("key_id", name=op.f("uq_agency_credential_key_id")),
    )
    op.create_index(op.f("ix_agency_credential_agency_id"), "agency_credential", ["agency_id"], unique=False)
    op.execute(
        f"INSERT INTO audit_head (id, seq, hash, updated_at) VALUES (1, 0, '{GENESIS}', CURRENT_TIMESTAMP)"
    )
    _append_only()


def _append_only() -> None:
    """Refuse UPDATE and DELETE on the audit log (the hash chain catches whoever gets past)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION sijill_audit_append_only()"
        )
        return
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_log_no_{action.lower()} BEFORE {action} ON audit_log "
            f"BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: {action} refused'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS sijill_audit_append_only()")
    else:
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS audit_log_no_{action}")
    op.drop_index(op.f("ix_agency_credential_agency_id"), table_name="agency_credential")
    op.drop_table("agency_credential")
    op.drop_index(op.f("ix_registry_txn_transaction_id"), table_name="registry_txn")
    op.drop_table("registry_txn")
    op.drop_index(op.f("ix_registry_subscription_agency_id"), table_name="registry_subscription")
    op.drop_table("registry_subscription")
    op.drop_table("agency_policy")
    op.drop_index(
        "uq_vid_one_active_perpetual",
        table_name="vid",
        sqlite_where=sa.text("kind = 'perpetual' AND status = 'active'"),
        postgresql_where=sa.text("kind = 'perpetual' AND status = 'active'"),
    )
    op.drop_index(op.f("ix_vid_uin"), table_name="vid")
    op.drop_table("vid")
    op.drop_table("service_key")
    op.drop_table("sector_key")
    op.drop_index(op.f("ix_one_time_code_uin"), table_name="one_time_code")
    op.drop_table("one_time_code")
    op.drop_table("auth_lock")
    op.drop_index("ix_audit_log_uin_seq", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("audit_head")
    op.drop_table("agency")
