"""Schema migrations: the chain, the schema it makes, upgrading a tracker 0.1.0 database, the
commands on older and newer databases, and a new database opened by eight processes at once.

Each test that touches a database runs on SQLite and, when TRACKER_TEST_PG_URL is set, on a
fresh PostgreSQL database (the ``db_url`` fixture).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import multiprocessing
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, create_engine, inspect, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from tracker.cli import main
from tracker.cli.db import open_store
from tracker.errors import NotFoundError, TrackerError
from tracker.query import stored_diff
from tracker.records import Validators
from tracker.run.demo import sample_paths
from tracker.store import Store, redact_url
from tracker.store.migrations import (
    BASELINE,
    BASELINE_TABLES,
    FOLDER,
    SQLITE_SCHEMA,
    Found,
    Upgrade,
    config,
    plan,
    revisions,
    sqlite_ddl,
)
from tracker.store.tables import metadata

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "db" / "tracker-0.1.0.db"
EXPECTED = json.loads(FIXTURE.with_suffix(".json").read_text())
HEAD = revisions()[-1]
JULY = next(p for p in sample_paths() if "JUL" in p.name)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine of its own on the test's database, to look at it from outside tracker."""
    e = create_engine(db_url, poolclass=NullPool)
    yield e
    e.dispose()


def _upgrade_to(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        command.upgrade(config(conn), revision)


@pytest.fixture
def legacy(db_url: str, engine: Engine) -> str:
    """A database made by tracker 0.1.0, holding the committed fixture's data.

    SQLite: the committed file, copied. PostgreSQL: tracker 0.1.0's tables (revision 0001,
    without alembic_version, as its create_all left them) with the fixture's rows copied in.
    """
    if engine.dialect.name == "sqlite":
        shutil.copy(FIXTURE, make_url(db_url).database or "")
        return db_url
    _upgrade_to(engine, BASELINE)
    source = create_engine(f"sqlite:///{FIXTURE}", poolclass=NullPool)
    tables = MetaData()
    tables.reflect(source)
    with source.connect() as old, engine.begin() as new:
        new.execute(text("DROP TABLE alembic_version"))
        for table in tables.sorted_tables:
            rows = [dict(r._mapping) for r in old.execute(select(table))]
            new.execute(table.insert(), rows)
            if "id" in table.c:  # as PostgreSQL's sequences stood after tracker 0.1.0's inserts
                new.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"(SELECT max(id) FROM {table}))"))  # fmt: skip
    source.dispose()
    return db_url


def _contents(store: Store) -> dict[str, Any]:
    """What the store holds, in the shape of tracker-0.1.0.json (made by tracker 0.1.0)."""
    runs = [dataclasses.asdict(r) for r in store.ledger.runs()]
    contents: dict[str, Any] = json.loads(json.dumps({
        "diff_2025_to_2025-Q2": [
            [c.code, c.category] for c in stored_diff(store, "2025", "2025-Q2").changes
        ],
        "releases": [
            {"label": r.info.label, "code_set": r.info.code_set,
             "effective": r.info.effective.isoformat(), "revision": r.info.revision,
             "kind": r.info.kind, "source_name": r.info.source_name, "sha256": r.info.sha256,
             "codes": r.codes, "imported_at": r.imported_at.isoformat(),
             "records": {code: dict(record.fields)
                         for code, record in sorted(store.catalog.records(r.info.label).items())}}
            for r in store.catalog.releases()
        ],
        "runs": [
            {key: run[key] for key in EXPECTED["runs"][0]}
            | {"started_at": run["started_at"].isoformat(),
               "finished_at": run["finished_at"] and run["finished_at"].isoformat()}
            for run in runs
        ],
        "outbox": [
            {"key": item.key, "subject": item.subject, "created_at": item.created_at.isoformat(),
             "message_sha256": hashlib.sha256(item.message).hexdigest(),
             "attempts": item.attempts, "last_error": item.last_error}
            for item in store.outbox.pending()
        ],
        "validators": {
            url: dataclasses.asdict(_stored(store.validators.get(url)))
            for url in EXPECTED["validators"]
        },
    }))  # fmt: skip
    return contents


def _stored(validators: Validators | None) -> Validators:
    assert validators is not None, "no validators stored"
    return validators


