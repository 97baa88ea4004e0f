from __future__ import annotations

from datetime import date
from pathlib import Path

from tests.smtpserver import SMTPTestServer
from tracker.config import EmailSettings, parse_section
from tracker.notify.message import send
from tracker.notify.outbox import WITHHELD, flush_outbox, queue_reminder_email, queue_report_email
from tracker.records import CPT, Change, Diff, FieldChange, ReleaseInfo
from tracker.report.publish import write_reports
from tracker.store import Store

OLD = ReleaseInfo(CPT, "CPT-2026", date(2026, 1, 1), 1, "LONGULT.txt", "a")
NEW = ReleaseInfo(CPT, "CPT-2027", date(2027, 1, 1), 1, "LONGULT.txt", "b")
DIFF = Diff(
    OLD,
    NEW,
    (
        Change("99990", "changed", "", "Invented alpha, revised",
               (FieldChange("long_descriptor", "Invented alpha", "Invented alpha, revised"),)),
    ),
    {"added": 0, "deleted": 0, "discontinued": 0, "reactivated": 0, "changed": 1},
)  # fmt: skip


def _settings(port: int) -> EmailSettings:
    return parse_section(
        EmailSettings,
        {"host": "127.0.0.1", "port": port, "security": "none",
         "sender": "tracker@example.org", "recipients": ["compliance@example.org"]}
    )  # fmt: skip


def test_cpt_descriptors_are_withheld_from_email_by_default(store: Store, tmp_path: Path) -> None:
    reports = write_reports(DIFF, tmp_path)
    with SMTPTestServer() as server:
        settings = _settings(server.port)
        assert queue_report_email(store, settings, [DIFF], reports)
        assert not queue_report_email(store, settings, [DIFF], reports)  # same pair: queued once
        result = flush_outbox(store, settings, lambda m, s: send(m, s))
        assert (result.sent, result.failures) == (1, ())
        assert flush_outbox(store, settings, lambda m, s: send(m, s)).sent == 0
        (message,) = server.messages
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "Invented alpha" not in text and WITHHELD in text and "99990" in text
    assert list(message.iter_attachments()) == []


def test_cpt_descriptors_emailed_when_the_license_allows(store: Store, tmp_path: Path) -> None:
    reports = write_reports(DIFF, tmp_path)
    with SMTPTestServer() as server:
        settings = _settings(server.port)
        queue_report_email(store, settings, [DIFF], reports, cpt_descriptors=True)
        flush_outbox(store, settings, lambda m, s: send(m, s))
        (message,) = server.messages
    body = message.get_body(("plain",))
    assert body is not None and "Invented alpha, revised" in body.get_content()
    assert [a.get_filename() for a in message.iter_attachments()] == [
        "CPT_CPT-2026_to_CPT-2027.csv"
    ]


def test_a_reminder_is_sent_once_per_state(store: Store) -> None:
    with SMTPTestServer() as server:
        settings = _settings(server.port)
        notes = ["CPT CPT-2026-PLA-Q2 (pla) is overdue: expected 2026-01-01"]
        assert queue_reminder_email(store, settings, "|".join(notes), notes)
        assert not queue_reminder_email(store, settings, "|".join(notes), notes)
        assert flush_outbox(store, settings, lambda m, s: send(m, s)).sent == 1
        (message,) = server.messages
    assert message["Subject"] == "CPT files due or overdue: 1 (see the message)"
    body = message.get_body(("plain",))
    assert body is not None and notes[0] in body.get_content()
