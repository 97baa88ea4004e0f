"""Was a code valid on a date of service? Pure: a record and a date in, a ``Validity`` out.

A code is usable from its add date through its termination date, inclusive: the layout's
termination date is "the last date for which a procedure or modifier code may be used".
Which record answers is the caller's choice, and that choice is the whole difference between
valid time and knowledge time: the code's latest record across every stored release (CMS's
latest word, so a retroactive addition counts), or the latest as of one release (``last_known``
over the releases up to it) for an audit of what could be known then.

The stored releases speak for the dates from the oldest one's effective date to the end of the
quarter in which the newest takes effect (``Coverage``): HCPCS changes take effect quarterly,
so a later date may fall under a release not stored yet, one that may end the code. Such a
date is ``unconfirmed``, not ``valid``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from tracker.reconcile import cms_date
from tracker.records import Record

VALID = "valid"
# Valid by the newest stored release, but on a date after the quarter it speaks for.
UNCONFIRMED = "unconfirmed"
NOT_YET_VALID = "not_yet_valid"  # before the add date
ENDED = "ended"  # after the termination date (the caller lists the successors)
UNKNOWN = "unknown"  # in no stored release, or a date older than every stored release
BAD_DATE = "bad_date"  # the date of service is not YYYY-MM-DD, YYYYMMDD or MM/DD/YYYY
STATUSES = (VALID, UNCONFIRMED, NOT_YET_VALID, ENDED, UNKNOWN, BAD_DATE)


@dataclass(frozen=True)
class Coverage:
    """The dates of service the stored releases speak for (build with ``of``)."""

    first: date  # when the oldest release took effect: no older date can be answered
    last: date  # the last day of the quarter in which the newest release takes effect
    newest: str  # the newest release's label, for messages

    @classmethod
    def of(cls, releases: Sequence[tuple[str, date]]) -> Coverage | None:
        """The coverage of releases given as (label, effective) oldest first; None: none."""
        if not releases:
            return None
        label, effective = releases[-1]
        return cls(releases[0][1], quarter_end(effective), label)


def quarter_end(day: date) -> date:
    """The last day of the calendar quarter ``day`` falls in (HCPCS updates take effect on
    January 1, April 1, July 1 and October 1)."""
    month = 3 * ((day.month - 1) // 3 + 1)
    if month == 12:
        return date(day.year, 12, 31)
    return date(day.year, month + 1, 1) - timedelta(days=1)


@dataclass(frozen=True)
class Known:
    """A code's record as of some release, and the release it came from (build with ``of``)."""

    record: Record
    release: str  # the label of the release the record was read from, e.g. "2026-Q1"
    added: date | None  # its add date (ADD DT), read once: a claims file asks per row
    terminated: date | None  # its termination date (TERM DT), if any; see removed_in
    # The release from which the code is gone although its last record was never terminated
    # (G9976, G9977 after 2018): it was usable up to the day before that release took effect,
    # which ``terminated`` then holds.
    removed_in: str | None = None

    @classmethod
    def of(cls, record: Record, release: str) -> Known:
        added, terminated = cms_date(record.text("add_dt")), cms_date(record.text("term_dt"))
        return cls(record, release, added, terminated)


@dataclass(frozen=True)
class Validity:
    """Whether one code was valid on one date of service, and why."""

    code: str
    on: date | None  # the date of service; None when it could not be read (bad_date)
    status: str  # one of STATUSES
    added: date | None  # the record's add date (ADD DT), None without a record
    terminated: date | None  # the record's termination date (TERM DT), if any
    release: str | None  # the label of the release the record came from, None without one
    reason: str  # one line for a report, e.g. "ended: terminated 2013-12-31"


def last_known(
    releases: Iterable[tuple[str, Iterable[Record]]], effective: Mapping[str, date] | None = None
) -> dict[str, Known]:
    """Each code's latest record over releases given oldest first, with its release's label.

    Given every stored release, this is CMS's latest word; given the releases up to one
    label, it is what that release knew (``--known-in``). With the releases' ``effective``
    dates, a code gone from a later release without ever having been terminated is a removal
    (``Known.removed_in``), as the store's lookups find it.
    """
    known: dict[str, Known] = {}
    labels: list[str] = []
    for label, records in releases:
        labels.append(label)
        for record in records:
            known[record.code] = Known.of(record, label)
    if effective is None:
        return known
    return {code: removal(k, labels, effective) for code, k in known.items()}


