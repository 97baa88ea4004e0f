"""Schema versions: the Alembic migrations in ``versions/``, run from inside the package.

Revision ``0001`` is the schema of tracker 0.1.0, the last one made without migrations (by
``create_all``); each later revision changes it one step. A database records its revision in
``alembic_version``; one with tracker 0.1.0's tables and no version is stamped ``0001`` and
upgraded from there.

Opening a database (``prepare``) reads where its schema stands, then:

- at this tracker's newest revision: nothing to do (the usual case, no lock taken);
- new (none of tracker's tables): its schema is created by running every migration;
- older: a writer upgrades it, a reader refuses, naming ``tracker db upgrade``;
- newer than this tracker knows, or tables tracker did not make: refused, nothing changed.

Creating and upgrading happen under the database's lock, read again once it is held: of eight
processes opening one new database at once, one creates the schema and seven find it made.
Each upgrade is one transaction, so a killed upgrade leaves the database as it was.

A new revision is a file ``versions/NNNN_what.py`` with ``revision = "NNNN"`` and
``down_revision`` the one before; ``tests/test_migrations.py`` checks that the chain ends in the
schema of ``tracker.store.tables``. ``command.revision(config(connection), message,
rev_id="NNNN", autogenerate=True)`` drafts one from the tables against an upgraded database.
"""

from __future__ import annotations

import ast
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tracker.errors import NotFoundError, TrackerError

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection

    from tracker.store.database import Database

FOLDER = Path(__file__).resolve().parent
BASELINE = "0001"
# Tracker 0.1.0's tables and columns (revision 0001): what a database it made must hold.
BASELINE_TABLES: dict[str, tuple[str, ...]] = {
    "release": (
        "id", "code_set", "label", "base_label", "revision", "kind", "effective",
        "source_name", "sha256", "content_digest", "codes", "imported_at", "released",
        "reported", "members",
    ),
    "record_version": ("id", "code", "digest", "data"),
    "http_validator": ("url", "etag", "last_modified", "sha256"),
    "run": (
        "id", "started_at", "finished_at", "trigger", "outcome", "releases_found", "imported",
        "reports", "emails_sent", "error",
    ),
    "outbox": (
        "id", "key", "created_at", "subject", "message", "sent_at", "attempts", "last_error",
    ),
}  # fmt: skip
VERSION_TABLE = "alembic_version"
_VERSION_DDL = (
    f"CREATE TABLE {VERSION_TABLE} (version_num VARCHAR(32) NOT NULL, "
    f"CONSTRAINT {VERSION_TABLE}_pkc PRIMARY KEY (version_num))"
)
_STAMP = f"INSERT INTO {VERSION_TABLE} (version_num) VALUES (:head)"
# The tables' DDL for SQLite (``sqlite_ddl``): a new SQLite file is made from it.
SQLITE_SCHEMA = FOLDER / "sqlite.sql"

# Enters the database's lock (held until the block ends); None: the caller holds it already.
Lock = Callable[[], AbstractContextManager[object]]


@dataclass(frozen=True)
class Found:
    """What a database holds of tracker's schema, as read before deciding what to do."""

    version: str | None  # its row in alembic_version ("a+b" if several); None: no version
    tables: frozenset[str]  # which of tracker 0.1.0's tables it holds
    missing: tuple[str, ...]  # "table.column": columns of those tables tracker 0.1.0 had


@dataclass(frozen=True)
class Upgrade:
    """What opening a database does (or did) to its schema."""

    name: str  # the database URL without its password
    before: str | None  # its revision before; None: a new database, created
    after: str  # its revision after: this tracker's newest

    def __str__(self) -> str:
        if self.before is None:
            return f"created the database {self.name} at schema {self.after}"
        if self.before == self.after:
            return f"recorded schema {self.after} in the database {self.name} (tracker 0.1.0's)"
        return f"upgraded the database {self.name} from {self.before} to {self.after}"


