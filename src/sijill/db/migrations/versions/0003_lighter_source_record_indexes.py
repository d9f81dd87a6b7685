"""source_record: drop the status and batch indexes, which slowed every bulk load

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 09:15:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_source_record_status", table_name="source_record")
    op.drop_index("ix_source_record_batch_id", table_name="source_record")


def downgrade() -> None:
    op.create_index("ix_source_record_batch_id", "source_record", ["batch_id"])
    op.create_index("ix_source_record_status", "source_record", ["status"])
