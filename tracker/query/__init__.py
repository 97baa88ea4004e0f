"""Questions asked of the store: the diff of two releases, the history of one code."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from tracker.cpt.cadence import CadenceEntry, CptCalendar, ImportedCpt, cadence, default_years
from tracker.diff import absent_fields, describe, diff_code, diff_releases
from tracker.errors import NotFoundError, UsageError
from tracker.impact import impacts
from tracker.query.registry import with_successors
from tracker.reconcile import reconcile
from tracker.records import CPT, Change, CopyDisagreement, Diff, Impact, Record
from tracker.store import Store, StoredRelease

if TYPE_CHECKING:
    from tracker.report.timeline import TimelineRow


def stored_diff(store: Store, old: str | None = None, new: str | None = None) -> Diff:
    """Diff two stored releases. With one label, that release against its predecessor; with
    none, the newest release that has a predecessor (HCPCS or CPT) against it."""
    if old is not None and new is not None:
        old_release, new_release = store.catalog.release(old), store.catalog.release(new)
        if old_release.info.code_set != new_release.info.code_set:
            raise UsageError(
                f"{old} is {old_release.info.code_set} and {new} is "
                f"{new_release.info.code_set}: diff releases of one code set"
            )
        return _diff(store, old_release, new_release)
    if old is not None:
        new_release = store.catalog.release(old)
        before = store.catalog.predecessor(new_release.info)
        if before is None:
            raise NotFoundError(f"release {old} has no predecessor to compare with")
        return _diff(store, before, new_release)
    for release in reversed(store.catalog.releases()):
        before = store.catalog.predecessor(release.info)
        if before is not None:
            return _diff(store, before, release)
    raise NotFoundError("need two stored releases to diff; import another with `tracker import`")


def _diff(store: Store, old: StoredRelease, new: StoredRelease, *, successors: bool = True) -> Diff:
    """The diff with, unless only its counts are wanted (``successors=False``: the
    timeline), each ended code's successors, and the copy disagreements on its codes."""
    catalog = store.catalog
    old_ids, new_ids = catalog.member_ids(old.info.label), catalog.member_ids(new.info.label)
    if new.info.code_set != CPT:
        # A version id names one exact record, so a code whose version both releases share is
        # unchanged: only the versions one side lacks need loading. (A CPT diff looks at the
        # whole of both releases to see which descriptor kinds each was given.)
        old_ids, new_ids = old_ids - new_ids, new_ids - old_ids
    old_records, new_records = catalog.records_by_ids(old_ids), catalog.records_by_ids(new_ids)
    diff = diff_releases(old.info, old_records, new.info, new_records)
    if not successors:
        return diff
    diff = with_successors(store, diff, old_records, new_records)
    return _with_copies(
        diff, catalog.disagreements(old.info.label), catalog.disagreements(new.info.label)
    )


def _with_copies(
    diff: Diff, old: Sequence[CopyDisagreement], new: Sequence[CopyDisagreement]
) -> Diff:
    """Each change with where the text and workbook copies of either release disagree on its
    code: the old release's first, then the new one's not already said."""
    if not old and not new:
        return diff  # a release with one copy has none
    by_code: dict[str, list[CopyDisagreement]] = {}
    for item in [*old, *new]:
        by_code.setdefault(item.code, []).append(item)
    changes = tuple(_with_copies_of(c, by_code.get(c.code, ())) for c in diff.changes)
    return replace(diff, changes=changes)


def _with_copies_of(change: Change, found: Sequence[CopyDisagreement]) -> Change:
    """The change with these disagreements on its code, the old release's first; one that
    both releases have is said once."""
    if not found:
        return change
    return replace(change, copies_disagree=tuple(dict.fromkeys(found)))


@dataclass(frozen=True)
class HistoryEntry:
    release: StoredRelease
    previous: StoredRelease | None  # None: the first release of its series that was stored
    change: Change


def code_history(store: Store, code: str) -> list[HistoryEntry]:
    """Every release in which the code appeared, changed or went, oldest first."""
    entries: list[HistoryEntry] = []
    last: dict[tuple[str, str], tuple[StoredRelease, Record | None]] = {}
    copies = store.catalog.code_disagreements(code)
    for release, record in store.catalog.code_versions(code):
        before = last.get(release.info.series)
        last[release.info.series] = (release, record)
        if before is None:
            if record is not None:
                first = Change(code, "first_seen", record.text("action_cd"), describe(record))
                first = _reconciled(first, None, release, record)
                entries.append(HistoryEntry(release, None, first))
            continue
        skip: frozenset[str] = frozenset()
        if release.info.code_set == CPT:
            # As in a CPT diff: a descriptor kind one whole release lacks is not a change.
            skip = absent_fields(
                store.catalog.records(before[0].info.label),
                store.catalog.records(release.info.label),
            )
        change = diff_code(code, before[1], record, skip)
        if change is not None:
            pair = (before[0].info.label, release.info.label)
            change = _with_copies_of(change, [d for label in pair for d in copies.get(label, ())])
            change = _reconciled(change, before, release, record)
            entries.append(HistoryEntry(release, before[0], change))
    return entries


def _reconciled(
    change: Change,
    before: tuple[StoredRelease, Record | None] | None,
    release: StoredRelease,
    record: Record | None,
) -> Change:
    """A history entry's change with its dates and explanation, as a diff gives them; a code
    first seen gets its dates only (there is nothing to explain it against)."""
    if release.info.code_set == CPT:  # CPT files carry no action codes or dates
        return change
    effective = release.info.effective
    if before is None:
        return replace(reconcile(change, None, record, effective, effective), explanation=None)
    return reconcile(change, before[1], record, before[0].info.effective, effective)


def cpt_cadence(store: Store, calendar: CptCalendar, *, as_of: date) -> list[CadenceEntry]:
    """The AMA calendar against the CPT files imported so far."""
    imported = [
        ImportedCpt.from_release(r.info, r.imported_at, r.released)
        for r in store.catalog.releases(CPT)
    ]
    return cadence(calendar, imported, as_of=as_of, years=default_years(imported, as_of=as_of))


def impacts_for(store: Store, diff: Diff, watch: str | None = None) -> tuple[Impact, ...]:
    """The diff's impact on every watchlist (or on the one named ``watch``), for `tracker
    impact`, the reports and the email; none when there are no watchlists."""
    watchlists = [store.watchlists.get(watch)] if watch is not None else store.watchlists.all()
    codes = {code for w in watchlists for code in w.codes}
    return impacts(diff, watchlists, store.watchlists.known_codes(codes))


def timeline(store: Store) -> list[TimelineRow]:
    """Every stored release, oldest first, with what changed since the one before it in its
    series (the first of a series counts nothing as added)."""
    from tracker.report.timeline import TimelineRow

    rows = []
    for release in store.catalog.releases():
        before = store.catalog.predecessor(release.info)
        changes = (
            _diff(store, before, release, successors=False).changes if before is not None else ()
        )
        # "Ended" is what ended in this release: not the codes CMS drops years after their
        # termination date (an age-out), which ended long before.
        summary = Counter(
            "ended" if c.category == "discontinued" or c.reason == "removed" else c.category
            for c in changes
        )
        rows.append(
            TimelineRow(
                label=release.info.label,
                code_set=release.info.code_set,
                effective=release.info.effective,
                codes=release.codes,
                added=summary.get("added", 0),
                ended=summary.get("ended", 0),
                changed=summary.get("changed", 0),
                reactivated=summary.get("reactivated", 0),
            )
        )
    return rows
