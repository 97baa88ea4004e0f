"""A diff as an Excel workbook made for review. Pure: values in, bytes out.

Sheets: Summary (the watchlist impact first, the two releases, counts per category and per
explanation, a bar chart); one per category, one row per code; "Claimed only" when CMS claims
changes no field shows; "Field changes", one row per field change; Legend. Codes are text cells
(CPT 00100 keeps its zeros), dates are real dates, every sheet has a frozen header row and an
autofilter. The same diff gives the same bytes: the workbook's dates come from the new
release's effective date, not the clock.

openpyxl is imported inside the functions so the command line starts fast.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from tracker.diff import CATEGORIES, DESCRIPTION_FIELDS
from tracker.hcpcs.layout import FIELD_NAMES
from tracker.hcpcs.legend import ACTION_CODES, FIELD_LEGEND, value_rows
from tracker.impact import changed_codes
from tracker.reconcile import EXPLANATIONS, cms_date, reading_order
from tracker.records import Change, Diff, FieldChange, Impact, Value
from tracker.report.digest import CATEGORY_MEANINGS, columns_text, impact_headline
from tracker.report.values import (
    DATE_FIELDS,
    disagreement_text,
    field_label,
    field_name,
    successors_text,
    value_text,
)

if TYPE_CHECKING:  # openpyxl itself is imported when a workbook is written
    from openpyxl import Workbook
    from openpyxl.cell.cell import Cell as XlCell
    from openpyxl.cell.cell import MergedCell
    from openpyxl.styles import Alignment
    from openpyxl.worksheet.worksheet import Worksheet

Cell = str | int | date | None

TEXT, CODE, DATE, COUNT, WRAP = "text", "code", "date", "count", "wrap"
MAX_WIDTH = 60  # characters; longer text wraps
DATE_FORMAT = "yyyy-mm-dd"
BLANK = "(blank)"
SHEET_NAMES = {c: c.capitalize() for c in CATEGORIES}


@dataclass(frozen=True)
class Column:
    """A column of a sheet: its header and how its cells are formatted."""

    header: str
    kind: str = TEXT  # TEXT | CODE (text, "@") | DATE (yyyy-mm-dd) | COUNT | WRAP (wrapped)


def render_xlsx(diff: Diff, *, impacts: Sequence[Impact] = ()) -> bytes:
    """The workbook, as the bytes of an .xlsx file."""
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    book = Workbook()
    summary = book.active
    assert isinstance(summary, Worksheet)  # a new workbook's one sheet
    summary.title = "Summary"
    rows = _summary_rows(diff, impacts)
    write_table(summary, _SUMMARY, rows)
    _category_chart(summary, 2 + [r[0] for r in rows].index("Category"))
    for category in CATEGORIES:
        changes = sorted((c for c in diff.changes if c.category == category), key=reading_order)
        columns, rows = _category_table(category, changes)
        write_table(book.create_sheet(SHEET_NAMES[category]), columns, rows)
    if diff.claimed_only:
        claims = [(c.code, c.action, c.action_effective) for c in diff.claimed_only]
        write_table(book.create_sheet("Claimed only"), _CLAIMS, claims)
    write_table(book.create_sheet("Field changes"), _FIELD_CHANGES, _field_change_rows(diff))
    write_table(book.create_sheet("Legend"), _LEGEND, _legend_rows())
    book.properties.title = f"{diff.new.code_set} {diff.old.label} -> {diff.new.label}"
    return workbook_bytes(book, diff.new.effective)


# --- Summary -----------------------------------------------------------------------------

_SUMMARY = (
    Column("Topic"), Column("Name", CODE), Column("Count", COUNT), Column("Date", DATE),
    Column("Detail", WRAP),
)  # fmt: skip


def _summary_rows(diff: Diff, impacts: Sequence[Impact]) -> list[tuple[Cell, ...]]:
    rows: list[tuple[Cell, ...]] = []
    for impact in impacts:  # first: what the diff does to the organisation's own codes
        rows += _watch_rows(impact)
    for topic, info in (("Old release", diff.old), ("New release", diff.new)):
        detail = f"{info.code_set} {info.kind}, revision {info.revision}: {info.source_name}"
        rows.append((topic, info.label, None, info.effective, detail))
    rows += [
        ("Category", c, diff.summary.get(c, 0), None, CATEGORY_MEANINGS[c]) for c in CATEGORIES
    ]
    if diff.claimed_only:
        meaning = "CMS's action code claims a change that no compared field shows"
        rows.append(("Claimed only", "claimed_only", len(diff.claimed_only), None, meaning))
    rows += [
        ("Explanation", name, n, None, EXPLANATIONS.get(name, ""))
        for name, n in diff.explanations.items()
    ]
    return rows


def _watch_rows(impact: Impact) -> list[tuple[Cell, ...]]:
    name = impact.watchlist
    rows: list[tuple[Cell, ...]] = [
        ("Watchlist", name, len(changed_codes(impact)), None, impact_headline(impact))
    ]
    columns = list(dict.fromkeys(n for w in impact.changes for n in w.columns))
    for watched in impact.changes:
        c = watched.change
        parts = [f"{name}: {c.category}", c.explanation or "", c.description]
        # Labelled: the cell's parts are joined by "; ", and so are some descriptions' words.
        successors = f"successors: {successors_text(c.successors)}" if c.successors else ""
        parts += [successors, columns_text(watched.columns, columns)]
        rows.append(("Watched code", c.code, None, None, "; ".join(p for p in parts if p)))
    if impact.unknown:
        detail = f"{name}: in no stored release (a typo, or a CPT code): " + ", ".join(
            impact.unknown
        )
        rows.append(("Watched, unknown", name, len(impact.unknown), None, detail))
    return rows


def _category_chart(sheet: Worksheet, start: int) -> None:
    """A native bar chart of the counts per category (rows ``start``.. of the table)."""
    from openpyxl.chart import BarChart, Reference

    chart = BarChart()
    chart.type = "col"
    chart.title = "Codes per category"
    chart.legend = None
    chart.y_axis.title = "Codes"
    values = Reference(sheet, min_col=3, min_row=start, max_row=start + len(CATEGORIES) - 1)
    names = Reference(sheet, min_col=2, min_row=start, max_row=start + len(CATEGORIES) - 1)
    chart.add_data(values, titles_from_data=False)
    chart.set_categories(names)
    chart.width, chart.height = 16, 8
    sheet.add_chart(chart, "G2")


# --- one sheet per category --------------------------------------------------------------

_CHANGE = (
    Column("Code", CODE), Column("Description", WRAP), Column("Added", DATE),
    Column("Action effective", DATE), Column("Terminated", DATE), Column("Explanation"),
    Column("CMS action", CODE), Column("Successors", WRAP), Column("Copies disagree", WRAP),
)  # fmt: skip


def _category_table(
    category: str, changes: Sequence[Change]
) -> tuple[list[Column], list[tuple[Cell, ...]]]:
    """The sheet's columns and rows; one old/new column pair per field any code changed."""
    fields = sorted({f.field for c in changes for f in c.fields}, key=_layout_order)
    columns = list(_CHANGE)
    if category == "deleted":
        columns.insert(6, Column("Reason"))
    for name in fields:
        kind = DATE if name in DATE_FIELDS else WRAP if name in DESCRIPTION_FIELDS else CODE
        columns += [
            Column(f"{field_name(name)} old", kind),
            Column(f"{field_name(name)} new", kind),
        ]
    rows = []
    for change in changes:
        row = list(_change_cells(change))
        if category == "deleted":
            row.insert(6, change.reason or "")
        by_field = {f.field: f for f in change.fields}
        for name in fields:
            fc = by_field.get(name)
            row += [None, None] if fc is None else [_value(name, fc.old), _value(name, fc.new)]
        rows.append(tuple(row))
    return columns, rows


