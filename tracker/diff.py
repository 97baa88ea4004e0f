"""Compare two releases code by code and field by field. Pure: records in, a Diff out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from tracker.hcpcs.layout import FIELD_NAMES, NOT_COMPARED
from tracker.records import CPT, Change, Diff, FieldChange, Record, ReleaseInfo

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
    """Every code that differs, in exactly one category, sorted by code."""
    skip = absent_fields(old, new) if new_info.code_set == CPT else frozenset()
    changes = [
        change
        for code in sorted(old.keys() | new.keys())
        if (change := diff_code(code, old.get(code), new.get(code), skip)) is not None
    ]
    summary = Counter(c.category for c in changes)
    return Diff(old_info, new_info, tuple(changes), {k: summary[k] for k in CATEGORIES})


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
    """Fields in layout order, then by name those the layout lacks (CPT's descriptors)."""
    extra = sorted((old.fields.keys() | new.fields.keys()) - _LAYOUT)
    return tuple(
        FieldChange(name, old.get(name), new.get(name))
        for name in (*_COMPARED, *extra)
        if name not in skip and old.get(name) != new.get(name)
    )
