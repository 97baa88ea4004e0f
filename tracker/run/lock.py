"""One check at a time per database, across processes: an flock(2) on a lock file.

The kernel drops the lock when its holder exits, however it exits (crash, kill -9, reboot), so
there is no stale lock to clean up. The file is never deleted: unlinking a lock file lets two
processes hold locks on two different inodes of "the same" file. Its content (pid and start
time of the holder) only serves the message the next process shows.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from tracker.errors import BusyError

POLL_SECONDS = 0.5


def lock_path_for(db_url: str, data_dir: Path) -> Path:
    """Where the lock for a database lives: next to a SQLite file, else in the data folder.

    ``sqlite:///data/tracker.db`` -> ``data/tracker.db.lock`` (resolved, so two spellings of
    one file share a lock); any other URL (or an in-memory SQLite) -> ``data_dir/db-<hash>.lock``
    named by a hash of the URL, so no password from the URL lands in a file name.
    """
    database = _sqlite_file(db_url)
    if database is not None:
        path = Path(database).resolve()
        return path.with_name(path.name + ".lock")
    digest = hashlib.sha256(db_url.strip().encode()).hexdigest()[:16]
    return data_dir / f"db-{digest}.lock"


@contextmanager
def check_lock(
    lock_path: Path,
    *,
    wait: float = 0,
    name: str | None = None,
    poll: float = POLL_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime] = lambda: datetime.now().astimezone(),
) -> Iterator[None]:
    """Hold the database's lock for the ``with`` block; BusyError if not free within ``wait``.

    ``name`` is how the message names the database (default: the lock path without
    ``.lock``); pass a URL with its password removed.
    """
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = clock() + max(wait, 0)
        while not _try_lock(fd):
            remaining = deadline - clock()
            if remaining <= 0:
                raise BusyError(_busy_message(name or _default_name(lock_path), _holder(fd)))
            sleep(min(poll, remaining))
        try:
            _write_holder(fd, now())
            yield
        finally:
            os.ftruncate(fd, 0)  # the next holder's message must not name a finished process
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _write_holder(fd: int, started: datetime) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()} {started.isoformat(timespec='seconds')}\n".encode(), 0)


def _holder(fd: int) -> tuple[str, str] | None:
    """The holder's pid and start time, or None when it has not written them yet."""
    parts = os.pread(fd, 200, 0).decode(errors="replace").split()
    return (parts[0], parts[1]) if len(parts) == 2 and parts[0].isdigit() else None


def _busy_message(name: str, holder: tuple[str, str] | None) -> str:
    who = f" (pid {holder[0]} since {holder[1]})" if holder else ""
    return f"another check is running on {name}{who}; try again later"


def _default_name(lock_path: Path) -> str:
    text = str(lock_path)
    return text.removesuffix(".lock")


def _sqlite_file(db_url: str) -> str | None:
    """The file of a ``sqlite[+driver]:///path`` URL, or None for other or in-memory ones."""
    scheme, sep, rest = db_url.strip().partition("://")
    if not sep or scheme.split("+", 1)[0].lower() != "sqlite":
        return None
    # sqlite:///relative.db and sqlite:////absolute.db; the "?..." part holds driver options.
    path = rest.removeprefix("/").split("?", 1)[0]
    if path in ("", ":memory:") or path.startswith("file:"):
        return None
    return path
