"""Change-report email: built from a small invented diff, sent to a real SMTP server."""

from __future__ import annotations

import smtplib
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from email.message import EmailMessage
from typing import Any

import pytest

from tests.golden import assert_golden
from tests.smtpserver import SMTPTestServer, TLSFiles, unused_port
from tests.smtpserver import smtp_server as smtp_server  # a fixture
from tests.smtpserver import tls_files as tls_files  # a fixture
from tracker.config import EmailSettings, parse_section
from tracker.notify.message import (
    SendError,
    build_message,
    build_test_message,
    message_id,
    send,
)
from tracker.records import Change, Diff, FieldChange, ReleaseInfo

NOW = datetime(2026, 4, 2, 6, 15, tzinfo=timezone(timedelta(hours=-4)))
Q1 = ReleaseInfo("HCPCS", "2026-Q1", date(2026, 1, 1), 1, "jan.zip", "a" * 64, "quarterly")
Q2 = ReleaseInfo("HCPCS", "2026-Q2", date(2026, 4, 1), 1, "apr.zip", "b" * 64, "quarterly")
Q3 = ReleaseInfo("HCPCS", "2026-Q3", date(2026, 7, 1), 1, "jul.zip", "c" * 64, "quarterly")

# Invented codes and descriptors only.
DIFF = Diff(
    Q1,
    Q2,
    (
        Change(
            "X9003",
            "changed",
            "C",
            "Invented <widget> & gadget, per unit",
            (
                FieldChange("price", ("1.00", "", ""), ("2.50", "", "")),
                FieldChange("xref", ("X9001", "X9002"), ("X9001",)),
                FieldChange("coverage", "", "D"),
            ),
        ),
        Change("X9001", "added", "A", "Invented supply, each"),
        Change("X9002", "deleted", "", "Invented service, retired", reason="aged_out"),
        Change("X9004", "discontinued", "D", "Invented kit"),
        Change("X9005", "reactivated", "R", "Invented probe"),
    ),
)
SETTINGS = parse_section(
    EmailSettings,
    {
        "host": "127.0.0.1",
        "port": 2525,
        "security": "none",
        "sender": "tracker@example.org",
        "recipients": "compliance@example.org",
    },
)
CSV = b"\xef\xbb\xbfcode,category\r\nX9001,added\r\n"


def settings_for(server: SMTPTestServer, **overrides: Any) -> EmailSettings:
    table: dict[str, object] = {
        "host": server.host,
        "port": server.port,
        "security": "none",
        "sender": "Tracker <tracker@example.org>",
        "recipients": ["compliance@example.org", "ops@example.org"],
    }
    return parse_section(EmailSettings, {**table, **overrides})


def text_part(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content()).replace("\r\n", "\n")


def html_part(message: EmailMessage) -> str:
    body = message.get_body(("html",))
    assert body is not None
    return str(body.get_content()).replace("\r\n", "\n")


def attachments(message: EmailMessage) -> list[tuple[str, str | None, bytes]]:
    found = []
    for part in message.iter_attachments():
        content = part.get_payload(decode=True)
        assert isinstance(content, bytes)
        found.append((part.get_content_type(), part.get_filename(), content))
    return found


def test_report_arrives_with_both_parts_and_the_attachment(smtp_server: SMTPTestServer) -> None:
    settings = settings_for(smtp_server)
    workbook = b"PK\x03\x04 an invented workbook"
    attached = [("HCPCS_2026-Q1_to_2026-Q2.xlsx", workbook), ("HCPCS_2026-Q1_to_2026-Q2.csv", CSV)]
    message = build_message(settings, [DIFF], attached, now=NOW, key="report:pair")

    assert send(message, settings) == ()

    [received] = smtp_server.received
    assert received.mail_from == "tracker@example.org"
    assert received.rcpt_tos == ("compliance@example.org", "ops@example.org")
    got = received.message
    assert got["Subject"] == (
        "HCPCS changes: 2026-Q1 -> 2026-Q2 "
        "(1 added, 1 deleted, 1 discontinued, 1 reactivated, 1 changed)"
    )
    assert got["From"] == "Tracker <tracker@example.org>"
    assert got["To"] == "compliance@example.org, ops@example.org"
    assert got["Date"] == "Thu, 02 Apr 2026 06:15:00 -0400"
    assert got["Message-ID"] == message_id("report:pair", settings.sender)
    assert_golden("email_sample.txt", text_part(got))
    assert attachments(got) == [
        (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "HCPCS_2026-Q1_to_2026-Q2.xlsx",
            workbook,
        ),
        ("text/csv", "HCPCS_2026-Q1_to_2026-Q2.csv", CSV),
    ]


