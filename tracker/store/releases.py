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

from tracker.errors import NotFoundError
from tracker.guard import Following, Previous
from tracker.order import predecessor_of, provisional_info, release_order, successor_of
from tracker.records import CopyDisagreement, ParsedRelease, Record, ReleaseInfo
from tracker.store.database import Clock, Database, as_utc
from tracker.store.disagreements import (
    add_disagreements,
    codes_disagreeing,
    delete_disagreements,
    disagreements_of,
    disagreements_on,
)
from tracker.store.runs import record_import
from tracker.store.sql import Row, Sql, as_date, as_time
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

# Every column but the packed members, in the order ``_info`` and ``_stored`` read them.
_COLUMNS = (
    "id, code_set, label, effective, revision, source_name, sha256, kind, codes, imported_at, "
    "released, content_digest, base_label"
)
_RELEASE = f"SELECT {_COLUMNS} FROM release"


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
        with self._db.transaction() as sql:
            yield Batch(sql, self._clock)

    def releases(self, code_set: str | None = None) -> list[StoredRelease]:
        """Every release (of one code set), oldest first in the release order."""
        with self._db.transaction() as sql:
            return _stored_releases(sql, code_set)

    def release(self, label: str) -> StoredRelease:
        with self._db.transaction() as sql:
            return _stored(_row(sql, label))

    def predecessor(self, info: ReleaseInfo) -> StoredRelease | None:
        """The stored release ``info`` follows in its series (stored or not: see
        ``order.predecessor_of``)."""
        with self._db.transaction() as sql:
            return _predecessor(sql, info)

    def successor(self, info: ReleaseInfo) -> StoredRelease | None:
        """The stored release that follows ``info`` in its series (``order.successor_of``)."""
        with self._db.transaction() as sql:
            return _successor(sql, info)

    def disagreements(self, label: str) -> tuple[CopyDisagreement, ...]:
        """Where the text and workbook copies of a release disagree (none: one copy)."""
        with self._db.transaction() as sql:
            return disagreements_of(sql, _row(sql, label)[0])

    def code_disagreements(self, code: str) -> dict[str, tuple[CopyDisagreement, ...]]:
        """One code's copy disagreements, by the label of each release that has any."""
        with self._db.transaction() as sql:
            found = disagreements_on(sql, code)
            if not found:
                return {}
            return {label: found[id_] for id_, label in _labels(sql) if id_ in found}

    def disagreement_counts(self) -> dict[str, int]:
        """How many codes the two copies of each release disagree on, by label (releases
        with none left out)."""
        with self._db.transaction() as sql:
            counts = codes_disagreeing(sql)
            if not counts:
                return {}
            return {label: counts[id_] for id_, label in _labels(sql) if id_ in counts}

    def remove(self, label: str) -> StoredRelease:
        """Take a release out: its row, its copy disagreements, and the record versions no
        other release holds. (Its raw file is not the store's: it stays.)"""
        with self._db.transaction() as sql:
            row = _row(sql, label)
            release_id = row[0]
            unshared = set(unpack(_members(sql, release_id)))
            others = "SELECT members FROM release WHERE id <> :id"
            for members in sql.values(others, {"id": release_id}):
                unshared.difference_update(unpack(members))
            delete_disagreements(sql, release_id)
            sql.run("DELETE FROM release WHERE id = :id", {"id": release_id})
            delete_versions(sql, unshared)
            return _stored(row)

    def records(self, label: str) -> dict[str, Record]:
        """All records of one release, by code."""
        return self.records_by_ids(self.member_ids(label))

    def member_ids(self, label: str) -> frozenset[int]:
        """The record versions a release holds: one id names one exact record."""
        with self._db.transaction() as sql:
            return frozenset(unpack(_members(sql, _row(sql, label)[0])))

    def records_by_ids(self, ids: Iterable[int]) -> dict[str, Record]:
        with self._db.transaction() as sql:
            return records_by_ids(sql, ids)

    def code_versions(self, code: str) -> list[tuple[StoredRelease, Record | None]]:
        """A code's record in every release of its code set(s), oldest first in the release
        order (None: absent)."""
        with self._db.transaction() as sql:
            versions = versions_of(sql, code)
            if not versions:
                raise NotFoundError(f"code {code!r} is in no stored release")
            rows = sql.rows(f"SELECT {_COLUMNS}, members FROM release")
            out: list[tuple[StoredRelease, Record | None]] = []
            for row in _in_order(rows):
                present = set(unpack(row[-1])).intersection(versions)
                out.append((_stored(row), versions[present.pop()] if present else None))
            return out

    def has_source(self, sha256: str) -> bool:
        """Whether a release was imported from a file with exactly these bytes."""
        with self._db.transaction() as sql:
            query = "SELECT id FROM release WHERE sha256 = :sha256"
            return sql.first(query, {"sha256": sha256}) is not None

    def unreported(self) -> list[StoredRelease]:
        """Releases a check imported but has not reported yet (it stopped half-way)."""
        with self._db.transaction() as sql:
            rows = sql.rows(f"{_RELEASE} WHERE reported = :no", {"no": False})
            return [_stored(row) for row in _in_order(rows)]