def removal(known: Known, labels: Sequence[str], effective: Mapping[str, date]) -> Known:
    """``known``, or the removal it is when a later release (``labels`` oldest first) no
    longer holds the code and its last record was never terminated: usable up to the day
    before that release took effect."""
    if known.terminated is not None or known.release == labels[-1]:
        return known
    after = labels[labels.index(known.release) + 1]
    return replace(known, terminated=effective[after] - timedelta(days=1), removed_in=after)


def validity(code: str, on: date, known: Known | None, coverage: Coverage | None) -> Validity:
    """Whether ``code`` was valid on ``on`` by its record ``known`` (None: in no stored
    release); ``coverage``: the dates the stored releases speak for (None: none stored)."""
    if coverage is None:
        return _unknown(code, on, "unknown: no release is stored")
    if on < coverage.first:
        # The code may have been valid then under a record no stored release holds.
        oldest = f"the oldest took effect {coverage.first}"
        return _unknown(code, on, f"unknown: no release that old is stored ({oldest})")
    if known is None:
        return _unknown(code, on, "unknown: in no stored release")
    added, terminated = known.added, known.terminated
    if added is not None and on < added:
        status, reason = NOT_YET_VALID, f"not yet valid: added {added}"
    elif terminated is not None and on > terminated:
        status, reason = ENDED, f"ended: terminated {terminated}"
        if known.removed_in is not None:
            reason = (
                f"ended: removed without a termination date; not in {known.removed_in} "
                f"(effective {terminated + timedelta(days=1)}) or later"
            )
    elif on > coverage.last:
        status, reason = UNCONFIRMED, _unconfirmed_reason(coverage)
    else:
        status, reason = VALID, _valid_reason(added, None if known.removed_in else terminated)
    return Validity(code, on, status, added, terminated, known.release, reason)


def check(code: str, on: object, known: Known | None, coverage: Coverage | None) -> Validity:
    """``validity`` for a date of service as a claims extract gives it; bad_date, never an
    exception, when it cannot be read (a bad row is marked and the file goes on)."""
    parsed = service_date(on)
    if parsed is None:
        return Validity(code, None, BAD_DATE, None, None, None, f"bad date: {str(on)!r}")
    return validity(code, parsed, known, coverage)


def service_date(value: object) -> date | None:
    """A date of service from a claims extract: YYYY-MM-DD, YYYYMMDD or MM/DD/YYYY text
    (the month and day may lack their leading zero, as US-locale spreadsheets write them),
    or a date cell of a workbook. None for anything else."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text.isascii():
        return None
    if len(text) == 8 and text.isdigit():
        return cms_date(text)
    parts = text.split("-")
    if len(parts) == 3 and (len(parts[0]), len(parts[1]), len(parts[2])) == (4, 2, 2):
        return _date(parts[0], parts[1], parts[2])
    parts = text.split("/")
    if len(parts) == 3 and len(parts[2]) == 4 and all(0 < len(p) <= 2 for p in parts[:2]):
        return _date(parts[2], parts[0], parts[1])
    return None


def _unknown(code: str, on: date, reason: str) -> Validity:
    return Validity(code, on, UNKNOWN, None, None, None, reason)


def _date(year: str, month: str, day: str) -> date | None:
    if not (year.isdigit() and month.isdigit() and day.isdigit()):
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _unconfirmed_reason(coverage: Coverage) -> str:
    return (
        f"unconfirmed: valid in {coverage.newest}, which speaks for dates up to "
        f"{coverage.last}; a later release may have ended it"
    )


def _valid_reason(added: date | None, terminated: date | None) -> str:
    since = f"added {added}" if added else "no add date"
    return f"valid: {since}, terminated {terminated}" if terminated else f"valid: {since}"