def _change_cells(change: Change) -> tuple[Cell, ...]:
    return (
        change.code,
        change.description,
        change.added,
        change.action_effective,
        change.terminated,
        change.explanation or "",
        change.action,
        successors_text(change.successors),
        "; ".join(disagreement_text(d) for d in change.copies_disagree),
    )


def _layout_order(name: str) -> tuple[int, str]:
    """Layout order, then by name the fields the layout lacks (CPT's descriptors)."""
    return (FIELD_NAMES.index(name) if name in FIELD_NAMES else len(FIELD_NAMES), name)


def _value(field: str, value: Value) -> Cell:
    """A changed field's value as a cell: a real date for a CMS date, else its text;
    "(blank)" for none, so a value changed to blank differs from a field not changed."""
    if field in DATE_FIELDS and isinstance(value, str):
        day = cms_date(value)
        if day is not None:
            return day
    return value_text(value) or BLANK


_CLAIMS = (Column("Code", CODE), Column("CMS action", CODE), Column("Action effective", DATE))


# --- Field changes and Legend ------------------------------------------------------------

_FIELD_CHANGES = (
    Column("Code", CODE), Column("Category"), Column("Field"), Column("Field (raw)"),
    Column("Old value", WRAP), Column("New value", WRAP), Column("CMS action", CODE),
    Column("Explanation"), Column("Description", WRAP), Column("Added", DATE),
    Column("Action effective", DATE), Column("Terminated", DATE), Column("Successors", WRAP),
)  # fmt: skip


