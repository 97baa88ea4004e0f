"""The outbox: emails are stored before they are sent, and a failed send is retried.

A check queues its report emails and marks the releases they report as reported in one
transaction (``queue_reports``): there is no moment, however the process dies, when an email is
queued for a release still unreported (the next run would queue it again) or a release is
reported with its email nowhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from tracker.store.database import Clock, Database
from tracker.store.runs import count_email_sent
from tracker.store.sql import Row, Sql, as_time, in_list

_INSERT = (
    'INSERT INTO outbox ("key", created_at, subject, message, sent_at, attempts, last_error) '
    "VALUES (:key, :created, :subject, :message, :sent, 0, '')"
)


@dataclass(frozen=True)
class Email:
    """An email to queue."""

    key: str  # what it is about ("report:HCPCS_2025-Q2_to_2025-Q3"): never queued twice
    subject: str
    message: bytes  # the whole message, as it will be sent (its Message-ID derives from key)
    # Keys of what went out inside it too (a CPT reminder's state, in a report email):
    # recorded as sent with it, so they are not queued again on their own.
    carries: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutboxItem:
    """An email waiting to be sent."""

    id: int
    key: str  # what the email is about: the same key is never queued twice
    created_at: datetime
    subject: str
    message: bytes  # the whole message, as sent
    attempts: int  # failed sends so far
    last_error: str  # why the last send failed ("" when none did)


class Outbox:
    """Emails queued by key, sent oldest first."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self._db = database
        self._clock = clock

    def queue_reports(self, emails: Sequence[Email], *, reported: Iterable[str]) -> list[str]:
        """In one transaction: queue ``emails`` (each key once: one queued before is left as
        it is) and mark the releases labelled ``reported`` as reported. Returns the keys
        queued now."""
        queued = []
        with self._db.transaction() as sql:
            for item in emails:
                if _queued(sql, item.key):
                    continue
                now = self._clock()
                sql.run(_INSERT, {"key": item.key, "created": now, "subject": item.subject,
                                  "message": item.message, "sent": None})  # fmt: skip
                queued.append(item.key)
                for key in item.carries:
                    if not _queued(sql, key):
                        note = f"sent inside {item.key}"
                        sql.run(_INSERT, {"key": key, "created": now, "subject": note,
                                          "message": b"", "sent": now})  # fmt: skip
            labels = list(reported)
            if labels:
                listed, params = in_list("label", labels)
                sql.run(f"UPDATE release SET reported = :yes WHERE label IN {listed}",
                        params | {"yes": True})  # fmt: skip
        return queued

    def pending(self) -> list[OutboxItem]:
        """Emails not sent yet, oldest first."""
        query = (
            'SELECT id, "key", created_at, subject, message, attempts, last_error FROM outbox '
            "WHERE sent_at IS NULL ORDER BY id"
        )
        with self._db.transaction() as sql:
            return [_item(row) for row in sql.rows(query)]

    def mark_sent(self, item_id: int, *, run_id: int | None = None) -> None:
        """Record a send the server accepted; the run sending it (``run_id``) counts it in the
        same transaction."""
        with self._db.transaction() as sql:
            sql.run(
                "UPDATE outbox SET sent_at = :now, attempts = attempts + 1, last_error = '' "
                "WHERE id = :id",
                {"now": self._clock(), "id": item_id},
            )
            if run_id is not None:
                count_email_sent(sql, run_id)

    def mark_failed(self, item_id: int, error: str) -> None:
        with self._db.transaction() as sql:
            sql.run(
                "UPDATE outbox SET attempts = attempts + 1, last_error = :error WHERE id = :id",
                {"error": error, "id": item_id},
            )


def _item(row: Row) -> OutboxItem:
    id_, key, created, subject, message, attempts, last_error = row
    created_at = as_time(created)
    assert created_at is not None
    return OutboxItem(id_, key, created_at, subject, bytes(message), attempts, last_error)


def _queued(sql: Sql, key: str) -> bool:
    return sql.first('SELECT id FROM outbox WHERE "key" = :key', {"key": key}) is not None
