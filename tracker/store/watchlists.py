"""Watchlists: an organisation's own codes (`tracker watch`), each name with its versions.

Re-adding a name stores a new version and drops the older version's codes, keeping its load
(when, from which file, how many codes): `tracker watch list` says when a list last changed and
since when it has been watched. A re-add of the same list (``WatchFile.digest``) stores nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, insert
from sqlmodel import Session, col, select

from tracker.errors import NotFoundError
from tracker.sources.watchlist import WatchedRow, WatchFile, Watchlist, WatchlistVersion
from tracker.store.database import Clock, Database, as_utc
from tracker.store.models import VersionRow, WatchEntryRow, WatchlistRow

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
        with self._db.session() as session:
            newest = _newest(session, name)
            if newest is not None and newest.content_digest == file.digest:
                return Added("unchanged", _version(newest), _version(newest))
            row = WatchlistRow(
                name=name, version=newest.version + 1 if newest else 1, loaded_at=self._clock(),
                source=file.source, sha256=file.sha256, content_digest=file.digest,
                code_column=file.code_column, other_columns=json.dumps(list(file.columns)),
                codes=len(file.codes), rows=len(file.rows),
            )  # fmt: skip
            session.add(row)
            session.flush()
            assert row.id is not None
            if newest is not None:
                _delete_entries(session, [newest.id])
            _add_entries(session, row.id, file.rows)
            previous = _version(newest) if newest else None
            return Added("replaced" if newest else "added", _version(row), previous)

    def versions(self) -> dict[str, tuple[WatchlistVersion, ...]]:
        """Every watchlist's loads, oldest first, by name (names sorted)."""
        with self._db.session() as session:
            rows = session.exec(
                select(WatchlistRow).order_by(col(WatchlistRow.name), col(WatchlistRow.version))
            )
            out: dict[str, list[WatchlistVersion]] = {}
            for row in rows:
                out.setdefault(row.name, []).append(_version(row))
            return {name: tuple(v) for name, v in out.items()}

    def get(self, name: str) -> Watchlist:
        with self._db.session() as session:
            return _watchlist(session, name)

    def all(self) -> list[Watchlist]:
        """Every watchlist with its codes, by name."""
        with self._db.session() as session:
            names = session.exec(select(WatchlistRow.name).distinct().order_by(WatchlistRow.name))
            return [_watchlist(session, name) for name in list(names)]

    def remove(self, name: str) -> WatchlistVersion:
        """Forget a watchlist, all its versions; returns the one that was current."""
        with self._db.session() as session:
            rows = list(session.exec(select(WatchlistRow).where(WatchlistRow.name == name)))
            if not rows:
                raise _not_found(name)
            current = _version(max(rows, key=lambda r: r.version))
            _delete_entries(session, [r.id for r in rows if r.id is not None])
            session.connection().execute(delete(WatchlistRow).where(col(WatchlistRow.name) == name))
            return current

    def known_codes(self, codes: Iterable[str]) -> frozenset[str]:
        """Which of these codes some stored release holds (of any code set). A record version
        exists only while a release holds it: removing a release deletes the ones it alone
        held."""
        wanted = sorted(set(codes))
        found: set[str] = set()
        with self._db.session() as session:
            for i in range(0, len(wanted), _CHUNK):
                chunk = wanted[i : i + _CHUNK]
                query = select(VersionRow.code).where(col(VersionRow.code).in_(chunk)).distinct()
                found.update(session.exec(query))
        return frozenset(found)


def _newest(session: Session, name: str) -> WatchlistRow | None:
    query = (
        select(WatchlistRow)
        .where(WatchlistRow.name == name)
        .order_by(col(WatchlistRow.version).desc())
    )
    return session.exec(query).first()


def _watchlist(session: Session, name: str) -> Watchlist:
    rows = list(
        session.exec(
            select(WatchlistRow)
            .where(WatchlistRow.name == name)
            .order_by(col(WatchlistRow.version))
        )
    )
    if not rows:
        raise _not_found(name)
    entries = session.exec(
        select(WatchEntryRow)
        .where(WatchEntryRow.watchlist_id == rows[-1].id)
        .order_by(col(WatchEntryRow.row))
    )
    watched = tuple(WatchedRow(e.code, e.row, json.loads(e.other_columns)) for e in entries)
    return Watchlist(name, watched, tuple(_version(r) for r in rows))


def _add_entries(session: Session, watchlist_id: int, rows: tuple[WatchedRow, ...]) -> None:
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
        session.connection().execute(insert(WatchEntryRow), values[i : i + _CHUNK])


def _delete_entries(session: Session, ids: Iterable[int | None]) -> None:
    wanted = [i for i in ids if i is not None]
    session.connection().execute(
        delete(WatchEntryRow).where(col(WatchEntryRow.watchlist_id).in_(wanted))
    )


def _version(row: WatchlistRow) -> WatchlistVersion:
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
