"""`tracker check` end to end: a real HTTP server on 127.0.0.1 serving a hand-written CMS-style
listing page and ZIPs built here, and a real SMTP server for the report email."""

from __future__ import annotations

import io
import json
import os
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.golden import valid_diff_json
from tests.httpserver import LocalSite
from tests.smtpserver import SMTPTestServer, unused_port
from tracker.cli import main
from tracker.run.demo import sample_paths

ZIPS = {
    "/files/zip/2025-alpha-numeric-hcpcs-file.zip": ("2025 Alpha-Numeric HCPCS File", 0),
    "/files/zip/april-2025-alpha-numeric-hcpcs-file.zip": (
        "April 2025 Alpha-Numeric HCPCS File",
        1,
    ),
    "/files/zip/july-2025-alpha-numeric-hcpcs-files.zip": (
        "July 2025 Alpha-Numeric HCPCS Files - Updated 07/10/2025",
        2,
    ),
}


def release_zip(index: int, *, patch: bytes = b"") -> bytes:
    path = sample_paths()[index]
    data = path.read_bytes()
    if patch:
        data = data.replace(b"Sample catheter, each", patch)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(path.name, data)
        archive.writestr("proc_notes.txt", b"notes")
    return buffer.getvalue()


def listing_page() -> str:
    items = "\n".join(
        f'<li><p><a data-entity-type="media" href="{path}" title="{title}">'
        f"{title} (ZIP)</a></p></li>"
        for path, (title, _) in reversed(ZIPS.items())
    )
    return f"<html><body><h1><span>Quarterly Update</span></h1><ul>{items}</ul></body></html>"


@pytest.fixture
def site() -> Iterator[LocalSite]:
    with LocalSite() as s:
        s.put("/list", listing_page(), content_type="text/html")
        for path, (_, index) in ZIPS.items():
            s.put(path, release_zip(index))
        yield s


@pytest.fixture
def smtp() -> Iterator[SMTPTestServer]:
    with SMTPTestServer() as server:
        yield server


def write_config(
    tmp_path: Path, site: LocalSite, smtp_port: int, since: str = "2025-01-01"
) -> Path:
    config = tmp_path / "tracker.toml"
    config.write_text(
        f"""
[store]
data_dir = "{tmp_path / "data"}"

[guard]
min_codes = 1
max_drop_percent = 50

[source]
listing_urls = ["{site.url("/list")}"]
backoff_seconds = 0

[reports]
directory = "{tmp_path / "reports"}"
report_since = {since}

[email]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
sender = "tracker@example.org"
recipients = ["compliance@example.org"]
"""
    )
    return config


def check(capsys: pytest.CaptureFixture[str], config: Path) -> tuple[int, str]:
    code = main(["--config", str(config), "check"])
    out, _ = capsys.readouterr()
    return code, out


def runs(capsys: pytest.CaptureFixture[str], config: Path) -> list[dict[str, object]]:
    main(["--config", str(config), "runs", "--json"])
    result: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return result


