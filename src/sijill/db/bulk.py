"""Bulk writes that bypass per-row work: COPY on PostgreSQL, executemany on SQLite.

SQLAlchemy's executemany builds and type-processes every parameter set in Python; for the
millions of rows of a national build that is most of the time spent. Here JSON columns are
serialised once, and the rows go to the driver as plain tuples.
"""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from operator import itemgetter
from typing import Any, cast

import orjson
from sqlalchemy import JSON, DateTime, Select, Table, func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.schema import AddConstraint, DropConstraint
from sqlalchemy.sql import FromClause


def _json_columns(table: Table) -> set[str]:
    return {c.name for c in table.columns if isinstance(c.type, JSON)}


def _datetime_columns(table: Table) -> set[str]:
    return {c.name for c in table.columns if isinstance(c.type, DateTime)}


def _encode_json(value: Any) -> Any:
    return None if value is None else orjson.dumps(value).decode()


def _sqlite_datetime() -> Callable[[Any], Any]:
    """Write datetimes as SQLAlchemy's SQLite dialect stores them (naive, microseconds)."""
    seen: dict[datetime, str] = {}

    def convert(value: Any) -> Any:
        if not isinstance(value, datetime):
            return value
        if value not in seen:
            seen[value] = value.strftime("%Y-%m-%d %H:%M:%S.%f")
        return seen[value]

    return convert


def _as_tuples(
    rows: Sequence[dict[str, Any]], names: list[str], converters: dict[int, Callable[[Any], Any]]
) -> list[tuple[Any, ...]]:
    """Return the rows as tuples in column order, converting only the columns that need it."""
    getter = itemgetter(*names)
    tuples = [(getter(r),) for r in rows] if len(names) == 1 else [getter(r) for r in rows]
    if not converters:
        return tuples
    out = []
    for t in tuples:
        values = list(t)
        for i, fn in converters.items():
            values[i] = fn(values[i])
        out.append(tuple(values))
    return out


def in_chunks(values: Sequence[Any], size: int = 5000) -> list[list[Any]]:
    """Split values for IN lists, each under every backend's parameter limit."""
    items = list(values)
    return [items[i : i + size] for i in range(0, len(items), size)]


def db_timestamp(session: Session, value: datetime) -> Any:
    """Return a timestamp as `bulk_insert_tuples` must be given it on this backend."""
    return _sqlite_datetime()(value) if session.connection().dialect.name == "sqlite" else value


def bulk_insert(
    session: Session, table: FromClause, rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None
) -> int:
    """Insert rows (dicts holding every one of `columns`) inside the session's transaction."""
    if not rows:
        return 0
    table = cast(Table, table)
    names = list(columns or rows[0].keys())
    connection = session.connection()
    dialect = connection.dialect.name
    converters: dict[int, Callable[[Any], Any]] = {}
    json_cols, time_cols = _json_columns(table), _datetime_columns(table)
    to_text = _sqlite_datetime()
    for i, name in enumerate(names):
        if name in json_cols:
            converters[i] = _encode_json
        elif name in time_cols and dialect == "sqlite":
            converters[i] = to_text
    return bulk_insert_tuples(session, table, names, _as_tuples(rows, names, converters))


def bulk_insert_tuples(
    session: Session, table: FromClause, names: Sequence[str], tuples: Sequence[tuple[Any, ...]]
) -> int:
    """Insert rows given as tuples in `names` order, JSON columns already encoded as text."""
    if not tuples:
        return 0
    table = cast(Table, table)
    connection = session.connection()
    dialect = connection.dialect.name
    raw = connection.connection.driver_connection
    quoted = ", ".join(f'"{n}"' for n in names)
    if dialect == "postgresql":
        copy_sql = f'COPY "{table.name}" ({quoted}) FROM STDIN'
        with raw.cursor() as cursor, cursor.copy(copy_sql) as copy:  # type: ignore[union-attr]
            for row in tuples:
                copy.write_row(row)
    else:
        marks = ", ".join("?" for _ in names)
        cursor = raw.cursor()  # type: ignore[union-attr]
        cursor.executemany(f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks})', tuples)
        cursor.close()
    return len(tuples)


