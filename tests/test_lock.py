"""One writer per database: real processes contending for a SQLite lock file and for a
PostgreSQL advisory lock, the messages naming the holder, and locks left by dead holders."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tracker.cli import main
from tracker.errors import BusyError, ConfigError, TrackerError
from tracker.run.lock import DatabaseLock, hold, lock_for, lock_path_for

ROOT = Path(__file__).resolve().parents[1]
HOST = socket.gethostname()
EST = timezone(timedelta(hours=-5))
SINCE = datetime(2026, 11, 29, 13, 0, 0, tzinfo=EST)
# How each kind of lock shows SINCE: the file as its holder wrote it, PostgreSQL in UTC.
SHOWN = {"sqlite": "2026-11-29T13:00:00-05:00", "postgresql": "2026-11-29T18:00:00+00:00"}

# The other process: takes the lock as WHAT and holds it until its stdin closes (at once for
# a process that only tries), printing what it hears and whether it got the lock.
CHILD = """
import sys
from datetime import datetime
from pathlib import Path
from tracker.errors import BusyError
from tracker.run.lock import hold, lock_for

url, what, since = sys.argv[1], sys.argv[2], datetime.fromisoformat(sys.argv[3])
say = lambda line: print(line, flush=True)
try:
    with hold(lock_for(url, Path("data")), what, now=lambda: since, notify=say):
        say("locked")
        sys.stdin.read()
except BusyError as error:
    say(error)
