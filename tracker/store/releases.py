"""Releases: every release with all its records, stored as record versions (``versions``).

Storage grows with what changed: a hundred releases of 9,000 codes hold 9,000 records plus the
versions that changed, not 900,000 rows. Releases come back in the one release order
(``tracker.order``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select

from tracker.errors import NotFoundError
from tracker.guard import Following, Previous
from tracker.order import predecessor_of, provisional_info, release_order, successor_of
from tracker.records import CopyDisagreement, ParsedRelease, Record, ReleaseInfo
from tracker.store.database import Clock, Database, as_utc, inserted_id
from tracker.store.disagreements import (
    add_disagreements,
    codes_disagreeing,
    delete_disagreements,
    disagreements_of,
    disagreements_on,
)
from tracker.store.runs import record_import
from tracker.store.tables import release
from tracker.store.versions import (
    codes_of,
    content_digest,
    delete_versions,
    live_codes,
    pack,
    records_by_ids,
    unpack,
    version_ids,
    versions_of,
)

_ROW = release.c
# Every column but the packed members: what a StoredRelease is made of.
_RELEASE = select(*(c for c in release.c if c.name != "members"))


@dataclass(frozen=True)
class StoredRelease:
    """A release as stored."""

    info: ReleaseInfo  # its identity, with the label and revision it was stored under
    codes: int  # how many codes it holds
    imported_at: datetime  # when it was stored (UTC)
    released: date | None = None  # CPT: when the AMA released the file (--released)


@dataclass(frozen=True)
class ImportResult:
    """What storing one release file did."""

    status: str  # "imported" | "already" (the newest revision of its label holds this content)
    release: StoredRelease  # the release stored, or the one already holding this content
    predecessor: StoredRelease | None  # the release it follows in its series, if any
    # The stored release that now follows it (it was inserted before that one), if any.
    successor: StoredRelease | None = None


@dataclass(frozen=True)
class Plan:
    """Where a parsed release goes, worked out inside a batch before anything is written."""

    info: ReleaseInfo  # the label and revision it is stored under
    digest: str  # its content digest (``versions.content_digest``)
    # The newest revision of its label, when that holds this content: nothing to do.
    stored: StoredRelease | None


class Catalog:
    """The releases: what is stored, in order, and the records each holds."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self._db = database
        self._clock = clock

    @contextmanager
    def batch(self) -> Iterator[Batch]:
        """One transaction to store releases in: all of them or none."""
        with self._db.transaction() as conn:
            yield Batch(conn, self._clock)

    def releases(self, code_set: str | None = None) -> list[StoredRelease]:
        """Every release (of one code set), oldest first in the release order."""
        with self._db.transaction() as conn:
            return _stored_releases(conn, code_set)

    def release(self, label: str) -> StoredRelease:
        with self._db.transaction() as conn:
            return _stored(_row(conn, label))

    def predecessor(self, info: ReleaseInfo) -> StoredRelease | None:
        """The stored release ``info`` follows in its series (stored or not: see
        ``order.predecessor_of``)."""
        with self._db.transaction() as conn:
            return _predecessor(conn, info)

    def successor(self, info: ReleaseInfo) -> StoredRelease | None:
        """The stored release that follows ``info`` in its series (``order.successor_of``)."""
        with self._db.transaction() as conn:
            return _successor(conn, info)

    def disagreements(self, label: str) -> tuple[CopyDisagreement, ...]:
        """Where the text and workbook copies of a release disagree (none: one copy)."""
        with self._db.transaction() as conn:
            return disagreements_of(conn, _row(conn, label).id)

    def code_disagreements(self, code: str) -> dict[str, tuple[CopyDisagreement, ...]]:
        """One code's copy disagreements, by the label of each release that has any."""
        with self._db.transaction() as conn:
            found = disagreements_on(conn, code)
            if not found:
                return {}
            return {label: found[id_] for id_, label in _labels(conn) if id_ in found}

    def disagreement_counts(self) -> dict[str, int]:
        """How many codes the two copies of each release disagree on, by label (releases
        with none left out)."""
        with self._db.transaction() as conn:
            counts = codes_disagreeing(conn)
            if not counts:
                return {}
            return {label: counts[id_] for id_, label in _labels(conn) if id_ in counts}

    def remove(self, label: str) -> StoredRelease:
        """Take a release out: its row, its copy disagreements, and the record versions no
        other release holds. (Its raw file is not the store's: it stays.)"""
        with self._db.transaction() as conn:
            row = _row(conn, label)
            unshared = set(unpack(_members(conn, row.id)))
            others = select(_ROW.members).where(_ROW.id != row.id)
            for members in conn.execute(others).scalars():
                unshared.difference_update(unpack(members))
            delete_disagreements(conn, row.id)
            conn.execute(delete(release).where(_ROW.id == row.id))
            delete_versions(conn, unshared)
            return _stored(row)

    def records(self, label: str) -> dict[str, Record]:
        """All records of one release, by code."""
        return self.records_by_ids(self.member_ids(label))

    def member_ids(self, label: str) -> frozenset[int]:
        """The record versions a release holds: one id names one exact record."""
        with self._db.transaction() as conn:
            return frozenset(unpack(_members(conn, _row(conn, label).id)))

    def records_by_ids(self, ids: Iterable[int]) -> dict[str, Record]:
        with self._db.transaction() as conn:
            return records_by_ids(conn, ids)

    def code_versions(self, code: str) -> list[tuple[StoredRelease, Record | None]]:
        """A code's record in every release of its code set(s), oldest first in the release
        order (None: absent)."""
        with self._db.transaction() as conn:
            versions = versions_of(conn, code)
            if not versions:
                raise NotFoundError(f"code {code!r} is in no stored release")
            out: list[tuple[StoredRelease, Record | None]] = []
            for row in _in_order(conn.execute(select(release))):
                present = set(unpack(row.members)).intersection(versions)
                out.append((_stored(row), versions[present.pop()] if present else None))
            return out

    def has_source(self, sha256: str) -> bool:
        """Whether a release was imported from a file with exactly these bytes."""
        with self._db.transaction() as conn:
            query = select(_ROW.id).where(_ROW.sha256 == sha256)
            return conn.execute(query).first() is not None

    def unreported(self) -> list[StoredRelease]:
        """Releases a check imported but has not reported yet (it stopped half-way)."""
        with self._db.transaction() as conn:
            rows = conn.execute(_RELEASE.where(_ROW.reported.is_(False)))
            return [_stored(row) for row in _in_order(rows)]


