"""Import release files into the store: read each, then store it in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from tracker.guard import Guard
from tracker.hcpcs.read import read_release
from tracker.records import ParsedRelease
from tracker.store import ImportResult, Store


def import_files(
    store: Store,
    paths: Sequence[Path],
    *,
    guard: Guard,
    label: str | None = None,
    effective: date | None = None,
    force: bool = False,
) -> list[ImportResult]:
    """Read every file, then store them all in one transaction, oldest first, so that each is
    guarded against its real predecessor and a bad one leaves nothing behind."""
    parsed = [read_release(p, label=label, effective=effective) for p in paths]
    return import_parsed(store, parsed, guard=guard, force=force)


def import_parsed(
    store: Store, parsed: Sequence[ParsedRelease], *, guard: Guard, force: bool = False
) -> list[ImportResult]:
    return store.add_releases(parsed, guard=guard, force=force)
