"""Change-report emails: message building (pure) and SMTP sending (the edge).

``build_message`` turns diffs into one email (plain text and HTML from the same digest,
``tracker.report.html``, reports attached); ``send`` hands a built message to an SMTP server.
The caller stores the message (an outbox) before calling ``send``, so a ``SendError`` never
loses a report.
"""

from __future__ import annotations

import hashlib
import logging
import os
import smtplib
import ssl
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import PurePosixPath

from tracker.config import EmailSettings
from tracker.diff import CATEGORIES
from tracker.errors import TrackerError
from tracker.records import Change, Diff, Impact
from tracker.report.html import render_email_text, render_html

log = logging.getLogger(__name__)

_REASONS = {"aged_out": "aged out", "removed": "removed"}


class SendError(TrackerError):
    """The SMTP server could not be reached or refused the message; retry on the next run."""


# --- building (pure) -------------------------------------------------------------------------


# What each attachment is, by the report file's suffix.
_MIME = {
    ".csv": ("text", "csv"),
    ".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def build_message(
    settings: EmailSettings,
    diffs: Sequence[Diff],
    attachments: Sequence[tuple[str, bytes]],
    *,
    notes: Sequence[str] = (),
    impacts: Sequence[Impact] = (),
    now: datetime | None = None,
    key: str | None = None,
) -> EmailMessage:
    """One change-report email for ``diffs``, led by what needs action (the watchlist impact,
    removed codes, discontinued codes with their successors, ...), each section capped at
    ``[email] max_codes``; the text and HTML parts carry the same content (tracker.report.
    digest). ``key``, the outbox key it is queued under, makes its Message-ID."""
    more = "in the attachment" if attachments else ""
    cap = settings.max_codes
    message = _envelope(settings, subject_for(settings, diffs), now, key)
    message.set_content(
        render_email_text(diffs, impacts=impacts, max_codes=cap, more_note=more, notes=notes)
    )
    message.add_alternative(
        render_html(diffs, impacts=impacts, max_codes=cap, more_note=more, notes=notes),
        subtype="html",
    )
    for filename, content in attachments:
        maintype, subtype = _MIME[PurePosixPath(filename).suffix]
        params = {"charset": "utf-8"} if maintype == "text" else {}
        message.add_attachment(
            content, maintype=maintype, subtype=subtype, filename=filename, params=params
        )
    return message


def build_test_message(settings: EmailSettings, *, now: datetime | None = None) -> EmailMessage:
    """The message ``tracker email-test`` sends to check the ``[email]`` settings."""
    message = _envelope(settings, "tracker email test", now)
    message.set_content(
        "This is a test message from `tracker email-test`.\n"
        f"The [email] settings work: {settings.host}:{settings.port} "
        f"(security {settings.security}), from {settings.sender} "
        f"to {', '.join(settings.recipients)}.\n"
    )
    return message


def subject_for(settings: EmailSettings, diffs: Sequence[Diff]) -> str:
    """The subject: the template filled with the release pair(s) and the counts."""
    releases = ", ".join(f"{d.old.label} -> {d.new.label}" for d in diffs) or "no releases"
    totals = _counts(change for d in diffs for change in d.changes)
    counts = ", ".join(f"{n} {category}" for category, n in totals if n) or "no changes"
    subject = settings.subject.format(
        releases=releases, counts=counts, total=sum(n for _, n in totals)
    )
    # Labels come from CMS file names; a stray newline must not end up in a header.
    return " ".join(subject.split())


def _counts(changes: Iterable[Change]) -> tuple[tuple[str, int], ...]:
    # Counted from the changes themselves so the counts always match the codes listed.
    tally = dict.fromkeys(CATEGORIES, 0)
    for change in changes:
        tally[change.category] = tally.get(change.category, 0) + 1
    return tuple(tally.items())


