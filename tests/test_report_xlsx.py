"""The review workbook (``--format xlsx``), opened with openpyxl as a reviewer's Excel would."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.chart import BarChart

from tests.conftest import shared_cms
from tests.golden import assert_golden
from tests.report_sample import cpt_diff, sample_diff, sample_impact
from tracker.config import SourceSettings
from tracker.diff import diff_releases
from tracker.hcpcs.legend import ACTION_CODES, FIELD_LEGEND, value_rows
from tracker.hcpcs.read import read_release
from tracker.reconcile import EXPLANATIONS
from tracker.records import HCPCS, ReleaseInfo
from tracker.report.xlsx import MAX_WIDTH, render_xlsx

SHEETS = [
    "Summary", "Added", "Deleted", "Discontinued", "Reactivated", "Changed", "Claimed only",
    "Field changes", "Legend",
]  # fmt: skip
CHANGE_HEADERS = [
    "Code", "Description", "Added", "Action effective", "Terminated", "Explanation",
    "CMS action", "Successors", "Copies disagree",
]  # fmt: skip


def open_book(data: bytes) -> Any:
    return load_workbook(io.BytesIO(data))


@pytest.fixture(scope="module")
def book() -> Any:
    return open_book(render_xlsx(sample_diff(), impacts=[sample_impact()]))


def rows(sheet: Any) -> list[tuple[Any, ...]]:
    return list(sheet.iter_rows(values_only=True))


def test_sheets_and_header_rows(book: Any) -> None:
    assert book.sheetnames == SHEETS
    term = ["Termination date (term_dt) old", "Termination date (term_dt) new"]
    headers = {
        "Summary": ["Topic", "Name", "Count", "Date", "Detail"],
        "Added": CHANGE_HEADERS,
        "Deleted": [*CHANGE_HEADERS[:6], "Reason", *CHANGE_HEADERS[6:]],
        "Discontinued": CHANGE_HEADERS + term,
        "Reactivated": CHANGE_HEADERS + term,
        "Claimed only": ["Code", "CMS action", "Action effective"],
        "Field changes": [
            "Code", "Category", "Field", "Field (raw)", "Old value", "New value", "CMS action",
            "Explanation", "Description", "Added", "Action effective", "Terminated", "Successors",
        ],
        "Legend": ["Kind", "Name", "Code value", "Meaning"],
    }  # fmt: skip
    for name, header in headers.items():
        assert list(rows(book[name])[0]) == header, name
    # Without claims there is no "Claimed only" sheet.
    assert "Claimed only" not in open_book(render_xlsx(cpt_diff())).sheetnames


def test_changed_sheet_has_an_old_new_pair_per_field_in_layout_order(book: Any) -> None:
    header, *data = rows(book["Changed"])
    pairs = [
        "Long description (long_description)", "Short description (short_description)",
        "Pricing indicator (price)", "Multiple pricing indicator (mult_pi)",
        "Cross reference (xref)",
    ]  # fmt: skip
    assert list(header) == CHANGE_HEADERS + [
        f"{p} {side}" for p in pairs for side in ("old", "new")
    ]
    k0002, g8442 = data  # anomalies first: mid_period before agrees
    assert k0002[0] == "K0002" and g8442[0] == "G8442"
    # A field the code did not change is empty; one changed to blank says "(blank)".
    assert k0002[9:] == (None, None, "Cushion", "Seat cushion", None, None, "A", "(blank)",
                         "(blank)", "K0003")  # fmt: skip
    assert g8442[8] == "price: text '11' / workbook '11, 57'"
    assert g8442[13:15] == ("51", "11")


def test_summary_leads_with_the_watchlist_impact(book: Any) -> None:
    assert rows(book["Summary"])[1:] == [
        ("Watchlist", "Cardiology & <Cath lab>", 3, None,
         "3 of your 412 codes changed: 1 discontinued (successors J1632, J7168), 2 changed; "
        "1 in no stored release"),
        ("Watched code", "C9901", None, None,
         "Cardiology & <Cath lab>: discontinued; agrees; Invented temporary drug, 1 mg; "
         "successors: J1632 (cms, active): Invented permanent drug, 1 mg | "
         "J7168 (inferred, ended 2025-06-30): Invented temporary drug, 10 mg -> "
         "J7169 (cms, active): Invented drug & <diluent>, 5 mg; "
         "department: Pharmacy; price: 12.00"),
        ("Watched code", "G8442", None, None,
         "Cardiology & <Cath lab>: changed; agrees; Documentation of patient's current "
         "medications & <dose> not performed at the time of the encounter, reason not given "
         "(invented text for a test); department: Quality"),
        ("Watched code", "K0002", None, None,
         "Cardiology & <Cath lab>: changed; mid_period; Invented cushion; department: DME; "
         "price: 80.00"),
        ("Watched, unknown", "Cardiology & <Cath lab>", 1, None,
         "Cardiology & <Cath lab>: in no stored release (a typo, or a CPT code): Z9999"),
        ("Old release", "2025", None, datetime(2025, 1, 1),
         "HCPCS annual, revision 1: 2025-anweb.zip"),
        ("New release", "2026-Q1", None, datetime(2026, 1, 1),
         "HCPCS quarterly, revision 1: 2026-q1-anweb.zip"),
        ("Category", "added", 3, None, "in the new release only"),
        ("Category", "deleted", 2, None, "in the old release only: dropped from the file"),
        ("Category", "discontinued", 2, None,
         "given a termination date: billable up to that date only"),
        ("Category", "reactivated", 1, None, "its termination date was removed: billable again"),
        ("Category", "changed", 2, None,
         "a compared field changed (descriptions, pricing, coverage, dates, ...)"),
        ("Claimed only", "claimed_only", 1, None,
         "CMS's action code claims a change that no compared field shows"),
        *[("Explanation", name, 4 if name == "agrees" else 1, None, meaning)
          for name, meaning in EXPLANATIONS.items()],
    ]  # fmt: skip


def test_summary_has_a_native_bar_chart_of_the_categories(book: Any) -> None:
    (chart,) = book["Summary"]._charts
    assert isinstance(chart, BarChart)
    (series,) = chart.series
    # The category rows follow the five watchlist rows and the two release rows.
    assert series.val.numRef.f == "'Summary'!$C$9:$C$13"
    assert series.cat.numRef.f == "'Summary'!$B$9:$B$13"
    assert [book["Summary"].cell(r, 2).value for r in range(9, 14)] == [
        "added", "deleted", "discontinued", "reactivated", "changed",
    ]  # fmt: skip


def test_codes_are_text_cells_and_keep_leading_zeros() -> None:
    cpt = open_book(render_xlsx(cpt_diff()))
    cell = cpt["Changed"]["A2"]
    assert (cell.value, cell.data_type, cell.number_format) == ("00100", "s", "@")
    assert [r[0] for r in rows(cpt["Added"])[1:]] == ["0001U"]
    assert [r[0] for r in rows(cpt["Field changes"])[1:]] == ["00100"]


def test_dates_are_real_dates(book: Any) -> None:
    sheet = book["Discontinued"]
    c9901 = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "C9901")
    added, effective, terminated = c9901[2], c9901[3], c9901[4]
    assert (added.value, effective.value, terminated.value) == (
        datetime(2024, 7, 1),
        datetime(2026, 1, 1),
        datetime(2025, 12, 31),
    )
    assert {added.number_format, terminated.number_format} == {"yyyy-mm-dd"}
    # A CMS date inside a field change is a date too.
    assert c9901[10].value == datetime(2025, 12, 31) and c9901[10].is_date


def test_every_sheet_has_a_frozen_header_and_an_autofilter(book: Any) -> None:
    for sheet in book:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.auto_filter.ref == sheet.dimensions, sheet.title
        assert sheet.dimensions.startswith("A1:")


def test_columns_fit_and_long_text_wraps(book: Any) -> None:
    for sheet in book:
        widths = [d.width for d in sheet.column_dimensions.values()]
        assert widths and all(0 < w <= MAX_WIDTH for w in widths), sheet.title
    changed = book["Changed"]
    assert changed["B3"].alignment.wrap_text  # Description
    assert changed["J3"].alignment.wrap_text  # Long description old
    assert not changed["A3"].alignment.wrap_text  # Code
    assert changed.column_dimensions["B"].width == MAX_WIDTH
    assert changed.column_dimensions["A"].width == 8  # "Code", the codes: 5 characters


def test_field_changes_one_row_per_field_change(book: Any) -> None:
    data = rows(book["Field changes"])[1:]
    assert [(r[0], r[3]) for r in data] == [
        ("C9901", "term_dt"), ("C9902", "term_dt"), ("G8442", "long_description"),
        ("G8442", "price"), ("K0001", "term_dt"), ("K0002", "short_description"),
        ("K0002", "mult_pi"), ("K0002", "xref"),
    ]  # fmt: skip
    assert data[4][:6] == (
        "K0001", "reactivated", "Termination date", "term_dt", datetime(2024, 12, 31), "(blank)"
    )  # fmt: skip


def test_legend_explains_fields_actions_and_explanations(book: Any) -> None:
    data = rows(book["Legend"])[1:]
    kinds = [r[0] for r in data]
    assert kinds.count("Explanation") == len(EXPLANATIONS)
    assert kinds.count("CMS action") == len(ACTION_CODES)
    assert kinds.count("Field") == len(FIELD_LEGEND)
    assert kinds.count("Field value") == len(value_rows())
    assert ("CMS action", "Action code (action_cd)", "D",
            "Discontinue procedure or modifier code") in data  # fmt: skip
    assert ("Explanation", "transient", None, EXPLANATIONS["transient"]) in data
    mult_pi = next(r for r in data if r[:2] == ("Field", "Multiple pricing indicator (mult_pi)"))
    assert mult_pi[3].endswith("(CMS: HCPCS Multiple Pricing Indicator Code, field 10)")


def test_same_diff_same_bytes() -> None:
    first = render_xlsx(sample_diff(), impacts=[sample_impact()])
    time.sleep(1.1)  # zip entries carry seconds: a clock would show here
    assert render_xlsx(sample_diff(), impacts=[sample_impact()]) == first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2026, 1, 1, 0, 0, 0)}
    props = open_book(first).properties
    assert (props.created, props.modified) == (datetime(2026, 1, 1), datetime(2026, 1, 1))


def dump(book: Any, skip: frozenset[str] = frozenset({"Legend"})) -> str:
    """Every sheet's cells as text (dates marked #), for a golden file a reviewer can read."""
    out = []
    for sheet in book:
        out.append(f"== {sheet.title}  freeze {sheet.freeze_panes}  filter {sheet.auto_filter.ref}")
        if sheet.title in skip:
            continue
        for row in sheet.iter_rows(values_only=True):
            cells = ["" if v is None else f"#{v.date()}" if isinstance(v, datetime) else str(v)
                     for v in row]  # fmt: skip
            out.append("\t".join(cells).rstrip("\t"))
    return "\n".join(out) + "\n"


