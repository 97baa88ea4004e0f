"""A diff as CSV: one row per field change (for machines), or one row per code (``per="code"``,
for reading in Excel). Cells Excel would mangle are kept as text. Pure."""

from __future__ import annotations

import csv
import io
import re

from tracker.records import Change, Claim, Diff
from tracker.report.values import disagreement_text, field_name, iso, shown_text, successors_text

# Columns every row has: the two releases, then the code and how it is reconciled.
_RELEASES = ("old_release", "old_effective", "new_release", "new_effective")
_CODE = (
    "code", "category", "reason", "explanation", "cms_action", "long_description",
    "added", "action_effective", "terminated", "successors", "copies_disagree",
)  # fmt: skip
CSV_COLUMNS = (*_RELEASES, *_CODE[:3], "field", "old_value", "new_value", *_CODE[3:])
PER_CODE_COLUMNS = (*_RELEASES, *_CODE, "changed_fields")
PER = ("field", "code")

# Excel runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Excel turns digit strings into numbers (dropping leading zeros: CPT 00100, SEQNUM 0010)
# and 20260101 into 2.03E+07; such cells are written as ="..." so they stay text.
_NUMERIC_LOOKING = re.compile(r"[0-9][0-9.,/:Ee+\- ]*")
_TEXT_COLUMNS = frozenset({"code"})


def csv_rows(diff: Diff) -> list[dict[str, str]]:
    """One row per field change; added and deleted codes get one row with no field; CMS's
    claims with no field change follow as rows of category ``claimed_only``."""
    rows = []
    for change in diff.changes:
        base = _base(diff, change)
        if not change.fields:
            rows.append(base | {"field": "", "old_value": "", "new_value": ""})
        for fc in change.fields:
            rows.append(
                base
                | {
                    "field": fc.field,
                    "old_value": shown_text(fc.field, fc.old),
                    "new_value": shown_text(fc.field, fc.new),
                }
            )
    rows += [_claim_row(diff, claim) for claim in diff.claimed_only]
    return rows


def code_rows(diff: Diff) -> list[dict[str, str]]:
    """One row per code: its field changes in one cell, "Label (field): old -> new; ..."."""
    rows = [
        _base(diff, change)
        | {
            "changed_fields": "; ".join(
                f"{field_name(f.field)}: {shown_text(f.field, f.old)} -> "
                f"{shown_text(f.field, f.new)}"
                for f in change.fields
            )
        }
        for change in diff.changes
    ]
    return rows + [_claim_row(diff, claim) for claim in diff.claimed_only]


def _releases(diff: Diff) -> dict[str, str]:
    return {
        "old_release": diff.old.label,
        "old_effective": diff.old.effective.isoformat(),
        "new_release": diff.new.label,
        "new_effective": diff.new.effective.isoformat(),
    }


def _base(diff: Diff, change: Change) -> dict[str, str]:
    return _releases(diff) | {
        "code": change.code,
        "category": change.category,
        "reason": change.reason or "",
        "cms_action": change.action,
        "long_description": change.description,
        "explanation": change.explanation or "",
        "added": iso(change.added),
        "action_effective": iso(change.action_effective),
        "terminated": iso(change.terminated),
        "successors": successors_text(change.successors),
        "copies_disagree": "; ".join(disagreement_text(d) for d in change.copies_disagree),
    }


def _claim_row(diff: Diff, claim: Claim) -> dict[str, str]:
    return _releases(diff) | {
        "code": claim.code,
        "category": "claimed_only",
        "cms_action": claim.action,
        "action_effective": iso(claim.action_effective),
    }


def render_csv(diff: Diff, *, per: str = "field") -> str:
    """UTF-8 with a BOM (so Excel reads the encoding), CRLF, cells made safe for Excel."""
    columns, rows = (CSV_COLUMNS, csv_rows(diff)) if per == "field" else (
        PER_CODE_COLUMNS, code_rows(diff)
    )  # fmt: skip
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(excel_cell(row.get(c, ""), force_text=c in _TEXT_COLUMNS) for c in columns)
    return out.getvalue()


def excel_cell(value: str, *, force_text: bool = False) -> str:
    if value.startswith(_FORMULA_START) and not _NUMERIC_LOOKING.fullmatch(value):
        return "'" + value
    if value and (force_text or _NUMERIC_LOOKING.fullmatch(value)):
        return '="' + value.replace('"', '""') + '"'
    return value


def read_cell(cell: str) -> str:
    """A cell as written, without the Excel protection: ``="2020"`` -> ``2020``, ``'=x`` ->
    ``=x``. For reading these files back with Python's csv module (see the README)."""
    if cell.startswith('="') and cell.endswith('"'):
        return cell[2:-1].replace('""', '"')
    if cell.startswith("'") and cell[1:].startswith(_FORMULA_START):
        return cell[1:]
    return cell