class Batch:
    """Releases being stored in one transaction. The caller decides (and guards) each one:
    ``plan`` it, look at its ``predecessor``, then ``add`` it."""

    def __init__(self, connection: Connection, clock: Clock) -> None:
        self._conn = connection
        self._clock = clock

    def plan(self, parsed: ParsedRelease) -> Plan:
        """Nothing to do when the newest revision of its label holds the same content; else
        the next revision. (A re-post that goes back to an earlier revision's content is a new
        revision: the newest one is what CMS says now.)"""
        digest = content_digest(parsed.records)
        newest = self._conn.execute(
            _RELEASE.where(
                _ROW.code_set == parsed.code_set, _ROW.base_label == parsed.base_label
            ).order_by(_ROW.revision.desc())
        ).first()
        if newest is not None and newest.content_digest == digest:
            stored = _stored(newest)
            return Plan(stored.info, digest, stored)
        revision = 1 + (newest.revision if newest is not None else 0)
        return Plan(provisional_info(parsed, revision), digest, None)

    def holding(self, code_set: str, digest: str) -> list[StoredRelease]:
        """The stored releases whose records are exactly these (``Plan.digest``)."""
        rows = self._conn.execute(
            _RELEASE.where(_ROW.code_set == code_set, _ROW.content_digest == digest)
        )
        return [_stored(row) for row in _in_order(rows)]

    def predecessor(self, info: ReleaseInfo) -> StoredRelease | None:
        """As ``Catalog.predecessor``, seeing what this batch has stored so far."""
        return _predecessor(self._conn, info)

    def successor(self, info: ReleaseInfo) -> StoredRelease | None:
        """As ``Catalog.successor``, seeing what this batch has stored so far."""
        return _successor(self._conn, info)

    def previous(self, stored: StoredRelease) -> Previous:
        """What the guard needs of a stored release that a new one would follow."""
        members = unpack(_members(self._conn, _row(self._conn, stored.info.label).id))
        return Previous(stored.info.label, stored.codes, live_codes(self._conn, members))

    def following(self, stored: StoredRelease) -> Following:
        """What the guard needs of a stored release that a new one would precede."""
        members = unpack(_members(self._conn, _row(self._conn, stored.info.label).id))
        return Following(stored.info.label, codes_of(self._conn, members))

    def add(
        self,
        parsed: ParsedRelease,
        plan: Plan,
        *,
        released: date | None,
        reported: bool,
        run_id: int | None = None,
    ) -> StoredRelease:
        """Store a planned release. ``reported=False`` marks it for ``tracker check`` to
        report (see ``Catalog.unreported``); ``run_id``, the check storing it, records it in
        that run's ledger entry in this same transaction."""
        info, now = plan.info, self._clock()
        values = dict(
            code_set=info.code_set, label=info.label, base_label=parsed.base_label,
            revision=info.revision, kind=info.kind, effective=info.effective,
            source_name=info.source_name, sha256=info.sha256, content_digest=plan.digest,
            codes=len(parsed.records), imported_at=now, released=released,
            reported=reported, members=pack(version_ids(self._conn, parsed.records)),
        )  # fmt: skip
        release_id = inserted_id(self._conn.execute(insert(release).values(values)))
        add_disagreements(self._conn, release_id, parsed.disagreements)
        if run_id is not None:
            record_import(self._conn, run_id, info.label)
        return StoredRelease(info, len(parsed.records), as_utc(now), released)