def message_id(key: str, sender: str) -> str:
    """The Message-ID of the email queued under outbox ``key``: ``<sha256(key)[:32]@domain>``,
    the domain the sender's. The same email always has the same one: a resend (the process died
    after the server accepted it, before the outbox marked it sent) is a duplicate that mail
    clients show once."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{_domain(sender)}>"


def _envelope(
    settings: EmailSettings, subject: str, now: datetime | None, key: str | None = None
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.recipients)
    message["Date"] = format_datetime(now or datetime.now().astimezone())
    # Without a key (`tracker email-test`), a fresh one: each test message is its own.
    message["Message-ID"] = (
        message_id(key, settings.sender)
        if key is not None
        else make_msgid("tracker", domain=_domain(settings.sender))
    )
    return message


def _domain(sender: str) -> str:
    # A domain from the sender: make_msgid() would otherwise resolve this host's FQDN (slow
    # or wrong on servers without DNS).
    return parseaddr(sender)[1].rpartition("@")[2] or "tracker.invalid"


# --- sending (the edge) ----------------------------------------------------------------------


def send(
    message: EmailMessage,
    settings: EmailSettings,
    *,
    smtp_factory: Callable[..., smtplib.SMTP] = smtplib.SMTP,
    smtp_ssl_factory: Callable[..., smtplib.SMTP] = smtplib.SMTP_SSL,
    environ: Mapping[str, str] = os.environ,
    tls_context: ssl.SSLContext | None = None,
) -> tuple[str, ...]:
    """Send one message; return the recipients the server refused (empty when all accepted).

    Raises SendError when nothing was sent: the caller keeps the message for the next run.
    Once the server has accepted the message, later trouble (QUIT) is only logged, so a
    retry never sends it twice.
    """
    where = f"{settings.host}:{settings.port}"
    password = _password(settings, environ, where)
    context = tls_context or ssl.create_default_context()
    try:
        if settings.security == "ssl":
            smtp = smtp_ssl_factory(
                settings.host, settings.port, timeout=settings.timeout, context=context
            )
        else:
            smtp = smtp_factory(settings.host, settings.port, timeout=settings.timeout)
    except (smtplib.SMTPException, OSError) as exc:
        raise _send_error(where, exc) from exc
    try:
        try:
            if settings.security == "starttls":
                smtp.starttls(context=context)
            if settings.username is not None and password is not None:
                smtp.login(settings.username, password)
            refused = smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise _send_error(where, exc) from exc
    finally:
        _quit(smtp)
    if refused:
        log.warning("email to %s: recipients refused: %s", where, ", ".join(sorted(refused)))
    return tuple(sorted(refused))


def _password(settings: EmailSettings, environ: Mapping[str, str], where: str) -> str | None:
    if settings.password_env is None:
        return None
    password = environ.get(settings.password_env)
    if not password:
        raise SendError(
            f"email to {where}: environment variable {settings.password_env} "
            "(from [email] password_env) is not set; export it with the SMTP password"
        )
    return password


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _send_error(where: str, exc: BaseException) -> SendError:
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        problem = f"{exc}; check [email] security"
    elif isinstance(exc, smtplib.SMTPAuthenticationError):
        problem = f"login refused ({_reply(exc)}); check [email] username and the password"
    elif isinstance(exc, smtplib.SMTPRecipientsRefused):
        problem = f"all recipients refused ({', '.join(sorted(exc.recipients))})"
    elif isinstance(exc, smtplib.SMTPResponseException):
        problem = f"server said {_reply(exc)}"
    elif isinstance(exc, ssl.SSLError | ssl.CertificateError):
        problem = f"TLS failed ({exc}); check [email] security and port"
    elif isinstance(exc, TimeoutError):
        problem = "timed out; check [email] host, port and timeout"
    elif isinstance(exc, ConnectionRefusedError):
        problem = "connection refused; is the SMTP server running on that port?"
    else:
        problem = str(exc) or type(exc).__name__
    return SendError(" ".join(f"email to {where} failed: {problem}".split()))


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error
    return f"{exc.smtp_code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
