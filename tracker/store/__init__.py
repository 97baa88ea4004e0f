"""The snapshot store: every release with all its records, in SQLite (or any SQLAlchemy URL).

Storage grows with what changed: each distinct version of a code's record is stored once
(``record_version``, keyed by a digest of its content), and a release is its list of version
ids, packed into one compressed blob. A hundred releases of 9,000 codes hold 9,000 records
plus the versions that changed, not 900,000 rows.

ORM models stay in this module; callers get the frozen domain values of ``tracker.records``.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import Column, LargeBinary, UniqueConstraint, event, insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Field, Session, SQLModel, col, create_engine, select

from tracker.errors import ConfigError, NotFoundError, TrackerError
from tracker.guard import Guard
from tracker.hcpcs.layout import NOT_COMPARED
from tracker.records import CPT, ParsedRelease, Record, ReleaseInfo, Validators, Value

_CHUNK = 500  # rows per IN (...) query: well under SQLite's and PostgreSQL's parameter limits


class ReleaseRow(SQLModel, table=True):
    __tablename__ = "release"
    __table_args__ = (UniqueConstraint("code_set", "label"),)

    id: int | None = Field(default=None, primary_key=True)
    code_set: str = Field(index=True)
    label: str
    base_label: str
    revision: int
    kind: str
    effective: date
    source_name: str
    sha256: str
    content_digest: str = Field(index=True)
    codes: int
    imported_at: datetime
    released: date | None = None  # CPT: when the AMA released the file (--released)
    reported: bool = True  # False: imported by a check whose report is still to be written
    members: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class VersionRow(SQLModel, table=True):
    __tablename__ = "record_version"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True)
    digest: str = Field(unique=True)
    data: str


class ValidatorRow(SQLModel, table=True):
    """ETag / Last-Modified remembered per URL, for conditional GETs."""

    __tablename__ = "http_validator"

    url: str = Field(primary_key=True)
    etag: str | None = None
    last_modified: str | None = None
    sha256: str


class RunRow(SQLModel, table=True):
    """The run ledger: one row per check, scheduled or by hand."""

    __tablename__ = "run"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime
    finished_at: datetime | None = None
    trigger: str  # "manual" | "schedule"
    outcome: str  # "running" | "ok" | "failed"
    releases_found: int = 0
    imported: str = ""  # labels, comma-separated
    reports: str = ""  # report paths, one per line
    emails_sent: int = 0
    error: str = ""


class OutboxRow(SQLModel, table=True):
    """Emails are stored before they are sent; a failed send is retried on the next run."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)  # what the email is about: the same key is never queued twice
    created_at: datetime
    subject: str
    message: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sent_at: datetime | None = None
    attempts: int = 0
    last_error: str = ""


@dataclass(frozen=True)
class StoredRelease:
    info: ReleaseInfo
    codes: int
    imported_at: datetime
    released: date | None = None


@dataclass(frozen=True)
class Run:
    id: int
    started_at: datetime
    finished_at: datetime | None
    trigger: str
    outcome: str
    releases_found: int
    imported: tuple[str, ...]
    reports: tuple[str, ...]
    emails_sent: int
    error: str


@dataclass(frozen=True)
class OutboxItem:
    id: int
    key: str
    created_at: datetime
    subject: str
    message: bytes
    attempts: int
    last_error: str


@dataclass(frozen=True)
class ImportResult:
    status: str  # "imported" | "already"
    release: StoredRelease
    predecessor: StoredRelease | None


def default_db_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'tracker.db'}"