def config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, without an alembic.ini: the scripts are this folder."""
    from alembic.config import Config

    cfg = Config()
    # ConfigParser reads "%" as interpolation: a folder name holding one must double it.
    cfg.set_main_option("script_location", str(FOLDER).replace("%", "%%"))
    cfg.attributes["connection"] = connection
    return cfg


def revisions() -> list[str]:
    """Every revision this tracker knows, oldest first; the last is the newest (head).

    Read from each file's ``revision`` and ``down_revision`` without Alembic, whose import and
    reading of the scripts would add a tenth of a second to every command; Alembic is loaded
    only to migrate. tests/test_migrations.py checks this against Alembic's own reading.
    """
    parents = dict(_revision_of(path) for path in sorted((FOLDER / "versions").glob("*.py")))
    child_of = {parent: revision for revision, parent in parents.items()}
    chain: list[str] = []
    revision = child_of.get(None)
    while revision is not None:
        chain.append(revision)
        revision = child_of.get(revision)
    if len(chain) != len(parents):  # a fork (two revisions on one parent) or a loose one
        raise RuntimeError(f"{FOLDER / 'versions'}: the revisions are not one chain: {parents}")
    return chain


def _revision_of(path: Path) -> tuple[str, str | None]:
    """A migration file's ``revision`` and ``down_revision``."""
    found: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and value is not None:
            with suppress(ValueError):
                found[target.id] = ast.literal_eval(value)
    revision, parent = found.get("revision"), found.get("down_revision")
    if not isinstance(revision, str) or not isinstance(parent, str | None):
        raise RuntimeError(f"{path}: no revision = '...' and down_revision = '...' | None")
    return revision, parent


def prepare(db: Database, *, create: bool, upgrade: bool, lock: Lock | None) -> Upgrade | None:
    """Bring the database's schema to this tracker's newest revision, or refuse (see module).

    ``create``: a new database gets its schema (else NotFoundError, nothing made);
    ``upgrade``: an older one is upgraded (else TrackerError naming `tracker db upgrade`).
    Returns what it did, or None when there was nothing to do.
    """
    known = revisions()
    if plan(read(db), known, db.name, create=create, upgrade=upgrade) is None:
        return None
    with lock() if lock is not None else nullcontext():
        # Again under the lock: another process may have created or upgraded it meanwhile.
        found = read(db)
        step = plan(found, known, db.name, create=create, upgrade=upgrade)
        if step is not None:
            _migrate(db, step, stamp=found.version is None)
    return step


def plan(
    found: Found, known: list[str], name: str, *, create: bool, upgrade: bool
) -> Upgrade | None:
    """What to do with a database's schema: nothing (None), or create or upgrade it."""
    head = known[-1]
    if found.version == head:
        return None
    if found.version is not None and found.version not in known:
        raise TrackerError(
            f"database {name} has schema {found.version}, which this tracker does not know "
            f"(its newest is {head}): a newer tracker made it; use that one"
        )
    before = found.version or _unversioned(found, name)
    if before is None and not create:
        raise NotFoundError(f"database not found: {name}")
    if before == head and not upgrade:
        return None  # tracker 0.1.0's schema, unversioned, is the newest: readable as it is
    if before is not None and not upgrade:
        raise TrackerError(
            f"database {name} has schema {before}, this tracker needs {head}: "
            "run `tracker db upgrade`"
        )
    return Upgrade(name, before, head)


def _unversioned(found: Found, name: str) -> str | None:
    """A database with no version: new (None), or made by tracker 0.1.0 (the baseline)."""
    if not found.tables:
        return None
    if found.tables != BASELINE_TABLES.keys():
        held = ", ".join(sorted(found.tables))
        raise TrackerError(
            f"database {name} holds some of tracker's tables ({held}) but not all, and no "
            "schema version: tracker did not make it; use a new database"
        )
    if found.missing:
        raise TrackerError(
            f"database {name} has no schema version and lacks {', '.join(found.missing)}: "
            "a tracker older than 0.1.0 made it, which cannot be upgraded; "
            "import the release files into a new database"
        )
    return BASELINE


def read(db: Database) -> Found:
    """Where the database's schema stands: its version, or which tracker tables it holds.
    A SQLite file is read from its own catalog (no SQLAlchemy to load), any other database
    through SQLAlchemy's inspector."""
    if db.file is not None:
        with db.transaction() as sql:
            return _found(
                set(sql.values("SELECT name FROM sqlite_master WHERE type = 'table'")),
                lambda: sql.values(f"SELECT version_num FROM {VERSION_TABLE}"),
                lambda table: {row[1] for row in sql.rows(f'PRAGMA table_info("{table}")')},
            )
    from sqlalchemy import inspect, text

    with db.connect() as conn:
        inspector = inspect(conn)
        return _found(
            set(inspector.get_table_names()),
            lambda: list(conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars()),
            lambda table: {c["name"] for c in inspector.get_columns(table)},
        )


