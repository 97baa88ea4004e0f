"""How the store talks to its database: SQL text with ``:name`` parameters, one transaction at a
time, through the database's own DB-API driver.

SQLite is reached through Python's ``sqlite3``, without SQLAlchemy: SQLAlchemy's import is a
fifth of a second of every command's start-up, half of what a `tracker diff` process spends
besides the diff itself. PostgreSQL goes through a SQLAlchemy connection (its URLs, drivers
and Alembic's migrations need SQLAlchemy anyway). The statements are the same for both: plain
SQL that SQLite and PostgreSQL read alike. The schema itself is ``tables`` (SQLAlchemy Core),
loaded only to create or migrate a database.

Values come back as the driver gives them: SQLite hands dates, times and booleans back as
text and integers, in the forms SQLAlchemy wrote them in (databases made by earlier trackers
hold those too); ``as_date`` and ``as_time`` read either.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

Params = Mapping[str, Any]
Row = tuple[Any, ...]
# SQLAlchemy's SQLite DATETIME text: the wall time, without its zone (every time here is UTC).
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"


class Sql:
    """One transaction."""

    def rows(self, sql: str, params: Params | None = None) -> list[Row]:
        raise NotImplementedError

    def run(self, sql: str, params: Params | None = None) -> int:
        """A statement that returns no rows; how many rows it touched."""
        raise NotImplementedError

    def run_many(self, sql: str, rows: Sequence[Params]) -> None:
        raise NotImplementedError

    def insert(self, sql: str, params: Params) -> int:
        """A one-row INSERT into a table with an ``id`` key; the new row's id."""
        raise NotImplementedError

    def first(self, sql: str, params: Params | None = None) -> Row | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def values(self, sql: str, params: Params | None = None) -> list[Any]:
        """The first column of each row."""
        return [row[0] for row in self.rows(sql, params)]


class SqliteSql(Sql):
    """A transaction on a ``sqlite3`` connection."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection

    def rows(self, sql: str, params: Params | None = None) -> list[Row]:
        return self._conn.execute(sql, _sqlite(params)).fetchall()

    def run(self, sql: str, params: Params | None = None) -> int:
        return self._conn.execute(sql, _sqlite(params)).rowcount

    def run_many(self, sql: str, rows: Sequence[Params]) -> None:
        self._conn.executemany(sql, [_sqlite(row) for row in rows])

    def insert(self, sql: str, params: Params) -> int:
        new_id = self._conn.execute(sql, _sqlite(params)).lastrowid
        assert new_id is not None, "not an INSERT"
        return new_id


class AlchemySql(Sql):
    """A transaction on a SQLAlchemy connection (PostgreSQL; an in-memory SQLite)."""

    def __init__(self, connection: Connection) -> None:
        self._conn = connection
        self._sqlite = connection.dialect.name == "sqlite"

    def rows(self, sql: str, params: Params | None = None) -> list[Row]:
        from sqlalchemy import text

        return [tuple(row) for row in self._conn.execute(text(sql), self._params(params))]

    def run(self, sql: str, params: Params | None = None) -> int:
        from sqlalchemy import text

        return self._conn.execute(text(sql), self._params(params)).rowcount

    def run_many(self, sql: str, rows: Sequence[Params]) -> None:
        from sqlalchemy import text

        if rows:
            self._conn.execute(text(sql), [self._params(row) for row in rows])

    def _params(self, params: Params | None) -> dict[str, Any]:
        # SQLite holds dates and times as text whichever way it is reached (see _sqlite).
        return _sqlite(params) if self._sqlite else dict(params or {})

    def insert(self, sql: str, params: Params) -> int:
        found = self.first(f"{sql} RETURNING id", params)
        assert found is not None, "not an INSERT"
        return int(found[0])


def in_list(name: str, values: Iterable[Any]) -> tuple[str, dict[str, Any]]:
    """``(:name_0, :name_1, ...)`` and its parameters, for ``column IN (...)``."""
    params = {f"{name}_{i}": value for i, value in enumerate(values)}
    return "(" + ", ".join(f":{key}" for key in params) + ")", params


def chunks(values: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    """``values`` in runs of ``size``: well under SQLite's and PostgreSQL's parameter limits."""
    for i in range(0, len(values), size):
        yield values[i : i + size]


def as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def as_time(value: Any) -> datetime | None:
    """A stored time, UTC (SQLite hands back text without a zone; every time here is UTC)."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _sqlite(params: Params | None) -> dict[str, Any]:
    """Parameters as SQLAlchemy wrote them to SQLite: dates and times as text."""
    return {key: _sqlite_value(value) for key, value in (params or {}).items()}


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return (
            value.astimezone(UTC).strftime(_SQLITE_TIME)
            if value.tzinfo
            else (value.strftime(_SQLITE_TIME))
        )
    if isinstance(value, date):
        return value.isoformat()
    return value
