"""The run ledger: one entry per check, scheduled or by hand, and per release removed by hand
(`tracker remove`), for `tracker runs` and `status`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, case, insert, select, update

from tracker.store.database import Clock, Database, as_utc, inserted_id
from tracker.store.tables import run

_RUN = run.c
_INTERRUPTED = "interrupted: the process stopped before the run ended"


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
        with self._db.transaction() as conn:
            conn.execute(
                update(run)
                .where(_RUN.outcome == "running")
                .values(
                    outcome="failed",
                    error=case((_RUN.error == "", _INTERRUPTED), else_=_RUN.error),
                )
            )
            opened = insert(run).values(
                started_at=self._clock(), trigger=trigger, outcome="running", kind=kind
            )
            return inserted_id(conn.execute(opened))

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
        values = _given(releases_found=releases_found, reports=_lines(reports))
        if values:
            with self._db.transaction() as conn:
                conn.execute(update(run).where(_RUN.id == run_id).values(values))

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
        values = _given(
            releases_found=releases_found,
            imported=None if imported is None else ",".join(imported),
            reports=_lines(reports),
            emails_sent=emails_sent,
        )
        finished = {"finished_at": self._clock(), "outcome": outcome, "error": error, "note": note}
        with self._db.transaction() as conn:
            conn.execute(update(run).where(_RUN.id == run_id).values(finished | values))

    def runs(self, limit: int | None = None, *, kind: str | None = None) -> list[Run]:
        """The ledger, newest first (only the entries of one ``kind``, when given)."""
        query = select(run).order_by(_RUN.id.desc())
        if kind is not None:
            query = query.where(_RUN.kind == kind)
        if limit is not None:
            query = query.limit(limit)
        with self._db.transaction() as conn:
            return [_run(row) for row in conn.execute(query)]


def record_import(connection: Connection, run_id: int, label: str) -> None:
    """Add a release to its run's entry, in the transaction that stores the release: the
    ledger never says more or less than what was committed."""
    imported = connection.execute(select(_RUN.imported).where(_RUN.id == run_id)).scalar_one()
    labels = ",".join([*_labels(imported), label])
    connection.execute(update(run).where(_RUN.id == run_id).values(imported=labels))


def count_email_sent(connection: Connection, run_id: int) -> None:
    """Count an email in its run's entry, in the transaction that marks it sent."""
    connection.execute(
        update(run).where(_RUN.id == run_id).values(emails_sent=_RUN.emails_sent + 1)
    )


def _given(**values: object) -> dict[str, object]:
    """The values given (None: keep what is recorded)."""
    return {name: value for name, value in values.items() if value is not None}


def _lines(items: Sequence[str] | None) -> str | None:
    return None if items is None else "\n".join(items)


def _labels(imported: str) -> list[str]:
    return [x for x in imported.split(",") if x]


def _run(row: Row[Any]) -> Run:
    return Run(
        id=row.id,
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
