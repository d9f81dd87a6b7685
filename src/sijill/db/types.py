"""Column types shared by the models, and the SQL that reads them the same on both backends."""

from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer, String, cast, func, literal
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

# BIGINT on PostgreSQL; INTEGER on SQLite, where only INTEGER PRIMARY KEY autoincrements.
BigId = BigInteger().with_variant(Integer(), "sqlite")
Json = JSON().with_variant(JSONB(), "postgresql")
Timestamp = DateTime(timezone=True)


def json_text(session: Session, column: Any, field: str) -> Any:
    """Return the SQL of one field of a JSON column, as text, in the backend's own words.

    Bound as literals, so it also compiles into the raw statements of bulk reads.
    """
    if session.connection().dialect.name == "postgresql":
        return cast(column, JSONB).op("->>")(literal(field, String))
    return func.json_extract(column, literal(f'$."{field}"', String))
