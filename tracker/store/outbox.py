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
from typing import Any

from sqlalchemy import Connection, insert, select, update

from tracker.store.database import Clock, Database, as_utc
from tracker.store.runs import count_email_sent
from tracker.store.tables import outbox, release

_ROW = outbox.c


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
        with self._db.transaction() as conn:
            for item in emails:
                if _queued(conn, item.key):
                    continue
                now = self._clock()
                conn.execute(
                    insert(outbox).values(key=item.key, created_at=now, subject=item.subject,
                                          message=item.message)
                )  # fmt: skip
                queued.append(item.key)
                for key in item.carries:
                    if not _queued(conn, key):
                        note = f"sent inside {item.key}"
                        conn.execute(
                            insert(outbox).values(key=key, created_at=now, subject=note,
                                                  message=b"", sent_at=now)
                        )  # fmt: skip
            labels = list(reported)
            if labels:
                conn.execute(
                    update(release).where(release.c.label.in_(labels)).values(reported=True)
                )
        return queued

    def pending(self) -> list[OutboxItem]:
        """Emails not sent yet, oldest first."""
        query = select(
            _ROW.id, _ROW.key, _ROW.created_at, _ROW.subject, _ROW.message, _ROW.attempts,
            _ROW.last_error,
        ).where(_ROW.sent_at.is_(None)).order_by(_ROW.id)  # fmt: skip
        with self._db.transaction() as conn:
            return [_item(*row) for row in conn.execute(query)]

    def mark_sent(self, item_id: int, *, run_id: int | None = None) -> None:
        """Record a send the server accepted; the run sending it (``run_id``) counts it in the
        same transaction."""
        with self._db.transaction() as conn:
            conn.execute(
                update(outbox)
                .where(_ROW.id == item_id)
                .values(sent_at=self._clock(), attempts=_ROW.attempts + 1, last_error="")
            )
            if run_id is not None:
                count_email_sent(conn, run_id)

    def mark_failed(self, item_id: int, error: str) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                update(outbox)
                .where(_ROW.id == item_id)
                .values(attempts=_ROW.attempts + 1, last_error=error)
            )


def _item(id_: int, key: str, created_at: datetime, *rest: Any) -> OutboxItem:
    return OutboxItem(id_, key, as_utc(created_at), *rest)


def _queued(connection: Connection, key: str) -> bool:
    return connection.execute(select(_ROW.id).where(_ROW.key == key)).first() is not None