"""


def child(url: str, what: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, url, what, SINCE.isoformat()],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@contextmanager
def holder(url: str, cwd: Path, what: str = "import") -> Iterator[subprocess.Popen[str]]:
    """Another process holding the lock until the block ends (or it is killed)."""
    proc = child(url, what, cwd)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "locked\n"
        yield proc
    finally:
        if proc.stdin is not None and not proc.stdin.closed:
            proc.stdin.close()
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()


def other_process_tries(url: str, cwd: Path) -> str:
    out, _ = child(url, "check", cwd).communicate(timeout=30)
    return out


def with_password(url: str) -> str:
    """The URL with a password: the test server trusts loopback, so any password works."""
    parsed = make_url(url)
    return parsed.set(password="s3cret").render_as_string(hide_password=False)


def test_a_second_process_is_refused_naming_the_holder(db_url: str, tmp_path: Path) -> None:
    kind = make_url(db_url).get_backend_name()
    url = with_password(db_url) if kind == "postgresql" else db_url
    lock = lock_for(url, tmp_path / "data")
    with holder(url, tmp_path) as proc, pytest.raises(BusyError) as busy, hold(lock, "check"):
        pytest.fail("two writers held the lock at once")
    assert str(busy.value) == (
        f"another import (host {HOST}, pid {proc.pid}, since {SHOWN[kind]}) holds the database "
        f"{lock.name}; try again later or pass --wait SECONDS"
    )
    assert "s3cret" not in str(busy.value)
    assert other_process_tries(url, tmp_path) == "locked\n"  # released when the holder exits


def test_a_waiting_process_says_who_it_waits_for_and_gets_the_lock(
    db_url: str, tmp_path: Path
) -> None:
    kind = make_url(db_url).get_backend_name()
    lock = lock_for(db_url, tmp_path / "data")
    heard: list[str] = []
    with holder(db_url, tmp_path, "check") as proc:

        def sleep(seconds: float) -> None:
            # The holder finishes while we wait: close its stdin and let it exit.
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait(timeout=30)

        with hold(
            lock, "import", wait=600, poll=0.25, sleep=sleep, notify=heard.append, now=lambda: SINCE
        ):
            assert other_process_tries(db_url, tmp_path) == (
                f"another import (host {HOST}, pid {os.getpid()}, since {SHOWN[kind]}) holds the "
                f"database {lock.name}; try again later or pass --wait SECONDS\n"
            )

    assert heard == [
        f"another check (host {HOST}, pid {proc.pid}, since {SHOWN[kind]}) holds the database "
        f"{lock.name}; waiting up to 600 s"
    ]
    assert other_process_tries(db_url, tmp_path) == "locked\n"


def test_gives_up_when_the_wait_is_over_naming_the_holder(db_url: str, tmp_path: Path) -> None:
    kind = make_url(db_url).get_backend_name()
    lock = lock_for(db_url, tmp_path / "data")
    clock = FakeClock()
    heard: list[str] = []
    with (
        holder(db_url, tmp_path) as proc,
        pytest.raises(BusyError) as busy,
        hold(
            lock, "check", wait=1.2, poll=0.5, clock=clock, sleep=clock.sleep, notify=heard.append
        ),
    ):
        pytest.fail("two writers held the lock at once")
    who = f"another import (host {HOST}, pid {proc.pid}, since {SHOWN[kind]})"
    assert clock.slept == pytest.approx([0.5, 0.5, 0.2])
    assert heard == [f"{who} holds the database {lock.name}; waiting up to 1.2 s"]
    assert str(busy.value) == (
        f"{who} holds the database {lock.name}; try again later or pass a longer --wait"
    )


def test_a_lock_file_left_by_a_killed_holder_is_taken_over_saying_so(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    heard: list[str] = []
    with holder(url, tmp_path) as proc:
        proc.kill()  # SIGKILL: no finally blocks run; the kernel drops the flock, the line stays
        proc.wait(timeout=30)
        assert (tmp_path / "tracker.db.lock").read_text() == (
            f"import (host {HOST}, pid {proc.pid}, since {SHOWN['sqlite']})\n"
        )
        with hold(lock_for(url, tmp_path), "check", notify=heard.append, now=lambda: SINCE):
            assert (tmp_path / "tracker.db.lock").read_text() == (
                f"check (host {HOST}, pid {os.getpid()}, since {SHOWN['sqlite']})\n"
            )
    assert heard == [f"taking over the lock left by pid {proc.pid} on {HOST}, which is gone"]
    assert (tmp_path / "tracker.db.lock").read_text() == ""


def test_an_advisory_lock_dies_with_its_killed_holder(pg_url: str, tmp_path: Path) -> None:
    heard: list[str] = []
    with holder(pg_url, tmp_path) as proc:
        proc.kill()
        proc.wait(timeout=30)
        # The server ends the session when it sees the connection close: wait for that.
        with hold(lock_for(pg_url, tmp_path), "check", wait=30, poll=0.05, notify=heard.append):
            assert other_process_tries(pg_url, tmp_path).startswith("another check (host ")
    assert all(line.startswith(f"another import (host {HOST}, pid ") for line in heard)


def test_released_when_the_work_raises(db_url: str, tmp_path: Path) -> None:
    heard: list[str] = []
    lock = lock_for(db_url, tmp_path / "data")
    with pytest.raises(RuntimeError), hold(lock, "check", notify=heard.append):
        raise RuntimeError("check failed")
    assert other_process_tries(db_url, tmp_path) == "locked\n"
    with hold(lock, "check", notify=heard.append):
        pass
    assert heard == []  # a released lock is not taken over


def test_one_process_cannot_take_its_own_lock_twice(db_url: str, tmp_path: Path) -> None:
    # flock locks belong to an open file, advisory locks to a session: each hold has its own.
    lock = lock_for(db_url, tmp_path / "data")
    with (
        hold(lock, "import", now=lambda: SINCE),
        pytest.raises(BusyError) as busy,
        hold(lock, "check"),
    ):
        pytest.fail("two writers held the lock at once")
    kind = make_url(db_url).get_backend_name()
    assert str(busy.value) == (
        f"another import (host {HOST}, pid {os.getpid()}, since {SHOWN[kind]}) holds the "
        f"database {lock.name}; try again later or pass --wait SECONDS"
    )


def test_an_import_refused_by_a_running_check(
    capsys: pytest.CaptureFixture[str], db_url: str, tmp_path: Path
) -> None:
    kind = make_url(db_url).get_backend_name()
    data = tmp_path / "data"
    release = tmp_path / "HCPC2026_JAN_ANWEB.txt"
    release.write_text("not read: the lock comes first")
    with hold(lock_for(db_url, data), "check", now=lambda: SINCE):
        code = main(["--db", db_url, "import", "--wait", "0.2", str(release)])
    out, err = capsys.readouterr()
    who = f"another check (host {HOST}, pid {os.getpid()}, since {SHOWN[kind]})"
    assert (code, out) == (1, "")
    assert err == (
        f"tracker: {who} holds the database {db_url}; waiting up to 0.2 s\n"
        f"tracker: error: {who} holds the database {db_url}; try again later or pass a longer "
        "--wait\n"
    )


def test_an_unreachable_postgresql_names_host_and_port_not_the_password() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there once the socket closes
    url = f"postgresql+psycopg://tracker:s3cret@127.0.0.1:{port}/tracker"
    with pytest.raises(TrackerError) as error, hold(lock_for(url, Path("data")), "check"):
        pytest.fail("locked a database that is not there")
    message = str(error.value)
    assert message.startswith(
        f"database postgresql+psycopg://tracker:***@127.0.0.1:{port}/tracker: cannot connect "
        f"to 127.0.0.1:{port} ("
    )
    assert "s3cret" not in message and "\n" not in message


def test_the_lock_file_is_beside_the_sqlite_file_whatever_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "srv").mkdir()
    (tmp_path / "home").mkdir()
    monkeypatch.chdir(tmp_path / "srv")
    from_srv = lock_for("sqlite:///tracker.db", Path("data"))
    monkeypatch.chdir(tmp_path / "home")
    from_home = lock_for("sqlite:///../srv/./tracker.db", Path("data"))
    assert from_srv.path == from_home.path == tmp_path / "srv" / "tracker.db.lock"
    assert from_srv == DatabaseLock(
        "sqlite:///tracker.db", "sqlite:///tracker.db", tmp_path / "srv" / "tracker.db.lock"
    )
    assert lock_path_for(f"sqlite+pysqlite:///{tmp_path}/x.db?timeout=5", Path("data")) == (
        tmp_path / "x.db.lock"
    )
    # An in-memory database has no file to sit beside; its lock goes in the data folder.
    memory = lock_path_for("sqlite://", Path("data"))
    assert memory.parent == tmp_path / "home" / "data"
    assert memory.name.startswith("db-") and memory.name.endswith(".lock")


def test_postgresql_takes_an_advisory_lock_and_keeps_the_password_out_of_its_name() -> None:
    url = "postgresql+psycopg://tracker:s3cret@db.example.org:5433/tracker"
    lock = lock_for(url, Path("data"))
    assert (lock.name, lock.path) == (
        "postgresql+psycopg://tracker:***@db.example.org:5433/tracker",
        None,
    )
    assert "s3cret" not in repr(lock)


def test_other_server_databases_are_refused() -> None:
    with pytest.raises(ConfigError) as error:
        lock_for("mysql+pymysql://tracker:s3cret@db.example.org/tracker", Path("data"))
    assert str(error.value) == (
        "database mysql+pymysql://tracker:***@db.example.org/tracker: tracker can lock only "
        "SQLite and PostgreSQL databases, so it writes only to those; use sqlite:///... or "
        "postgresql+psycopg://user@host:port/db"
    )


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
