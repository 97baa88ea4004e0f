"""Check a claims extract row by row: was each row's code valid on its date of service?
Pure: a code and a date as the file gives them in, a verdict out. The file itself is read and
written at the edge (``tracker.run.validate``).

A bad row is marked and the file goes on: a date that cannot be read is ``bad_date``, an empty
or unknown code ``unknown``. Each code's record, each date's reading and each code's verdicts
are kept, up to a cap (past it the cache starts again), so memory stays flat however long the
file is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from tracker.records import Successor
from tracker.report.values import successors_text
from tracker.validity import (
    ENDED,
    STATUSES,
    UNKNOWN,
    Coverage,
    Known,
    check,
    service_date,
    validity,
)

# What each row gains, after its own columns.
ADDED_COLUMNS = ("status", "reason", "successors")
# Verdicts and codes kept; past this the cache starts again (a file of all-distinct rows).
MAX_KEPT = 100_000
K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class Verdict:
    """What one row of a claims file gets."""

    status: str  # one of tracker.validity.STATUSES
    reason: str  # one line, e.g. "ended: terminated 2013-12-31"
    successors: str  # an ended code's successors as the reports write them ("" otherwise)


class Checker:
    """Gives each row its verdict from what the store knows: ``known`` answers a code's
    latest record (None: in no stored release), ``successors`` what replaces an ended code;
    each is asked once per code."""

    def __init__(
        self,
        known: Callable[[str], Known | None],
        successors: Callable[[str], tuple[Successor, ...]],
        coverage: Coverage | None,
    ) -> None:
        self._known = known
        self._successors = successors
        self._coverage = coverage
        self._records: dict[str, Known | None] = {}
        self._days: dict[str, date | None] = {}
        self._replaced: dict[str, str] = {}
        self._verdicts: dict[tuple[str, bool, bool, bool, bool], Verdict] = {}
        self.counts: Counter[str] = Counter()

    def __call__(self, code: str, on: str) -> Verdict:
        """The verdict on one row, counted in ``counts``."""
        verdict = self._verdict(code.strip().upper(), on)
        self.counts[verdict.status] += 1
        return verdict

    def _verdict(self, code: str, on: str) -> Verdict:
        if on not in self._days:
            _keep(self._days, on, service_date(on))
        day = self._days[on]
        if day is None:
            bad = check(code, on, None, self._coverage)  # says why, as for any other caller
            return Verdict(bad.status, bad.reason, "")
        if not code:
            return Verdict(UNKNOWN, "unknown: no code in this row", "")
        if code not in self._records:
            _keep(self._records, code, self._known(code))
        known = self._records[code]
        # The verdict depends on the date only through these four comparisons (the date
        # itself is not in it), so it is worked out once per code and outcome: a claims
        # file's dates are spread over years.
        added, ended = (known.added, known.terminated) if known else (None, None)
        coverage = self._coverage
        key = (
            code,
            coverage is None or day < coverage.first,
            coverage is not None and day > coverage.last,
            added is not None and day < added,
            ended is not None and day > ended,
        )
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = self._judge(code, day, known)
            _keep(self._verdicts, key, verdict)
        return verdict

    def _judge(self, code: str, day: date, known: Known | None) -> Verdict:
        answer = validity(code, day, known, self._coverage)
        if answer.status != ENDED:
            return Verdict(answer.status, answer.reason, "")
        if code not in self._replaced:
            _keep(self._replaced, code, successors_text(self._successors(code)))
        return Verdict(answer.status, answer.reason, self._replaced[code])


def _keep(cache: dict[K, V], key: K, value: V) -> None:
    if len(cache) >= MAX_KEPT:
        cache.clear()
    cache[key] = value


def summary(source: str, counts: Counter[str]) -> str:
    """ "claims.csv: 1,000,000 rows: 999,000 valid, 500 not_yet_valid, 300 ended, 150 unknown,
    50 bad_date"."""
    total = sum(counts.values())
    each = ", ".join(f"{counts[s]:,} {s}" for s in STATUSES)
    return f"{source}: {total:,} rows: {each}"
