"""The run ledger: one entry per check, scheduled or by hand, and per release removed by hand
(`tracker remove`), for `tracker runs` and `status`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tracker.store.database import Clock, Database
from tracker.store.sql import Row, Sql, as_time

_COLUMNS = (
    'id, started_at, finished_at, "trigger", outcome, releases_found, imported, reports, '
    "emails_sent, error, kind, note"
)
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
        with self._db.transaction() as sql:
            sql.run(
                "UPDATE run SET outcome = 'failed', "
                "error = CASE WHEN error = '' THEN :interrupted ELSE error END "
                "WHERE outcome = 'running'",
                {"interrupted": _INTERRUPTED},
            )
            return sql.insert(
                'INSERT INTO run (started_at, "trigger", outcome, releases_found, imported, '
                "reports, emails_sent, error, kind, note) VALUES (:started, :trigger, "
                "'running', 0, '', '', 0, '', :kind, '')",
                {"started": self._clock(), "trigger": trigger, "kind": kind},
            )

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
            with self._db.transaction() as sql:
                _update(sql, run_id, values)

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
        with self._db.transaction() as sql:
            _update(sql, run_id, finished | values)

    def runs(self, limit: int | None = None, *, kind: str | None = None) -> list[Run]:
        """The ledger, newest first (only the entries of one ``kind``, when given)."""
        query = f"SELECT {_COLUMNS} FROM run"
        params: dict[str, object] = {}
        if kind is not None:
            query, params["kind"] = query + " WHERE kind = :kind", kind
        query += " ORDER BY id DESC"
        if limit is not None:
            query, params["limit"] = query + " LIMIT :limit", limit
        with self._db.transaction() as sql:
            return [_run(row) for row in sql.rows(query, params)]


def record_import(sql: Sql, run_id: int, label: str) -> None:
    """Add a release to its run's entry, in the transaction that stores the release: the
    ledger never says more or less than what was committed."""
    (imported,) = sql.values("SELECT imported FROM run WHERE id = :id", {"id": run_id})
    _update(sql, run_id, {"imported": ",".join([*_labels(imported), label])})


def count_email_sent(sql: Sql, run_id: int) -> None:
    """Count an email in its run's entry, in the transaction that marks it sent."""
    sql.run("UPDATE run SET emails_sent = emails_sent + 1 WHERE id = :id", {"id": run_id})


def _update(sql: Sql, run_id: int, values: dict[str, object]) -> None:
    """Set these columns (names from this module, never from input) of one run."""
    columns = ", ".join(f"{name} = :{name}" for name in values)
    sql.run(f"UPDATE run SET {columns} WHERE id = :run_id", values | {"run_id": run_id})


def _given(**values: object) -> dict[str, object]:
    """The values given (None: keep what is recorded)."""
    return {name: value for name, value in values.items() if value is not None}


def _lines(items: Sequence[str] | None) -> str | None:
    return None if items is None else "\n".join(items)


def _labels(imported: str) -> list[str]:
    return [x for x in imported.split(",") if x]


def _run(row: Row) -> Run:
    id_, started, finished, trigger, outcome, found, imported, reports, sent, error, kind, note = (
        row
    )
    started_at = as_time(started)
    assert started_at is not None
    return Run(
        id=id_,
        started_at=started_at,
        finished_at=as_time(finished),
        trigger=trigger,
        outcome=outcome,
        releases_found=found,
        imported=tuple(_labels(imported)),
        reports=tuple(x for x in reports.split("\n") if x),
        emails_sent=sent,
        error=error,
        kind=kind,
        note=note,
    )
