"""One writer at a time per database (a check or an import), across processes and hosts.

- PostgreSQL: a session advisory lock (``pg_try_advisory_lock``) taken in the database itself,
  on a connection of its own held for the duration. Every host that writes to the database
  asks the same server, so hosts exclude each other; the server drops the lock with the
  session, however its holder ends (exit, crash, kill -9; a vanished host once TCP keepalives
  give up on it), so a crashed holder leaves nothing to clean up.
- SQLite: flock(2) on ``<db file>.lock`` beside the database file (the path resolved, so every
  working directory and spelling of the file finds the same lock). The kernel drops it when
  its holder exits, however it exits. The file is never deleted: unlinking a lock file lets two
  processes hold locks on two different inodes of "the same" file.
- Any other database: refused (see ``lock_for``).

The holder says who it is (check or import, host, pid, since when): in the lock file, or in the
lock connection's ``application_name``, read back by the next process for its messages.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from tracker.errors import BusyError, ConfigError, TrackerError
from tracker.store.database import is_sqlite, redact_url, sqlite_file

if TYPE_CHECKING:  # SQLAlchemy is imported for a PostgreSQL lock only (0.2 s of start-up)
    from sqlalchemy.engine import Connection

POLL_SECONDS = 0.5
# The advisory lock key, the same for every tracker: b"tracker\0" read as a 64-bit integer.
# Advisory keys are per database, so two tracker databases on one server do not collide.
ADVISORY_KEY = int.from_bytes(b"tracker\0", "big")
# The lock connection's session: it idles for the whole check, so no idle timeout may end it;
# keepalives let the server end the session of a host that vanished (in about two minutes).
_PG_SESSION = {
    "idle_in_transaction_session_timeout": "0",
    "tcp_keepalives_idle": "60",
    "tcp_keepalives_interval": "10",
    "tcp_keepalives_count": "6",
}
What = Literal["check", "import"]
Notify = Callable[[str], None]


@dataclass(frozen=True)
class Holder:
    """Who holds (or held) a database's lock."""

    what: str  # "check" or "import"
    host: str  # its host name (cut short in PostgreSQL's 63-character application_name)
    pid: int  # its process id on that host
    since: datetime  # when it took the lock

    def __str__(self) -> str:
        since = self.since.isoformat(timespec="seconds")
        return f"{self.what} (host {self.host}, pid {self.pid}, since {since})"


@dataclass(frozen=True)
class DatabaseLock:
    """A database's lock, as the settings name it; ``hold`` takes it."""

    url: str = field(repr=False)  # with its password: the PostgreSQL lock connects with it
    name: str  # the URL without its password, for messages
    path: Path | None  # the lock file; None: an advisory lock in the PostgreSQL database


def lock_for(db_url: str, data_dir: Path) -> DatabaseLock:
    """The lock of the database at ``db_url``: SQLite or PostgreSQL, else ConfigError.

    Another server database (MySQL, ...) is refused rather than given a lock file: a file
    excludes only the processes of one host, and a server database is one that several hosts
    write to, which is the case the lock exists for. Its own locking (GET_LOCK, ...) could be
    added here; until then, tracker writes only to databases it can lock.
    """
    name = redact_url(db_url)
    if is_sqlite(db_url):
        return DatabaseLock(db_url, name, lock_path_for(db_url, data_dir))
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        backend = make_url(db_url.strip()).get_backend_name()
    except ArgumentError:
        raise ConfigError(
            f"database URL {name!r} is not a URL; use e.g. sqlite:///snapshots/tracker.db"
        ) from None
    if backend == "sqlite":
        return DatabaseLock(db_url, name, lock_path_for(db_url, data_dir))
    if backend == "postgresql":
        return DatabaseLock(db_url, name, None)
    raise ConfigError(
        f"database {name}: tracker can lock only SQLite and PostgreSQL databases, so it "
        "writes only to those; use sqlite:///... or postgresql+psycopg://user@host:port/db"
    )


def lock_path_for(db_url: str, data_dir: Path) -> Path:
    """Where a SQLite database's lock file lives: beside its file, whatever the working folder.

    ``sqlite:///data/tracker.db`` -> ``<cwd>/data/tracker.db.lock`` (resolved, so two spellings
    of one file share a lock); an in-memory SQLite, which no other process can open, ->
    ``<data_dir resolved>/db-<hash of the URL>.lock``.
    """
    database = sqlite_file(db_url)
    if database is not None:
        path = Path(database).resolve()
        return path.with_name(path.name + ".lock")
    digest = hashlib.sha256(db_url.strip().encode()).hexdigest()[:16]
    return data_dir.resolve() / f"db-{digest}.lock"


@contextmanager
def hold(
    lock: DatabaseLock,
    what: What,
    *,
    wait: float = 0,
    notify: Notify = lambda line: None,
    poll: float = POLL_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime] = lambda: datetime.now().astimezone(),
) -> Iterator[None]:
    """Hold the database's lock for the ``with`` block, as ``what``.

    Busy: wait up to ``wait`` seconds, telling ``notify`` once who holds it, then BusyError
    naming that holder. A lock a dead process left behind is taken over, telling ``notify``.
    """
    backend = _FileLock(lock.path) if lock.path else _AdvisoryLock(lock.url, lock.name)
    try:
        _acquire(backend, lock.name, what, wait, notify, poll, clock, sleep, now)
        try:
            yield
        finally:
            backend.release(notify)
    finally:
        backend.close()


class _Backend(Protocol):
    left: Holder | None  # after try_acquire: what a holder that died left behind

    def try_acquire(self, me: Holder) -> bool: ...
    def holder(self) -> Holder | None: ...
    def release(self, notify: Notify) -> None: ...
    def close(self) -> None: ...


