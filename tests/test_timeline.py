"""``tracker timeline``'s renderer: the stored history at a glance, in every format."""

from __future__ import annotations

import io
import json
import re
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.chart import BarChart, LineChart
from openpyxl.worksheet.worksheet import Worksheet

from tests.golden import assert_golden
from tracker.report.timeline import (
    FORMATS,
    TimelineRow,
    axis_scale,
    render_timeline,
    timeline_xlsx,
)

ROWS = (
    TimelineRow("2017", "HCPCS", date(2017, 1, 1), 7412, 0, 0, 0, 0),
    TimelineRow("2018", "HCPCS", date(2018, 1, 1), 7508, 215, 119, 344, 2),
    TimelineRow("2020", "HCPCS", date(2020, 1, 1), 7694, 402, 301, 812, 1),
    TimelineRow("2026-Q1", "HCPCS", date(2026, 1, 1), 8105, 927, 487, 570, 0),
    TimelineRow("CPT-2025", "CPT", date(2025, 1, 1), 10912, 0, 0, 0, 0),
    TimelineRow("CPT-2026", "CPT", date(2026, 1, 1), 11118, 288, 82, 49, 0),
)


def test_text() -> None:
    assert render_timeline(ROWS, "text") == (
        "Release   Code set  Effective   Codes  Added  Ended  Changed  Reactivated\n"
        "2017      HCPCS     2017-01-01   7412      0      0        0            0\n"
        "2018      HCPCS     2018-01-01   7508    215    119      344            2\n"
        "2020      HCPCS     2020-01-01   7694    402    301      812            1\n"
        "2026-Q1   HCPCS     2026-01-01   8105    927    487      570            0\n"
        "CPT-2025  CPT       2025-01-01  10912      0      0        0            0\n"
        "CPT-2026  CPT       2026-01-01  11118    288     82       49            0\n"
    )
    assert render_timeline((), "text") == "No stored release.\n"


def test_json() -> None:
    data = json.loads(render_timeline(ROWS[:2], "json"))
    assert data == {
        "releases": [
            {"label": "2017", "code_set": "HCPCS", "effective": "2017-01-01", "codes": 7412,
             "added": 0, "ended": 0, "changed": 0, "reactivated": 0},
            {"label": "2018", "code_set": "HCPCS", "effective": "2018-01-01", "codes": 7508,
             "added": 215, "ended": 119, "changed": 344, "reactivated": 2},
        ]
    }  # fmt: skip
    assert json.loads(render_timeline((), "json")) == {"releases": []}


def test_html_has_an_inline_svg_chart_per_code_set_and_no_external_assets() -> None:
    page = render_timeline(ROWS, "html")
    assert isinstance(page, str)
    assert re.findall(r"<h2>([^<]*)</h2>", page) == ["HCPCS", "CPT"]
    # Per code set: a chart of added/ended/changed and one of the code-set size.
    assert page.count("<svg ") == 4 and page.count("</svg>") == 4
    bars = re.findall(r"<title>([^<]*)</title></rect>", page)
    assert len(bars) == 4 * 3 + 4 + 2 * 3 + 2
    assert bars[:3] == ["2017 added: 0", "2017 ended: 0", "2017 changed: 0"]
    assert "2026-Q1 ended: 487" in bars and "CPT-2026 codes: 11118" in bars
    lowered = page.lower()
    for external in ("http", "src=", "href=", "<script", "<link", "url(", "@import"):
        assert external not in lowered
    assert_golden("timeline.html", page)


def test_html_escapes_labels() -> None:
    page = render_timeline(
        [TimelineRow("<2026>&", "HCPCS", date(2026, 1, 1), 1, 1, 0, 0, 0)], "html"
    )
    assert "<2026>" not in page and "&lt;2026&gt;&amp;" in page


def test_xlsx_has_the_table_and_native_charts() -> None:
    data = render_timeline(ROWS, "xlsx")
    assert isinstance(data, bytes)
    assert render_timeline(ROWS, "xlsx") == data  # the same rows give the same bytes
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Timeline"]
    sheet = book["Timeline"]
    assert isinstance(sheet, Worksheet)
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == (
        "Release", "Code set", "Effective", "Codes", "Added", "Ended", "Changed", "Reactivated",
    )  # fmt: skip
    assert values[4] == ("2026-Q1", "HCPCS", datetime(2026, 1, 1), 8105, 927, 487, 570, 0)
    assert sheet["A2"].data_type == "s" and sheet["C2"].is_date
    assert (sheet.freeze_panes, sheet.auto_filter.ref) == ("A2", "A1:H7")
    charts = [(type(c), [s.val.numRef.f for s in c.series]) for c in _charts(sheet)]
    assert charts == [
        (BarChart, ["'Timeline'!$E$2:$E$5", "'Timeline'!$F$2:$F$5", "'Timeline'!$G$2:$G$5"]),
        (LineChart, ["'Timeline'!$D$2:$D$5"]),
        (BarChart, ["'Timeline'!$E$6:$E$7", "'Timeline'!$F$6:$F$7", "'Timeline'!$G$6:$G$7"]),
        (LineChart, ["'Timeline'!$D$6:$D$7"]),
    ]


def test_xlsx_groups_rows_by_code_set() -> None:
    mixed = (ROWS[0], ROWS[4], ROWS[1])
    book = load_workbook(io.BytesIO(timeline_xlsx(mixed)))
    assert [r[0] for r in book["Timeline"].iter_rows(min_row=2, values_only=True)] == [
        "2017", "2018", "CPT-2025",
    ]  # fmt: skip
    empty = load_workbook(io.BytesIO(timeline_xlsx(())))
    assert empty["Timeline"].max_row == 1 and _charts(empty["Timeline"]) == []


def test_every_format_and_no_other() -> None:
    assert FORMATS == ("text", "json", "html", "xlsx")
    with pytest.raises(ValueError, match="unknown format 'csv'"):
        render_timeline(ROWS, "csv")


@pytest.mark.parametrize(
    ("largest", "scale"),
    [
        (0, (1, 1)),
        (3, (1, 3)),
        (5, (1, 5)),
        (6, (2, 6)),
        (927, (200, 1000)),
        (11118, (5000, 15000)),
    ],
)
def test_chart_scale_has_round_steps(largest: int, scale: tuple[int, int]) -> None:
    assert axis_scale(largest) == scale


def _charts(sheet: object) -> list[Any]:
    """A sheet's charts: openpyxl keeps them in a list its type stubs do not declare."""
    charts: list[Any] = sheet._charts  # type: ignore[attr-defined]
    return charts
