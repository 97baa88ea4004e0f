"""Render a Diff as text, CSV (for Excel) or JSON. Pure: a Diff in, a string out."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from typing import Any, Protocol

from tracker.diff import CATEGORIES
from tracker.records import Change, Diff, ReleaseInfo, Value

FORMATS = ("text", "csv", "json")


class _Release(Protocol):
    @property
    def info(self) -> ReleaseInfo: ...


class HistoryLike(Protocol):
    """A history entry (``tracker.query.HistoryEntry``) as the renderer needs it."""

    @property
    def release(self) -> _Release: ...
    @property
    def previous(self) -> _Release | None: ...
    @property
    def change(self) -> Change: ...


CSV_COLUMNS = (
    "old_release", "new_release", "code", "category", "reason", "field",
    "old_value", "new_value", "cms_action", "long_description",
)  # fmt: skip

# Excel runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Excel turns digit strings into numbers (dropping leading zeros: CPT 00100, SEQNUM 0010)
# and 20260101 into 2.03E+07; such cells are written as ="..." so they stay text.
_NUMERIC_LOOKING = re.compile(r"[0-9][0-9.,/:Ee+\- ]*")
_TEXT_COLUMNS = frozenset({"code"})


def render(diff: Diff, fmt: str) -> str:
    if fmt == "text":
        return render_text(diff)
    if fmt == "csv":
        return render_csv(diff)
    if fmt == "json":
        return render_json(diff)
    raise ValueError(f"unknown format {fmt!r}")


def value_text(value: Value) -> str:
    return value if isinstance(value, str) else ", ".join(value)


# --- CSV -----------------------------------------------------------------------------------


def csv_rows(diff: Diff) -> list[dict[str, str]]:
    """One row per field change; added and deleted codes get one row with no field."""
    rows = []
    for change in diff.changes:
        base = {
            "old_release": diff.old.label,
            "new_release": diff.new.label,
            "code": change.code,
            "category": change.category,
            "reason": change.reason or "",
            "cms_action": change.action,
            "long_description": change.description,
        }
        if not change.fields:
            rows.append(base | {"field": "", "old_value": "", "new_value": ""})
        for fc in change.fields:
            rows.append(
                base
                | {
                    "field": fc.field,
                    "old_value": value_text(fc.old),
                    "new_value": value_text(fc.new),
                }
            )
    return rows


def render_csv(diff: Diff) -> str:
    """UTF-8 with a BOM (so Excel reads the encoding), CRLF, cells made safe for Excel."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in csv_rows(diff):
        writer.writerow(excel_cell(row[c], force_text=c in _TEXT_COLUMNS) for c in CSV_COLUMNS)
    return out.getvalue()


def excel_cell(value: str, *, force_text: bool = False) -> str:
    if value.startswith(_FORMULA_START) and not _NUMERIC_LOOKING.fullmatch(value):
        return "'" + value
    if value and (force_text or _NUMERIC_LOOKING.fullmatch(value)):
        return '="' + value.replace('"', '""') + '"'
    return value


# --- JSON ----------------------------------------------------------------------------------


def release_json(info: ReleaseInfo) -> dict[str, Any]:
    return {
        "label": info.label,
        "code_set": info.code_set,
        "kind": info.kind,
        "effective": info.effective.isoformat(),
        "revision": info.revision,
        "source": info.source_name,
        "sha256": info.sha256,
    }


def change_json(change: Change) -> dict[str, Any]:
    item: dict[str, Any] = {"code": change.code, "category": change.category}
    if change.reason is not None:
        item["reason"] = change.reason
    item["action"] = change.action
    item["description"] = change.description
    item["fields"] = [
        {"field": f.field, "old": _json_value(f.old), "new": _json_value(f.new)}
        for f in change.fields
    ]
    return item


def _json_value(value: Value) -> str | list[str]:
    return value if isinstance(value, str) else list(value)


def diff_json(diff: Diff) -> dict[str, Any]:
    return {
        "old": release_json(diff.old),
        "new": release_json(diff.new),
        "summary": dict(diff.summary),
        "changes": [change_json(c) for c in diff.changes],
    }


def render_json(diff: Diff) -> str:
    return json.dumps(diff_json(diff), indent=2, ensure_ascii=False) + "\n"


# --- text ----------------------------------------------------------------------------------


def summary_line(diff: Diff) -> str:
    counts = ", ".join(f"{diff.summary.get(c, 0)} {c}" for c in CATEGORIES)
    return f"{diff.old.label} -> {diff.new.label}: {counts}"


def render_text(diff: Diff, *, limit: int | None = None) -> str:
    """A summary for a terminal: counts, then each code with its field changes."""
    lines = [
        f"{diff.old.code_set} {diff.old.label} (effective {diff.old.effective}) -> "
        f"{diff.new.label} (effective {diff.new.effective})",
        "",
    ]
    lines += [f"  {c:<13}{diff.summary.get(c, 0):>6}" for c in CATEGORIES]
    removed = [c.code for c in diff.changes if c.reason == "removed"]
    if removed:
        lines += [
            "",
            f"WARNING: {len(removed)} code(s) removed without a termination date "
            f"(CMS normally terminates a code first; check): {', '.join(removed)}",
        ]
    if not diff.changes:
        lines += ["", "No changes."]
    shown = diff.changes if limit is None else diff.changes[:limit]
    for category in CATEGORIES:
        items = [c for c in shown if c.category == category]
        if items:
            lines += ["", f"{category.upper()} ({diff.summary.get(category, 0)})"]
            lines += [line for c in items for line in _change_lines(c)]
    if limit is not None and len(diff.changes) > limit:
        lines += ["", f"... and {len(diff.changes) - limit} more codes"]
    return "\n".join(lines) + "\n"


def _change_lines(change: Change) -> list[str]:
    head = f"  {change.code:<6}"
    if change.action:
        head += f" [{change.action}]"
    if change.reason:
        head += f" ({change.reason})"
    lines = [f"{head} {_shorten(change.description)}"]
    for f in change.fields:
        old, new = _shorten(value_text(f.old), 60), _shorten(value_text(f.new), 60)
        lines.append(f"      {f.field}: {old!r} -> {new!r}")
    return lines


def _shorten(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def render_history(entries: Sequence[HistoryLike]) -> str:
    if not entries:
        return "No stored release holds this code.\n"
    lines = []
    for e in entries:
        info = e.release.info
        since = f" since {e.previous.info.label}" if e.previous else ""
        what = e.change.category.replace("_", " ")
        head = f"{info.label} (effective {info.effective}): {what}{since}"
        lines.extend([head, *_change_lines(e.change)])
    return "\n".join(lines) + "\n"
