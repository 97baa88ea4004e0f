"""One check at a time per database: real processes contending for one lock file."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tracker.errors import BusyError
from tracker.run.lock import check_lock, lock_path_for

ROOT = Path(__file__).resolve().parents[1]

# The other process: "hold" takes the lock and keeps it until its stdin closes;
# "try" reports whether the lock is free right now.
CHILD = """
import sys
from pathlib import Path
from tracker.errors import BusyError
from tracker.run.lock import check_lock

mode, path = sys.argv[1], Path(sys.argv[2])
try:
    with check_lock(path, name="tracker.db"):
        print("locked", flush=True)
        if mode == "hold":
            sys.stdin.read()
except BusyError as error:
    print(error, flush=True)
"""


def child(mode: str, lock_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, mode, str(lock_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@contextmanager
def holder(lock_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the lock until the block ends (or it is killed)."""
    proc = child("hold", lock_path)
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


def other_process_tries(lock_path: Path) -> str:
    proc = child("try", lock_path)
    out, _ = proc.communicate(timeout=30)
    return out


def test_second_process_is_refused_naming_the_holder(tmp_path: Path) -> None:
    lock_path = tmp_path / "tracker.db.lock"
    with (
        holder(lock_path) as proc,
        pytest.raises(BusyError) as busy,
        check_lock(lock_path, name="tracker.db"),
    ):
        pytest.fail("two checks held the lock at once")

    assert re.fullmatch(
        rf"another check is running on tracker\.db \(pid {proc.pid} since "
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d\); try again later",
        str(busy.value),
    )


def test_a_waiting_process_gets_the_lock_when_the_holder_finishes(tmp_path: Path) -> None:
    lock_path = tmp_path / "tracker.db.lock"
    waited: list[float] = []
    with holder(lock_path) as proc:

        def sleep(seconds: float) -> None:
            # The holder finishes while we wait: close its stdin and let it exit.
            waited.append(seconds)
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait(timeout=30)

        with check_lock(lock_path, wait=600, poll=0.25, sleep=sleep):
            assert lock_path.read_text().split()[0] == str(os.getpid())
            assert other_process_tries(lock_path).startswith("another check is running")

    assert waited == [0.25]
    assert lock_path.read_text() == ""  # released: no stale pid for the next message
    assert other_process_tries(lock_path) == "locked\n"


def test_gives_up_when_the_wait_is_over(tmp_path: Path) -> None:
    lock_path = tmp_path / "tracker.db.lock"
    clock = FakeClock()
    with (
        holder(lock_path),
        pytest.raises(BusyError),
        check_lock(lock_path, wait=1.2, poll=0.5, clock=clock, sleep=clock.sleep),
    ):
        pytest.fail("two checks held the lock at once")
    assert clock.slept == pytest.approx([0.5, 0.5, 0.2])


def test_a_crashed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    lock_path = tmp_path / "tracker.db.lock"
    with holder(lock_path) as proc:
        proc.kill()  # SIGKILL: no finally blocks run, the kernel drops the flock
        proc.wait(timeout=30)
        with check_lock(lock_path):
            assert lock_path.read_text().split()[0] == str(os.getpid())


def test_released_when_the_check_raises(tmp_path: Path) -> None:
    lock_path = tmp_path / "data" / "tracker.db.lock"
    with pytest.raises(RuntimeError), check_lock(lock_path):
        raise RuntimeError("check failed")
    assert other_process_tries(lock_path) == "locked\n"


def test_message_with_the_holder_time_and_default_name(tmp_path: Path) -> None:
    lock_path = tmp_path / "tracker.db.lock"
    start = datetime(2026, 4, 2, 6, 15, 3, tzinfo=timezone(timedelta(hours=-4)))
    # flock locks belong to an open file, so even this process cannot take it twice.
    with (
        check_lock(lock_path, now=lambda: start),
        pytest.raises(BusyError) as busy,
        check_lock(lock_path),
    ):
        pytest.fail("two checks held the lock at once")
    assert str(busy.value) == (
        f"another check is running on {tmp_path}/tracker.db "
        f"(pid {os.getpid()} since 2026-04-02T06:15:03-04:00); try again later"
    )


def test_lock_path_next_to_a_sqlite_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    assert lock_path_for("sqlite:///tracker.db", data) == tmp_path / "tracker.db.lock"
    assert lock_path_for("sqlite:///./sub/../tracker.db", data) == tmp_path / "tracker.db.lock"
    assert lock_path_for(f"sqlite:///{tmp_path}/x.db", data) == tmp_path / "x.db.lock"
    assert lock_path_for(f"sqlite+pysqlite:///{tmp_path}/x.db?timeout=5", data) == (
        tmp_path / "x.db.lock"
    )


def test_lock_path_for_other_databases_is_a_hash_in_the_data_folder(tmp_path: Path) -> None:
    url = "postgresql://tracker:s3cret@db.example.org/tracker"
    path = lock_path_for(url, tmp_path)
    assert path.parent == tmp_path
    assert re.fullmatch(r"db-[0-9a-f]{16}\.lock", path.name)
    assert "s3cret" not in str(path)
    assert lock_path_for(url, tmp_path) == path
    assert lock_path_for("postgresql://tracker@db.example.org/other", tmp_path) != path
    assert lock_path_for("sqlite://", tmp_path).parent == tmp_path
    assert lock_path_for("sqlite:///:memory:", tmp_path).parent == tmp_path


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
