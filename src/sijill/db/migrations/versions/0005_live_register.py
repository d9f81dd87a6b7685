"""live register: life events, person versions, outbox, enrolment

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 06:00:00
"""

from collections.abc import Sequence

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing: the live register's tables came after 0008, in 0009."""


def downgrade() -> None:
    """Nothing to drop."""
