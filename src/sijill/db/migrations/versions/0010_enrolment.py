"""enrolment: field devices, enrolments with their evidence, bundles synced

Tables of `sijill.enrolment`: the devices allowed to send offline bundles (with their
ed25519 public keys), each enrolment (its record, evidence, decision and person), and the
ledger of bundles that makes a second sync of a bundle change nothing.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "enrolment_device",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("added_by", sa.String(length=64), nullable=False),
        sa.Column("added_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_enrolment_device")),
    )
    op.create_table(
        "enrolment_bundle",
        sa.Column("bundle_id", sa.String(length=64), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=44), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("first_synced_at", _TS, nullable=False),
        sa.Column("completed_at", _TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["device"], ["enrolment_device.name"], name=op.f("fk_enrolment_bundle_device_enrolment_device")
        ),
        sa.PrimaryKeyConstraint("bundle_id", name=op.f("pk_enrolment_bundle")),
    )
    op.create_index(op.f("ix_enrolment_bundle_device"), "enrolment_bundle", ["device"], unique=False)
    op.create_table(
        "enrolment",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("number", sa.String(length=19), nullable=False),
        sa.Column("record_id", _ID, nullable=False),
        sa.Column("device", sa.String(length=64), nullable=True),
        sa.Column("bundle_id", sa.String(length=64), nullable=True),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("entry_digest", sa.String(length=44), nullable=True),
        sa.Column("operator", sa.String(length=64), nullable=False),
        sa.Column("enrolled_at", _TS, nullable=False),
        sa.Column("evidence", _JSON, nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("person_id", _ID, nullable=True),
        sa.Column("candidates", _JSON, nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", _TS, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["bundle_id"],
            ["enrolment_bundle.bundle_id"],
            name=op.f("fk_enrolment_bundle_id_enrolment_bundle"),
        ),
        sa.ForeignKeyConstraint(
            ["device"], ["enrolment_device.name"], name=op.f("fk_enrolment_device_enrolment_device")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_enrolment_person_id_person")),
        sa.ForeignKeyConstraint(
            ["record_id"], ["source_record.id"], name=op.f("fk_enrolment_record_id_source_record")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolment")),
        sa.UniqueConstraint("device", "client_id", name="uq_enrolment_device_client_id"),
        sa.UniqueConstraint("number", name=op.f("uq_enrolment_number")),
        sa.UniqueConstraint("record_id", name=op.f("uq_enrolment_record_id")),
    )
    op.create_index(op.f("ix_enrolment_bundle_id"), "enrolment", ["bundle_id"], unique=False)
    op.create_index(op.f("ix_enrolment_person_id"), "enrolment", ["person_id"], unique=False)
    op.create_index(op.f("ix_enrolment_status"), "enrolment", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_enrolment_status"), table_name="enrolment")
    op.drop_index(op.f("ix_enrolment_person_id"), table_name="enrolment")
    op.drop_index(op.f("ix_enrolment_bundle_id"), table_name="enrolment")
    op.drop_table("enrolment")
    op.drop_index(op.f("ix_enrolment_bundle_device"), table_name="enrolment_bundle")
    op.drop_table("enrolment_bundle")
    op.drop_table("enrolment_device")
