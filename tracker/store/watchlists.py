"""Watchlists: an organisation's own codes (`tracker watch`), each name with its versions.

Re-adding a name stores a new version and drops the older version's codes, keeping its load
(when, from which file, how many codes): `tracker watch list` says when a list last changed and
since when it has been watched. A re-add of the same list (``WatchFile.digest``) stores nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from tracker.errors import NotFoundError
from tracker.sources.watchlist import WatchedRow, WatchFile, Watchlist, WatchlistVersion
from tracker.store.database import Clock, Database
from tracker.store.sql import Row, Sql, as_time, chunks, in_list

# A version's columns, in the order ``_version`` reads them.
_VERSION = (
    "id, name, version, loaded_at, source, sha256, content_digest, code_column, other_columns, "
    "codes, rows"
)


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
        with self._db.transaction() as sql:
            newest = _newest(sql, name)
            if newest is not None and newest[6] == file.digest:
                return Added("unchanged", _version(newest), _version(newest))
            values = dict(
                name=name, version=newest[2] + 1 if newest else 1, loaded_at=self._clock(),
                source=file.source, sha256=file.sha256, content_digest=file.digest,
                code_column=file.code_column, other_columns=json.dumps(list(file.columns)),
                codes=len(file.codes), rows=len(file.rows),
            )  # fmt: skip
            new_id = sql.insert(
                f"INSERT INTO watchlist ({_VERSION.removeprefix('id, ')}) VALUES "
                "(:name, :version, :loaded_at, :source, :sha256, :content_digest, "
                ":code_column, :other_columns, :codes, :rows)",
                values,
            )
            if newest is not None:
                _delete_entries(sql, [newest[0]])
            _add_entries(sql, new_id, file.rows)
            current = _version((new_id, *values.values()))
            previous = _version(newest) if newest else None
            return Added("replaced" if newest else "added", current, previous)

    def versions(self) -> dict[str, tuple[WatchlistVersion, ...]]:
        """Every watchlist's loads, oldest first, by name (names sorted)."""
        with self._db.transaction() as sql:
            rows = sql.rows(f"SELECT {_VERSION} FROM watchlist ORDER BY name, version")
            out: dict[str, list[WatchlistVersion]] = {}
            for row in rows:
                out.setdefault(row[1], []).append(_version(row))
            return {name: tuple(v) for name, v in out.items()}

    def get(self, name: str) -> Watchlist:
        with self._db.transaction() as sql:
            return _watchlist(sql, name)

    def all(self) -> list[Watchlist]:
        """Every watchlist with its codes, by name."""
        with self._db.transaction() as sql:
            names = sql.values("SELECT DISTINCT name FROM watchlist ORDER BY name")
            return [_watchlist(sql, name) for name in names]

    def remove(self, name: str) -> WatchlistVersion:
        """Forget a watchlist, all its versions; returns the one that was current."""
        with self._db.transaction() as sql:
            rows = _versions_of(sql, name)
            if not rows:
                raise _not_found(name)
            _delete_entries(sql, [r[0] for r in rows])
            sql.run("DELETE FROM watchlist WHERE name = :name", {"name": name})
            return _version(rows[-1])

    def known_codes(self, codes: Iterable[str]) -> frozenset[str]:
        """Which of these codes some stored release holds (of any code set). A record version
        exists only while a release holds it: removing a release deletes the ones it alone
        held."""
        found: set[str] = set()
        with self._db.transaction() as sql:
            for chunk in chunks(sorted(set(codes))):
                listed, params = in_list("code", chunk)
                query = f"SELECT DISTINCT code FROM record_version WHERE code IN {listed}"
                found.update(sql.values(query, params))
        return frozenset(found)


def _newest(sql: Sql, name: str) -> Row | None:
    rows = _versions_of(sql, name)
    return rows[-1] if rows else None


def _versions_of(sql: Sql, name: str) -> list[Row]:
    """A name's versions, oldest first."""
    query = f"SELECT {_VERSION} FROM watchlist WHERE name = :name ORDER BY version"
    return sql.rows(query, {"name": name})


def _watchlist(sql: Sql, name: str) -> Watchlist:
    rows = _versions_of(sql, name)
    if not rows:
        raise _not_found(name)
    entries = sql.rows(
        'SELECT code, "row", other_columns FROM watchlist_entry WHERE watchlist_id = :id '
        'ORDER BY "row"',
        {"id": rows[-1][0]},
    )
    watched = tuple(WatchedRow(code, row, json.loads(other)) for code, row, other in entries)
    return Watchlist(name, watched, tuple(_version(r) for r in rows))


def _add_entries(sql: Sql, watchlist_id: int, rows: tuple[WatchedRow, ...]) -> None:
    values = [
        {
            "watchlist_id": watchlist_id,
            "row": r.row,
            "code": r.code,
            "other_columns": json.dumps(dict(r.columns), ensure_ascii=False),
        }
        for r in rows
    ]
    if values:
        sql.run_many(
            'INSERT INTO watchlist_entry (watchlist_id, "row", code, other_columns) '
            "VALUES (:watchlist_id, :row, :code, :other_columns)",
            values,
        )


def _delete_entries(sql: Sql, ids: Iterable[int]) -> None:
    listed, params = in_list("id", ids)
    if params:
        sql.run(f"DELETE FROM watchlist_entry WHERE watchlist_id IN {listed}", params)


def _version(row: Row) -> WatchlistVersion:
    _, _, version, loaded, source, sha256, _, code_column, other, codes, rows = row
    loaded_at = as_time(loaded)
    assert loaded_at is not None
    return WatchlistVersion(
        version=version,
        loaded_at=loaded_at,
        source=source,
        sha256=sha256,
        code_column=code_column,
        columns=tuple(json.loads(other)),
        codes=codes,
        rows=rows,
    )


def _not_found(name: str) -> NotFoundError:
    return NotFoundError(f"no watchlist named {name!r}; see `tracker watch list`")
