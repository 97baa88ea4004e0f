"""Compare two releases code by code and field by field. Pure: records in, a Diff out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from tracker.layout import FIELD_NAMES, NOT_COMPARED
from tracker.records import Change, Diff, FieldChange, Record, ReleaseInfo

CATEGORIES = ("added", "deleted", "discontinued", "reactivated", "changed")
TERMINATION = "term_dt"


def diff_releases(
    old_info: ReleaseInfo,
    old: Mapping[str, Record],
    new_info: ReleaseInfo,
    new: Mapping[str, Record],
) -> Diff:
    """Every code that differs, in exactly one category, sorted by code."""
    changes = [
        change
        for code in sorted(old.keys() | new.keys())
        if (change := diff_code(code, old.get(code), new.get(code))) is not None
    ]
    summary = Counter(c.category for c in changes)
    return Diff(old_info, new_info, tuple(changes), {k: summary[k] for k in CATEGORIES})


def diff_code(code: str, old: Record | None, new: Record | None) -> Change | None:
    """How one code moved between two releases, or None when nothing compared changed."""
    if old is None and new is None:
        return None
    if old is None:
        assert new is not None
        return Change(code, "added", new.text("action_cd"), new.text("long_description"))
    if new is None:
        # CMS keeps a discontinued code in the file for about four years with its termination
        # date, then drops it: that is an age-out. A code that vanishes without ever being
        # terminated is an anomaly the reviewer must see.
        reason = "aged_out" if old.text(TERMINATION) else "removed"
        return Change(code, "deleted", "", old.text("long_description"), reason=reason)
    fields = changed_fields(old, new)
    if not fields:
        return None
    was, now = old.text(TERMINATION), new.text(TERMINATION)
    if not was and now:
        category = "discontinued"
    elif was and not now:
        category = "reactivated"
    else:
        category = "changed"
    return Change(code, category, new.text("action_cd"), new.text("long_description"), fields)


_LAYOUT_ORDER = {name: i for i, name in enumerate(FIELD_NAMES)}


def changed_fields(old: Record, new: Record) -> tuple[FieldChange, ...]:
    """Fields in layout order (then by name, for fields the layout lacks, e.g. CPT's)."""
    names = sorted(
        new.fields.keys() | old.fields.keys(),
        key=lambda n: (_LAYOUT_ORDER.get(n, len(_LAYOUT_ORDER)), n),
    )
    return tuple(
        FieldChange(name, old.get(name), new.get(name))
        for name in names
        if name not in NOT_COMPARED and name != "code" and old.get(name) != new.get(name)
    )
