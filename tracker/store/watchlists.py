"""Watchlists: an organisation's own codes (`tracker watch`), each name with its versions.

Re-adding a name stores a new version and drops the older version's codes, keeping its load
(when, from which file, how many codes): `tracker watch list` says when a list last changed and
since when it has been watched. A re-add of the same list (``WatchFile.digest``) stores nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select

from tracker.errors import NotFoundError
from tracker.sources.watchlist import WatchedRow, WatchFile, Watchlist, WatchlistVersion
from tracker.store.database import Clock, Database, as_utc, inserted_id
from tracker.store.tables import record_version, watchlist, watchlist_entry

_LIST = watchlist.c
_ENTRY = watchlist_entry.c

_CHUNK = 500  # rows per IN (...) query or INSERT: well under SQLite's parameter limit


@dataclass(frozen=True)
class Added:
    """What `tracker watch add` did."""

    status: str  # "added" (a new name) | "replaced" | "unchanged" (the same list: nothing stored)
    current: WatchlistVersion  # the version now current
    previous: WatchlistVersion | None  # the version it replaced (None: a new name)


class Watchlists:
    """Each name's versions; each call is one transaction."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self._db = database
        self._clock = clock

    def add(self, name: str, file: WatchFile) -> Added:
        """Store ``file`` as the newest version of ``name``, unless it holds the same list."""
        with self._db.transaction() as conn:
            newest = _newest(conn, name)
            if newest is not None and newest.content_digest == file.digest:
                return Added("unchanged", _version(newest), _version(newest))
            values = dict(
                name=name, version=newest.version + 1 if newest else 1, loaded_at=self._clock(),
                source=file.source, sha256=file.sha256, content_digest=file.digest,
                code_column=file.code_column, other_columns=json.dumps(list(file.columns)),
                codes=len(file.codes), rows=len(file.rows),
            )  # fmt: skip
            new_id = inserted_id(conn.execute(insert(watchlist).values(values)))
            row = conn.execute(select(watchlist).where(_LIST.id == new_id)).one()
            if newest is not None:
                _delete_entries(conn, [newest.id])
            _add_entries(conn, row.id, file.rows)
            previous = _version(newest) if newest else None
            return Added("replaced" if newest else "added", _version(row), previous)

    def versions(self) -> dict[str, tuple[WatchlistVersion, ...]]:
        """Every watchlist's loads, oldest first, by name (names sorted)."""
        with self._db.transaction() as conn:
            rows = conn.execute(select(watchlist).order_by(_LIST.name, _LIST.version))
            out: dict[str, list[WatchlistVersion]] = {}
            for row in rows:
                out.setdefault(row.name, []).append(_version(row))
            return {name: tuple(v) for name, v in out.items()}

    def get(self, name: str) -> Watchlist:
        with self._db.transaction() as conn:
            return _watchlist(conn, name)

    def all(self) -> list[Watchlist]:
        """Every watchlist with its codes, by name."""
        with self._db.transaction() as conn:
            names = conn.execute(select(_LIST.name).distinct().order_by(_LIST.name)).scalars()
            return [_watchlist(conn, name) for name in list(names)]

    def remove(self, name: str) -> WatchlistVersion:
        """Forget a watchlist, all its versions; returns the one that was current."""
        with self._db.transaction() as conn:
            rows = list(conn.execute(select(watchlist).where(_LIST.name == name)))
            if not rows:
                raise _not_found(name)
            current = _version(max(rows, key=lambda r: r.version))
            _delete_entries(conn, [r.id for r in rows])
            conn.execute(delete(watchlist).where(_LIST.name == name))
            return current

    def known_codes(self, codes: Iterable[str]) -> frozenset[str]:
        """Which of these codes some stored release holds (of any code set). A record version
        exists only while a release holds it: removing a release deletes the ones it alone
        held."""
        wanted = sorted(set(codes))
        found: set[str] = set()
        code = record_version.c.code
        with self._db.transaction() as conn:
            for i in range(0, len(wanted), _CHUNK):
                query = select(code).where(code.in_(wanted[i : i + _CHUNK])).distinct()
                found.update(conn.execute(query).scalars())
        return frozenset(found)


def _newest(connection: Connection, name: str) -> Row[Any] | None:
    query = select(watchlist).where(_LIST.name == name).order_by(_LIST.version.desc())
    return connection.execute(query).first()


def _watchlist(connection: Connection, name: str) -> Watchlist:
    rows = list(
        connection.execute(select(watchlist).where(_LIST.name == name).order_by(_LIST.version))
    )
    if not rows:
        raise _not_found(name)
    entries = connection.execute(
        select(_ENTRY.code, _ENTRY.row, _ENTRY.other_columns)
        .where(_ENTRY.watchlist_id == rows[-1].id)
        .order_by(_ENTRY.row)
    )
    watched = tuple(WatchedRow(code, row, json.loads(other)) for code, row, other in entries)
    return Watchlist(name, watched, tuple(_version(r) for r in rows))


def _add_entries(connection: Connection, watchlist_id: int, rows: tuple[WatchedRow, ...]) -> None:
    values = [
        {
            "watchlist_id": watchlist_id,
            "row": r.row,
            "code": r.code,
            "other_columns": json.dumps(dict(r.columns), ensure_ascii=False),
        }
        for r in rows
    ]
    for i in range(0, len(values), _CHUNK):
        connection.execute(insert(watchlist_entry), values[i : i + _CHUNK])


def _delete_entries(connection: Connection, ids: Iterable[int]) -> None:
    connection.execute(delete(watchlist_entry).where(_ENTRY.watchlist_id.in_(list(ids))))


def _version(row: Row[Any]) -> WatchlistVersion:
    return WatchlistVersion(
        version=row.version,
        loaded_at=as_utc(row.loaded_at),
        source=row.source,
        sha256=row.sha256,
        code_column=row.code_column,
        columns=tuple(json.loads(row.other_columns)),
        codes=row.codes,
        rows=row.rows,
    )


def _not_found(name: str) -> NotFoundError:
    return NotFoundError(f"no watchlist named {name!r}; see `tracker watch list`")
