"""The streamed reader of a workbook's first sheet (tracker.run.sheet): workbooks written by
openpyxl as Excel writes them, and parts edited to hold what openpyxl does not write."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from tracker.errors import InputError
from tracker.run.sheet import sheet_rows


def _rows(path: Path) -> list[list[str]]:
    with sheet_rows(path) as rows:
        return list(rows)


def test_shared_strings_dates_numbers_and_gaps(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    first.title = "Claims"
    first.append(["code", "dos", "units", "paid", "note"])
    first.append(["J1632", date(2025, 4, 1), 3, True, None])
    first.append([None, datetime(2025, 4, 1, 13, 30), 2.5, False, "a & b < c"])
    first.append(["99213", 20250401, None, None, "=A2"])  # a formula: no cached value
    book.create_sheet("Other").append(["not", "read"])
    path = tmp_path / "claims.xlsx"
    book.save(path)
    assert _rows(path) == [
        ["code", "dos", "units", "paid", "note"],
        ["J1632", "2025-04-01", "3", "TRUE"],
        ["", "2025-04-01T13:30:00", "2.5", "FALSE", "a & b < c"],
        ["99213", "20250401", "", "", ""],
    ]


def test_inline_strings_of_a_streamed_workbook(tmp_path: Path) -> None:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["code", "dos"])
    sheet.append(["A4216", date(2024, 2, 29)])
    path = tmp_path / "claims.xlsx"
    book.save(path)
    assert _rows(path) == [["code", "dos"], ["A4216", "2024-02-29"]]


def test_the_1904_date_system(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.epoch = CALENDAR_MAC_1904
    sheet = book.active
    assert sheet is not None
    sheet.append(["dos", date(2025, 4, 1)])
    path = tmp_path / "mac.xlsx"
    book.save(path)
    with zipfile.ZipFile(path) as archive:
        assert b'date1904="1"' in archive.read("xl/workbook.xml")
    assert _rows(path) == [["dos", "2025-04-01"]]


# Cells as Excel writes them that openpyxl does not: rich text and a reading guide in a shared
# string, a formula's text result, an error, an ISO date cell, cells without a reference.
SHARED = (
    '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" '
    'uniqueCount="2"><si><t>code</t></si><si><r><rPr><b/></rPr><t>J16</t></r><r><t xml:space='
    '"preserve">32</t></r><rPh sb="0" eb="1"><t>jei</t></rPh></si></sst>'
)
SHEET = (
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="str"><f>"x"</f><v>x</v></c></row>'
    '<row r="3"><c r="A3" t="s"><v>1</v></c><c r="B3" t="e"><v>#N/A</v></c>'
    '<c r="C3" t="d"><v>2025-04-01T00:00:00</v></c></row>'
    '<row r="4"><c t="inlineStr"><is><t>Q0001</t></is></c><c><v>7</v></c></row>'
    "</sheetData></worksheet>"
)


def test_cells_excel_writes(tmp_path: Path) -> None:
    path = tmp_path / "excel.xlsx"
    book = openpyxl.Workbook()
    book.save(path)
    _replace(path, {"xl/worksheets/sheet1.xml": SHEET, "xl/sharedStrings.xml": SHARED})
    assert _rows(path) == [["code", "", "x"], ["J1632", "#N/A", "2025-04-01"], ["Q0001", "7"]]


def _replace(path: Path, parts: dict[str, str]) -> None:
    with zipfile.ZipFile(path) as archive:
        kept = {n: archive.read(n) for n in archive.namelist() if n not in parts}
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in kept.items():
            archive.writestr(name, data)
        for name, text in parts.items():
            archive.writestr(name, text.encode())


def test_a_file_that_is_no_workbook(tmp_path: Path) -> None:
    path = tmp_path / "claims.xlsx"
    path.write_text("code,dos\n")
    with pytest.raises(InputError) as error:
        _rows(path)
    assert str(error.value) == (
        "claims.xlsx: is not a readable xlsx workbook (File is not a zip file)"
    )
    book = openpyxl.Workbook()
    book.save(path)
    _replace(path, {"xl/worksheets/sheet1.xml": SHEET[:150]})  # cut short
    with pytest.raises(InputError, match=r"^claims.xlsx: is not a readable xlsx workbook \("):
        _rows(path)
