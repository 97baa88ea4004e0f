from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from tracker.store import Store

SHARED_CMS = Path(__file__).resolve().parents[1].parent / "shared" / "cms"
FIXED_NOW = datetime(2026, 4, 2, 12, 0, tzinfo=UTC)

PG_URL_ENV = "TRACKER_TEST_PG_URL"
PG_HOWTO = (
    f"set {PG_URL_ENV}=postgresql+psycopg://user@host:port/db (a user who may CREATE DATABASE) "
    "to run it on PostgreSQL; .ci/run starts such a server"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database per test: a SQLite file, then a PostgreSQL database.

    The PostgreSQL variant is skipped when no server is configured, except under CI.
    """
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def pg_url(pg_server: Engine) -> Iterator[str]:
    """A fresh PostgreSQL database per test (CREATE DATABASE, dropped after): its URL."""
    name = f"test_{secrets.token_hex(6)}"
    with pg_server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield (
            make_url(os.environ[PG_URL_ENV])
            .set(database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        with pg_server.connect() as conn:
            # FORCE: a test that failed may have left a connection open.
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Engine]:
    """The server named by TRACKER_TEST_PG_URL, for creating and dropping test databases.

    Unset: the PostgreSQL tests are skipped, saying how to run them. Under CI (CI=true, as
    .ci/run sets) they fail instead, so that a CI without its server cannot pass quietly.
    """
    url = os.environ.get(PG_URL_ENV)
    if not url:
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(f"{PG_URL_ENV} is not set under CI: .ci/run should have started a server")
        pytest.skip(f"no PostgreSQL server: {PG_HOWTO}")
    engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect():
            pass
    except Exception as exc:
        engine.dispose()
        pytest.fail(f"{PG_URL_ENV}: cannot connect to {make_url(url)!r}: {exc}")
    yield engine
    engine.dispose()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A fresh database per test (SQLite, then PostgreSQL), with a fixed clock."""
    s = Store(db_url, clock=lambda: FIXED_NOW)
    yield s
    s.close()


def shared_cms() -> Path:
    if not SHARED_CMS.is_dir():
        pytest.skip(
            f"real CMS files not found at {SHARED_CMS} "
            "(the ../shared/cms folder beside the checkout)"
        )
    return SHARED_CMS


@pytest.fixture(scope="session")
def real_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The four real releases in ../shared/cms, imported once for every conformance test
    that reads them (skipped when the folder is absent). Tests only read it."""
    from tests.cms_reports import RELEASE_ZIPS
    from tracker.config import SourceSettings
    from tracker.guard import Guard
    from tracker.run.ingest import import_files

    folder = shared_cms()
    store = Store(
        f"sqlite:///{tmp_path_factory.mktemp('real') / 'real.db'}", clock=lambda: FIXED_NOW
    )
    import_files(
        store,
        [folder / name for name in RELEASE_ZIPS],
        guard=Guard(),
        max_unpacked=SourceSettings().max_unpacked_bytes,
    )
    yield store
    store.close()
