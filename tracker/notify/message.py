"""Change-report emails: message building (pure) and SMTP sending (the edge).

``build_message`` turns diffs into one email (plain text and HTML from the same structured
sections, CSV reports attached); ``send`` hands a built message to an SMTP server. The caller
stores the message (an outbox) before calling ``send``, so a ``SendError`` never loses a report.
"""

from __future__ import annotations

import html
import logging
import os
import smtplib
import ssl
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from tracker.config import EmailSettings
from tracker.diff import CATEGORIES
from tracker.errors import TrackerError
from tracker.records import Change, Diff, Value

log = logging.getLogger(__name__)

_REASONS = {"aged_out": "aged out", "removed": "removed"}


class SendError(TrackerError):
    """The SMTP server could not be reached or refused the message; retry on the next run."""


# --- building (pure) -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Section:
    """One release pair as the email shows it; both the text and HTML parts render these."""

    title: str  # "HCPCS 2026-Q1 -> 2026-Q2 (effective 2026-04-01)"
    counts: tuple[tuple[str, int], ...]  # every category, in CATEGORIES order
    shown: tuple[Change, ...]  # in category order, at most the remaining max_codes
    omitted: int


def build_message(
    settings: EmailSettings,
    diffs: Sequence[Diff],
    attachments: Sequence[tuple[str, bytes]],
    *,
    notes: Sequence[str] = (),
    now: datetime | None = None,
) -> EmailMessage:
    """One change-report email for the diffs of one check, with the CSV reports attached."""
    sections = _sections(diffs, settings.max_codes)
    more = "see the attached CSV" if attachments else ""
    message = _envelope(settings, subject_for(settings, diffs), now)
    message.set_content(_render_text(sections, notes, more))
    message.add_alternative(_render_html(sections, notes, more), subtype="html")
    for filename, content in attachments:
        message.add_attachment(
            content, maintype="text", subtype="csv", filename=filename, params={"charset": "utf-8"}
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


def _render_text(sections: Sequence[_Section], notes: Sequence[str], more: str) -> str:
    lines: list[str] = []
    if notes:
        lines += ["Notes:", *(f"- {note}" for note in notes), ""]
    for section in sections:
        lines += [section.title, ""]
        width = max(len(category) for category in CATEGORIES)
        lines += [f"  {category:<{width}}  {n:>6}" for category, n in section.counts]
        lines.append("")
        if not any(n for _, n in section.counts):
            lines += ["No changes.", ""]
            continue
        for category, changes in _by_category(section.shown):
            lines.append(category.capitalize())
            for change in changes:
                lines.append(f"  {change.code}  {change.description}{_reason(change)}")
                lines += [
                    f"      {fc.field}: {_show(fc.old)} -> {_show(fc.new)}" for fc in change.fields
                ]
            lines.append("")
        if section.omitted:
            lines += [_omitted(section.omitted, more), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _render_html(sections: Sequence[_Section], notes: Sequence[str], more: str) -> str:
    e = html.escape
    out = ["<!DOCTYPE html>", '<html><head><meta charset="utf-8"></head><body>']
    if notes:
        out.append("<p><strong>Notes:</strong></p><ul>")
        out += [f"<li>{e(note)}</li>" for note in notes]
        out.append("</ul>")
    for section in sections:
        out.append(f"<h2>{e(section.title)}</h2>")
        out.append('<table border="1" cellpadding="4" cellspacing="0">')
        out += [f"<tr><th>{e(c)}</th><td>{n}</td></tr>" for c, n in section.counts]
        out.append("</table>")
        if not any(n for _, n in section.counts):
            out.append("<p>No changes.</p>")
            continue
        for category, changes in _by_category(section.shown):
            out.append(f"<h3>{e(category.capitalize())}</h3>")
            out.append('<table border="1" cellpadding="4" cellspacing="0">')
            out.append("<tr><th>Code</th><th>Description</th><th>Fields</th></tr>")
            for change in changes:
                fields = "".join(
                    f"<li>{e(fc.field)}: {e(_show(fc.old))} -&gt; {e(_show(fc.new))}</li>"
                    for fc in change.fields
                )
                out.append(
                    f"<tr><td>{e(change.code)}</td>"
                    f"<td>{e(change.description)}{e(_reason(change))}</td>"
                    f"<td>{f'<ul>{fields}</ul>' if fields else ''}</td></tr>"
                )
            out.append("</table>")
        if section.omitted:
            out.append(f"<p>{e(_omitted(section.omitted, more))}</p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _sections(diffs: Sequence[Diff], max_codes: int) -> list[_Section]:
    """Sections for each diff; ``max_codes`` is a budget for the whole email, not per pair."""
    budget = max_codes
    sections = []
    for diff in diffs:
        ordered = sorted(diff.changes, key=lambda c: _order(c.category))
        shown = tuple(ordered[:budget])
        budget -= len(shown)
        title = (
            f"{diff.new.code_set} {diff.old.label} -> {diff.new.label} "
            f"(effective {diff.new.effective.isoformat()})"
        )
        sections.append(_Section(title, _counts(ordered), shown, len(ordered) - len(shown)))
    return sections


def _counts(changes: Iterable[Change]) -> tuple[tuple[str, int], ...]:
    # Counted from the changes themselves so the counts always match the codes listed.
    tally = dict.fromkeys(CATEGORIES, 0)
    for change in changes:
        tally[change.category] = tally.get(change.category, 0) + 1
    return tuple(tally.items())


def _order(category: str) -> int:
    return CATEGORIES.index(category) if category in CATEGORIES else len(CATEGORIES)


def _by_category(changes: Sequence[Change]) -> list[tuple[str, list[Change]]]:
    groups: dict[str, list[Change]] = {}
    for change in changes:
        groups.setdefault(change.category, []).append(change)
    return list(groups.items())


def _reason(change: Change) -> str:
    if change.category != "deleted" or not change.reason:
        return ""
    return f" ({_REASONS.get(change.reason, change.reason)})"


def _show(value: Value) -> str:
    if isinstance(value, tuple):
        # CMS pads repeated fields (PRICE1..4, XREF1..5) with blanks; trailing ones are noise.
        items = list(value)
        while items and not items[-1]:
            items.pop()
        value = ", ".join(items)
    return value if value else "(blank)"


def _omitted(count: int, more: str) -> str:
    noun = "code" if count == 1 else "codes"
    return f"... and {count} more {noun}: {more}" if more else f"... and {count} more {noun}"


def _envelope(settings: EmailSettings, subject: str, now: datetime | None) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.recipients)
    message["Date"] = format_datetime(now or datetime.now().astimezone())
    # A domain from the sender: make_msgid() would otherwise resolve this host's FQDN (slow
    # or wrong on servers without DNS). The Message-ID lets recipients spot a duplicate.
    domain = parseaddr(settings.sender)[1].rpartition("@")[2] or "tracker.invalid"
    message["Message-ID"] = make_msgid("tracker", domain=domain)
    return message


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