def _stored_releases(connection: Connection, code_set: str | None) -> list[StoredRelease]:
    query = _RELEASE
    if code_set is not None:
        query = query.where(_ROW.code_set == code_set)
    return [_stored(row) for row in _in_order(connection.execute(query))]


def _predecessor(connection: Connection, info: ReleaseInfo) -> StoredRelease | None:
    return predecessor_of(info, _stored_releases(connection, info.code_set), lambda r: r.info)


def _successor(connection: Connection, info: ReleaseInfo) -> StoredRelease | None:
    return successor_of(info, _stored_releases(connection, info.code_set), lambda r: r.info)


def _row(connection: Connection, label: str) -> Row[Any]:
    """A release's row, without its members (``_members``)."""
    row = connection.execute(_RELEASE.where(_ROW.label == label)).first()
    if row is None:
        raise NotFoundError(f"no release labelled {label!r}; see `tracker releases`")
    return row


def _members(connection: Connection, release_id: int) -> bytes:
    members: bytes = connection.execute(
        select(_ROW.members).where(_ROW.id == release_id)
    ).scalar_one()
    return members


def _labels(connection: Connection) -> list[tuple[int, str]]:
    """Every release's id and label."""
    return [(id_, label) for id_, label in connection.execute(select(_ROW.id, _ROW.label))]


def _in_order(rows: Iterable[Row[Any]]) -> list[Row[Any]]:
    return sorted(rows, key=lambda row: release_order(_info(row)))


def _info(row: Row[Any]) -> ReleaseInfo:
    return ReleaseInfo(
        row.code_set, row.label, row.effective, row.revision, row.source_name, row.sha256, row.kind
    )


def _stored(row: Row[Any]) -> StoredRelease:
    return StoredRelease(_info(row), row.codes, as_utc(row.imported_at), row.released)