def test_golden_cell_values(book: Any) -> None:
    assert_golden("report_sample.xlsx.txt", dump(book))
    assert_golden("report_cpt.xlsx.txt", dump(open_book(render_xlsx(cpt_diff()))))


def test_real_january_2026_diff(capsys: pytest.CaptureFixture[str]) -> None:
    folder = shared_cms()
    cap = SourceSettings().max_unpacked_bytes
    old = read_release(folder / "2020-Alpha-Numeric-HCPCS-File.zip", max_unpacked=cap)
    new = read_release(folder / "january-2026-alpha-numeric-hcpcs-file.zip", max_unpacked=cap)
    diff = diff_releases(
        ReleaseInfo(HCPCS, old.base_label, old.effective, 1, old.source_name, old.sha256),
        {r.code: r for r in old.records},
        ReleaseInfo(HCPCS, new.base_label, new.effective, 1, new.source_name, new.sha256),
        {r.code: r for r in new.records},
    )
    started = time.perf_counter()
    data = render_xlsx(diff)
    took = time.perf_counter() - started
    real = open_book(data)
    for category in ("added", "deleted", "discontinued", "reactivated", "changed"):
        assert real[category.capitalize()].max_row == diff.summary[category] + 1
    fields = sum(len(c.fields) for c in diff.changes)
    assert real["Field changes"].max_row == fields + 1
    assert real["Summary"]["D3"].value == datetime.combine(date(2026, 1, 1), datetime.min.time())
    with capsys.disabled():
        print(f"\nreal 2020 -> 2026-Q1 workbook: {len(diff.changes)} codes, {fields} field "
              f"changes, {len(data):,} bytes, rendered in {took:.2f} s")  # fmt: skip
