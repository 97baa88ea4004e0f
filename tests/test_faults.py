"""Reports exactly once (issue 12): kill -9 a `tracker check` at each step, then let it finish.

Each test runs `python -m tracker check` as a child process against real servers on loopback:
the HTTP test server (listing page and ZIPs), the SMTP test server, and the database (SQLite,
and PostgreSQL when TRACKER_TEST_PG_URL names a server). The child dies by SIGKILL at one point:

- at a named point of the check, through the test-only hook ``tracker.run.fault`` (the child
  reads TRACKER_FAULT_POINT and kills itself there): deterministic, no timing involved;
- during a download (the HTTP server stalls before the body) or while sending (the SMTP server
  has recorded the message and holds its reply to DATA): the test kills the child once the
  server has seen it get there.

Then a new release is posted (the case of issue 12: the first report went out twice) and the
check runs again, without a fault, to the end. Afterwards every release is imported once, every
report file is written once (the same inode and mtime since it first appeared, and the bytes a
diff of the stored releases gives), and every release pair's email is delivered with one
Message-ID (delivered twice only when the kill fell between the server accepting it and the
outbox marking it sent: then both copies carry the same Message-ID).
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from tests.httpserver import LocalSite
from tests.smtpserver import SMTPTestServer
from tests.test_check import ZIPS, release_zip
from tracker.cli import main
from tracker.query import stored_diff
from tracker.records import HCPCS, ParsedRelease, Record
from tracker.report.publish import SUFFIXES, write_reports
from tracker.run.fault import FAULT_ENV, fault_from_env, no_fault
from tracker.run.ingest import Storing, store_one
from tracker.store import Store

JANUARY, APRIL, JULY = ZIPS  # the ZIPs' paths on the test site
PAIRS = ("HCPCS_2025_to_2025-Q2", "HCPCS_2025-Q2_to_2025-Q3")
SENDER_DOMAIN = "example.org"


@dataclass(frozen=True)
class Kill:
    """Where the first check dies, and what it has done by then."""

    point: str  # a fault point of ``tracker.run.fault``, or "download" / "sending" (external)
    imported: tuple[str, ...]  # the releases it committed
    reported: bool  # it wrote the first pair's reports
    delivered: int  # emails the SMTP server has when everything is done


KILLS = [
    Kill("download", (), False, 2),
    Kill("stored:2025", ("2025",), False, 2),
    Kill("imported", ("2025", "2025-Q2"), False, 2),
    Kill("reported", ("2025", "2025-Q2"), True, 2),
    Kill("queued", ("2025", "2025-Q2"), True, 2),
    Kill("sending", ("2025", "2025-Q2"), True, 3),  # accepted, the client never heard
    Kill("sent", ("2025", "2025-Q2"), True, 3),  # accepted, not marked sent
]


class Rig:
    """The servers, the config and the database of one test; runs `tracker check` children."""

    def __init__(self, tmp_path: Path, db_url: str, site: LocalSite, smtp: SMTPTestServer):
        self.tmp, self.db_url, self.site, self.smtp = tmp_path, db_url, site, smtp
        self.reports = tmp_path / "reports"
        self.config = tmp_path / "tracker.toml"
        self.config.write_text(
            f'[store]\ndata_dir = "{tmp_path / "data"}"\n'
            "[guard]\nmin_codes = 1\nmax_drop_percent = 50\n"
            f'[source]\nlisting_urls = ["{site.url("/list")}"]\nbackoff_seconds = 0\n'
            f'[reports]\ndirectory = "{self.reports}"\nreport_since = 2025-01-01\n'
            f'[email]\nhost = "127.0.0.1"\nport = {smtp.port}\nsecurity = "none"\n'
            f'sender = "tracker@{SENDER_DOMAIN}"\nrecipients = ["compliance@example.org"]\n'
        )

    def post(self, *paths: str, stall: str = "") -> None:
        """List these release ZIPs on the page; ``stall``'s body waits 30 s after its headers."""
        items = "".join(
            f'<li><a href="{p}" title="{ZIPS[p][0]}">{ZIPS[p][0]} (ZIP)</a></li>' for p in paths
        )
        self.site.put(
            "/list", f"<html><body><ul>{items}</ul></body></html>", content_type="text/html"
        )
        for path in paths:
            self.site.put(path, release_zip(ZIPS[path][1]), stall_body=30 if path == stall else 0)

    def start(self, fault: str = "") -> subprocess.Popen[bytes]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
        if fault:
            env[FAULT_ENV] = fault
        return subprocess.Popen(
            [sys.executable, "-m", "tracker", "--config", str(self.config),
             "--db", self.db_url, "check"],
            cwd=self.tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip

    def check(self, fault: str) -> tuple[int, str]:
        """Run a check that kills itself at ``fault``: its exit status and output."""
        return _ended(self.start(fault))

    def kill_when(
        self, child: subprocess.Popen[bytes], there: Callable[[], bool]
    ) -> tuple[int, str]:
        """SIGKILL the child once ``there()`` holds (what a server saw it do)."""
        deadline = time.monotonic() + 20
        while not there():
            assert child.poll() is None, _ended(child)
            assert time.monotonic() < deadline, "the child never got there"
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
        return _ended(child)

    def report_files(self) -> dict[str, tuple[int, int]]:
        """Every file in the reports folder: (inode, mtime); a rewrite changes both."""
        if not self.reports.is_dir():
            return {}
        return {
            p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in sorted(self.reports.iterdir())
        }


def _ended(child: subprocess.Popen[bytes]) -> tuple[int, str]:
    out, err = child.communicate(timeout=60)
    return child.returncode, (out + err).decode()


@pytest.fixture
def rig(tmp_path: Path, db_url: str) -> Iterator[Rig]:
    with LocalSite() as site, SMTPTestServer() as smtp:
        yield Rig(tmp_path, db_url, site, smtp)


def message_id(pair: str) -> str:
    digest = hashlib.sha256(f"report:{pair}".encode()).hexdigest()[:32]
    return f"<{digest}@{SENDER_DOMAIN}>"


def first_check_dies(rig: Rig, kill: Kill) -> tuple[int, str]:
    """Run a check on January and April that dies at ``kill.point``: its status and output."""
    rig.post(JANUARY, APRIL, stall=APRIL if kill.point == "download" else "")
    if kill.point == "download":
        child = rig.start()
        # April's headers are in (its temporary file is open), its body is not: mid-download.
        raw = rig.tmp / "data" / "raw"
        return rig.kill_when(
            child,
            lambda: (
                any(p == APRIL for _, p, _ in rig.site.requests)
                and any(raw.glob(".download-*.part"))
            ),
        )
    if kill.point == "sending":
        rig.smtp.hold_reply = 30
        child = rig.start()
        ended = rig.kill_when(child, lambda: len(rig.smtp.received) == 1)
        rig.smtp.hold_reply = 0
        return ended
    return rig.check(fault=kill.point)


@pytest.mark.parametrize("kill", KILLS, ids=[k.point for k in KILLS])
def test_a_check_killed_anywhere_reports_each_release_pair_once(
    rig: Rig, kill: Kill, capsys: pytest.CaptureFixture[str]
) -> None:
    status, output = first_check_dies(rig, kill)
    assert status == -signal.SIGKILL, output
    written = rig.report_files()
    first = sorted(f"{PAIRS[0]}{suffix}" for suffix in SUFFIXES)
    assert sorted(written) == (first if kill.reported else [])

    # July is posted before the next run (issue 12: the first report then went out twice).
    # That run needs no fault and is not killed: it runs in this process, which is quicker.
    rig.post(JANUARY, APRIL, JULY)
    code = main(["--config", str(rig.config), "--db", rig.db_url, "check"])
    assert code == 0, capsys.readouterr()
    capsys.readouterr()

    store = Store(rig.db_url, create=False)
    try:
        # Every release imported once, and the ledger says which run committed which.
        assert [r.info.label for r in store.catalog.releases()] == ["2025", "2025-Q2", "2025-Q3"]
        last, killed = store.ledger.runs()
        assert (killed.outcome, killed.finished_at, killed.imported, killed.releases_found) == (
            "failed", None, kill.imported, 2
        )  # fmt: skip
        assert killed.error == "interrupted: the process stopped before the run ended"
        assert killed.imported + last.imported == ("2025", "2025-Q2", "2025-Q3")
        assert (last.outcome, last.emails_sent, last.error) == ("ok", 2, "")
        assert store.catalog.unreported() == [] and store.outbox.pending() == []

        # Every report file written once: the same file since the killed run wrote it, and
        # the bytes the stored releases give.
        files = rig.report_files()
        assert sorted(files) == sorted(f"{pair}{suffix}" for pair in PAIRS for suffix in SUFFIXES)
        assert {name: files[name] for name in written} == written
        expected = rig.tmp / "expected"
        for old, new in (("2025", "2025-Q2"), ("2025-Q2", "2025-Q3")):
            for path in write_reports(stored_diff(store, old, new), expected):
                assert (rig.reports / path.name).read_bytes() == path.read_bytes()
    finally:
        store.close()

    # Every pair's email delivered with one Message-ID, made from its outbox key.
    delivered = [(m["Subject"].split(" (")[0], m["Message-ID"]) for m in rig.smtp.messages]
    assert len(delivered) == kill.delivered
    assert sorted(set(delivered)) == [
        ("HCPCS changes: 2025 -> 2025-Q2", message_id(PAIRS[0])),
        ("HCPCS changes: 2025-Q2 -> 2025-Q3", message_id(PAIRS[1])),
    ]

    # `tracker runs` shows what the killed run did.
    assert main(["--config", str(rig.config), "--db", rig.db_url, "runs"]) == 0
    line = capsys.readouterr().out.splitlines()[1]
    imported = ", ".join(kill.imported) or "-"
    assert line.endswith(
        f"failed  found 2, imported {imported}, reports {4 if kill.reported else 0}, emails 0  "
        "error: interrupted: the process stopped before the run ended"
    )


def test_a_release_and_its_ledger_record_commit_together(store: Store) -> None:
    records = tuple(Record(f"A{i:04d}", {"code": f"A{i:04d}"}) for i in range(5))
    parsed = ParsedRelease(HCPCS, "2025-Q2", date(2025, 4, 1), "a.txt", "a", records, "quarterly")
    run_id = store.ledger.start("manual")
    with pytest.raises(RuntimeError), store.catalog.batch() as batch:
        batch.add(parsed, batch.plan(parsed), released=None, reported=False, run_id=run_id)
        raise RuntimeError("killed before the commit")
    assert (store.catalog.releases(), store.ledger.runs()[0].imported) == ([], ())

    store_one(store, parsed, Storing(None, reported=False, run_id=run_id))
    store.ledger.note(run_id, releases_found=3)
    store.ledger.finish(run_id, outcome="failed", error="TrackerError: disk full")
    (run,) = store.ledger.runs()
    # A run that fails later keeps what it did before.
    assert (run.outcome, run.releases_found, run.imported, run.error) == (
        "failed", 3, ("2025-Q2",), "TrackerError: disk full"
    )  # fmt: skip


def test_the_fault_hook_is_a_no_op_unless_the_test_sets_it() -> None:
    assert fault_from_env({}) is no_fault
    assert fault_from_env({FAULT_ENV: ""}) is no_fault
    fault_from_env({FAULT_ENV: "queued"})("imported")  # another point: nothing happens
