"""Reconcile each change with CMS's own claims: its action code and its dates. Pure.

A diff says what moved between two files; CMS's record says what CMS meant to do (the action
code of field 30 of the record layout, with its action effective date) and when the code may be
used (add date, termination date). Compliance staff act on every line, so each change carries
the first explanation below that applies, and the anomalies are listed before the rest.
"OLD" and "NEW" are the effective dates of the two releases.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date
from typing import NamedTuple

from tracker.records import Change, Claim, Record

# Plain-language meaning of each explanation, for legends and reports.
EXPLANATIONS: Mapping[str, str] = {
    "transient": "added and already ended before the new release took effect: never billable "
    "as of the new release",
    "retroactive": "added with an add date on or before the old release, yet absent from it",
    "unflagged": "CMS changed the record without an action code saying so",
    "removed": "vanished without ever having been terminated: an anomaly to check",
    "mid_period": "its action took effect after the old release: it came in a release between "
    "the two compared",
    "agrees": "CMS's action code says the same thing",
    "aged_out": "dropped after its termination date (CMS keeps ended codes for a few years)",
}
# Within a category, anomalies first: the order in which a reviewer should read them.
ORDER = tuple(EXPLANATIONS)

# The action letters that say what each category says (layout field 30).
_AGREEING = {
    "added": frozenset("A"),
    "discontinued": frozenset("D"),
    "reactivated": frozenset("R"),
    "changed": frozenset("BCFPST"),
}
_NO_CLAIM = frozenset({"", "N"})


def cms_date(text: str) -> date | None:
    """A CMS date (YYYYMMDD) as a date; None when blank or not a date."""
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


class Dates(NamedTuple):
    """A record's lifecycle dates (CMS's ADD DT, ACT EFF DT and TERM DT)."""

    added: date | None
    action_effective: date | None
    terminated: date | None

    @classmethod
    def of(cls, record: Record) -> Dates:
        return cls(
            cms_date(record.text("add_dt")),
            cms_date(record.text("act_eff_dt")),
            cms_date(record.text("term_dt")),
        )


def reconcile(
    change: Change, old: Record | None, new: Record | None, old_effective: date, new_effective: date
) -> Change:
    """The change with its lifecycle dates and its explanation."""
    record = new if new is not None else old
    assert record is not None
    dates = Dates.of(record)
    # One ``replace`` with all four: a diff reconciles thousands of changes, and each
    # ``replace`` of a frozen Change costs as much as explaining it.
    return replace(
        change,
        added=dates.added,
        action_effective=dates.action_effective,
        terminated=dates.terminated,
        explanation=_rule(change, dates, old_effective, new_effective),
    )


def explain(change: Change, old_effective: date, new_effective: date) -> str:
    """The first rule that applies to a change with its dates (see the module docstring and
    issue 9's table)."""
    dates = Dates(change.added, change.action_effective, change.terminated)
    return _rule(change, dates, old_effective, new_effective)


def _rule(change: Change, dates: Dates, old_effective: date, new_effective: date) -> str:
    """The first rule that applies to the change's category, action and reason, with these
    dates."""
    if change.category == "deleted":
        return change.reason or "removed"
    if change.category == "added":
        if dates.terminated is not None and dates.terminated < new_effective:
            return "transient"
        if dates.added is not None and dates.added <= old_effective:
            return "retroactive"
    if change.action in _AGREEING.get(change.category, ()):
        return "agrees"
    if dates.action_effective is not None and dates.action_effective > old_effective:
        return "mid_period"
    return "unflagged"


def claimed_only(
    new: Iterable[Record], changed: frozenset[str], old_effective: date
) -> tuple[Claim, ...]:
    """Codes CMS claims changed after the old release (any letter but N) while no compared
    field changed, sorted by code."""
    claims = []
    for record in new:
        action = record.text("action_cd")
        when = cms_date(record.text("act_eff_dt"))
        if record.code in changed or action in _NO_CLAIM or when is None:
            continue
        if when > old_effective:
            claims.append(Claim(record.code, action, when))
    return tuple(sorted(claims, key=lambda c: c.code))


def count_explanations(changes: Iterable[Change]) -> dict[str, int]:
    """Changes per explanation, in ORDER, leaving out those with none."""
    tally = Counter(c.explanation for c in changes if c.explanation is not None)
    return {name: tally[name] for name in ORDER if tally[name]}


def reading_order(change: Change) -> tuple[int, str]:
    """Anomalies first within a category, then by code."""
    rank = ORDER.index(change.explanation) if change.explanation in ORDER else len(ORDER)
    return (rank, change.code)
