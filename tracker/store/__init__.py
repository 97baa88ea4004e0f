"""The snapshot store: every release with all its records, in SQLite (or any SQLAlchemy URL).

One module per concern, behind one ``Store``:

- ``store.catalog`` (``releases``): releases and their record versions (``versions``);
- ``store.ledger`` (``runs``): the run ledger;
- ``store.outbox`` (``outbox``): emails stored before they are sent;
- ``store.validators`` (``validators``): HTTP validators for conditional GETs;
- ``store.watchlists`` (``watchlists``): an organisation's own codes, each list's versions.

The tables stay in ``tables``; callers get frozen domain values. The store holds no policy:
which release may be stored (the guard) and in what transactions (``tracker.run.ingest``) are
decided by its callers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tracker.store.database import Clock, Database, redact_url, utc_now
from tracker.store.migrations import Lock, Upgrade
from tracker.store.outbox import Outbox, OutboxItem
from tracker.store.releases import Batch, Catalog, ImportResult, Plan, StoredRelease
from tracker.store.runs import Run, RunLedger
from tracker.store.sql import Sql
from tracker.store.validators import HttpValidators
from tracker.store.watchlists import Watchlists

__all__ = [
    "Batch",
    "ImportResult",
    "OutboxItem",
    "Plan",
    "Run",
    "Store",
    "StoredRelease",
    "Upgrade",
    "redact_url",
]


class Store:
    """The database and its concerns. Each call is one transaction; ``catalog.batch()`` holds
    several releases in one."""

    def __init__(
        self,
        url: str,
        *,
        clock: Clock | None = None,
        create: bool = True,
        upgrade: bool = False,
        lock: Lock | None = None,
    ) -> None:
        """Open the database at ``url``, creating it unless ``create=False`` (the read-only
        commands: a database not there is NotFoundError and nothing is created).

        Its schema must be this tracker's newest: ``upgrade=True`` (the commands that write)
        upgrades an older one, else it is refused. Creating or upgrading holds ``lock`` (None:
        the caller holds the database's lock already); ``upgraded`` says what was done.
        """
        self.url = url
        self._db = Database(url, create=create, upgrade=upgrade, lock=lock)
        self.upgraded = self._db.upgraded
        clock = clock or utc_now
        self.catalog = Catalog(self._db, clock)
        self.ledger = RunLedger(self._db, clock)
        self.outbox = Outbox(self._db, clock)
        self.validators = HttpValidators(self._db)
        self.watchlists = Watchlists(self._db, clock)

    @contextmanager
    def transaction(self) -> Iterator[Sql]:
        """One transaction on the database (for ``codebook``'s queries)."""
        with self._db.transaction() as sql:
            yield sql

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
