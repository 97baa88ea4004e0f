"""The one release order: which release follows which. Import, check, the guard's choice of
predecessor, the diff defaults and a code's history all sort by ``release_order``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import TypeVar

from tracker.records import ParsedRelease, ReleaseInfo

ReleaseKey = tuple[date, bool, int, str]
T = TypeVar("T")


def release_order(info: ReleaseInfo) -> ReleaseKey:
    """Oldest first: by effective date; then the annual file before the January quarter that
    takes effect the same day (CMS posts both, effective January 1, and the quarter updates
    the annual file); then by revision; then by label, so that no two releases tie."""
    return (info.effective, info.kind != "annual", info.revision, info.label)


def incoming_order(parsed: ParsedRelease) -> ReleaseKey:
    """Where a file not stored yet goes among the others: as the first revision of its label
    (files of one import are stored in this order, so each is guarded against the release
    that precedes it once stored)."""
    return release_order(provisional_info(parsed))


def provisional_info(parsed: ParsedRelease, revision: int = 1) -> ReleaseInfo:
    """The identity a parsed release is stored under as the given revision of its label."""
    label = parsed.base_label if revision == 1 else f"{parsed.base_label}.{revision}"
    return ReleaseInfo(
        parsed.code_set, label, parsed.effective, revision,
        parsed.source_name, parsed.sha256, parsed.kind,
    )  # fmt: skip


def predecessor_of(
    info: ReleaseInfo, candidates: Iterable[T], info_of: Callable[[T], ReleaseInfo]
) -> T | None:
    """The release ``info`` follows in its series, stored or not: the last of ``candidates``
    in that series that sorts before it. A release not stored yet is thus compared with the
    one that will precede it once stored (the 2026 annual file imported after 2026-Q1 follows
    2025-Q4, not 2026-Q1)."""
    key = release_order(info)
    earlier = [
        c
        for c in candidates
        if info_of(c).series == info.series and release_order(info_of(c)) < key
    ]
    return max(earlier, key=lambda c: release_order(info_of(c)), default=None)


def successor_of(
    info: ReleaseInfo, candidates: Iterable[T], info_of: Callable[[T], ReleaseInfo]
) -> T | None:
    """The release that follows ``info`` in its series: the first of ``candidates`` in that
    series that sorts after it. A release inserted between stored ones becomes this one's
    predecessor, so the guard judges this one against it too."""
    key = release_order(info)
    later = [
        c
        for c in candidates
        if info_of(c).series == info.series and release_order(info_of(c)) > key
    ]
    return min(later, key=lambda c: release_order(info_of(c)), default=None)
