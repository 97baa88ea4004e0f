"""The run ledger: one entry per check, scheduled or by hand, and per release removed by hand
(`tracker remove`), for `tracker runs` and `status`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from tracker.store.database import Clock, Database, as_utc
from tracker.store.models import RunRow


@dataclass(frozen=True)
class Run:
    """One check (or removal) as the ledger holds it."""

    id: int
    started_at: datetime  # UTC
    finished_at: datetime | None  # None: still running (or killed before it could finish)
    trigger: str  # "manual" | "schedule"
    outcome: str  # "running" | "ok" | "failed"
    releases_found: int  # release files the sources listed
    imported: tuple[str, ...]  # labels of the releases it imported
    reports: tuple[str, ...]  # paths of the reports it wrote
    emails_sent: int
    error: str  # what failed, "; "-separated ("" when nothing did)
    kind: str = "check"  # "check" | "remove" (`tracker remove`)
    note: str = ""  # what a removal did: "removed 2026-Q2 (...)"


class RunLedger:
    """Runs are opened when a check starts, record what it does as it does it (a run killed
    half-way shows what it did), and are finished with the outcome."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self._db = database
        self._clock = clock

    def start(self, trigger: str, *, kind: str = "check") -> int:
        """Open a ledger entry. Called under the database's lock, so a run still marked
        running was killed before it could finish: say so."""
        with self._db.session() as session:
            for stale in session.exec(select(RunRow).where(RunRow.outcome == "running")):
                stale.outcome = "failed"
                stale.error = stale.error or "interrupted: the process stopped before the run ended"
            row = RunRow(started_at=self._clock(), trigger=trigger, outcome="running", kind=kind)
            session.add(row)
            session.flush()
            assert row.id is not None
            return row.id

    def note(
        self,
        run_id: int,
        *,
        releases_found: int | None = None,
        reports: Sequence[str] | None = None,
    ) -> None:
        """Record what a run has done so far (None: as recorded before). Each release it
        imports is recorded with the import (``record_import``), each email it sends with the
        send (``count_email_sent``)."""
        with self._db.session() as session:
            row = session.get(RunRow, run_id)
            assert row is not None
            if releases_found is not None:
                row.releases_found = releases_found
            if reports is not None:
                row.reports = "\n".join(reports)

    def finish(
        self,
        run_id: int,
        *,
        outcome: str,
        releases_found: int | None = None,
        imported: Sequence[str] | None = None,
        reports: Sequence[str] | None = None,
        emails_sent: int | None = None,
        error: str = "",
        note: str = "",
    ) -> None:
        """Close a ledger entry with its outcome; a field left None keeps what the run
        recorded as it went (a failed run keeps what it did before failing)."""
        with self._db.session() as session:
            row = session.get(RunRow, run_id)
            assert row is not None
            row.finished_at = self._clock()
            row.outcome = outcome
            if releases_found is not None:
                row.releases_found = releases_found
            if imported is not None:
                row.imported = ",".join(imported)
            if reports is not None:
                row.reports = "\n".join(reports)
            if emails_sent is not None:
                row.emails_sent = emails_sent
            row.error = error
            row.note = note

    def runs(self, limit: int | None = None, *, kind: str | None = None) -> list[Run]:
        """The ledger, newest first (only the entries of one ``kind``, when given)."""
        with self._db.session() as session:
            query = select(RunRow).order_by(col(RunRow.id).desc())
            if kind is not None:
                query = query.where(RunRow.kind == kind)
            if limit is not None:
                query = query.limit(limit)
            return [_run(row) for row in session.exec(query)]


def record_import(session: Session, run_id: int, label: str) -> None:
    """Add a release to its run's entry, in the transaction that stores the release: the
    ledger never says more or less than what was committed."""
    row = session.get(RunRow, run_id)
    assert row is not None
    row.imported = ",".join([*_labels(row.imported), label])


def count_email_sent(session: Session, run_id: int) -> None:
    """Count an email in its run's entry, in the transaction that marks it sent."""
    row = session.get(RunRow, run_id)
    assert row is not None
    row.emails_sent += 1


def _labels(imported: str) -> list[str]:
    return [x for x in imported.split(",") if x]


def _run(row: RunRow) -> Run:
    return Run(
        id=row.id or 0,
        started_at=as_utc(row.started_at),
        finished_at=as_utc(row.finished_at) if row.finished_at else None,
        trigger=row.trigger,
        outcome=row.outcome,
        releases_found=row.releases_found,
        imported=tuple(_labels(row.imported)),
        reports=tuple(x for x in row.reports.split("\n") if x),
        emails_sent=row.emails_sent,
        error=row.error,
        kind=row.kind,
        note=row.note,
    )
