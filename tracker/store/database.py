"""The database itself: its URL, the engine, one transaction per ``transaction()``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, CursorResult, Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from tracker.errors import ConfigError, NotFoundError, TrackerError
from tracker.store.migrations import Lock, prepare

Clock = Callable[[], datetime]


def redact_url(url: str) -> str:
    """A database URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))


def utc_now() -> datetime:
    return datetime.now(UTC)


def inserted_id(result: CursorResult[Any]) -> int:
    """The id of the row a one-row INSERT made (no RETURNING: SQLite before 3.35 has none)."""
    key = result.inserted_primary_key
    assert key is not None, "not a one-row INSERT"
    return int(key[0])


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
        if not create:
            _must_exist(url)
        self.engine = _engine(url)
        try:
            self.upgraded = prepare(self, create=create, upgrade=upgrade, lock=lock)
        except SQLAlchemyError as exc:
            self.engine.dispose()
            raise TrackerError(f"database {self.name}: cannot open it ({_detail(exc)})") from None
        except BaseException:
            self.engine.dispose()
            raise

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection; one that cannot be made is one line naming the host and port."""
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
    def transaction(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self.engine.begin() as conn:
            yield conn

    def close(self) -> None:
        self.engine.dispose()


def _must_exist(url: str) -> None:
    """A SQLite database file must be there before it is opened: opening creates it."""
    try:
        parsed = make_url(url.strip())
    except ArgumentError:
        return  # _engine says what is wrong with the URL
    if parsed.get_backend_name() != "sqlite":
        return
    database = parsed.database or ""
    if database in ("", ":memory:") or not Path(database).is_file():
        raise NotFoundError(f"database not found: {redact_url(url)}")


def _engine(url: str) -> Engine:
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        folder = Path(url.removeprefix("sqlite:///")).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TrackerError(
                f"database folder {folder}: cannot create it ({exc.strerror})"
            ) from None
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
            # Another process may hold the write lock briefly (a scheduled check); wait for it.
            dbapi_connection.execute("PRAGMA busy_timeout = 30000")

    return engine


def _connect_args(url: str) -> dict[str, object]:
    """libpq waits for an unreachable host as long as TCP does (minutes) unless told otherwise."""
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


def _detail(exc: SQLAlchemyError) -> str:
    """The first line of the driver's message (SQLAlchemy's own adds SQL and a link)."""
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
