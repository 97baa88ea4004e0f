"""Compare two releases code by code and field by field, each change reconciled with CMS's
claims (``tracker.reconcile``). Pure: records in, a Diff out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace

from tracker.hcpcs.layout import FIELD_NAMES, NOT_COMPARED
from tracker.reconcile import claimed_only, count_explanations, reconcile
from tracker.records import CPT, Change, Claim, Diff, FieldChange, Record, ReleaseInfo

CATEGORIES = ("added", "deleted", "discontinued", "reactivated", "changed")
TERMINATION = "term_dt"
DESCRIPTION_FIELDS = (
    "long_description", "long_descriptor", "medium_descriptor", "short_descriptor",
    "consumer_descriptor",
)  # fmt: skip


def diff_releases(
    old_info: ReleaseInfo,
    old: Mapping[str, Record],
    new_info: ReleaseInfo,
    new: Mapping[str, Record],
) -> Diff:
    """Every code that differs, in exactly one category, sorted by code.

    ``old`` and ``new`` may hold only the records the two releases do not share: a shared
    record is no change, and a claim it carries was already made in the old release, so CMS's
    claims without a field change (``claimed_only``) are read from the new records given.
    """
    skip = absent_fields(old, new) if new_info.code_set == CPT else frozenset()
    changes = []
    for code in sorted(old.keys() | new.keys()):
        change = diff_code(code, old.get(code), new.get(code), skip)
        if change is None:
            continue
        if new_info.code_set != CPT:
            change = reconcile(
                change, old.get(code), new.get(code), old_info.effective, new_info.effective
            )
        elif change.reason is not None:
            # CPT files carry no action codes or dates: a code the AMA dropped is simply
            # deleted, neither aged out nor an anomaly.
            change = replace(change, reason=None)
        changes.append(change)
    summary = Counter(c.category for c in changes)
    claimed: tuple[Claim, ...] = ()
    if new_info.code_set != CPT:
        codes = frozenset(c.code for c in changes)
        claimed = claimed_only(new.values(), codes, old_info.effective)
    return Diff(
        old_info,
        new_info,
        tuple(changes),
        {k: summary[k] for k in CATEGORIES},
        count_explanations(changes),
        claimed,
    )


def absent_fields(old: Mapping[str, Record], new: Mapping[str, Record]) -> frozenset[str]:
    """Fields one whole release lacks. A CPT release is whatever files the licensee imported
    (LONGULT alone one year, the full package the next): a descriptor kind missing from a
    whole release is data not given, not a descriptor deleted from every code."""
    old_names = {n for r in old.values() for n in r.fields}
    new_names = {n for r in new.values() for n in r.fields}
    return frozenset(old_names ^ new_names)


def describe(record: Record) -> str:
    """The text a reviewer recognises a code by: HCPCS long description, else a CPT descriptor."""
    return next((d for name in DESCRIPTION_FIELDS if (d := record.text(name))), "")


def diff_code(
    code: str, old: Record | None, new: Record | None, skip: frozenset[str] = frozenset()
) -> Change | None:
    """How one code moved between two releases, or None when nothing compared changed."""
    if old is None and new is None:
        return None
    if old is None:
        assert new is not None
        return Change(code, "added", new.text("action_cd"), describe(new))
    if new is None:
        # CMS keeps a discontinued code in the file for about four years with its termination
        # date, then drops it: that is an age-out. A code that vanishes without ever being
        # terminated is an anomaly the reviewer must see.
        reason = "aged_out" if old.text(TERMINATION) else "removed"
        return Change(code, "deleted", "", describe(old), reason=reason)
    fields = changed_fields(old, new, skip)
    if not fields:
        return None
    was, now = old.text(TERMINATION), new.text(TERMINATION)
    if not was and now:
        category = "discontinued"
    elif was and not now:
        category = "reactivated"
    else:
        category = "changed"
    return Change(code, category, new.text("action_cd"), describe(new), fields)


# Every layout field but those CMS resets on its own, in layout order.
_COMPARED = tuple(n for n in FIELD_NAMES if n not in NOT_COMPARED and n != "code")
_LAYOUT = frozenset(FIELD_NAMES)


def changed_fields(
    old: Record, new: Record, skip: frozenset[str] = frozenset()
) -> tuple[FieldChange, ...]:
    """Fields in layout order, then by name those the layout lacks (CPT's descriptors).

    A repeated field (PRICE1..4, XREF1..5, ...) is a tuple on both sides, also when one side
    has none: a record holds only the fields with a value, so an absent one reads "".
    """
    extra = sorted((old.fields.keys() | new.fields.keys()) - _LAYOUT)
    changes = []
    for name in (*_COMPARED, *extra):
        before, after = old.get(name), new.get(name)
        if name in skip or before == after:
            continue
        if isinstance(after, tuple) and before == "":
            before = ()
        elif isinstance(before, tuple) and after == "":
            after = ()
        changes.append(FieldChange(name, before, after))
    return tuple(changes)


def select(
    diff: Diff,
    *,
    categories: Iterable[str] = (),
    codes: Iterable[str] = (),
    exact: Iterable[str] | None = None,
) -> Diff:
    """The part of a diff a reviewer asked for: some categories, codes by prefix ("J16"
    matches J1600 to J1699; a whole code matches itself) and, with ``exact``, only those codes
    (a watchlist). No filter keeps everything; the counts are those of what is kept."""
    wanted = frozenset(categories)
    prefixes = tuple(code.strip().upper() for code in codes)
    listed = None if exact is None else frozenset(exact)

    def keep(code: str, category: str) -> bool:
        return (
            (not wanted or category in wanted)
            and (not prefixes or code.startswith(prefixes))
            and (listed is None or code in listed)
        )

    changes = tuple(c for c in diff.changes if keep(c.code, c.category))
    claims = tuple(c for c in diff.claimed_only if keep(c.code, "claimed_only"))
    summary = Counter(c.category for c in changes)
    return Diff(
        diff.old,
        diff.new,
        changes,
        {k: summary[k] for k in CATEGORIES},
        count_explanations(changes),
        claims,
    )
