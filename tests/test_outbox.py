from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from tests.smtpserver import SMTPTestServer
from tracker.config import EmailSettings, parse_section
from tracker.notify.message import message_id, send
from tracker.notify.outbox import (
    WITHHELD,
    flush_outbox,
    queue_reminder_email,
    queue_report_emails,
    report_emails,
)
from tracker.records import (
    CPT,
    HCPCS,
    Change,
    Diff,
    FieldChange,
    ParsedRelease,
    Record,
    ReleaseInfo,
)
from tracker.report.publish import write_reports
from tracker.run.ingest import Storing, store_one
from tracker.store import Store
from tracker.store.outbox import Email

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
        assert queue_report_emails(store, settings, [DIFF], reports) == [
            "report:CPT_CPT-2026_to_CPT-2027"
        ]
        assert queue_report_emails(store, settings, [DIFF], reports) == []  # queued once
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
        queue_report_emails(store, settings, [DIFF], reports, cpt_descriptors=True)
        flush_outbox(store, settings, lambda m, s: send(m, s))
        (message,) = server.messages
    body = message.get_body(("plain",))
    assert body is not None and "Invented alpha, revised" in body.get_content()
    assert [a.get_filename() for a in message.iter_attachments()] == [
        "CPT_CPT-2026_to_CPT-2027.xlsx"
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


def _pair(old: str, new: str, month: int) -> Diff:
    before = ReleaseInfo(HCPCS, old, date(2025, month - 3, 1), 1, f"{old}.txt", old)
    after = ReleaseInfo(HCPCS, new, date(2025, month, 1), 1, f"{new}.txt", new)
    field = FieldChange("long_description", "Invented", "Invented, revised")
    change = Change("A0001", "changed", "", "Invented, revised", (field,))
    summary = {"added": 0, "deleted": 0, "discontinued": 0, "reactivated": 0, "changed": 1}
    return Diff(before, after, (change,), summary)


APRIL, JULY = _pair("2025-Q1", "2025-Q2", 4), _pair("2025-Q2", "2025-Q3", 7)


def test_one_email_per_release_pair_its_message_id_made_from_its_key(
    store: Store, tmp_path: Path
) -> None:
    reports = write_reports(APRIL, tmp_path) + write_reports(JULY, tmp_path)
    with SMTPTestServer() as server:
        settings = _settings(server.port)
        keys = queue_report_emails(store, settings, [APRIL, JULY], reports)
        assert flush_outbox(store, settings, lambda m, s: send(m, s)).sent == 2
        messages = server.messages
    assert keys == ["report:HCPCS_2025-Q1_to_2025-Q2", "report:HCPCS_2025-Q2_to_2025-Q3"]
    assert [(m["Subject"], m["Message-ID"]) for m in messages] == [
        ("HCPCS changes: 2025-Q1 -> 2025-Q2 (1 changed)", message_id(keys[0], settings.sender)),
        ("HCPCS changes: 2025-Q2 -> 2025-Q3 (1 changed)", message_id(keys[1], settings.sender)),
    ]
    assert message_id(keys[0], "tracker@example.org") == (
        "<5e151a446035b0031bbbadd38587fefc@example.org>"
    )
    assert [[a.get_filename() for a in m.iter_attachments()] for m in messages] == [
        ["HCPCS_2025-Q1_to_2025-Q2.xlsx"],
        ["HCPCS_2025-Q2_to_2025-Q3.xlsx"],
    ]


def test_a_pair_queued_before_is_not_queued_again_beside_a_new_one(
    store: Store, tmp_path: Path
) -> None:
    """Issue 12: a run stopped after queueing April's email; July arrived before the next run,
    which reported April again beside July. April must go out once."""
    reports = write_reports(APRIL, tmp_path) + write_reports(JULY, tmp_path)
    with SMTPTestServer() as server:
        settings = _settings(server.port)
        queue_report_emails(store, settings, [APRIL], reports)
        assert queue_report_emails(store, settings, [APRIL, JULY], reports) == [
            "report:HCPCS_2025-Q2_to_2025-Q3"
        ]
        flush_outbox(store, settings, lambda m, s: send(m, s))
        subjects = [m["Subject"] for m in server.messages]
    assert subjects == [
        "HCPCS changes: 2025-Q1 -> 2025-Q2 (1 changed)",
        "HCPCS changes: 2025-Q2 -> 2025-Q3 (1 changed)",
    ]


def _stored_unreported(store: Store, *labels: str) -> None:
    for index, label in enumerate(labels):
        parsed = ParsedRelease(
            HCPCS, label, date(2025, 3 * index + 1, 1), f"{label}.txt", label,
            tuple(Record(f"A{i:04d}", {"code": f"A{i:04d}", "long_description": f"{label} {i}"})
                  for i in range(5)),
            "quarterly",
        )  # fmt: skip
        store_one(store, parsed, Storing(None, reported=False))


def test_queueing_and_marking_reported_commit_together(store: Store) -> None:
    _stored_unreported(store, "2025-Q1", "2025-Q2")
    email = Email("report:HCPCS_2025-Q1_to_2025-Q2", "s", b"Subject: s\r\n\r\nbody\r\n")

    def killed_half_way() -> Iterator[str]:
        yield "2025-Q1"
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        store.outbox.queue_reports([email], reported=killed_half_way())
    # Neither happened: the next run reports both releases and queues the email.
    assert store.outbox.pending() == []
    assert [r.info.label for r in store.catalog.unreported()] == ["2025-Q1", "2025-Q2"]

    assert store.outbox.queue_reports([email], reported=["2025-Q1", "2025-Q2"]) == [email.key]
    assert [i.key for i in store.outbox.pending()] == [email.key]
    assert store.catalog.unreported() == []


def test_a_reminder_inside_a_report_email_is_not_sent_again_on_its_own(
    store: Store, tmp_path: Path
) -> None:
    notes = ["CPT CPT-2026-PLA-Q2 (pla) is overdue: expected 2026-01-01"]
    settings = _settings(25)
    emails = report_emails(
        settings, [APRIL, JULY], write_reports(APRIL, tmp_path), notes=notes, notes_key="r:1"
    )
    assert [e.carries for e in emails] == [("r:1",), ()]
    store.outbox.queue_reports(emails, reported=())
    assert not queue_reminder_email(store, settings, "r:1", notes)
    assert [i.key for i in store.outbox.pending()] == [e.key for e in emails]


def test_each_send_is_counted_in_the_run_that_sent_it(store: Store, tmp_path: Path) -> None:
    reports = write_reports(APRIL, tmp_path) + write_reports(JULY, tmp_path)
    with SMTPTestServer() as server:
        settings = _settings(server.port)
        queue_report_emails(store, settings, [APRIL, JULY], reports)
        run_id = store.ledger.start("manual")
        flush_outbox(store, settings, lambda m, s: send(m, s), run_id=run_id)
    (run,) = store.ledger.runs()
    assert (run.id, run.outcome, run.emails_sent) == (run_id, "running", 2)