def test_what_needs_action_comes_first_in_both_parts(smtp_server: SMTPTestServer) -> None:
    settings = settings_for(smtp_server)
    send(build_message(settings, [DIFF], [], now=NOW), settings)

    got = smtp_server.messages[0]
    text, page = text_part(got), html_part(got)
    order = ["DISCONTINUED CODES", "CHANGED CODES", "REACTIVATED CODES", "ADDED CODES"]
    assert [text.index(heading) for heading in order] == sorted(
        text.index(heading) for heading in order
    )
    # The HTML part lists the same codes in the same order, escaped.
    codes = ["X9004", "X9003", "X9005", "X9001", "X9002"]
    cells = [page.index(f'<td class="code">{code}</td>') for code in codes]
    assert cells == sorted(cells)
    assert "Invented &lt;widget&gt; &amp; gadget, per unit" in page
    assert "<widget>" not in page
    # A repeated field's padding is not shown; a blank value says so.
    assert "Pricing indicator (price): 1.00 -> 2.50" in text
    assert "Coverage (coverage): (blank) -> D" in text


def test_each_section_is_capped_and_points_to_the_attachment() -> None:
    settings = replace(SETTINGS, max_codes=0)
    text = text_part(build_message(settings, [DIFF], [("r.xlsx", b"x")], now=NOW))
    assert "1 more in the attachment" in text and "X9004" not in text
    bare = text_part(build_message(settings, [DIFF], [], now=NOW))
    assert "attachment" not in bare and "1 more not listed" in bare


def test_notes_come_first_and_several_pairs_share_one_subject() -> None:
    second = Diff(Q2, Q3, (Change("X9006", "added", "A", "Invented pad"),))
    message = build_message(SETTINGS, [DIFF, second], [], notes=["CPT 2027 files are due"])

    assert message["Subject"] == (
        "HCPCS changes: 2026-Q1 -> 2026-Q2, 2026-Q2 -> 2026-Q3 "
        "(2 added, 1 deleted, 1 discontinued, 1 reactivated, 1 changed)"
    )
    text = text_part(message)
    assert text.index("CPT 2027 files are due") < text.index("DISCONTINUED CODES")
    assert text.index("X9003") < text.index("X9006")
    assert "CPT 2027 files are due" in html_part(message)


def test_subject_template_and_an_empty_diff() -> None:
    settings = replace(SETTINGS, subject="[tracker] {releases}: {total} codes ({counts})")
    message = build_message(settings, [Diff(Q1, Q2, ())], [])

    assert message["Subject"] == "[tracker] 2026-Q1 -> 2026-Q2: 0 codes (no changes)"
    assert "No changes." in text_part(message)


def test_email_test_message_arrives(smtp_server: SMTPTestServer) -> None:
    settings = settings_for(smtp_server)
    send(build_test_message(settings, now=NOW), settings)

    got = smtp_server.messages[0]
    assert got["Subject"] == "tracker email test"
    assert text_part(got) == (
        "This is a test message from `tracker email-test`.\n"
        f"The [email] settings work: 127.0.0.1:{smtp_server.port} (security none), "
        "from Tracker <tracker@example.org> to compliance@example.org, ops@example.org.\n"
    )