def copy_from_duckdb(session: Session, table: FromClause, names: Sequence[str], con: Any, sql: str) -> None:
    """Write the rows of a DuckDB query into a PostgreSQL table without a Python object per value.

    DuckDB writes CSV (an empty string quoted, NULL unquoted: PostgreSQL's own CSV rules) to a
    temporary file that COPY streams into the session's transaction.
    """
    import tempfile

    table = cast(Table, table)
    with tempfile.TemporaryDirectory(prefix="sijill-copy-") as tmp:
        path = f"{tmp}/rows.csv"
        con.execute(f"COPY ({sql}) TO '{path}' (FORMAT csv, HEADER false)")
        quoted = ", ".join(f'"{n}"' for n in names)
        raw = session.connection().connection.driver_connection
        copy_sql = f'COPY "{table.name}" ({quoted}) FROM STDIN (FORMAT csv)'
        with raw.cursor() as cursor, cursor.copy(copy_sql) as copy, open(path, "rb") as f:  # type: ignore[union-attr]
            while block := f.read(1 << 20):
                copy.write(block)


def next_ids(session: Session, table: FromClause, count: int) -> list[int]:
    """Reserve `count` new primary keys of a table, for rows inserted in bulk in this transaction.

    On PostgreSQL the table is locked for writes until the transaction ends and the id
    sequence is moved past the reserved range, so concurrent writers cannot take them.
    """
    table = cast(Table, table)
    if session.connection().dialect.name == "postgresql":
        session.execute(text(f'LOCK TABLE "{table.name}" IN SHARE ROW EXCLUSIVE MODE'))
    start = int(session.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0) + 1
    ids = list(range(start, start + count))
    if ids and session.connection().dialect.name == "postgresql":
        session.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), :last)"),
            {"last": ids[-1]},
        )
    return ids


@contextmanager
def _driver_cursor(session: Session, stmt: Select[*tuple[Any, ...]]) -> Iterator[Any]:
    """Yield the driver's own cursor with the statement executed, its values inlined."""
    connection = session.connection()
    compiled = stmt.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled))
        yield cursor
    finally:
        cursor.close()


def fetch_tuples(session: Session, stmt: Select[*tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Return all rows of a SELECT as plain tuples, from the driver's own cursor.

    Millions of rows (a source's held versions, the records to link) cost twice as much as
    SQLAlchemy rows. The statement is rendered with its values inlined, so it must hold only
    values the dialect renders safely (numbers, our own short texts), never input.
    """
    with _driver_cursor(session, stmt) as cursor:
        return cast(list[tuple[Any, ...]], cursor.fetchall())


def fetch_chunks(
    session: Session, stmt: Select[*tuple[Any, ...]], *, rows: int
) -> Iterator[list[tuple[Any, ...]]]:
    """Yield the rows of a SELECT as plain tuples, `rows` at a time (`fetch_tuples`' rules).

    A caller that keeps a little of each row (a column's distinct values, not each row's
    copy) then holds one chunk of the driver's objects at a time, not millions at once.
    """
    with _driver_cursor(session, stmt) as cursor:
        while chunk := cursor.fetchmany(rows):
            yield cast(list[tuple[Any, ...]], chunk)


BULK_CHECK_ROWS = 10_000  # rows: below, per-row checks cost less than dropping the keys


@contextmanager
def foreign_keys_checked_at_end(session: Session, table: FromClause, *, rows: int) -> Iterator[None]:
    """Bulk-write into an empty PostgreSQL table with its foreign keys checked once, after.

    PostgreSQL checks a foreign key with one trigger query a row: for the links of a first
    national build, five times the cost of the rows themselves. Into an empty table (a first
    build: nothing to serve yet), the foreign keys are dropped for the write and added back
    after it, which checks every row in one join. It all happens in the caller's transaction:
    a row that breaks a key fails the adding back, and the rollback restores the rows and the
    constraints together. The drop locks the table until commit, which only an empty table
    can afford; elsewhere, for fewer than `BULK_CHECK_ROWS` rows, and on SQLite, the rows are
    checked as they come.
    """
    table = cast(Table, table)
    connection = session.connection()
    keys = list(table.foreign_key_constraints)
    if connection.dialect.name != "postgresql" or not keys or rows < BULK_CHECK_ROWS:
        yield
        return
    empty = connection.execute(select(text("1")).select_from(table).limit(1)).first() is None
    if not empty:
        yield
        return
    for key in keys:
        connection.execute(DropConstraint(key))
    yield
    for key in keys:
        connection.execute(AddConstraint(key))
