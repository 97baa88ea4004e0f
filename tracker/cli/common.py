"""What every command shares: its arguments' types, the config, the database, the lock,
and how it prints. Heavy libraries are imported inside, so ``tracker --help`` starts fast."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from tracker.config import Config
    from tracker.run.lock import What
    from tracker.store import Store

# How long an import waits for the database's lock by default: a person at a terminal would
# rather wait out a running check (most take well under a minute) than retry by hand.
IMPORT_WAIT = 60.0
# A string: argparse._SubParsersAction is generic only to type checkers.
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
Command = Callable[[argparse.Namespace], int]


def add_command(
    sub: Subparsers,
    common: argparse.ArgumentParser,
    name: str,
    func: Command,
    help: str,
    description: str = "",
) -> argparse.ArgumentParser:
    """A subcommand taking the common options (--db, --config), run by ``func``; ``help`` is
    its line in `tracker --help`, ``description`` (default: the same) heads its own --help."""
    parser = sub.add_parser(name, parents=[common], help=help, description=description or help)
    parser.set_defaults(func=func)
    return parser


def add_group(sub: Subparsers, name: str, help: str, description: str = "") -> Subparsers:
    """A command group (``tracker cpt ...``): its subcommands are added to what it returns."""
    group = sub.add_parser(name, help=help, description=description or help)
    return group.add_subparsers(dest=f"{name}_command", required=True, metavar="COMMAND")


def add_wait(parser: argparse.ArgumentParser, default: float, holders: str) -> None:
    """``--wait SECONDS``: how long to wait for the database's lock."""
    when = f"(default: {default:g})" if default else "(default: exit at once)"
    parser.add_argument(
        "--wait",
        type=float,
        default=default,
        metavar="SECONDS",
        help=f"if {holders} holds the database, wait this long {when}",
    )


def date_arg(text: str) -> date:
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-04-01") from None
    if not 1900 <= value.year <= 2199:
        raise argparse.ArgumentTypeError(f"{text!r} is not a plausible date")
    return value


def label_arg(text: str) -> str:
    """A HCPCS release label given with --label: bad usage (exit 2) when it is not one."""
    from tracker.hcpcs.identity import identity_from_label

    try:
        return identity_from_label(text).label
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{exc}; use e.g. 2026 or 2026-Q2") from None


def year_arg(text: str) -> int:
    if not re.fullmatch(r"(19|20|21)\d\d", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a year like 2026")
    return int(text)


def load(args: argparse.Namespace) -> Config:
    """The configuration, validated once: a bad setting stops any command (exit 2)."""
    from tracker.config import load_config

    return load_config(getattr(args, "config", None), db=db_url(getattr(args, "db", None)))


def db_url(db: str | None) -> str | None:
    """``--db``: a database URL, or a plain file path for SQLite (``snapshots/tracker.db``
    means ``sqlite:///snapshots/tracker.db``)."""
    return db if not db or "://" in db else f"sqlite:///{db}"


def store_for(
    config: Config,
    *,
    writes: What | None = None,
    locked: bool = False,
    wait: float | None = None,
    create: bool = True,
) -> Store:
    """The database, for a command that ``writes`` (upgrading an older schema) or only reads
    (creating nothing); see ``tracker.cli.db``. ``locked``: the command holds the lock;
    ``create=False``: a writer that makes no database either."""
    from tracker.cli.db import SCHEMA_WAIT, open_store

    return open_store(
        config.db_url,
        config.data_dir,
        writes=writes,
        locked=locked,
        wait=SCHEMA_WAIT if wait is None else wait,
        create=create,
    )


def import_lock(config: Config, wait: float) -> Any:
    """The database's lock, held by an import: it never runs beside a check or an import."""
    from tracker.run.lock import hold, lock_for

    return hold(lock_for(config.db_url, config.data_dir), "import", wait=wait, notify=notice)


def notice(line: str) -> None:
    """A line for the person at the terminal (who holds the lock, a lock taken over)."""
    print(f"tracker: {line}", file=sys.stderr)


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def write_output(path: Path | None, content: str | bytes) -> None:
    """The report on stdout, or written atomically to ``path`` (saying so on stderr)."""
    if path is None:
        if isinstance(content, bytes):
            sys.stdout.buffer.write(content)
        else:
            sys.stdout.write(content)
        return
    from tracker.errors import TrackerError
    from tracker.report.publish import write_atomic

    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        write_atomic(path, data)
    except OSError as exc:
        raise TrackerError(f"{path}: cannot write report ({exc.strerror})") from None
    print(f"wrote {path}", file=sys.stderr)
