"""Import release files into the store: read each, then store it in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from tracker.parse import read_release
from tracker.records import ParsedRelease
from tracker.store import Guard, ImportResult, Store


def import_files(
    store: Store,
    paths: Sequence[Path],
    *,
    guard: Guard,
    label: str | None = None,
    effective: date | None = None,
    force: bool = False,
) -> list[ImportResult]:
    """Read every file first (a bad one stops all before anything is stored), then store
    them in effective-date order so each is guarded against its real predecessor."""
    parsed = [read_release(p, label=label, effective=effective) for p in paths]
    return import_parsed(store, parsed, guard=guard, force=force)


def import_parsed(
    store: Store, parsed: Sequence[ParsedRelease], *, guard: Guard, force: bool = False
) -> list[ImportResult]:
    ordered = sorted(parsed, key=lambda p: p.effective)
    return [store.add_release(p, guard=guard, force=force) for p in ordered]
