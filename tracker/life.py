"""A code's life across the stored releases: where it stands in the newest one, and the values
the lookups (`history`, `show`, `codes`) hand to the reports. Pure: records in, values out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from tracker.reconcile import cms_date
from tracker.records import Record, ReleaseInfo, Successor
from tracker.validity import Validity

if TYPE_CHECKING:
    from tracker.query import HistoryEntry

CURRENT = "current"  # in the newest release without a termination date
ENDED = "ended"  # in the newest release with a termination date (past or to come)
DROPPED = "dropped"  # no longer in the files: aged out after its termination, or removed
# A code's record in each release of its code set, oldest first (None: absent from it).
Timeline = Sequence[tuple[ReleaseInfo, Record | None]]


@dataclass(frozen=True)
class Standing:
    """Where a code stands in the newest stored release of its code set."""

    status: str  # CURRENT, ENDED or DROPPED
    newest: ReleaseInfo  # the newest release of the code set (as of --known-in, if given)
    terminated: date | None  # its termination date (ended, or dropped after one: an age-out)
    last_seen: ReleaseInfo  # the last release that holds it: the newest unless dropped

    @property
    def ended(self) -> bool:
        """Whether it has ended or will: what its successors are asked for."""
        return self.status != CURRENT


@dataclass(frozen=True)
class Life:
    """Everything the store says about one code (`tracker history`)."""

    code: str
    entries: tuple[HistoryEntry, ...]  # first seen, then each change, oldest first
    standing: Standing  # where it stands in the newest release
    successors: tuple[Successor, ...]  # what replaces it, when it ended (else empty)


@dataclass(frozen=True)
class Shown:
    """One code's record with its validity on a date (`tracker show`)."""

    record: Record
    release: ReleaseInfo  # the release the record was read from
    # How that record was chosen: "latest" (CMS's latest word across every stored release),
    # "release" (--release LABEL) or "known_in" (the latest up to --known-in LABEL).
    source: str
    validity: Validity  # whether the code was valid on the date asked
    standing: Standing
    successors: tuple[Successor, ...]  # what replaces it, when it ended (else empty)


def standing_of(timeline: Timeline) -> Standing:
    """Where the code stands, from its record in each release (it must be in one)."""
    present = [(info, record) for info, record in timeline if record is not None]
    last_seen, record = present[-1]
    newest = timeline[-1][0]
    terminated = cms_date(record.text("term_dt"))
    if last_seen != newest:
        return Standing(DROPPED, newest, terminated, last_seen)
    status = ENDED if terminated is not None else CURRENT
    return Standing(status, newest, terminated, last_seen)


def span_start(timeline: Timeline) -> ReleaseInfo:
    """Where the span its successors were added over starts: the last release in which the
    code was still live (held, without a termination date); the first that holds it when no
    stored release has it live (C9130, ended 2013, is terminated in every one from 2017)."""
    live = [info for info, record in timeline if record is not None and not record.text("term_dt")]
    if live:
        return live[-1]
    return next(info for info, record in timeline if record is not None)