def record_digest(record: Record) -> tuple[str, str]:
    """Canonical JSON of a record and its digest: the key that shares versions."""
    data = json.dumps(
        {"code": record.code, "fields": dict(record.fields)},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    # 128 bits of SHA-256 is ample to tell record versions apart and halves the index.
    return data, hashlib.sha256(data.encode()).hexdigest()[:32]


def content_digest(records: Iterable[Record]) -> str:
    """What a release says, whatever file it came in: its records without the fields CMS
    resets on its own (a re-post that moves only those is the same release)."""
    lines = sorted(
        json.dumps(
            [r.code, {k: v for k, v in r.fields.items() if k not in NOT_COMPARED}],
            sort_keys=True,
            ensure_ascii=False,
        )
        for r in records
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _record_from_json(data: str) -> Record:
    raw = json.loads(data)
    fields: dict[str, Value] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in raw["fields"].items()
    }
    return Record(raw["code"], fields)


def _pack(ids: Iterable[int]) -> bytes:
    return zlib.compress(array("q", sorted(ids)).tobytes())


def _unpack(blob: bytes) -> list[int]:
    ids = array("q")
    ids.frombytes(zlib.decompress(blob))
    return ids.tolist()


class Store:
    """The database. Every import is one transaction: a failure leaves nothing behind."""

    def __init__(self, url: str, *, clock: Callable[[], datetime] | None = None) -> None:
        self.url = url
        self._clock = clock or (lambda: datetime.now(UTC))
        self.engine = _engine(url)
        try:
            SQLModel.metadata.create_all(self.engine)
        except SQLAlchemyError as exc:
            detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            raise TrackerError(f"database {redact_url(url)}: cannot open it ({detail})") from None

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self.engine) as session, session.begin():
            yield session

    # --- releases --------------------------------------------------------------------------

    def add_release(
        self,
        parsed: ParsedRelease,
        *,
        guard: Guard | None = None,
        force: bool = False,
        released: date | None = None,
        reported: bool = True,
    ) -> ImportResult:
        """Store a parsed release: new, a new revision of its label, or already imported.

        ``reported=False`` marks it for ``tracker check`` to report (see ``unreported``).
        """
        return self.add_releases(
            [parsed], guard=guard, force=force, released=released, reported=reported
        )[0]

    def add_releases(
        self,
        releases: Sequence[ParsedRelease],
        *,
        guard: Guard | None = None,
        force: bool = False,
        released: date | None = None,
        reported: bool = True,
    ) -> list[ImportResult]:
        """Store several releases in one transaction, oldest first: all of them or none."""
        with self.session() as session:
            return [
                self._add(session, parsed, guard, force, released, reported)
                for parsed in sorted(releases, key=lambda p: (p.effective, p.kind != "annual"))
            ]

    def _add(
        self,
        session: Session,
        parsed: ParsedRelease,
        guard: Guard | None,
        force: bool,
        released: date | None,
        reported: bool,
    ) -> ImportResult:
        # Each record's canonical JSON and digest, computed once for the whole import.
        versions = {d: (r.code, data) for r in parsed.records for data, d in [record_digest(r)]}
        digest = content_digest(parsed.records)
        same_label = list(
            session.exec(
                select(ReleaseRow).where(
                    ReleaseRow.code_set == parsed.code_set,
                    ReleaseRow.base_label == parsed.base_label,
                )
            )
        )
        for row in same_label:
            if row.content_digest == digest:
                stored = _stored(row)
                return ImportResult("already", stored, self._predecessor(session, stored.info))
        revision = 1 + len(same_label)
        label = parsed.base_label if revision == 1 else f"{parsed.base_label}.{revision}"
        info = ReleaseInfo(
            parsed.code_set, label, parsed.effective, revision,
            parsed.source_name, parsed.sha256, parsed.kind,
        )  # fmt: skip
        before = self._predecessor(session, info)
        if not force and guard is not None:
            removed = self._removed(session, before, parsed) if parsed.code_set != CPT else 0
            guard.check(parsed.source_name, len(parsed.records), parsed.code_set, before, removed)
        ids = self._version_ids(session, versions)
        row = ReleaseRow(
            code_set=info.code_set, label=label, base_label=parsed.base_label,
            revision=revision, kind=info.kind, effective=info.effective,
            source_name=info.source_name, sha256=info.sha256, content_digest=digest,
            codes=len(parsed.records), imported_at=self._clock(), released=released,
            reported=reported, members=_pack(ids),
        )  # fmt: skip
        session.add(row)
        session.flush()
        return ImportResult("imported", _stored(row), before)

    def _removed(
        self, session: Session, before: StoredRelease | None, parsed: ParsedRelease
    ) -> int:
        """How many of the predecessor's codes vanish from ``parsed`` without ever having been
        terminated: what a file cut short at a record boundary looks like."""
        if before is None:
            return 0
        codes = {r.code for r in parsed.records}
        old = self._row(session, before.info.label)
        missing = [
            id_ for id_, code in self._codes_of(session, _unpack(old.members)) if code not in codes
        ]
        gone = self._records_by_ids(session, missing).values()
        return sum(1 for record in gone if not record.text("term_dt"))

    def _version_ids(self, session: Session, versions: Mapping[str, tuple[str, str]]) -> list[int]:
        """The ids of these record versions, storing the ones not seen before."""
        known = self._ids_for_digests(session, list(versions))
        new = [
            {"code": code, "digest": digest, "data": data}
            for digest, (code, data) in versions.items()
            if digest not in known
        ]
        if new:
            session.connection().execute(insert(VersionRow), new)
            known.update(self._ids_for_digests(session, [n["digest"] for n in new]))
        return [known[d] for d in versions]

    @staticmethod
    def _ids_for_digests(session: Session, digests: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for i in range(0, len(digests), _CHUNK):
            chunk = digests[i : i + _CHUNK]
            rows = session.exec(
                select(VersionRow.digest, VersionRow.id).where(col(VersionRow.digest).in_(chunk))
            )
            found.update({digest: id_ for digest, id_ in rows if id_ is not None})
        return found

    def releases(self, code_set: str | None = None) -> list[StoredRelease]:
        """Every release, oldest first: by effective date, the annual file before the January
        quarter that takes effect the same day, then in import order (revisions)."""
        with self.session() as session:
            query = select(ReleaseRow)
            if code_set is not None:
                query = query.where(ReleaseRow.code_set == code_set)
            return [_stored(row) for row in _in_order(session.exec(query))]

    def release(self, label: str) -> StoredRelease:
        with self.session() as session:
            return _stored(self._row(session, label))

    def predecessor(self, info: ReleaseInfo) -> StoredRelease | None:
        with self.session() as session:
            return self._predecessor(session, info)

    def _predecessor(self, session: Session, info: ReleaseInfo) -> StoredRelease | None:
        series = [
            r
            for r in self._ordered(session, info.code_set)
            if _stored(r).info.series == info.series
        ]
        labels = [r.label for r in series]
        if info.label in labels:
            index = labels.index(info.label)
            return _stored(series[index - 1]) if index > 0 else None
        earlier = [r for r in series if r.effective <= info.effective]
        return _stored(earlier[-1]) if earlier else None

    @staticmethod
    def _ordered(session: Session, code_set: str) -> list[ReleaseRow]:
        return _in_order(session.exec(select(ReleaseRow).where(ReleaseRow.code_set == code_set)))

    @staticmethod
    def _row(session: Session, label: str) -> ReleaseRow:
        row = session.exec(select(ReleaseRow).where(ReleaseRow.label == label)).first()
        if row is None:
            raise NotFoundError(f"no release labelled {label!r}; see `tracker releases`")
        return row

    def records(self, label: str) -> dict[str, Record]:
        """All records of one release, by code."""
        return self.records_by_ids(self.member_ids(label))

    def member_ids(self, label: str) -> frozenset[int]:
        """The record versions a release holds: one id names one exact record."""
        with self.session() as session:
            return frozenset(_unpack(self._row(session, label).members))

    def records_by_ids(self, ids: Iterable[int]) -> dict[str, Record]:
        with self.session() as session:
            return self._records_by_ids(session, ids)

    @staticmethod
    def _records_by_ids(session: Session, ids: Iterable[int]) -> dict[str, Record]:
        wanted = sorted(ids)
        records: dict[str, Record] = {}
        for i in range(0, len(wanted), _CHUNK):
            rows = session.exec(
                select(VersionRow.data).where(col(VersionRow.id).in_(wanted[i : i + _CHUNK]))
            )
            for data in rows:
                record = _record_from_json(data)
                records[record.code] = record
        return records

    @staticmethod
    def _codes_of(session: Session, ids: Sequence[int]) -> list[tuple[int, str]]:
        found: list[tuple[int, str]] = []
        for i in range(0, len(ids), _CHUNK):
            rows = session.exec(
                select(VersionRow.id, VersionRow.code).where(
                    col(VersionRow.id).in_(ids[i : i + _CHUNK])
                )
            )
            found.extend((id_, code) for id_, code in rows if id_ is not None)
        return found

    def code_versions(self, code: str) -> list[tuple[StoredRelease, Record | None]]:
        """A code's record in every release of its code set(s), oldest first (None: absent)."""
        with self.session() as session:
            versions = {
                row.id: _record_from_json(row.data)
                for row in session.exec(select(VersionRow).where(VersionRow.code == code))
            }
            if not versions:
                raise NotFoundError(f"code {code!r} is in no stored release")
            out: list[tuple[StoredRelease, Record | None]] = []
            query = select(ReleaseRow).order_by(col(ReleaseRow.effective), col(ReleaseRow.id))
            for row in session.exec(query):
                present = set(_unpack(row.members)).intersection(versions)
                out.append((_stored(row), versions[present.pop()] if present else None))
            return out

    def has_source(self, sha256: str) -> bool:
        """Whether a release was imported from a file with exactly these bytes."""
        with self.session() as session:
            return (
                session.exec(select(ReleaseRow.id).where(ReleaseRow.sha256 == sha256)).first()
                is not None
            )

    # --- conditional GET validators (tracker check): the download.ValidatorStore protocol --

    def get(self, url: str) -> Validators | None:
        with self.session() as session:
            row = session.get(ValidatorRow, url)
            return None if row is None else Validators(row.etag, row.last_modified, row.sha256)

    def put(self, url: str, validators: Validators) -> None:
        with self.session() as session:
            session.merge(
                ValidatorRow(
                    url=url,
                    etag=validators.etag,
                    last_modified=validators.last_modified,
                    sha256=validators.sha256,
                )
            )

    # --- run ledger --------------------------------------------------------------------------

    def start_run(self, trigger: str) -> int:
        """Open a ledger entry. Called under the check lock, so a run still marked running
        was killed before it could finish: say so."""
        with self.session() as session:
            for stale in session.exec(select(RunRow).where(RunRow.outcome == "running")):
                stale.outcome = "failed"
                stale.error = stale.error or "interrupted: the process stopped before the run ended"
            row = RunRow(started_at=self._clock(), trigger=trigger, outcome="running")
            session.add(row)
            session.flush()
            assert row.id is not None
            return row.id

    def finish_run(
        self,
        run_id: int,
        *,
        outcome: str,
        releases_found: int = 0,
        imported: Sequence[str] = (),
        reports: Sequence[str] = (),
        emails_sent: int = 0,
        error: str = "",
    ) -> None:
        with self.session() as session:
            row = session.get(RunRow, run_id)
            assert row is not None
            row.finished_at = self._clock()
            row.outcome = outcome
            row.releases_found = releases_found
            row.imported = ",".join(imported)
            row.reports = "\n".join(reports)
            row.emails_sent = emails_sent
            row.error = error

    def runs(self, limit: int | None = None) -> list[Run]:
        """The ledger, newest first."""
        with self.session() as session:
            query = select(RunRow).order_by(col(RunRow.id).desc())
            if limit is not None:
                query = query.limit(limit)
            return [_run(row) for row in session.exec(query)]

    # --- outbox ------------------------------------------------------------------------------

    def queue_email(self, key: str, subject: str, message: bytes) -> bool:
        """Store an email to send; False when one with this key was queued before."""
        with self.session() as session:
            if session.exec(select(OutboxRow.id).where(OutboxRow.key == key)).first() is not None:
                return False
            session.add(
                OutboxRow(key=key, created_at=self._clock(), subject=subject, message=message)
            )
            return True

    def note_sent(self, key: str, subject: str) -> None:
        """Record that what ``key`` is about went out inside another email (a CPT reminder in
        a report email), so it is not queued again on its own."""
        with self.session() as session:
            if session.exec(select(OutboxRow.id).where(OutboxRow.key == key)).first() is None:
                now = self._clock()
                session.add(
                    OutboxRow(key=key, created_at=now, subject=subject, message=b"", sent_at=now)
                )

    def unreported(self) -> list[StoredRelease]:
        """Releases a check imported but has not reported yet (it stopped half-way)."""
        with self.session() as session:
            rows = session.exec(select(ReleaseRow).where(col(ReleaseRow.reported).is_(False)))
            return [_stored(row) for row in _in_order(rows)]

    def mark_reported(self, labels: Iterable[str]) -> None:
        with self.session() as session:
            for label in labels:
                self._row(session, label).reported = True

    def pending_emails(self) -> list[OutboxItem]:
        with self.session() as session:
            query = (
                select(OutboxRow)
                .where(col(OutboxRow.sent_at).is_(None))
                .order_by(col(OutboxRow.id))
            )
            return [
                OutboxItem(
                    r.id or 0, r.key, r.created_at, r.subject, r.message, r.attempts, r.last_error
                )
                for r in session.exec(query)
            ]

    def mark_sent(self, item_id: int) -> None:
        with self.session() as session:
            row = session.get(OutboxRow, item_id)
            assert row is not None
            row.sent_at = self._clock()
            row.attempts += 1
            row.last_error = ""

    def mark_failed(self, item_id: int, error: str) -> None:
        with self.session() as session:
            row = session.get(OutboxRow, item_id)
            assert row is not None
            row.attempts += 1
            row.last_error = error


def _run(row: RunRow) -> Run:
    return Run(
        id=row.id or 0,
        started_at=_utc(row.started_at),
        finished_at=_utc(row.finished_at) if row.finished_at else None,
        trigger=row.trigger,
        outcome=row.outcome,
        releases_found=row.releases_found,
        imported=tuple(x for x in row.imported.split(",") if x),
        reports=tuple(x for x in row.reports.split("\n") if x),
        emails_sent=row.emails_sent,
        error=row.error,
    )


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; every time stored here is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _in_order(rows: Iterable[ReleaseRow]) -> list[ReleaseRow]:
    # CMS posts the annual file and the January quarter, both effective January 1: the
    # quarter follows the annual file it updates.
    return sorted(rows, key=lambda r: (r.effective, r.kind != "annual", r.id or 0))


def _stored(row: ReleaseRow) -> StoredRelease:
    info = ReleaseInfo(
        row.code_set, row.label, row.effective, row.revision, row.source_name, row.sha256, row.kind
    )
    return StoredRelease(info, row.codes, _utc(row.imported_at), row.released)


def redact_url(url: str) -> str:
    """A database URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))


def _engine(url: str) -> Engine:
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        folder = Path(url.removeprefix("sqlite:///")).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TrackerError(
                f"database folder {folder}: cannot create it ({exc.strerror})"
            ) from None
    try:
        engine = create_engine(url)
    except Exception as exc:  # SQLAlchemy raises ArgumentError / NoSuchModuleError
        raise ConfigError(
            f"database URL {redact_url(url)!r} is not usable ({exc}); "
            "use e.g. sqlite:///snapshots/tracker.db"
        ) from None
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            # Another process may hold the write lock briefly (a scheduled check); wait for it.
            dbapi_connection.execute("PRAGMA busy_timeout = 30000")

    return engine
