"""What a change report shows first: the sections of the email and of the HTML page. Pure.

Issue 11: a reviewer reads what needs action first. The watchlist impact leads; then removed
codes (anomalies), discontinued codes with their successors, transient and retroactive
additions, changed codes and added codes; then the rest (reactivated codes, codes that aged
out, CMS's claims that no field shows). Each section lists at most ``max_codes`` codes and says
how many more the attachment holds. The HTML and the plain-text renderers
(``tracker.report.html``) both draw one ``Digest``, so the two parts of an email say the same.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from tracker.diff import CATEGORIES
from tracker.hcpcs.legend import ACTION_CODES
from tracker.impact import impact_line
from tracker.reconcile import EXPLANATIONS, reading_order
from tracker.records import CPT, Change, Claim, Diff, Impact, Value, WatchedChange
from tracker.report.values import disagreement_text, field_name, iso, shown_text, successors_text

# What each category means, for legends (the Excel Legend sheet, the page's legend).
CATEGORY_MEANINGS: Mapping[str, str] = {
    "added": "in the new release only",
    "deleted": "in the old release only: dropped from the file",
    "discontinued": "given a termination date: billable up to that date only",
    "reactivated": "its termination date was removed: billable again",
    "changed": "a compared field changed (descriptions, pricing, coverage, dates, ...)",
}

# (key, title, note) in reading order; see the module docstring.
SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("removed", "Removed codes",
     "Vanished without ever having been terminated: an anomaly to check."),
    ("discontinued", "Discontinued codes",
     "Given a termination date. CMS's successors (cms) replace them; an inferred one only "
     "shares a description: check its description and unit before billing it."),
    ("unusual_added", "Transient and retroactive additions",
     "Added codes that had already ended, or whose add date is before the old release."),
    ("changed", "Changed codes", "Old and new values are shown whole."),
    ("reactivated", "Reactivated codes", "Their termination date was removed: billable again."),
    ("added", "Added codes", "New in this release."),
    ("deleted", "Deleted codes",
     "Dropped from the file after their termination date (CMS keeps ended codes a few years)."),
    ("claimed_only", "Claimed only",
     "CMS's action code claims a change that no compared field shows."),
)  # fmt: skip
# A CPT file has no termination dates: a deleted CPT code is simply no longer in the code set.
_CPT_DELETED = "No longer in the code set."
# How the impact headline names the changes of each section ("1 discontinued").
_VERBS = {"removed": "removed", "unusual_added": "added", "deleted": "deleted"}
_ENDED = frozenset({"removed", "discontinued", "deleted"})
_RANKS = {key: rank for rank, (key, _, _) in enumerate(SECTIONS)}


@dataclass(frozen=True)
class Section:
    """One section of one diff, with the codes it lists (at most the cap)."""

    key: str  # a key of SECTIONS, e.g. "discontinued"
    title: str  # e.g. "Discontinued codes"
    note: str  # one line: what the section holds and why it matters
    changes: tuple[Change, ...]  # listed, in reading order (anomalies first, then by code)
    claims: tuple[Claim, ...]  # listed; the "claimed_only" section only
    total: int  # how many the section holds, listed or not

    @property
    def omitted(self) -> int:
        return self.total - len(self.changes) - len(self.claims)


@dataclass(frozen=True)
class Part:
    """One diff (a release pair) and its non-empty sections, in reading order."""

    diff: Diff
    sections: tuple[Section, ...]

    @property
    def title(self) -> str:
        return f"{self.diff.new.code_set} {self.diff.old.label} -> {self.diff.new.label}"


@dataclass(frozen=True)
class Watch:
    """One watchlist's impact, as the report leads with it."""

    impact: Impact
    headline: str  # "3 of your 412 codes changed: 1 discontinued (successor J1632), 2 changed"
    shown: tuple[WatchedChange, ...]  # listed, in reading order (at most the cap)
    columns: tuple[str, ...]  # the watchlist's own columns, in first-seen order
    unknown: tuple[str, ...]  # watched codes in no stored release, listed (at most the cap)

    @property
    def omitted(self) -> int:
        return len(self.impact.changes) - len(self.shown)

    @property
    def unknown_omitted(self) -> int:
        return len(self.impact.unknown) - len(self.unknown)


