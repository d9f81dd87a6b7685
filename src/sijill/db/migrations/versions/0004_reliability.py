"""reliability: one accepted version per source id, superseded versions linked, UINs kept

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION sijill_uin_kept() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'a UIN is never deleted: DELETE refused';
    END IF;
    IF NEW.uin <> OLD.uin THEN
        RAISE EXCEPTION 'a UIN is never renumbered: UPDATE of uin refused';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.add_column("source_record", sa.Column("previous_id", sa.BigInteger(), nullable=True))
        op.create_foreign_key(
            "fk_source_record_previous_id_source_record",
            "source_record",
            "source_record",
            ["previous_id"],
            ["id"],
        )
    else:  # SQLite adds a referencing column in place; no copy of a table of millions of rows
        op.execute("ALTER TABLE source_record ADD COLUMN previous_id INTEGER REFERENCES source_record (id)")
    op.create_index(
        "uq_source_record_accepted",
        "source_record",
        ["source", "source_id"],
        unique=True,
        sqlite_where=sa.text("status = 'accepted'"),
        postgresql_where=sa.text("status = 'accepted'"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER uin_kept BEFORE UPDATE OR DELETE ON uin "
            "FOR EACH ROW EXECUTE FUNCTION sijill_uin_kept()"
        )
        return
    op.execute(
        "CREATE TRIGGER uin_no_delete BEFORE DELETE ON uin "
        "BEGIN SELECT RAISE(ABORT, 'a UIN is never deleted: DELETE refused'); END"
    )
    op.execute(
        "CREATE TRIGGER uin_no_renumber BEFORE UPDATE OF uin ON uin WHEN NEW.uin <> OLD.uin "
        "BEGIN SELECT RAISE(ABORT, 'a UIN is never renumbered: UPDATE of uin refused'); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS uin_kept ON uin")
        op.execute("DROP FUNCTION IF EXISTS sijill_uin_kept()")
    else:
        op.execute("DROP TRIGGER IF EXISTS uin_no_delete")
        op.execute("DROP TRIGGER IF EXISTS uin_no_renumber")
    op.drop_index("uq_source_record_accepted", table_name="source_record")
    with op.batch_alter_table("source_record") as batch:
        batch.drop_column("previous_id")