def _acquire(
    backend: _Backend,
    name: str,
    what: What,
    wait: float,
    notify: Notify,
    poll: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    now: Callable[[], datetime],
) -> None:
    deadline = clock() + max(wait, 0)
    told = False
    while not backend.try_acquire(Holder(what, socket.gethostname(), os.getpid(), now())):
        holder = backend.holder()
        remaining = deadline - clock()
        if remaining <= 0:
            advice = "pass a longer --wait" if wait > 0 else "pass --wait SECONDS"
            raise BusyError(
                f"another {holder or 'process'} holds the database {name}; "
                f"try again later or {advice}"
            )
        if not told:
            notify(
                f"another {holder or 'process'} holds the database {name}; waiting up to {wait:g} s"
            )
            told = True
        sleep(min(poll, remaining))
    if backend.left is not None:
        notify(
            f"taking over the lock left by pid {backend.left.pid} on {backend.left.host}, "
            "which is gone"
        )


class _FileLock:
    """flock(2) on a lock file holding one line: the holder, as ``str(Holder)`` writes it."""

    LINE = re.compile(r"(\w+) \(host (\S+), pid (\d+), since (\S+)\)")

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        self.left: Holder | None = None

    def try_acquire(self, me: Holder) -> bool:
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        # A holder empties the file when it lets go; a line still there is from one that died.
        self.left = self.holder()
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, f"{me}\n".encode(), 0)
        return True

    def holder(self) -> Holder | None:
        """The holder the file names, or None (not written yet, or released)."""
        found = self.LINE.fullmatch(os.pread(self.fd, 500, 0).decode(errors="replace").strip())
        if found is None:
            return None
        what, host, pid, since = found.groups()
        try:
            return Holder(what, host, int(pid), datetime.fromisoformat(since))
        except ValueError:
            return None

    def release(self, notify: Notify) -> None:
        os.ftruncate(self.fd, 0)  # the next holder must not take a finished process for dead
        fcntl.flock(self.fd, fcntl.LOCK_UN)

    def close(self) -> None:
        os.close(self.fd)


class _AdvisoryLock:
    """A session advisory lock on a connection of its own, in autocommit (no transaction is
    held open for the length of a check). Its ``application_name`` names the holder:
    ``tracker <what> <pid> <since, UTC, compact> <host>``, the host last because PostgreSQL
    cuts the name to 63 characters."""

    HOLDER = (
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND ((l.classid::bigint << 32) | l.objid::bigint) = :key"
    )

    def __init__(self, url: str, name: str) -> None:
        self.left: Holder | None = None  # the server frees a dead holder's lock itself
        self.name = name
        self.conn = _connect(url, name)
        settings = dict(_PG_SESSION)
        if (self.conn.dialect.server_version_info or (0,)) >= (14,):
            settings["idle_session_timeout"] = "0"  # new in PostgreSQL 14
        for key, value in settings.items():
            self._query("SELECT set_config(:k, :v, false)", k=key, v=value)

    def try_acquire(self, me: Holder) -> bool:
        since = me.since.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        label = f"tracker {me.what} {me.pid} {since} {me.host}"[:63]
        self._query("SELECT set_config('application_name', :v, false)", v=label)
        return bool(self._query("SELECT pg_try_advisory_lock(:key)", key=ADVISORY_KEY))

    def _query(self, sql: str, **params: object) -> Any:
        """One value; the connection failing (the server went away while we waited) is one
        line naming the database."""
        from sqlalchemy import text
        from sqlalchemy.exc import SQLAlchemyError

        try:
            return self.conn.execute(text(sql), params).scalar()
        except SQLAlchemyError as exc:
            raise TrackerError(
                f"database {self.name}: the lock's connection failed ({_first_line(exc)})"
            ) from None

    def holder(self) -> Holder | None:
        label = self._query(self.HOLDER, key=ADVISORY_KEY)
        parts = str(label or "").split(" ", 4)
        if len(parts) != 5 or parts[0] != "tracker" or not parts[2].isdigit():
            return None  # released meanwhile, or held by something that is not tracker
        try:
            since = datetime.strptime(parts[3], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except ValueError:
            return None
        return Holder(parts[1], parts[4], int(parts[2]), since)

    def release(self, notify: Notify) -> None:
        from sqlalchemy import text
        from sqlalchemy.exc import SQLAlchemyError

        try:
            self.conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
        except SQLAlchemyError as exc:
            # The session is gone, and the lock with it, perhaps before the work ended.
            notify(f"the lock's connection was lost ({_first_line(exc)}); it is released")

    def close(self) -> None:
        try:
            self.conn.close()
        finally:
            self.conn.engine.dispose()


def _connect(url: str, name: str) -> Connection:
    """A connection of its own (no pool) in autocommit; one-line errors naming host and port."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError
    from sqlalchemy.pool import NullPool

    parsed = make_url(url)
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    # libpq waits for an unreachable host forever unless told otherwise.
    args = {} if "connect_timeout" in parsed.query else {"connect_timeout": 10}
    try:
        engine = create_engine(
            url, poolclass=NullPool, isolation_level="AUTOCOMMIT", connect_args=args
        )
    except (ImportError, ArgumentError) as exc:  # no driver installed, or an unknown one
        raise ConfigError(
            f"database {name}: no PostgreSQL driver ({exc}); "
            "pip install 'tracker[postgres]' and use postgresql+psycopg://user@host:port/db"
        ) from None
    try:
        return engine.connect()
    except SQLAlchemyError as exc:
        engine.dispose()
        detail = _first_line(exc)
        if parsed.password:
            detail = detail.replace(parsed.password, "***")
        raise TrackerError(f"database {name}: cannot connect to {where} ({detail})") from None


def _first_line(exc: BaseException) -> str:
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