def _schema(engine: Engine) -> dict[str, Any]:
    """Every table with its columns, and alembic_version's rows: to tell that nothing changed."""
    inspector = inspect(engine)
    tables = {t: sorted(c["name"] for c in inspector.get_columns(t))
              for t in inspector.get_table_names()}  # fmt: skip
    with engine.connect() as conn:
        version = (
            sorted(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
            if "alembic_version" in tables
            else None
        )
    return {"tables": tables, "version": version}


def _drift(engine: Engine) -> list[Any]:
    """What differs between the database's schema and the tables (tracker.store.tables)."""
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), metadata))


# --- the chain and the schema it makes ------------------------------------------------------


def test_the_revisions_are_one_chain_from_the_baseline_read_as_alembic_reads_them() -> None:
    script = ScriptDirectory.from_config(config())
    assert script.get_heads() == [HEAD]
    walked = [s.revision for s in reversed(list(script.walk_revisions()))]
    assert revisions() == walked and walked[0] == BASELINE
    for previous, revision in pairwise(walked):
        assert script.get_revision(revision).down_revision == previous
    files = sorted(p.name for p in (FOLDER / "versions").glob("*.py"))
    assert [name[:4] for name in files] == walked


def test_a_new_database_is_made_at_the_newest_revision_and_matches_the_tables(
    db_url: str, engine: Engine
) -> None:
    store = Store(db_url)
    assert store.upgraded == Upgrade(redact_url(db_url), None, HEAD)
    assert _drift(engine) == []
    assert _schema(engine)["version"] == [HEAD]
    store.close()
    again = Store(db_url)
    assert again.upgraded is None
    again.close()


def test_the_sqlite_schema_file_is_the_tables_ddl() -> None:
    """A new SQLite file is made from sqlite.sql, without SQLAlchemy: it must be the tables'
    DDL (``sqlite_ddl`` says how to rewrite it)."""
    assert SQLITE_SCHEMA.read_text(encoding="utf-8") == sqlite_ddl()


def test_the_migration_chain_makes_the_schema_a_new_database_gets(
    db_url: str, engine: Engine
) -> None:
    """A new database is made from the tables and stamped (no Alembic to load on a first
    import); running every migration from nothing must give that same schema."""
    _upgrade_to(engine, "head")
    assert _drift(engine) == []
    assert _schema(engine)["version"] == [HEAD]


def test_the_baseline_is_the_schema_tracker_0_1_0_made(tmp_path: Path) -> None:
    made = create_engine(f"sqlite:///{FIXTURE}", poolclass=NullPool)
    original = MetaData()
    original.reflect(made)
    made.dispose()
    columns = {t.name: tuple(c.name for c in t.columns) for t in original.tables.values()}
    assert columns == BASELINE_TABLES
    baseline = create_engine(f"sqlite:///{tmp_path / 'baseline.db'}", poolclass=NullPool)
    _upgrade_to(baseline, BASELINE)
    with baseline.connect() as conn:
        # Tables, columns, types, nullability, indexes and unique constraints alike.
        diffs = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), original
        )
    baseline.dispose()
    assert [d for d in diffs if d[0] != "remove_table" or d[1].name != "alembic_version"] == []


# --- a tracker 0.1.0 database ---------------------------------------------------------------


def test_db_upgrade_keeps_every_release_run_and_outbox_item(
    capsys: pytest.CaptureFixture[str], legacy: str, engine: Engine
) -> None:
    name = redact_url(legacy)
    assert run(capsys, "--db", legacy, "db", "upgrade") == (
        0, f"upgraded the database {name} from {BASELINE} to {HEAD}\n", ""
    )  # fmt: skip
    assert _drift(engine) == []
    store = Store(legacy, create=False)
    assert _contents(store) == EXPECTED
    store.close()
    code, out, err = run(capsys, "--db", legacy, "diff", "2025", "2025-Q2", "--format", "json")
    assert (code, err) == (0, "")
    assert [[c["code"], c["category"]] for c in json.loads(out)["changes"]] == EXPECTED[
        "diff_2025_to_2025-Q2"
    ]
    assert run(capsys, "--db", legacy, "db", "upgrade") == (
        0, f"database {name} has schema {HEAD}, this tracker's newest: nothing to do\n", ""
    )  # fmt: skip


