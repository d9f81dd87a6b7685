"""social register: households, index scores, programs, cycles, payments

Tables of `sijill.social`, and the triggers that keep its guarantees in the database itself,
on both backends: a cycle moves only forward (prepared, approved, released); what an
approver approved cannot be changed afterwards; a payment is accepted only for a due
entitlement of a released cycle (entitlements that were not approved can never be paid).
The four-eyes rules (an approver is never the preparer) are CHECK constraints.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import Text

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each guard: a name, the table and event it watches, the condition that refuses, the message.
_CYCLE_OF_NEW_ENTITLEMENT = "(SELECT status FROM cycle WHERE id = NEW.cycle_id)"
_CYCLE_OF_OLD_ENTITLEMENT = "(SELECT status FROM cycle WHERE id = OLD.cycle_id)"
_CYCLE_OF_LINE = (
    "(SELECT c.status FROM cycle c JOIN entitlement e ON e.cycle_id = c.id WHERE e.id = {row}.entitlement_id)"
)
_GUARDS: list[tuple[str, str, str, str, str]] = [
    (
        "cycle_moves_forward",
        "cycle",
        "UPDATE OF status",
        "NOT ((OLD.status = 'prepared' AND NEW.status IN ('prepared', 'approved')) "
        "OR (OLD.status = 'approved' AND NEW.status IN ('approved', 'released')) "
        "OR (OLD.status = 'released' AND NEW.status = 'released'))",
        "a cycle moves only from prepared to approved to released",
    ),
    (
        "entitlement_insert_prepared",
        "entitlement",
        "INSERT",
        f"{_CYCLE_OF_NEW_ENTITLEMENT} <> 'prepared'",
        "entitlements are added only to a prepared cycle",
    ),
    (
        "entitlement_frozen",
        "entitlement",
        "UPDATE OF amount_mad, recipient_person_id, household_id, cycle_id",
        f"{_CYCLE_OF_OLD_ENTITLEMENT} <> 'prepared'",
        "an approved entitlement cannot be changed",
    ),
    (
        "entitlement_kept",
        "entitlement",
        "DELETE",
        f"{_CYCLE_OF_OLD_ENTITLEMENT} <> 'prepared'",
        "an approved entitlement cannot be deleted",
    ),
    (
        "entitlement_line_insert_prepared",
        "entitlement_line",
        "INSERT",
        f"{_CYCLE_OF_LINE.format(row='NEW')} <> 'prepared'",
        "entitlement lines are added only to a prepared cycle",
    ),
    (
        "entitlement_line_kept",
        "entitlement_line",
        "DELETE",
        f"{_CYCLE_OF_LINE.format(row='OLD')} <> 'prepared'",
        "an approved entitlement line cannot be deleted",
    ),
    (
        "payment_insert_released",
        "payment",
        "INSERT",
        "(SELECT c.status FROM cycle c JOIN entitlement e ON e.cycle_id = c.id "
        "WHERE e.id = NEW.entitlement_id) IS DISTINCT FROM 'released' "
        "OR (SELECT status FROM entitlement WHERE id = NEW.entitlement_id) IS DISTINCT FROM 'due'",
        "payment refused: the entitlement is not due in a released cycle",
    ),
    (
        "payment_update_released",
        "payment",
        "UPDATE",
        "(SELECT c.status FROM cycle c JOIN entitlement e ON e.cycle_id = c.id "
        "WHERE e.id = NEW.entitlement_id) IS DISTINCT FROM 'released' "
        "OR (SELECT status FROM entitlement WHERE id = NEW.entitlement_id) IS DISTINCT FROM 'due'",
        "payment refused: the entitlement is not due in a released cycle",
    ),
]


def _sqlite_condition(condition: str) -> str:
    # SQLite spells IS DISTINCT FROM as IS NOT.
    return condition.replace("IS DISTINCT FROM", "IS NOT")


def _create_guards() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, table, event, condition, message in _GUARDS:
        if postgres:
            op.execute(
                f"CREATE OR REPLACE FUNCTION sijill_{name}() RETURNS trigger AS $$\n"
                f"BEGIN\n    IF {condition} THEN RAISE EXCEPTION '{message}'; END IF;\n"
                f"    RETURN {'OLD' if event == 'DELETE' else 'NEW'};\nEND;\n$$ LANGUAGE plpgsql"
            )
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {event} ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION sijill_{name}()"
            )
        else:
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {event} ON {table} "
                f"WHEN {_sqlite_condition(condition)} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )


def _drop_guards() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, table, _event, _condition, _message in reversed(_GUARDS):
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS sijill_{name}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")


def upgrade() -> None:
    op.create_table(
        "cycle",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("program", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("program_version", sa.String(length=32), nullable=False),
        sa.Column("program_checksum", sa.String(length=64), nullable=False),
        sa.Column("model_version", sa.String(length=48), nullable=True),
        sa.Column("prepared_by", sa.String(length=64), nullable=False),
        sa.Column("prepared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(length=64), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by", sa.String(length=64), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "summary",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status = 'prepared' OR (approved_by IS NOT NULL AND approved_at IS NOT NULL)",
            name=op.f("ck_cycle_approved_before_release"),
        ),
        sa.CheckConstraint(
            "approved_by IS NULL OR approved_by <> prepared_by", name=op.f("ck_cycle_four_eyes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cycle")),
        sa.UniqueConstraint("program", "period", name="uq_cycle_program_period"),
    )
    op.create_table(
        "emergency_activation",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("program", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column(
            "communes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("event_date", sa.String(length=10), nullable=False),
        sa.Column("first_period", sa.String(length=7), nullable=False),
        sa.Column("last_period", sa.String(length=7), nullable=False),
        sa.Column("switched_on_by", sa.String(length=64), nullable=False),
        sa.Column("switched_on_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("switched_off_by", sa.String(length=64), nullable=True),
        sa.Column("switched_off_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_activation")),
    )
    op.create_table(
        "index_model",
        sa.Column("version", sa.String(length=48), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column(
            "spec", sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=False
        ),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_index_model")),
    )
    op.create_table(
        "household",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("ref", sa.String(length=64), nullable=True),
        sa.Column("commune", sa.String(length=16), nullable=False),
        sa.Column("urban", sa.Boolean(), nullable=False),
        sa.Column("region_code", sa.String(length=2), nullable=False),
        sa.Column("province_code", sa.String(length=8), nullable=False),
        sa.Column("head_person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "variables",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("declared_on", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["head_person_id"], ["person.id"], name=op.f("fk_household_head_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household")),
        sa.UniqueConstraint("ref", name=op.f("uq_household_ref")),
    )
    op.create_table(
        "change_request",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("household_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "decided_by IS NULL OR decided_by <> requested_by", name=op.f("ck_change_request_four_eyes")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_change_request_household_id_household")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_request")),
    )
    op.create_index("ix_change_request_household_id", "change_request", ["household_id"], unique=False)
    op.create_table(
        "entitlement",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("cycle_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("program", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("household_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "recipient_person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("recipient_uin", sa.String(length=10), nullable=False),
        sa.Column("recipient_sex", sa.String(length=1), nullable=True),
        sa.Column("amount_mad", sa.Integer(), nullable=False),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("commune", sa.String(length=16), nullable=False),
        sa.Column("region_code", sa.String(length=2), nullable=False),
        sa.Column("urban", sa.Boolean(), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("hold_reason", sa.String(length=48), nullable=True),
        sa.ForeignKeyConstraint(["cycle_id"], ["cycle.id"], name=op.f("fk_entitlement_cycle_id_cycle")),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_entitlement_household_id_household")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_person_id"], ["person.id"], name=op.f("fk_entitlement_recipient_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entitlement")),
        sa.UniqueConstraint("program", "period", "household_id", name="uq_entitlement_household"),
        sa.UniqueConstraint("program", "period", "recipient_person_id", name="uq_entitlement_recipient"),
    )
    op.create_index("ix_entitlement_cycle_id", "entitlement", ["cycle_id"], unique=False)
    op.create_index("ix_entitlement_household_id", "entitlement", ["household_id"], unique=False)
    op.create_table(
        "household_member",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("household_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("uin", sa.String(length=10), nullable=True),
        sa.Column("declared_ref", sa.String(length=80), nullable=True),
        sa.Column("relationship", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=True),
        sa.Column("start_date", sa.String(length=10), nullable=False),
        sa.Column("end_date", sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_household_member_household_id_household")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_household_member_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_member")),
    )
    op.create_index("ix_household_member_household_id", "household_member", ["household_id"], unique=False)
    op.create_index("ix_household_member_person_id", "household_member", ["person_id"], unique=False)
    op.create_index(
        "uq_household_member_active_person",
        "household_member",
        ["person_id"],
        unique=True,
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_table(
        "household_residence",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("household_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("commune", sa.String(length=16), nullable=False),
        sa.Column("start_date", sa.String(length=10), nullable=False),
        sa.Column("end_date", sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_household_residence_household_id_household")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_residence")),
    )
    op.create_index(
        "ix_household_residence_household_id", "household_residence", ["household_id"], unique=False
    )
    op.create_table(
        "household_score",
        sa.Column("household_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("model_version", sa.String(length=48), nullable=False),
        sa.Column("household_version", sa.Integer(), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_household_score_household_id_household")
        ),
        sa.ForeignKeyConstraint(
            ["model_version"],
            ["index_model.version"],
            name=op.f("fk_household_score_model_version_index_model"),
        ),
        sa.PrimaryKeyConstraint("household_id", name=op.f("pk_household_score")),
    )
    op.create_table(
        "entitlement_line",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("entitlement_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("program", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column(
            "beneficiary_person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("component", sa.String(length=32), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("amount_mad", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["beneficiary_person_id"],
            ["person.id"],
            name=op.f("fk_entitlement_line_beneficiary_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["entitlement_id"],
            ["entitlement.id"],
            name=op.f("fk_entitlement_line_entitlement_id_entitlement"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entitlement_line")),
        sa.UniqueConstraint(
            "program", "period", "beneficiary_person_id", "component", name="uq_entitlement_line_beneficiary"
        ),
    )
    op.create_index(
        "ix_entitlement_line_entitlement_id", "entitlement_line", ["entitlement_id"], unique=False
    )
    op.create_table(
        "household_flag",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("household_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_household_flag_household_id_household")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["household_member.id"], name=op.f("fk_household_flag_member_id_household_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_flag")),
    )
    op.create_index("ix_household_flag_household_id", "household_flag", ["household_id"], unique=False)
    op.create_table(
        "payment",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("entitlement_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column("source_file", sa.String(length=255), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entitlement_id"], ["entitlement.id"], name=op.f("fk_payment_entitlement_id_entitlement")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment")),
        sa.UniqueConstraint("entitlement_id", name=op.f("uq_payment_entitlement_id")),
    )
    _create_guards()


def downgrade() -> None:
    _drop_guards()
    op.drop_table("payment")
    op.drop_index("ix_household_flag_household_id", table_name="household_flag")
    op.drop_table("household_flag")
    op.drop_index("ix_entitlement_line_entitlement_id", table_name="entitlement_line")
    op.drop_table("entitlement_line")
    op.drop_table("household_score")
    op.drop_index("ix_household_residence_household_id", table_name="household_residence")
    op.drop_table("household_residence")
    op.drop_index(
        "uq_household_member_active_person",
        table_name="household_member",
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    )
    op.drop_index("ix_household_member_person_id", table_name="household_member")
    op.drop_index("ix_household_member_household_id", table_name="household_member")
    op.drop_table("household_member")
    op.drop_index("ix_entitlement_household_id", table_name="entitlement")
    op.drop_index("ix_entitlement_cycle_id", table_name="entitlement")
    op.drop_table("entitlement")
    op.drop_index("ix_change_request_household_id", table_name="change_request")
    op.drop_table("change_request")
    op.drop_table("household")
    op.drop_table("index_model")
    op.drop_table("emergency_activation")
    op.drop_table("cycle")
