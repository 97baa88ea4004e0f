"""`tracker impact`: the watched codes a diff touches, as text, CSV or JSON. Pure."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from tracker.diff import CATEGORIES
from tracker.impact import changed_codes, impact_line
from tracker.records import Change, Diff, Impact, WatchedChange
from tracker.report.csv import excel_cell
from tracker.report.json import change_json, release_json
from tracker.report.text import word_diff
from tracker.report.values import field_label, field_name, shown_text, successors_text

UNKNOWN_NOTE = "in no stored release (a typo, or a CPT code while no CPT release is imported)"
CSV_COLUMNS = (
    "watchlist", "old_release", "new_release", "code", "category", "reason", "explanation",
    "cms_action", "long_description", "changes", "terminated", "successors",
)  # fmt: skip
_INLINE = 100  # old and new together up to this long side by side, else a word diff


def render_impact(diff: Diff, impacts: Sequence[Impact], fmt: str) -> str:
    if fmt == "text":
        return impact_text(diff, impacts)
    if fmt == "csv":
        return impact_csv(diff, impacts)
    if fmt == "json":
        return json.dumps(impact_json(diff, impacts), indent=2, ensure_ascii=False) + "\n"
    raise ValueError(f"unknown format {fmt!r}")


def impact_text(diff: Diff, impacts: Sequence[Impact]) -> str:
    lines = [
        f"{diff.old.code_set} {diff.old.label} (effective {diff.old.effective}) -> "
        f"{diff.new.label} (effective {diff.new.effective})"
    ]
    for impact in impacts:
        lines += ["", impact_line(impact)]
        lines += [line for w in impact.changes for line in _watched_lines(w)]
        if impact.unknown:
            lines.append(f"  {UNKNOWN_NOTE}: {', '.join(impact.unknown)}")
    return "\n".join(lines) + "\n"


def _watched_lines(watched: WatchedChange) -> list[str]:
    change = watched.change
    why = change.explanation or change.reason
    head = f"  {change.code:<6} {change.category}" + (f" ({why})" if why else "")
    lines = [f"{head} {change.description}"]
    for f in change.fields:
        old, new = shown_text(f.field, f.old), shown_text(f.field, f.new)
        if len(old) + len(new) <= _INLINE or old.split() == new.split():
            lines.append(f"      {field_name(f.field)}: {old!r} -> {new!r}")
        else:
            lines.append(f"      {field_name(f.field)}: {word_diff(old, new)}")
    if change.successors:
        lines.append(f"      successors: {successors_text(change.successors)}")
    yours = " | ".join(f"{k}: {v}" for k, v in watched.columns.items() if v)
    if yours:
        lines.append(f"      yours: {yours}")
    return lines


def impact_json(diff: Diff, impacts: Sequence[Impact]) -> dict[str, Any]:
    return {
        "old": release_json(diff.old),
        "new": release_json(diff.new),
        "watchlists": [_impact_json(i) for i in impacts],
    }


def _impact_json(impact: Impact) -> dict[str, Any]:
    tally = Counter(c.category for c in changed_codes(impact))
    return {
        "name": impact.watchlist,
        "watched": impact.watched,
        "changed": sum(tally.values()),
        "summary": {c: tally[c] for c in CATEGORIES},
        "line": impact_line(impact),
        "changes": [change_json(w.change) | {"columns": dict(w.columns)} for w in impact.changes],
        "unknown": list(impact.unknown),
    }


def impact_csv(diff: Diff, impacts: Sequence[Impact]) -> str:
    """One row per watched row the diff touches, then one per watched code in no stored
    release (category ``unknown``); the watchlists' own columns follow ours. UTF-8 with a
    BOM, CRLF, cells made safe for Excel, as the diff's CSV."""
    own = dict.fromkeys(k for i in impacts for w in i.changes for k in w.columns)
    # A watchlist column named like one of ours ("category") is kept, marked as theirs.
    headers = {k: f"{k} (yours)" if k in CSV_COLUMNS else k for k in own}
    columns = [*CSV_COLUMNS, *headers.values()]
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in _csv_rows(diff, impacts, headers):
        writer.writerow(excel_cell(row.get(c, ""), force_text=c == "code") for c in columns)
    return out.getvalue()


def _csv_rows(
    diff: Diff, impacts: Sequence[Impact], headers: dict[str, str]
) -> list[dict[str, str]]:
    base = {"old_release": diff.old.label, "new_release": diff.new.label}
    rows = []
    for impact in impacts:
        name = {"watchlist": impact.watchlist}
        rows += [
            {headers[k]: v for k, v in w.columns.items()} | base | name | _change_cells(w.change)
            for w in impact.changes
        ]
        rows += [
            base | name | {"code": code, "category": "unknown", "explanation": UNKNOWN_NOTE}
            for code in impact.unknown
        ]
    return rows


def _change_cells(change: Change) -> dict[str, str]:
    return {
        "code": change.code,
        "category": change.category,
        "reason": change.reason or "",
        "explanation": change.explanation or "",
        "cms_action": change.action,
        "long_description": change.description,
        "changes": "; ".join(
            f"{field_label(f.field)}: {shown_text(f.field, f.old)!r} -> "
            f"{shown_text(f.field, f.new)!r}"
            for f in change.fields
        ),
        "terminated": change.terminated.isoformat() if change.terminated else "",
        "successors": successors_text(change.successors),
    }
