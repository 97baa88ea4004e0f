"""The outbox: emails are stored before they are sent, and a failed send is retried."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from tracker.store.database import Clock, Database
from tracker.store.models import OutboxRow


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

    def queue(self, key: str, subject: str, message: bytes) -> bool:
        """Store an email to send; False when one with this key was queued before."""
        with self._db.session() as session:
            if session.exec(select(OutboxRow.id).where(OutboxRow.key == key)).first() is not None:
                return False
            session.add(
                OutboxRow(key=key, created_at=self._clock(), subject=subject, message=message)
            )
            return True

    def note_sent(self, key: str, subject: str) -> None:
        """Record that what ``key`` is about went out inside another email (a CPT reminder in
        a report email), so it is not queued again on its own."""
        with self._db.session() as session:
            if session.exec(select(OutboxRow.id).where(OutboxRow.key == key)).first() is None:
                now = self._clock()
                session.add(
                    OutboxRow(key=key, created_at=now, subject=subject, message=b"", sent_at=now)
                )

    def pending(self) -> list[OutboxItem]:
        """Emails not sent yet, oldest first."""
        with self._db.session() as session:
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
        with self._db.session() as session:
            row = session.get(OutboxRow, item_id)
            assert row is not None
            row.sent_at = self._clock()
            row.attempts += 1
            row.last_error = ""

    def mark_failed(self, item_id: int, error: str) -> None:
        with self._db.session() as session:
            row = session.get(OutboxRow, item_id)
            assert row is not None
            row.attempts += 1
            row.last_error = error
