"""How the commands open the database, and `tracker db upgrade`.

The schema is versioned (``tracker.store.migrations``). A command that writes upgrades an older
database under the database's lock and says so on stderr; a read-only command refuses one,
naming `tracker db upgrade`, and changes nothing. A new database gets its schema under the
lock, so that processes opening it at once do not all create it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tracker.run.lock import What
    from tracker.store import Store

# How long opening a database waits for its lock, by default, to create or upgrade the
# schema: the holder is most likely another process doing just that (seconds). A check waits
# its own --wait instead: to a check, a database in use is busy, whatever the holder does.
SCHEMA_WAIT = 60.0
# The stores a command opened, closed when it ends (``close_stores``, called by ``main``).
_OPENED: list[Store] = []


def notice(line: str) -> None:
    """A line for the person at the terminal."""
    print(f"tracker: {line}", file=sys.stderr)


def open_store(
    url: str,
    data_dir: Path,
    *,
    writes: What | None = None,
    locked: bool = False,
    wait: float = SCHEMA_WAIT,
    create: bool = True,
) -> Store:
    """Open the database at ``url`` for a command that ``writes`` (as "check" or "import"),
    or only reads (None).

    A writer upgrades an older schema, saying so; a reader refuses it. Creating or upgrading
    takes the database's lock, waiting ``wait`` seconds for it at most (a check passes its
    --wait: busy is busy), unless the caller holds it already (``locked``). ``create=False``:
    a writer that still makes no database (it is "database not found", as for a reader).
    """
    from tracker.store import Store

    def lock() -> Any:
        from tracker.run.lock import hold, lock_for

        what: What = writes or "import"
        return hold(lock_for(url, data_dir), what, wait=wait, notify=notice)

    # A reader creates nothing: a database not there is "database not found" (exit 1).
    store = Store(
        url,
        create=create and writes is not None,
        upgrade=writes is not None,
        lock=None if locked else lock,
    )
    _OPENED.append(store)
    if store.upgraded is not None and store.upgraded.before is not None:
        notice(str(store.upgraded))
    return store


def close_stores() -> None:
    """Close every store the command opened: a PostgreSQL session ends then, cleanly, rather
    than when the process or the garbage collector gets to it."""
    while _OPENED:
        _OPENED.pop().close()


def add_db_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
    *,
    wait: float,
) -> None:
    """The ``db`` command group."""
    group = sub.add_parser(
        "db", help="the database's schema", description="the database's schema (its version)"
    )
    db_sub = group.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    p = db_sub.add_parser(
        "upgrade",
        parents=[common],
        help="upgrade the database's schema to this tracker's",
        description="upgrade the database's schema to this tracker's, under the database's "
        "lock (the commands that write do it themselves; the read-only ones ask for it)",
    )
    p.set_defaults(func=cmd_db_upgrade)
    p.add_argument(
        "--wait",
        type=float,
        default=wait,
        metavar="SECONDS",
        help=f"if a check or an import holds the database, wait this long (default: {wait:g})",
    )


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from tracker.cli.common import load
    from tracker.run.lock import hold, lock_for
    from tracker.store import Store, redact_url
    from tracker.store.migrations import revisions

    config = load(args)
    with hold(lock_for(config.db_url, config.data_dir), "import", wait=args.wait, notify=notice):
        store = Store(config.db_url, upgrade=True)  # the lock is held: none to take
    store.close()
    if store.upgraded is None:
        print(
            f"database {redact_url(config.db_url)} has schema {revisions()[-1]}, "
            "this tracker's newest: nothing to do"
        )
    else:
        print(store.upgraded)
    return 0
