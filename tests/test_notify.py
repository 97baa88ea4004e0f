"""Change-report email: built from a small invented diff, sent to a real SMTP server."""

from __future__ import annotations

import smtplib
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from email.message import EmailMessage
from typing import Any

import pytest

from tests.smtpserver import SMTPTestServer, TLSFiles, unused_port
from tests.smtpserver import smtp_server as smtp_server  # a fixture
from tests.smtpserver import tls_files as tls_files  # a fixture
from tracker.config import EmailSettings, parse_section
from tracker.notify.message import SendError, build_message, build_test_message, send
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

TEXT = """\
HCPCS 2026-Q1 -> 2026-Q2 (effective 2026-04-01)

  added              1
  deleted            1
  discontinued       1
  reactivated        1
  changed            1

Added
  X9001  Invented supply, each

Deleted
  X9002  Invented service, retired (aged out)

Discontinued
  X9004  Invented kit

Reactivated
  X9005  Invented probe

Changed
  X9003  Invented <widget> & gadget, per unit
      price: 1.00 -> 2.50
      xref: X9001, X9002 -> X9001
      coverage: (blank) -> D
"""


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


def test_report_arrives_with_both_parts_and_the_csv(smtp_server: SMTPTestServer) -> None:
    settings = settings_for(smtp_server)
    message = build_message(settings, [DIFF], [("hcpcs_2026-Q1_2026-Q2.csv", CSV)], now=NOW)

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
    assert got["Message-ID"].endswith("@example.org>")
    assert text_part(got) == TEXT
    assert attachments(got) == [("text/csv", "hcpcs_2026-Q1_2026-Q2.csv", CSV)]


def test_html_part_is_built_from_the_same_diff_and_escaped(smtp_server: SMTPTestServer) -> None:
    settings = settings_for(smtp_server)
    send(build_message(settings, [DIFF], [], now=NOW), settings)

    page = html_part(smtp_server.messages[0])
    assert "Invented &lt;widget&gt; &amp; gadget, per unit" in page
    assert "<widget>" not in page
    assert "<tr><th>discontinued</th><td>1</td></tr>" in page
    assert "<tr><td>X9002</td><td>Invented service, retired (aged out)</td><td></td></tr>" in page
    assert (
        "<ul><li>price: 1.00 -&gt; 2.50</li><li>xref: X9001, X9002 -&gt; X9001</li>"
        "<li>coverage: (blank) -&gt; D</li></ul>"
    ) in page


def test_only_the_first_max_codes_are_listed_then_a_note(smtp_server: SMTPTestServer) -> None:
    settings = settings_for(smtp_server, max_codes=2)
    send(build_message(settings, [DIFF], [("r.csv", CSV)], now=NOW), settings)

    got = smtp_server.messages[0]
    assert text_part(got).split("\n\n", 2)[2] == (
        "Added\n"
        "  X9001  Invented supply, each\n"
        "\n"
        "Deleted\n"
        "  X9002  Invented service, retired (aged out)\n"
        "\n"
        "... and 3 more codes: see the attached CSV\n"
    )
    assert "<p>... and 3 more codes: see the attached CSV</p>" in html_part(got)


def test_truncation_note_without_attachment_does_not_promise_one() -> None:
    settings = replace(SETTINGS, max_codes=4)
    message = build_message(settings, [DIFF], [], now=NOW)
    assert text_part(message).endswith("\n... and 1 more code\n")


def test_max_codes_is_a_budget_for_the_whole_email_and_notes_come_first() -> None:
    second = Diff(Q2, Q3, (Change("X9006", "added", "A", "Invented pad"),))
    settings = replace(SETTINGS, max_codes=5)
    message = build_message(settings, [DIFF, second], [], notes=["CPT 2027 files are due"])

    assert message["Subject"] == (
        "HCPCS changes: 2026-Q1 -> 2026-Q2, 2026-Q2 -> 2026-Q3 "
        "(2 added, 1 deleted, 1 discontinued, 1 reactivated, 1 changed)"
    )
    text = text_part(message)
    assert text.startswith("Notes:\n- CPT 2027 files are due\n\nHCPCS 2026-Q1 -> 2026-Q2")
    assert text.endswith(
        "HCPCS 2026-Q2 -> 2026-Q3 (effective 2026-07-01)\n"
        "\n"
        "  added              1\n"
        "  deleted            0\n"
        "  discontinued       0\n"
        "  reactivated        0\n"
        "  changed            0\n"
        "\n"
        "... and 1 more code\n"
    )
    assert "<li>CPT 2027 files are due</li>" in html_part(message)


def test_subject_template_and_an_empty_diff() -> None:
    settings = replace(SETTINGS, subject="[tracker] {releases}: {total} codes ({counts})")
    message = build_message(settings, [Diff(Q1, Q2, ())], [])

    assert message["Subject"] == "[tracker] 2026-Q1 -> 2026-Q2: 0 codes (no changes)"
    assert text_part(message) == (
        "HCPCS 2026-Q1 -> 2026-Q2 (effective 2026-04-01)\n"
        "\n"
        "  added              0\n"
        "  deleted            0\n"
        "  discontinued       0\n"
        "  reactivated        0\n"
        "  changed            0\n"
        "\n"
        "No changes.\n"
    )


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
    assert text_part(received.message) == TEXT


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