def _field_change_rows(diff: Diff) -> list[tuple[Cell, ...]]:
    return [_field_change_row(c, f) for c in diff.changes for f in c.fields]


def _field_change_row(c: Change, f: FieldChange) -> tuple[Cell, ...]:
    return (
        c.code, c.category, field_label(f.field), f.field, _value(f.field, f.old),
        _value(f.field, f.new), c.action, c.explanation or "", c.description, c.added,
        c.action_effective, c.terminated, successors_text(c.successors),
    )  # fmt: skip


_LEGEND = (Column("Kind"), Column("Name"), Column("Code value", CODE), Column("Meaning", WRAP))


def _legend_rows() -> list[tuple[Cell, ...]]:
    rows: list[tuple[Cell, ...]] = []
    rows += [("Category", c, None, m) for c, m in CATEGORY_MEANINGS.items()]
    rows += [("Explanation", n, None, m) for n, m in EXPLANATIONS.items()]
    rows += [("CMS action", "Action code (action_cd)", k, v) for k, v in ACTION_CODES.items()]
    rows += [
        ("Field", field_name(f.name), None, f"{f.meaning} (CMS: {f.title}, field {f.number})")
        for f in FIELD_LEGEND
    ]
    rows += [("Field value", field_name(r.field), r.value, r.meaning) for r in value_rows()]
    return rows


# --- shared by every workbook (also tracker.report.timeline) -----------------------------


def write_table(sheet: Worksheet, columns: Sequence[Column], rows: Iterable[Sequence[Cell]]) -> int:
    """The header and the rows, formatted: codes as text, real dates, wrapped long text, the
    header frozen, an autofilter over the table, columns sized to fit. Returns the number of
    rows written (the header included)."""
    from openpyxl.styles import Alignment, Font

    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    sheet.append([c.header for c in columns])
    for cell in sheet[1]:
        cell.font = bold
    widths = [len(c.header) for c in columns]
    count = 1
    for row in rows:
        count += 1
        sheet.append(list(row))
        for i, (column, value) in enumerate(zip(columns, row, strict=True)):
            widths[i] = max(widths[i], _width(value))
            cell = sheet.cell(row=count, column=i + 1)
            _format(cell, column, value, wrap)
    _finish(sheet, columns, widths)
    return count


def _format(cell: XlCell | MergedCell, column: Column, value: Cell, wrap: Alignment) -> None:
    if value is None or value == "":
        return
    if isinstance(value, date):
        cell.number_format = DATE_FORMAT
    elif column.kind == CODE:
        # "@": Excel keeps what is typed into the cell as text too (CPT 00100).
        cell.number_format = "@"
    if column.kind == WRAP:
        cell.alignment = wrap


def _width(value: Cell) -> int:
    if isinstance(value, date):
        return 10
    return 0 if value is None else len(str(value))


def _finish(sheet: Worksheet, columns: Sequence[Column], widths: Sequence[int]) -> None:
    from openpyxl.utils import get_column_letter

    for i, (column, width) in enumerate(zip(columns, widths, strict=True), start=1):
        letter = get_column_letter(i)
        sheet.column_dimensions[letter].width = min(MAX_WIDTH, max(width, 6) + 2)
        if column.kind == CODE:
            sheet.column_dimensions[letter].number_format = "@"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(sheet.max_row, 1)}"


def workbook_bytes(book: Workbook, stamp: date) -> bytes:
    """The .xlsx bytes, the same for the same workbook: the document's created and modified
    dates and every ZIP entry's time are ``stamp``, not the clock."""
    from openpyxl.writer.excel import ExcelWriter

    when = datetime.combine(stamp, time())
    book.properties.creator = "tracker"
    book.properties.created = book.properties.modified = when
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        # ExcelWriter, not Workbook.save: save() stamps the modified date with the clock.
        ExcelWriter(book, archive).save()
    return _restamp(raw.getvalue(), when)


def _restamp(data: bytes, when: datetime) -> bytes:
    """The ZIP with every entry dated ``when`` (zipfile dates entries with the clock)."""
    stamp = (max(when.year, 1980), when.month, when.day, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()