def test_login_uses_the_password_from_the_named_environment_variable() -> None:
    with SMTPTestServer(credentials={"tracker": "s3cret"}) as server:
        settings = settings_for(server, username="tracker", password_env="TRACKER_SMTP_PASSWORD")
        message = build_message(settings, [DIFF], [], now=NOW)
        send(message, settings, environ={"TRACKER_SMTP_PASSWORD": "s3cret"})

        with pytest.raises(SendError) as wrong:
            send(message, settings, environ={"TRACKER_SMTP_PASSWORD": "guess"})
        with pytest.raises(SendError) as unset:
            send(message, settings, environ={})

    assert [r.login for r in server.received] == ["tracker"]
    assert str(wrong.value) == (
        f"email to 127.0.0.1:{server.port} failed: login refused "
        "(535 5.7.8 Authentication credentials invalid); "
        "check [email] username and the password"
    )
    assert str(unset.value) == (
        f"email to 127.0.0.1:{server.port}: environment variable TRACKER_SMTP_PASSWORD "
        "(from [email] password_env) is not set; export it with the SMTP password"
    )


def test_server_down_raises_send_error(smtp_server: SMTPTestServer) -> None:
    settings = settings_for(smtp_server)
    message = build_message(settings, [DIFF], [], now=NOW)
    smtp_server.stop()

    with pytest.raises(SendError) as down:
        send(message, settings)

    assert str(down.value) == (
        f"email to 127.0.0.1:{smtp_server.port} failed: connection refused; "
        "is the SMTP server running on that port?"
    )
    assert smtp_server.received == []


def test_nothing_listening_raises_send_error() -> None:
    port = unused_port()
    settings = replace(SETTINGS, port=port)
    with pytest.raises(SendError, match=rf"^email to 127\.0\.0\.1:{port} failed: connection"):
        send(build_test_message(settings), settings)


def test_starttls_then_login(tls_files: TLSFiles) -> None:
    server = SMTPTestServer(credentials={"tracker": "s3cret"}, starttls=tls_files.server_context())
    with server:
        settings = settings_for(server, security="starttls", username="tracker", password_env="PW")
        send(
            build_message(settings, [DIFF], [("r.csv", CSV)], now=NOW),
            settings,
            environ={"PW": "s3cret"},
            tls_context=tls_files.client_context(),
        )
    [received] = server.received
    assert received.login == "tracker"
    assert_golden("email_sample.txt", text_part(received.message))


def test_starttls_refuses_an_untrusted_certificate(tls_files: TLSFiles) -> None:
    with SMTPTestServer(starttls=tls_files.server_context()) as server:
        settings = settings_for(server, security="starttls")
        with pytest.raises(SendError, match=r"failed: TLS failed \(.*CERTIFICATE_VERIFY_FAILED"):
            send(build_test_message(settings), settings)  # default context: system CAs only
    assert server.received == []


def test_starttls_on_a_server_without_it(smtp_server: SMTPTestServer) -> None:
    settings = settings_for(smtp_server, security="starttls")
    with pytest.raises(SendError) as error:
        send(build_test_message(settings), settings)
    assert str(error.value) == (
        f"email to 127.0.0.1:{smtp_server.port} failed: STARTTLS extension not supported "
        "by server.; check [email] security"
    )


def test_implicit_tls(tls_files: TLSFiles) -> None:
    with SMTPTestServer(implicit_tls=tls_files.server_context()) as server:
        settings = settings_for(server, security="ssl")
        send(build_test_message(settings), settings, tls_context=tls_files.client_context())
    assert [m["Subject"] for m in server.messages] == ["tracker email test"]


class _QuitFails(smtplib.SMTP):
    """Accepts the message, then the connection drops at QUIT."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self.sent: list[EmailMessage] = []

    def send_message(self, msg: Any, *args: Any, **kwargs: Any) -> dict[str, tuple[int, bytes]]:
        self.sent.append(msg)
        return {}

    def quit(self) -> tuple[int, bytes]:
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def test_trouble_after_the_server_accepted_is_not_a_failure() -> None:
    # A SendError here would make the outbox retry, and the team would get the report twice.
    made: list[_QuitFails] = []

    def factory(*args: Any, **kwargs: Any) -> _QuitFails:
        made.append(_QuitFails())
        return made[0]

    message = build_test_message(SETTINGS)
    assert send(message, SETTINGS, smtp_factory=factory) == ()
    assert made[0].sent == [message]