def test_a_writing_command_upgrades_it_and_says_so(
    capsys: pytest.CaptureFixture[str], legacy: str
) -> None:
    code, out, err = run(capsys, "--db", legacy, "import", "--force", str(JULY))
    assert (code, out, err) == (
        0,
        "imported 2025-Q3 (HCPC2025_JUL_ANWEB_SAMPLE.txt): 8 codes, effective 2025-07-01\n",
        f"tracker: upgraded the database {redact_url(legacy)} from {BASELINE} to {HEAD}\n",
    )
    store = Store(legacy, create=False)
    contents = _contents(store)
    assert [r["label"] for r in contents["releases"]] == ["2025", "2025-Q2", "2025-Q3"]
    assert contents | {"releases": contents["releases"][:2]} == EXPECTED
    store.close()


@pytest.mark.skipif(HEAD == BASELINE, reason="no revision after the baseline yet")
@pytest.mark.parametrize(
    "command",
    [["releases"], ["diff"], ["history", "A9901"], ["runs"], ["status"], ["cpt", "cadence"]],
)
def test_a_read_only_command_on_an_older_database_says_so_and_changes_nothing(
    capsys: pytest.CaptureFixture[str], legacy: str, engine: Engine, command: list[str]
) -> None:
    before = _schema(engine)
    file = make_url(legacy).database if engine.dialect.name == "sqlite" else None
    content = Path(file).read_bytes() if file else b""
    assert run(capsys, "--db", legacy, *command) == (
        1,
        "",
        f"tracker: error: database {redact_url(legacy)} has schema {BASELINE}, this tracker "
        f"needs {HEAD}: run `tracker db upgrade`\n",
    )
    assert _schema(engine) == before
    if file:
        assert Path(file).read_bytes() == content


# --- a newer database, an unreachable one, a failed upgrade ---------------------------------


@pytest.mark.parametrize(
    "command",
    [["releases"], ["import", "--force", str(JULY)], ["db", "upgrade"], ["check"]],
)
def test_a_database_a_newer_tracker_made_is_refused_unchanged(
    capsys: pytest.CaptureFixture[str], db_url: str, engine: Engine, command: list[str]
) -> None:
    Store(db_url).close()
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    before = _schema(engine)
    assert run(capsys, "--db", db_url, *command) == (
        1,
        "",
        f"tracker: error: database {redact_url(db_url)} has schema 9999, which this tracker "
        f"does not know (its newest is {HEAD}): a newer tracker made it; use that one\n",
    )
    assert _schema(engine) == before