def test_first_run_second_run_and_a_repost(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, site: LocalSite, smtp: SMTPTestServer
) -> None:
    config = write_config(tmp_path, site, smtp.port)
    reports = tmp_path / "reports"

    code, out = check(capsys, config)
    assert (code, out) == (
        0,
        "Checked 3 release file(s); downloaded 3.\n"
        "imported 2025 (2025-alpha-numeric-hcpcs-file.zip:HCPC2025_ANWEB_SAMPLE.txt): 8 codes\n"
        "imported 2025-Q2 (april-2025-alpha-numeric-hcpcs-file.zip:HCPC2025_APR_ANWEB_SAMPLE.txt): "
        "7 codes\n"
        "imported 2025-Q3 (july-2025-alpha-numeric-hcpcs-files.zip:HCPC2025_JUL_ANWEB_SAMPLE.txt): "
        "8 codes\n"
        "2025 -> 2025-Q2: 1 added, 2 deleted, 1 discontinued, 1 reactivated, 1 changed\n"
        "2025-Q2 -> 2025-Q3: 1 added, 0 deleted, 0 discontinued, 0 reactivated, 2 changed\n"
        + "".join(
            f"report: {reports / f'HCPCS_{pair}{suffix}'}\n"
            for pair in ("2025_to_2025-Q2", "2025-Q2_to_2025-Q3")
            for suffix in (".csv", ".json", ".xlsx", ".html")
        )
        + "emails sent: 2\n",
    )
    # One email per release pair, each with its own workbook attached ([email] attach).
    assert [m["Subject"] for m in smtp.messages] == [
        "HCPCS changes: 2025 -> 2025-Q2 (1 added, 2 deleted, 1 discontinued, 1 reactivated, "
        "1 changed)",
        "HCPCS changes: 2025-Q2 -> 2025-Q3 (1 added, 2 changed)",
    ]
    attachments = [
        {a.get_filename(): a.get_payload(decode=True) for a in m.iter_attachments()}
        for m in smtp.messages
    ]
    assert attachments == [
        {name: (reports / name).read_bytes()}
        for name in ("HCPCS_2025_to_2025-Q2.xlsx", "HCPCS_2025-Q2_to_2025-Q3.xlsx")
    ]
    raw = sorted(p.name for p in (tmp_path / "data" / "raw").iterdir())
    assert len(raw) == 3 and all(len(name) == 64 + 4 for name in raw)
    for report in reports.glob("*.json"):
        valid_diff_json(report.read_text())  # the JSON reports match the shipped schema
    report_times = {p: p.stat().st_mtime_ns for p in reports.iterdir()}

    # Second run: every ZIP answers 304, nothing is imported, reported or emailed.
    before = len(site.requests)
    code, out = check(capsys, config)
    assert (code, out) == (
        0,
        "Checked 3 release file(s); downloaded 0.\n"
        "Nothing new: nothing imported, no report written.\n",
    )
    zip_requests = [r for r in site.requests[before:] if r[1].endswith(".zip")]
    assert len(zip_requests) == 3
    assert all("if-none-match" in headers for _, _, headers in zip_requests)
    assert {p: p.stat().st_mtime_ns for p in reports.iterdir()} == report_times
    assert len(smtp.messages) == 2

    # CMS re-posts July at the same URL with a correction: a revision with its own diff.
    site.put(
        "/files/zip/july-2025-alpha-numeric-hcpcs-files.zip",
        release_zip(2, patch=b"Sample catheter, each!"),
    )
    code, out = check(capsys, config)
    assert code == 0
    assert out.splitlines()[1:3] == [
        "imported 2025-Q3.2 "
        "(july-2025-alpha-numeric-hcpcs-files.zip:HCPC2025_JUL_ANWEB_SAMPLE.txt): 8 codes",
        "2025-Q3 -> 2025-Q3.2: 0 added, 0 deleted, 0 discontinued, 0 reactivated, 1 changed",
    ]
    assert len(smtp.messages) == 3
    assert smtp.messages[2]["Subject"] == "HCPCS changes: 2025-Q3 -> 2025-Q3.2 (1 changed)"

    ledger = runs(capsys, config)
    assert [(r["outcome"], r["imported"], len(r["reports"]), r["emails_sent"]) for r in ledger] == [  # type: ignore[arg-type]
        ("ok", ["2025-Q3.2"], 4, 1),
        ("ok", [], 0, 0),
        ("ok", ["2025", "2025-Q2", "2025-Q3"], 8, 2),
    ]


def test_report_since_keeps_a_first_run_quiet(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, site: LocalSite, smtp: SMTPTestServer
) -> None:
    config = write_config(tmp_path, site, smtp.port, since="2025-07-01")
    code, out = check(capsys, config)
    assert code == 0
    assert (
        "not reported (effective before report_since): 2025 -> 2025-Q2: 1 added, 2 deleted, "
        "1 discontinued, 1 reactivated, 1 changed"
    ) in out.splitlines()
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [
        f"HCPCS_2025-Q2_to_2025-Q3.{suffix}" for suffix in ("csv", "html", "json", "xlsx")
    ]


def test_smtp_down_keeps_the_email_and_the_next_run_sends_it_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, site: LocalSite
) -> None:
    config = write_config(tmp_path, site, unused_port())
    code, out = check(capsys, config)  # nothing listens on that port: connection refused
    assert code == 1
    assert out.splitlines()[-1].startswith(
        "FAILED: email 'HCPCS changes: 2025-Q2 -> 2025-Q3 (1 added, 2 changed)' stays in the "
        "outbox: email to "
    )
    main(["--config", str(config), "status"])
    status = capsys.readouterr().out
    assert status.startswith("FAIL: no run has succeeded yet\nFAIL: the last run failed: ")
    assert "2 email(s) waiting in the outbox" in status
    with SMTPTestServer() as server:
        write_config(tmp_path, site, server.port)
        code, out = check(capsys, config)
        assert (code, out.splitlines()[-1]) == (0, "emails sent: 2")
        code, out = check(capsys, config)
        assert (code, out.splitlines()[-1]) == (
            0,
            "Nothing new: nothing imported, no report written.",
        )
        assert [m["Subject"] for m in server.messages] == [
            "HCPCS changes: 2025 -> 2025-Q2 (1 added, 2 deleted, 1 discontinued, 1 reactivated, "
            "1 changed)",
            "HCPCS changes: 2025-Q2 -> 2025-Q3 (1 added, 2 changed)",
        ]
    assert main(["--config", str(config), "status"]) == 0
    assert capsys.readouterr().out.startswith("OK\n")


