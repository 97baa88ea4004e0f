"""The database itself: its URL, its driver, one transaction per ``transaction()``.

A SQLite file is opened with Python's ``sqlite3`` (``tracker.store.sql`` says why); any other
URL (PostgreSQL, an in-memory SQLite) through a SQLAlchemy engine. SQLAlchemy is imported only
for those, and to create or migrate a schema.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from tracker.errors import ConfigError, NotFoundError, TrackerError
from tracker.store.migrations import Lock, prepare
from tracker.store.sql import AlchemySql, Sql, SqliteSql

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Connection, Engine

Clock = Callable[[], datetime]
# Another process may hold SQLite's write lock briefly (a scheduled check): wait for it.
BUSY_SECONDS = 30.0


def redact_url(url: str) -> str:
    """A database URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))


def is_sqlite(url: str) -> bool:
    """Whether a database URL is SQLite's (``sqlite://``, ``sqlite+driver://``)."""
    scheme, sep, _ = url.strip().partition("://")
    return bool(sep) and scheme.split("+", 1)[0].lower() == "sqlite"


def sqlite_file(url: str) -> str | None:
    """The file of a ``sqlite[+driver]:///path`` URL, or None for any other URL, an in-memory
    SQLite or a ``file:`` URI."""
    if not is_sqlite(url):
        return None
    rest = url.strip().partition("://")[2]
    # sqlite:///relative.db and sqlite:////absolute.db; the "?..." part holds driver options.
    path = rest.removeprefix("/").split("?", 1)[0]
    if path in ("", ":memory:") or path.startswith("file:"):
        return None
    return path


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; every time stored here is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Database:
    """An open database, its schema at this tracker's newest revision (``migrations.prepare``).

    ``create=False`` (the read-only commands): a database that does not exist, or holds no
    tracker tables, is NotFoundError, and nothing is created, neither the file nor its folder.
    ``upgrade``: an older schema is upgraded (the commands that write), else refused. Creating
    or upgrading holds ``lock`` (None: the caller holds the database's lock already).
    """

    def __init__(
        self, url: str, *, create: bool = True, upgrade: bool = False, lock: Lock | None = None
    ) -> None:
        self.url = url
        self.name = redact_url(url)
        self.file = sqlite_file(url)  # a SQLite file, opened with sqlite3; None: SQLAlchemy
        if not create:
            _must_exist(url, self.file)
        elif self.file is not None:
            _make_folder(Path(self.file).parent)
        self._engine = None if self.file is not None else _engine(url)
        try:
            self.upgraded = prepare(self, create=create, upgrade=upgrade, lock=lock)
        except BaseException as exc:
            self.close()
            if self.is_error(exc):
                raise TrackerError(
                    f"database {self.name}: cannot open it ({_detail(exc)})"
                ) from None
            raise

    @property
    def engine(self) -> Engine:
        """SQLAlchemy's engine: the database's own (not a SQLite file), or one made when a
        SQLite file's schema is created or migrated."""
        if self._engine is None:
            self._engine = _engine(self.url)
        return self._engine

    def is_error(self, exc: BaseException) -> bool:
        """Whether ``exc`` is the database's (its driver's or SQLAlchemy's)."""
        if isinstance(exc, sqlite3.Error):
            return True
        if self._engine is None:
            return False
        from sqlalchemy.exc import SQLAlchemyError

        return isinstance(exc, SQLAlchemyError)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A SQLAlchemy connection (to migrate); one that cannot be made is one line naming
        the host and port."""
        from sqlalchemy.exc import SQLAlchemyError

        try:
            conn = self.engine.connect()
        except SQLAlchemyError as exc:
            url = self.engine.url
            where = "open it" if url.host is None else f"connect to {_host_port(url)}"
            detail = _detail(exc)
            if url.password:
                detail = detail.replace(str(url.password), "***")
            raise TrackerError(f"database {self.name}: cannot {where} ({detail})") from None
        with conn:
            yield conn

    @contextmanager
    def transaction(self) -> Iterator[Sql]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        if self.file is None:
            with self.connect() as conn, conn.begin():
                yield AlchemySql(conn)
            return
        # A connection per transaction, as a pool would hand out: the scheduler's jobs run
        # in threads of their own, and a sqlite3 connection belongs to one thread.
        lite = self._sqlite()
        try:
            lite.execute("BEGIN")
            yield SqliteSql(lite)
        except BaseException:
            lite.rollback()  # nothing to do when SQLite rolled back itself (a full disk)
            raise
        else:
            lite.execute("COMMIT")
        finally:
            lite.close()

    def _sqlite(self) -> sqlite3.Connection:
        assert self.file is not None
        try:
            # isolation_level=None: the transactions are the BEGIN and COMMIT above, not the
            # ones the module would open and close around statements of its own accord.
            return sqlite3.connect(self.file, timeout=BUSY_SECONDS, isolation_level=None)
        except sqlite3.Error as exc:
            raise TrackerError(f"database {self.name}: cannot open it ({exc})") from None

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def _must_exist(url: str, file: str | None) -> None:
    """A SQLite database must be there before it is opened: opening creates it (and an
    in-memory one holds nothing). A server database says so when its tables are read."""
    if (file is None and is_sqlite(url)) or (file is not None and not Path(file).is_file()):
        raise NotFoundError(f"database not found: {redact_url(url)}")


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TrackerError(f"database folder {folder}: cannot create it ({exc.strerror})") from None


def _engine(url: str) -> Engine:
    from sqlalchemy import create_engine, event

    try:
        engine = create_engine(url, connect_args=_connect_args(url))
    except Exception as exc:  # SQLAlchemy raises ArgumentError / NoSuchModuleError
        raise ConfigError(
            f"database URL {redact_url(url)!r} is not usable ({exc}); "
            "use e.g. sqlite:///snapshots/tracker.db"
        ) from None
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            dbapi_connection.execute(f"PRAGMA busy_timeout = {int(BUSY_SECONDS * 1000)}")

    return engine


def _connect_args(url: str) -> dict[str, object]:
    """libpq waits for an unreachable host as long as TCP does (minutes) unless told otherwise."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url.strip())
    except ArgumentError:
        return {}  # create_engine says what is wrong with it
    libpq = parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in (
        "psycopg", "psycopg2"
    )  # fmt: skip
    return {"connect_timeout": 10} if libpq and "connect_timeout" not in parsed.query else {}


def _host_port(url: URL) -> str:
    default = {"postgresql": 5432, "mysql": 3306}.get(url.get_backend_name())
    port = url.port or default
    return f"{url.host}:{port}" if port else str(url.host)


def _detail(exc: BaseException) -> str:
    """The first line of the driver's message (SQLAlchemy's own adds SQL and a link)."""
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