@pytest.mark.parametrize("command", [["releases"], ["runs"], ["db", "upgrade"], ["import", "x"]])
def test_an_unreachable_postgresql_is_one_line_with_host_and_port_not_the_password(
    capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there once the socket closes
    url = f"postgresql+psycopg://tracker:s3cret@127.0.0.1:{port}/tracker"
    code, out, err = run(capsys, "--db", url, *command)
    assert (code, out) == (1, "")
    assert err.startswith(
        f"tracker: error: database postgresql+psycopg://tracker:***@127.0.0.1:{port}/tracker: "
        f"cannot connect to 127.0.0.1:{port} ("
    )
    assert "s3cret" not in err and err.count("\n") == 1


@pytest.mark.skipif(HEAD == BASELINE, reason="no revision after the baseline yet")
def test_an_upgrade_that_fails_leaves_the_database_as_it_was(
    capsys: pytest.CaptureFixture[str], db_url: str, engine: Engine
) -> None:
    _upgrade_to(engine, BASELINE)
    with engine.begin() as conn:  # refuse the version's update that ends the first step
        if engine.dialect.name == "sqlite":
            conn.execute(text("CREATE TRIGGER refuse BEFORE UPDATE ON alembic_version "
                              "BEGIN SELECT RAISE(ABORT, 'refused'); END"))  # fmt: skip
        else:
            conn.execute(text("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                              "$$ BEGIN RAISE EXCEPTION 'refused'; END $$"))  # fmt: skip
            conn.execute(text("CREATE TRIGGER refuse BEFORE UPDATE ON alembic_version "
                              "FOR EACH ROW EXECUTE FUNCTION refuse()"))  # fmt: skip
    before = _schema(engine)
    assert run(capsys, "--db", db_url, "db", "upgrade") == (
        1,
        "",
        f"tracker: error: database {redact_url(db_url)}: cannot upgrade it from {BASELINE} to "
        f"{HEAD} (refused); nothing was changed\n",
    )
    assert _schema(engine) == before


# --- deciding what to do (pure) -------------------------------------------------------------

NAME = "sqlite:///t.db"
ALL = frozenset(BASELINE_TABLES)


@pytest.mark.parametrize(
    ("found", "create", "upgrade", "outcome"),
    [
        (Found(HEAD, ALL, ()), False, False, None),
        (Found(None, frozenset(), ()), True, False, Upgrade(NAME, None, HEAD)),
        (Found(None, frozenset(), ()), False, False,
         NotFoundError(f"database not found: {NAME}")),
        (Found(None, ALL, ()), True, True, Upgrade(NAME, BASELINE, HEAD)),
        (Found(BASELINE, ALL, ()), True, True, Upgrade(NAME, BASELINE, HEAD)),
        (Found("9999", ALL, ()), True, True, TrackerError(
            f"database {NAME} has schema 9999, which this tracker does not know (its newest is "
            f"{HEAD}): a newer tracker made it; use that one")),
        (Found(None, frozenset({"run", "release"}), ()), True, True, TrackerError(
            f"database {NAME} holds some of tracker's tables (release, run) but not all, and no "
            "schema version: tracker did not make it; use a new database")),
        (Found(None, ALL, ("release.reported",)), True, True, TrackerError(
            f"database {NAME} has no schema version and lacks release.reported: a tracker older "
            "than 0.1.0 made it, which cannot be upgraded; import the release files into a new "
            "database")),
    ],
)  # fmt: skip
def test_plan(found: Found, create: bool, upgrade: bool, outcome: object) -> None:
    if isinstance(outcome, Exception):
        with pytest.raises(type(outcome)) as error:
            plan(found, revisions(), NAME, create=create, upgrade=upgrade)
        assert str(error.value) == str(outcome)
    else:
        assert plan(found, revisions(), NAME, create=create, upgrade=upgrade) == outcome


def test_a_reader_of_an_older_database_is_told_to_upgrade() -> None:
    known = ["0001", "0002"]
    with pytest.raises(TrackerError) as error:
        plan(Found("0001", ALL, ()), known, NAME, create=True, upgrade=False)
    assert str(error.value) == (
        f"database {NAME} has schema 0001, this tracker needs 0002: run `tracker db upgrade`"
    )
    # An unversioned tracker 0.1.0 database is readable as it is while 0001 is the newest.
    assert plan(Found(None, ALL, ()), ["0001"], NAME, create=False, upgrade=False) is None


# --- many processes, one new database -------------------------------------------------------


def _open(url: str, data_dir: Path, go: Any, outcome: Any) -> None:
    """One of the processes: wait for the signal, open the database as a check does."""
    go.wait()
    try:
        open_store(url, data_dir, writes="check").close()
        outcome.put("opened")
    except Exception as exc:
        outcome.put(f"{type(exc).__name__}: {exc}")


def test_eight_processes_opening_a_new_database_at_once_all_open_it(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    # Forked: each starts with tracker imported, so all eight reach the database together.
    context = multiprocessing.get_context("fork")
    go, outcome = context.Event(), context.Queue()
    children = [
        context.Process(target=_open, args=(db_url, tmp_path, go, outcome)) for _ in range(8)
    ]
    for child in children:
        child.start()
    go.set()
    results = sorted(outcome.get(timeout=120) for _ in children)
    for child in children:
        child.join(timeout=30)
    assert results == ["opened"] * 8
    assert [child.exitcode for child in children] == [0] * 8
    assert _drift(engine) == []
    assert _schema(engine)["version"] == [HEAD]


def test_the_help_and_a_read_only_command_load_no_alembic(db_url: str) -> None:
    Store(db_url).close()
    probe = (
        "import sys; from tracker.cli import build_parser, main; build_parser(); "
        "before = sorted(m for m in ('sqlalchemy', 'alembic') if m in sys.modules); "
        f"main(['--db', {db_url!r}, 'runs']); print(before, 'alembic' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.splitlines()[-1] == "[] False"