@dataclass(frozen=True)
class Digest:
    """Everything a report's HTML and text renderings show, in the order they show it."""

    parts: tuple[Part, ...]  # one per diff, in the order given
    watches: tuple[Watch, ...]  # one per impact, in the order given
    notes: tuple[str, ...]  # lines the caller wants read first (e.g. a guard's warning)
    more_note: str  # where the codes not listed are: "in the attachment"

    @property
    def title(self) -> str:
        return "; ".join(p.title for p in self.parts) or "No releases"

    def more(self, count: int) -> str:
        """ "12 more in the attachment"."""
        return f"{count} more {self.more_note or 'not listed'}"


def build_digest(
    diffs: Diff | Sequence[Diff],
    impacts: Sequence[Impact] = (),
    *,
    max_codes: int | None = None,
    notes: Sequence[str] = (),
    more_note: str = "",
) -> Digest:
    """The digest of one diff or several (the diffs of one check); ``max_codes`` caps each
    section and each watchlist's list (None: no cap)."""
    given = (diffs,) if isinstance(diffs, Diff) else tuple(diffs)
    return Digest(
        tuple(Part(d, _sections(d, max_codes)) for d in given),
        tuple(_watch(i, max_codes) for i in impacts),
        tuple(notes),
        more_note,
    )


def section_key(change: Change) -> str:
    """The section a change is listed in."""
    if change.category == "deleted":
        return "removed" if change.explanation == "removed" else "deleted"
    if change.category == "added" and change.explanation in ("transient", "retroactive"):
        return "unusual_added"
    return change.category


def _sections(diff: Diff, cap: int | None) -> tuple[Section, ...]:
    groups: dict[str, list[Change]] = {}
    for change in sorted(diff.changes, key=reading_order):
        groups.setdefault(section_key(change), []).append(change)
    sections = []
    for key, title, note in SECTIONS:
        if key == "deleted" and diff.new.code_set == CPT:
            note = _CPT_DELETED
        changes = groups.get(key, [])
        claims = diff.claimed_only if key == "claimed_only" else ()
        total = len(changes) + len(claims)
        if total:
            sections.append(
                Section(key, title, note, tuple(changes[:cap]), tuple(claims[:cap]), total)
            )
    return tuple(sections)


def _watch(impact: Impact, cap: int | None) -> Watch:
    ordered = sorted(impact.changes, key=lambda w: (_rank(w.change), w.change.code))
    columns = tuple(dict.fromkeys(name for w in ordered for name in w.columns))
    return Watch(
        impact, impact_headline(impact), tuple(ordered[:cap]), columns, impact.unknown[:cap]
    )


def _rank(change: Change) -> int:
    return _RANKS[section_key(change)]


def impact_headline(impact: Impact) -> str:
    """ "3 of your 412 codes changed: 1 discontinued (successor J1632), 2 changed; 1 in no
    stored release": the same words in every report (``tracker.impact.impact_line``), each
    code counted once however many chargemaster rows bill it."""
    return impact_line(impact).removeprefix(f"{impact.watchlist}: ")


def _successor_note(changes: Sequence[Change]) -> str:
    """ " (successor J1632)", " (successors J1632, J7168; 1 with none known)", or ""."""
    if not any(section_key(c) in _ENDED for c in changes):
        return ""
    # Where each chain ends: an ended successor's own successor is the code to bill now.
    codes = list(dict.fromkeys(end for c in changes for s in c.successors for end in s.ends))
    without = sum(1 for c in changes if not c.successors)
    if not codes:
        return " (no successor known)"
    note = f"successor{'s' if len(codes) > 1 else ''} {', '.join(codes)}"
    return f" ({note}; {without} with none known)" if without else f" ({note})"


