"""What a diff does to an organisation's own codes (its watchlists). Pure: values in, values out.

A watchlist may mix HCPCS and CPT codes: a diff of either code set is matched against all of
them, and only the codes of its own code set can appear in it. A watched code that no stored
release holds (of any code set) is listed apart: a typo, or a CPT code while no CPT release is
imported.
"""

from __future__ import annotations

from collections.abc import Sequence, Set

from tracker.diff import CATEGORIES
from tracker.records import Change, Diff, Impact, WatchedChange
from tracker.sources.watchlist import Watchlist

# Categories that end a code: their part of the summary line names the successors.
_ENDED = frozenset({"deleted", "discontinued"})
_SHOWN_SUCCESSORS = 5  # successors named in the line (a report lists them all)


def impacts(
    diff: Diff, watchlists: Sequence[Watchlist], known_codes: Set[str]
) -> tuple[Impact, ...]:
    """The impact of ``diff`` on each watchlist, in the order given. ``known_codes``: the
    watched codes that some stored release holds (``Watchlists.known_codes``)."""
    by_code = {c.code: c for c in diff.changes}
    return tuple(_impact(w, by_code, known_codes) for w in watchlists)


def _impact(watchlist: Watchlist, by_code: dict[str, Change], known: Set[str]) -> Impact:
    # One entry per watched row: a chargemaster bills one code on several lines (departments,
    # prices), and each line is one to review.
    rows = sorted(watchlist.rows, key=lambda r: (r.code, r.row))
    changes = tuple(WatchedChange(by_code[r.code], r.columns) for r in rows if r.code in by_code)
    codes = watchlist.codes
    unknown = tuple(c for c in codes if c not in known)
    return Impact(watchlist.name, len(codes), changes, unknown)


def changed_codes(impact: Impact) -> tuple[Change, ...]:
    """Each changed watched code once (a code on several rows comes once per row), by code."""
    return tuple({w.change.code: w.change for w in impact.changes}.values())


def impact_line(impact: Impact) -> str:
    """One line for a report or email: "cdm: 3 of your 412 codes changed: 1 discontinued
    (successor J1632), 2 changed; 1 in no stored release"."""
    changes = changed_codes(impact)
    noun = "code" if impact.watched == 1 else "codes"
    if changes:
        head = f"{impact.watchlist}: {len(changes)} of your {impact.watched} {noun} changed: "
        head += ", ".join(_part(category, changes) for category in _categories(changes))
    else:
        head = f"{impact.watchlist}: none of your {impact.watched} {noun} changed"
    if impact.unknown:
        head += f"; {len(impact.unknown)} in no stored release"
    return head


def impact_lines(impacts: Sequence[Impact]) -> tuple[str, ...]:
    """The impact section's lines, one per watchlist; none when there are no watchlists (the
    section is left out)."""
    return tuple(impact_line(i) for i in impacts)


def _categories(changes: Sequence[Change]) -> list[str]:
    present = {c.category for c in changes}
    return [c for c in CATEGORIES if c in present]


def _part(category: str, changes: Sequence[Change]) -> str:
    """ "1 discontinued (successor J1632)": the successors of the codes this category ended."""
    items = [c for c in changes if c.category == category]
    part = f"{len(items)} {category}"
    if category not in _ENDED:
        return part
    names = [s.code if s.status is not None else "see CPT" for c in items for s in c.successors]
    successors = list(dict.fromkeys(names))
    if successors:
        more = len(successors) - _SHOWN_SUCCESSORS
        shown = ", ".join(successors[:_SHOWN_SUCCESSORS]) + (f", {more} more" if more > 0 else "")
        part += f" ({'successor' if len(successors) == 1 else 'successors'} {shown})"
    return part