def _found(
    tables: set[str],
    versions: Callable[[], list[str]],
    columns: Callable[[str], set[str]],
) -> Found:
    """``Found`` from a database's table names; ``versions`` reads alembic_version's rows (when
    the table is there), ``columns`` a table's column names (for an unversioned database)."""
    version = ("+".join(sorted(versions())) or None) if VERSION_TABLE in tables else None
    held = frozenset(tables & BASELINE_TABLES.keys())
    missing: list[str] = []
    if version is None and held == BASELINE_TABLES.keys():
        for table, names in BASELINE_TABLES.items():
            there = columns(table)
            missing += [f"{table}.{c}" for c in names if c not in there]
    return Found(version, held, tuple(missing))


def _migrate(db: Database, step: Upgrade, *, stamp: bool) -> None:
    """Upgrade to the newest revision in one transaction, first recording the revision of an
    unversioned (tracker 0.1.0) database: ``stamp``."""
    # Alembic narrates each step at INFO; tracker says what it did in one line of its own.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        if step.before is None and db.file is not None:
            _create_sqlite(db, step.after)
        else:
            _with_sqlalchemy(db, step, stamp=stamp)
    except Exception as exc:
        if not db.is_error(exc):
            raise
        lines = str(getattr(exc, "orig", None) or exc).strip().splitlines() or [repr(exc)]
        what = (
            f"create its schema ({step.after})"
            if step.before is None
            else f"upgrade it from {step.before} to {step.after}"
        )
        raise TrackerError(
            f"database {db.name}: cannot {what} ({lines[0]}); nothing was changed"
        ) from None


def _with_sqlalchemy(db: Database, step: Upgrade, *, stamp: bool) -> None:
    """Create the schema (a server database), or run Alembic's migrations."""
    with _transaction(db) as conn:
        if step.before is None:
            _create(conn, step.after)
            return
        from alembic import command

        cfg = config(conn)
        if stamp:
            command.stamp(cfg, step.before)
        command.upgrade(cfg, "head")


def _create_sqlite(db: Database, head: str) -> None:
    """A new SQLite file's schema, from ``sqlite.sql`` (the tables' DDL, kept equal to
    ``sqlite_ddl()`` by a test): without loading SQLAlchemy, on a first import."""
    statements = SQLITE_SCHEMA.read_text(encoding="utf-8").split(";\n")
    with db.transaction() as sql:
        for statement in filter(str.strip, statements):
            sql.run(statement)
        sql.run(_VERSION_DDL)
        sql.run(_STAMP, {"head": head})


def sqlite_ddl() -> str:
    """The tables' DDL for SQLite, as SQLAlchemy compiles it: what ``sqlite.sql`` holds.
    After changing the tables, rewrite the file: ``python -c "from tracker.store.migrations
    import sqlite_ddl; print(sqlite_ddl(), end='')" > tracker/store/migrations/sqlite.sql``."""
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    from tracker.store.tables import metadata

    dialect = sqlite.dialect()
    out = []
    for table in metadata.sorted_tables:
        out.append(str(CreateTable(table).compile(dialect=dialect)).strip())
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            out.append(str(CreateIndex(index).compile(dialect=dialect)).strip())
    return "".join(f"{statement};\n" for statement in out)


def _create(conn: Connection, head: str) -> None:
    """A new server database's schema: the tables, stamped with the newest revision. The same
    schema as running every migration (tests/test_migrations.py compares the two), but
    without loading Alembic: 0.1 s of every first import."""
    from sqlalchemy import text

    from tracker.store.tables import metadata

    metadata.create_all(conn)
    conn.execute(text(_VERSION_DDL))
    conn.execute(text(_STAMP), {"head": head})


@contextmanager
def _transaction(db: Database) -> Iterator[Connection]:
    """One transaction around every statement of an upgrade, committed at the end.

    Alembic runs inside it (it sees a transaction begun and begins none). Python's sqlite3
    opens a transaction only before INSERT/UPDATE/DELETE, so CREATE and ALTER would each
    commit at once: on SQLite the driver's handling is turned off and the BEGIN is ours.
    """
    with db.connect() as conn:
        if conn.dialect.name != "sqlite":
            with conn.begin():
                yield conn
            return
        conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            with suppress(Exception):  # SQLite may have rolled it back itself (a full disk)
                conn.exec_driver_sql("ROLLBACK")
            raise
        conn.exec_driver_sql("COMMIT")
