"""The stored history at a glance (``tracker timeline``): per release, the code-set size and
how many codes were added, ended and changed. Pure: rows in, text or bytes out.

The html page carries an inline SVG bar chart (no scripts, no external assets) and the workbook
native Excel charts: the picture a compliance lead shows in a meeting.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from html import escape
from typing import TYPE_CHECKING

from tracker.report.html import page
from tracker.report.xlsx import CODE, COUNT, DATE, Column, workbook_bytes, write_table

if TYPE_CHECKING:  # openpyxl itself is imported when a workbook is written
    from openpyxl.worksheet.worksheet import Worksheet

FORMATS = ("text", "json", "html", "xlsx")


@dataclass(frozen=True)
class TimelineRow:
    """One stored release, with what changed since the previous release of its series."""

    label: str  # e.g. "2026-Q1"
    code_set: str  # "HCPCS" | "CPT"
    effective: date  # the release's effective date
    codes: int  # how many codes the release holds
    added: int  # codes added since the previous release (0 for the first)
    ended: int  # codes discontinued, or removed without a termination date, in this release
    changed: int  # codes with a changed field
    reactivated: int  # codes whose termination date was removed


_HEADERS = ("Release", "Code set", "Effective", "Codes", "Added", "Ended", "Changed", "Reactivated")
# (name, colour) of the chart's bars: the counts a reviewer compares release by release.
_SERIES = (("Added", "#2e7d32"), ("Ended", "#c62828"), ("Changed", "#1565c0"))
_SIZE_COLOUR = "#607d8b"


def render_timeline(rows: Sequence[TimelineRow], fmt: str) -> str | bytes:
    """The timeline in one of FORMATS (bytes for xlsx, text for the others)."""
    if fmt == "text":
        return timeline_text(rows)
    if fmt == "json":
        return timeline_json(rows)
    if fmt == "html":
        return timeline_html(rows)
    if fmt == "xlsx":
        return timeline_xlsx(rows)
    raise ValueError(f"unknown format {fmt!r}")


def _cells(row: TimelineRow) -> tuple[str, ...]:
    counts = (row.codes, row.added, row.ended, row.changed, row.reactivated)
    return (row.label, row.code_set, row.effective.isoformat(), *map(str, counts))


def timeline_text(rows: Sequence[TimelineRow]) -> str:
    if not rows:
        return "No stored release.\n"
    table = [_HEADERS, *(_cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(_HEADERS))]
    lines = []
    for line in table:
        left = [f"{cell:<{w}}" for cell, w in zip(line[:3], widths, strict=False)]
        right = [f"{cell:>{w}}" for cell, w in zip(line[3:], widths[3:], strict=True)]
        lines.append("  ".join([*left, *right]))
    return "\n".join(lines) + "\n"


def timeline_json(rows: Sequence[TimelineRow]) -> str:
    items = [asdict(r) | {"effective": r.effective.isoformat()} for r in rows]
    return json.dumps({"releases": items}, indent=2, ensure_ascii=False) + "\n"


def _by_code_set(rows: Sequence[TimelineRow]) -> dict[str, list[TimelineRow]]:
    """Rows per code set, code sets in first-seen order: HCPCS and CPT are charted apart."""
    groups: dict[str, list[TimelineRow]] = {}
    for row in rows:
        groups.setdefault(row.code_set, []).append(row)
    return groups


# --- html --------------------------------------------------------------------------------


def timeline_html(rows: Sequence[TimelineRow]) -> str:
    body = ["<h1>Release history</h1>"]
    if not rows:
        body.append("<p>No stored release.</p>")
    for code_set, group in _by_code_set(rows).items():
        labels = [r.label for r in group]
        series = [
            (name, colour, [getattr(r, name.lower()) for r in group]) for name, colour in _SERIES
        ]
        body += [
            f"<h2>{escape(code_set)}</h2>",
            svg_bars(f"{code_set}: codes added, ended and changed per release", labels, series),
            svg_bars(
                f"{code_set}: codes per release",
                labels,
                [("Codes", _SIZE_COLOUR, [r.codes for r in group])],
            ),
            _table_html(group),
        ]
    return page("Release history", body)


def _table_html(rows: Sequence[TimelineRow]) -> str:
    head = "".join(f"<th>{h}</th>" for h in _HEADERS)
    out = ["<table>", f"<tr>{head}</tr>"]
    for row in rows:
        cells = _cells(row)
        text = "".join(f"<td>{escape(c)}</td>" for c in cells[:3])
        numbers = "".join(f'<td class="num">{c}</td>' for c in cells[3:])
        out.append(f"<tr>{text}{numbers}</tr>")
    out.append("</table>")
    return "\n".join(out)


_BAR, _GAP, _LEFT, _TOP, _PLOT, _BOTTOM, _MIN_WIDTH = 14, 16, 64, 50, 180, 80, 520


def svg_bars(
    title: str, labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[int]]]
) -> str:
    """A grouped bar chart as inline SVG: one group per label, one bar per series (name,
    colour, values), each bar with a tooltip. No scripts, no external references."""
    group = len(series) * _BAR + _GAP
    width = max(_MIN_WIDTH, _LEFT + len(labels) * group + 20)
    height = _TOP + _PLOT + _BOTTOM
    step, top = axis_scale(max((v for _, _, values in series for v in values), default=0))
    out = [
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" font-family="Arial, Helvetica, sans-serif" font-size="11">',
        f'<text x="{_LEFT}" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    out += _legend_svg(series, _LEFT)
    for tick in range(0, top + 1, step):
        y = _y(tick, top)
        out.append(
            f'<line x1="{_LEFT}" y1="{y}" x2="{width - 10}" y2="{y}" stroke="#ddd"/>'
            f'<text x="{_LEFT - 6}" y="{y + 4}" text-anchor="end">{tick}</text>'
        )
    for i, label in enumerate(labels):
        x0 = _LEFT + i * group + _GAP // 2
        for j, (name, colour, values) in enumerate(series):
            y = _y(values[i], top)
            out.append(
                f'<rect x="{x0 + j * _BAR}" y="{y}" width="{_BAR - 2}" '
                f'height="{_TOP + _PLOT - y}" fill="{colour}">'
                f"<title>{escape(label)} {escape(name.lower())}: {values[i]}</title></rect>"
            )
        x, y = x0 + len(series) * _BAR // 2, _TOP + _PLOT + 14
        out.append(
            f'<text x="{x}" y="{y}" text-anchor="end" transform="rotate(-45 {x} {y})">'
            f"{escape(label)}</text>"
        )
    out.append("</svg>")
    return "\n".join(out)


def _legend_svg(series: Sequence[tuple[str, str, Sequence[int]]], x: int) -> list[str]:
    out = []
    for name, colour, _ in series:
        out.append(
            f'<rect x="{x}" y="24" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="33">{escape(name)}</text>'
        )
        x += 24 + 7 * len(name)
    return out


def axis_scale(largest: int) -> tuple[int, int]:
    """A round tick step (1, 2 or 5 times a power of ten) and the axis top, a multiple of it,
    giving at most about five gridlines."""
    rough = max(1, math.ceil(largest / 5))
    power = 10 ** (len(str(rough)) - 1)
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    return step, max(step, math.ceil(largest / step) * step)


def _y(value: int, top: int) -> int:
    return _TOP + _PLOT - round(value * _PLOT / top)


# --- xlsx --------------------------------------------------------------------------------

_COLUMNS = (
    Column("Release", CODE), Column("Code set"), Column("Effective", DATE), Column("Codes", COUNT),
    Column("Added", COUNT), Column("Ended", COUNT), Column("Changed", COUNT),
    Column("Reactivated", COUNT),
)  # fmt: skip


def timeline_xlsx(rows: Sequence[TimelineRow]) -> bytes:
    """One sheet, the table grouped by code set, and per code set two native charts: the
    counts added, ended and changed per release, and the code-set size."""
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)  # a new workbook's one sheet
    sheet.title = "Timeline"
    groups = _by_code_set(rows)
    ordered = [r for group in groups.values() for r in group]
    write_table(sheet, _COLUMNS, [(*_cells(r)[:2], r.effective, *_counts(r)) for r in ordered])
    first = 2
    for index, (code_set, group) in enumerate(groups.items()):
        _charts(sheet, code_set, first, first + len(group) - 1, 2 + index * 32)
        first += len(group)
    book.properties.title = "Release history"
    stamp = max((r.effective for r in rows), default=date(2000, 1, 1))
    return workbook_bytes(book, stamp)


def _counts(row: TimelineRow) -> tuple[int, ...]:
    return (row.codes, row.added, row.ended, row.changed, row.reactivated)


def _charts(sheet: Worksheet, code_set: str, first: int, last: int, anchor: int) -> None:
    from openpyxl.chart import BarChart, LineChart, Reference, Series

    labels = Reference(sheet, min_col=1, min_row=first, max_row=last)
    bars = BarChart()
    bars.type, bars.grouping = "col", "clustered"
    bars.title = f"{code_set}: codes added, ended and changed"
    for column, (name, colour) in enumerate(_SERIES, start=5):
        series = Series(Reference(sheet, min_col=column, min_row=first, max_row=last), title=name)
        series.graphicalProperties.solidFill = colour.lstrip("#")
        bars.series.append(series)
    bars.set_categories(labels)
    size = LineChart()
    size.title = f"{code_set}: codes per release"
    size.legend = None
    size.add_data(Reference(sheet, min_col=4, min_row=first, max_row=last))
    size.set_categories(labels)
    for chart, offset in ((bars, 0), (size, 16)):
        chart.width, chart.height = 18, 7.5
        sheet.add_chart(chart, f"J{anchor + offset}")