def test_a_broken_release_does_not_stop_the_others(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, site: LocalSite, smtp: SMTPTestServer
) -> None:
    april = "/files/zip/april-2025-alpha-numeric-hcpcs-file.zip"
    site.put(
        april, "<!DOCTYPE html><html><title>Page Not Found</title></html>", content_type="text/html"
    )
    config = write_config(tmp_path, site, smtp.port)
    code, out = check(capsys, config)
    assert code == 1
    lines = out.splitlines()
    assert lines[1:3] == [
        "imported 2025 (2025-alpha-numeric-hcpcs-file.zip:HCPC2025_ANWEB_SAMPLE.txt): 8 codes",
        "imported 2025-Q3 (july-2025-alpha-numeric-hcpcs-files.zip:HCPC2025_JUL_ANWEB_SAMPLE.txt): "
        "8 codes",
    ]
    assert lines[-2] == (
        f"FAILED: {site.url(april)}: is an HTML page, "
        "not a ZIP (CMS answers a wrong URL with a Page Not Found page)"
    )


def test_a_changed_listing_page_is_an_error_not_no_releases(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, site: LocalSite, smtp: SMTPTestServer
) -> None:
    site.put(
        "/list",
        "<html><body><p>We moved things around.</p></body></html>",
        content_type="text/html",
    )
    config = write_config(tmp_path, site, smtp.port)
    code, out = check(capsys, config)
    assert code == 1
    assert out.splitlines()[-1].startswith(f"FAILED: {site.url('/list')}: no HCPCS release link")


def test_a_second_check_on_the_same_database_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, site: LocalSite, smtp: SMTPTestServer
) -> None:
    import socket
    from datetime import UTC, datetime

    from tracker.run.lock import hold, lock_for

    config = write_config(tmp_path, site, smtp.port)
    db = f"sqlite:///{tmp_path / 'data' / 'tracker.db'}"
    since = datetime(2026, 4, 2, 6, 15, tzinfo=UTC)
    with hold(lock_for(db, tmp_path / "data"), "check", now=lambda: since):
        code = main(["--config", str(config), "check"])
        out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err == (
        f"tracker: error: another check (host {socket.gethostname()}, pid {os.getpid()}, since "
        f"2026-04-02T06:15:00+00:00) holds the database {db}; try again later or pass --wait "
        "SECONDS\n"
    )
    # Refused before anything was written: the database was not even created.
    assert main(["--config", str(config), "runs"]) == 1
    assert capsys.readouterr().err == f"tracker: error: database not found: {db}\n"


def test_a_run_that_stops_before_reporting_is_reported_by_the_next(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, site: LocalSite, smtp: SMTPTestServer
) -> None:
    config = write_config(tmp_path, site, smtp.port)
    (tmp_path / "reports").write_text("a file where the reports folder should be")
    code = main(["--config", str(config), "check"])
    _, err = capsys.readouterr()
    assert code == 1
    assert err.splitlines()[-1] == (
        f"tracker: error: {tmp_path / 'reports'}: cannot write reports (File exists)"
    )
    assert smtp.messages == []
    (tmp_path / "reports").unlink()
    code, out = check(capsys, config)  # nothing new to download, but the reports are owed
    assert code == 0
    assert out.splitlines()[:3] == [
        "Checked 3 release file(s); downloaded 0.",
        "2025 -> 2025-Q2: 1 added, 2 deleted, 1 discontinued, 1 reactivated, 1 changed",
        "2025-Q2 -> 2025-Q3: 1 added, 0 deleted, 0 discontinued, 0 reactivated, 2 changed",
    ]
    assert len(smtp.messages) == 2  # one per release pair
    assert check(capsys, config)[1].endswith("Nothing new: nothing imported, no report written.\n")
    assert [r["outcome"] for r in runs(capsys, config)] == ["ok", "ok", "failed"]


def test_a_drop_folder_is_a_source_and_fresh_files_wait(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, smtp: SMTPTestServer
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    names = ["2025-alpha-numeric-hcpcs-file.zip", "april-2025-alpha-numeric-hcpcs-file.zip",
             "july-2025-alpha-numeric-hcpcs-file.zip"]  # fmt: skip
    for index, name in enumerate(names):
        (drop / name).write_bytes(release_zip(index))
    old = time.time() - 3600
    for name in names[:2]:
        os.utime(drop / name, (old, old))  # July was dropped a moment ago: maybe still copying
    config = tmp_path / "tracker.toml"
    config.write_text(
        f'[store]\ndata_dir = "{tmp_path / "data"}"\n'
        "[guard]\nmin_codes = 1\nmax_drop_percent = 50\n"
        f'[source]\nlisting_urls = []\ndirectory = "{drop}"\n'
        f'[reports]\ndirectory = "{tmp_path / "reports"}"\nreport_since = 2025-01-01\n'
    )
    code, out = check(capsys, config)
    assert code == 0
    assert out.splitlines()[:3] == [
        "Checked 3 release file(s); downloaded 0.",
        "imported 2025 (2025-alpha-numeric-hcpcs-file.zip:HCPC2025_ANWEB_SAMPLE.txt): 8 codes",
        "imported 2025-Q2 (april-2025-alpha-numeric-hcpcs-file.zip:HCPC2025_APR_ANWEB_SAMPLE.txt): "
        "7 codes",
    ]
    os.utime(drop / names[2], (old, old))
    code, out = check(capsys, config)
    assert out.splitlines()[1].startswith(
        "imported 2025-Q3 (july-2025-alpha-numeric-hcpcs-file.zip"
    )