class Batch:
    """Releases being stored in one transaction. The caller decides (and guards) each one:
    ``plan`` it, look at its ``predecessor``, then ``add`` it."""

    def __init__(self, sql: Sql, clock: Clock) -> None:
        self._sql = sql
        self._clock = clock

    def plan(self, parsed: ParsedRelease) -> Plan:
        """Nothing to do when the newest revision of its label holds the same content; else
        the next revision. (A re-post that goes back to an earlier revision's content is a new
        revision: the newest one is what CMS says now.)"""
        digest = content_digest(parsed.records)
        newest = self._sql.first(
            f"{_RELEASE} WHERE code_set = :code_set AND base_label = :base ORDER BY revision DESC",
            {"code_set": parsed.code_set, "base": parsed.base_label},
        )
        if newest is not None and newest[11] == digest:
            stored = _stored(newest)
            return Plan(stored.info, digest, stored)
        revision = 1 + (newest[4] if newest is not None else 0)
        return Plan(provisional_info(parsed, revision), digest, None)

    def holding(self, code_set: str, digest: str) -> list[StoredRelease]:
        """The stored releases whose records are exactly these (``Plan.digest``)."""
        rows = self._sql.rows(
            f"{_RELEASE} WHERE code_set = :code_set AND content_digest = :digest",
            {"code_set": code_set, "digest": digest},
        )
        return [_stored(row) for row in _in_order(rows)]

    def predecessor(self, info: ReleaseInfo) -> StoredRelease | None:
        """As ``Catalog.predecessor``, seeing what this batch has stored so far."""
        return _predecessor(self._sql, info)

    def successor(self, info: ReleaseInfo) -> StoredRelease | None:
        """As ``Catalog.successor``, seeing what this batch has stored so far."""
        return _successor(self._sql, info)

    def previous(self, stored: StoredRelease) -> Previous:
        """What the guard needs of a stored release that a new one would follow."""
        members = unpack(_members(self._sql, _row(self._sql, stored.info.label)[0]))
        return Previous(stored.info.label, stored.codes, live_codes(self._sql, members))

    def following(self, stored: StoredRelease) -> Following:
        """What the guard needs of a stored release that a new one would precede."""
        members = unpack(_members(self._sql, _row(self._sql, stored.info.label)[0]))
        return Following(stored.info.label, codes_of(self._sql, members))

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
            reported=reported, members=pack(version_ids(self._sql, parsed.records)),
        )  # fmt: skip
        columns = ", ".join(values)
        release_id = self._sql.insert(
            f"INSERT INTO release ({columns}) VALUES ({', '.join(':' + c for c in values)})",
            values,
        )
        add_disagreements(self._sql, release_id, parsed.disagreements)
        if run_id is not None:
            record_import(self._sql, run_id, info.label)
        return StoredRelease(info, len(parsed.records), as_utc(now), released)


def _stored_releases(sql: Sql, code_set: str | None) -> list[StoredRelease]:
    if code_set is None:
        rows = sql.rows(_RELEASE)
    else:
        rows = sql.rows(f"{_RELEASE} WHERE code_set = :code_set", {"code_set": code_set})
    return [_stored(row) for row in _in_order(rows)]


def _predecessor(sql: Sql, info: ReleaseInfo) -> StoredRelease | None:
    return predecessor_of(info, _stored_releases(sql, info.code_set), lambda r: r.info)


def _successor(sql: Sql, info: ReleaseInfo) -> StoredRelease | None:
    return successor_of(info, _stored_releases(sql, info.code_set), lambda r: r.info)


def _row(sql: Sql, label: str) -> Row:
    """A release's row, without its members (``_members``)."""
    row = sql.first(f"{_RELEASE} WHERE label = :label", {"label": label})
    if row is None:
        raise NotFoundError(f"no release labelled {label!r}; see `tracker releases`")
    return row


def _members(sql: Sql, release_id: int) -> bytes:
    (members,) = sql.values("SELECT members FROM release WHERE id = :id", {"id": release_id})
    return bytes(members)


def _labels(sql: Sql) -> list[tuple[int, str]]:
    """Every release's id and label."""
    return [(id_, label) for id_, label in sql.rows("SELECT id, label FROM release")]


def _in_order(rows: Iterable[Row]) -> list[Row]:
    return sorted(rows, key=lambda row: release_order(_info(row)))


def _info(row: Row) -> ReleaseInfo:
    _, code_set, label, effective, revision, source_name, sha256, kind = row[:8]
    day = as_date(effective)
    assert day is not None
    return ReleaseInfo(code_set, label, day, revision, source_name, sha256, kind)


def _stored(row: Row) -> StoredRelease:
    codes, imported_at, released = row[8:11]
    moment = as_time(imported_at)
    assert moment is not None
    return StoredRelease(_info(row), codes, moment, as_date(released))