def headline(digest: Digest) -> str:
    """The counts a subject line can carry, in reading order: "3 watched codes changed;
    1 removed, 40 discontinued, 570 changed, 300 added"."""
    totals: dict[str, int] = {}
    for part in digest.parts:
        for section in part.sections:
            totals[section.key] = totals.get(section.key, 0) + section.total
    counts = ", ".join(
        f"{totals[key]} {_SHORT.get(key, key)}" for key, _, _ in SECTIONS if totals.get(key)
    )
    # A code billed on several chargemaster rows is one watched code.
    watched = sum(len({wc.change.code for wc in w.impact.changes}) for w in digest.watches)
    lead = f"{watched} watched code{'s' if watched != 1 else ''} changed; " if watched else ""
    return lead + (counts or "no changes")


_SHORT = {"unusual_added": "transient or retroactive", "claimed_only": "claimed only"}


def counts_line(diff: Diff) -> str:
    """ "300 added, 12 deleted, 475 discontinued, 0 reactivated, 570 changed"."""
    # Counted from the changes themselves, so the counts always match the codes listed.
    tally = Counter(c.category for c in diff.changes)
    counts = ", ".join(f"{tally[c]} {c}" for c in CATEGORIES)
    if diff.claimed_only:
        counts += f"; {len(diff.claimed_only)} claimed only"
    return counts


def explanations_line(diff: Diff) -> str:
    """ "2 removed, 400 agrees" (empty for CPT, whose files carry no action codes)."""
    return ", ".join(f"{n} {name}" for name, n in diff.explanations.items() if n)


def legend(digest: Digest) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """The action letters and the explanations the listed codes show, with their meanings."""
    changes = [c for p in digest.parts for s in p.sections for c in s.changes]
    changes += [w.change for watch in digest.watches for w in watch.shown]
    letters = {c.action for c in changes} | {
        claim.action for p in digest.parts for s in p.sections for claim in s.claims
    }
    names = {c.explanation for c in changes}
    actions = tuple((k, v) for k, v in ACTION_CODES.items() if k in letters)
    explanations = tuple((k, v) for k, v in EXPLANATIONS.items() if k in names)
    return actions, explanations


# The columns of a section's table; a column no listed code fills is left out.
COLUMNS = (
    "Code", "Description", "Added", "Action effective", "Terminated", "Explanation",
    "CMS action", "Successors",
)  # fmt: skip
_ALWAYS = frozenset({0, 1})


def change_row(change: Change) -> tuple[str, ...]:
    """A change's cells, one per COLUMNS."""
    return (
        change.code,
        change.description,
        iso(change.added),
        iso(change.action_effective),
        iso(change.terminated),
        change.explanation or "",
        change.action,
        successors_text(change.successors),
    )


def used_columns(rows: Sequence[Sequence[str]]) -> tuple[int, ...]:
    """The indexes of COLUMNS that some row fills (code and description always)."""
    return tuple(i for i in range(len(COLUMNS)) if i in _ALWAYS or any(row[i] for row in rows))


def field_rows(change: Change) -> tuple[tuple[str, str, str], ...]:
    """Each field change as (plain-language name with the raw one, old, new), whole."""
    return tuple(
        (field_name(f.field), _shown(f.field, f.old), _shown(f.field, f.new)) for f in change.fields
    )


def _shown(field: str, value: Value) -> str:
    return shown_text(field, value) or "(blank)"


def disagreements(change: Change) -> tuple[str, ...]:
    """ "the ZIP's copies disagree on price: text '51' / workbook '51, 11'"."""
    return tuple(
        f"the ZIP's copies disagree on {disagreement_text(d)}" for d in change.copies_disagree
    )


def columns_text(columns: Mapping[str, str], names: Iterable[str]) -> str:
    """The watchlist's own columns: "department: Cardiology; price: 12.00"."""
    return "; ".join(f"{n}: {columns[n]}" for n in names if columns.get(n))
