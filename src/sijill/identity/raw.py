"""A DBAPI connection that runs SQLAlchemy statements compiled once: the hot path's executor.

`identify`, run for every verify, costs about 30 microseconds through a SQLAlchemy
Connection and 100 through a Session, for a lookup SQLite answers in 10: most of it is
per-call bookkeeping (cache keys, parameter processing, result metadata). The hot path's
statements are constants, so they are compiled once per dialect and their SQL and parameter
order reused; rows come back as the driver's tuples.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import Dialect
from sqlalchemy.sql import Executable


class RawResult:
    """The rows (or row count) of one statement."""

    def __init__(self, rows: list[tuple[Any, ...]], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def first(self) -> tuple[Any, ...] | None:
        """Return the first row, or None."""
        return self._rows[0] if self._rows else None

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self._rows)


class RawConnection:
    """Run constant SQLAlchemy statements on a DBAPI connection, each compiled once."""

    def __init__(self, dbapi_connection: Any, dialect: Dialect) -> None:
        self._dbapi = dbapi_connection
        self._dialect = dialect
        self._compiled: dict[int, tuple[Executable, str, tuple[str, ...] | None, dict[str, Any]]] = {}

    def _compile(self, statement: Executable) -> tuple[str, tuple[str, ...] | None, dict[str, Any]]:
        held = self._compiled.get(id(statement))
        if held is None or held[0] is not statement:
            compiled = statement.compile(dialect=self._dialect)  # type: ignore[attr-defined]
            order = tuple(compiled.positiontup) if compiled.positional else None
            held = (statement, compiled.string, order, dict(compiled.params))
            self._compiled[id(statement)] = held
        return held[1], held[2], held[3]

    def execute(self, statement: Executable, params: Mapping[str, Any] | None = None) -> RawResult:
        """Run a statement with these parameters; return its rows (all fetched) or row count."""
        sql, order, defaults = self._compile(statement)
        values = {**defaults, **(params or {})}
        cursor = self._dbapi.cursor()
        try:
            cursor.execute(sql, tuple(values[k] for k in order) if order is not None else values)
            rows = cursor.fetchall() if cursor.description else []
            return RawResult(rows, cursor.rowcount)
        finally:
            cursor.close()

    def commit(self) -> None:
        """Commit what was written (a no-op after reads only)."""
        self._dbapi.commit()

    def rollback(self) -> None:
        """Drop what was written."""
        self._dbapi.rollback()
