"""The workbook copy: written with openpyxl in CMS's format, read like the text file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.anweb import (
    WORKBOOK_HEADER,
    anweb_text,
    anweb_workbook,
    continuation_row,
    workbook_row,
)
from tests.test_parse import J_FIELDS, J_RECORD, MOD_FIELDS, MODIFIER
from tracker.config import SourceSettings
from tracker.errors import InputError
from tracker.hcpcs.read import read_release
from tracker.hcpcs.text import parse_text
from tracker.hcpcs.workbook import parse_workbook

# The [source] max_unpacked_mb default: the reader takes its cap from the config.
UNPACKED = SourceSettings().max_unpacked_bytes

# The workbook keeps the double spaces CMS typed; the text loses one where it wraps.
J_BOOK = dict(
    J_FIELDS, long_description=str(J_FIELDS["long_description"]).replace(" 10 mg", "  10 mg")
)
LONG = str(J_FIELDS["long_description"])
CUT = LONG.index(" including")  # where CMS might split the description over two rows


def _read(tmp_path: Path, data: bytes, name: str = "HCPC2026_APR_ANWEB_v2.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("disclaimer_rows", [0, 10])
def test_workbook_gives_the_same_records_as_the_text(tmp_path: Path, disclaimer_rows: int) -> None:
    data = anweb_workbook(
        [workbook_row("ZX", MOD_FIELDS), workbook_row("J9999", J_BOOK)],
        disclaimer_rows=disclaimer_rows,
    )
    parsed = read_release(_read(tmp_path, data), max_unpacked=UNPACKED)
    assert parsed.records == (MODIFIER, J_RECORD)
    assert (parsed.base_label, parsed.disagreements) == ("2026-Q2", ())


@pytest.mark.parametrize("repeated", [True, False], ids=["code repeated", "code blank"])
def test_continuation_rows_are_joined_as_the_text_joins_its_lines(repeated: bool) -> None:
    # G0503 in the 2020 workbooks: one long description over a RECID 3 and a RECID 4 row.
    # A modifier's continuation has RECID 8.
    mod = dict(MOD_FIELDS, long_description="Invented modifier with a description")
    data = anweb_workbook(
        [
            workbook_row("ZX", dict(mod, long_description="Invented modifier")),
            continuation_row("   ZX" if repeated else "", "with a description", rec_id="8"),
            workbook_row("J9999", dict(J_FIELDS, long_description=LONG[:CUT])),
            continuation_row("J9999" if repeated else "", LONG[CUT + 1 :]),
            continuation_row("J9999" if repeated else "", "", seq="0030"),  # an empty piece
        ]
    )
    text = anweb_text([("ZX", mod), ("J9999", J_FIELDS)])
    assert parse_workbook("f.xlsx", data) == parse_text("f.txt", text)
    assert parse_workbook("f.xlsx", data)[1] == J_RECORD


def test_dates_typed_in_as_numbers_or_dates_read_as_the_text_has_them() -> None:
    # 87 ACT EFF DT cells of 2017 and 7 date cells of January 2026 are numbers, not text.
    cells: dict[str, object] = {"ADD DT": 20240101, "ACT EFF DT": date(2025, 1, 1)}
    row: list[object] = list(workbook_row("J9999", J_BOOK))
    for name, value in cells.items():
        row[WORKBOOK_HEADER.index(name)] = value
    assert parse_workbook("f.xlsx", anweb_workbook([row])) == (J_RECORD,)


def test_the_data_sheet_need_not_be_the_first() -> None:
    data = anweb_workbook([workbook_row("ZX", MOD_FIELDS)], sheets=("Read me", "A"))
    assert parse_workbook("f.xlsx", data) == (MODIFIER,)


J_ROW = workbook_row("J9999", J_FIELDS)
ZX_ROW = workbook_row("ZX", MOD_FIELDS)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [ZX_ROW, continuation_row("J9999", "more text")],
            "row 3: continuation of J9999 without its first row (it follows ZX)",
        ),
        (
            [continuation_row("J9999", "more text"), J_ROW],
            "row 2: continuation of J9999 without its first row",
        ),
        (
            [continuation_row("", "more text"), J_ROW],
            "row 2: continuation of a blank code without its first row",
        ),
        ([J_ROW, ZX_ROW, J_ROW], "row 4: code J9999 appears twice"),
        (
            [workbook_row("J9999", J_FIELDS, rec_id="5")],
            "row 2: record id '5' of J9999 is not 3, 4, 7 or 8",
        ),
        ([workbook_row("J99", J_FIELDS)], "row 2: code 'J99' is not a HCPCS code"),
        ([workbook_row("", J_FIELDS, rec_id="3")], "row 2: code '' is not a HCPCS code"),
        ([], "no HCPCS records found"),
    ],
)
def test_bad_rows_are_refused_naming_the_file_row_and_code(
    tmp_path: Path, rows: list[list[str]], message: str
) -> None:
    path = _read(tmp_path, anweb_workbook(rows))
    with pytest.raises(InputError) as err:
        read_release(path, max_unpacked=UNPACKED)
    assert str(err.value) == f"{path}: {message}"


def test_row_numbers_are_the_sheets_own() -> None:
    # Header in row 11 after a disclaimer block (2018, 2020): the first data row is row 12.
    data = anweb_workbook([ZX_ROW, continuation_row("J9999", "x")], disclaimer_rows=10)
    with pytest.raises(InputError) as err:
        parse_workbook("f.xlsx", data)
    assert str(err.value) == (
        "f.xlsx: row 13: continuation of J9999 without its first row (it follows ZX)"
    )


def test_workbook_without_the_header(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["HCPC", "LONG DESCRIPTION"])
    sheet.append(["J9999", "Invented"])
    path = tmp_path / "HCPC2026_ANWEB.xlsx"
    book.save(path)
    with pytest.raises(InputError) as err:
        read_release(path, max_unpacked=UNPACKED)
    assert str(err.value) == (
        f"{path}: no sheet has the ANWEB header row (HCPC, SEQNUM, RECID, LONG DESCRIPTION, ...)"
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("HCPC2026_ANWEB.xlsx", b"PK\x03\x04 not really a workbook"),
        ("HCPC2020_ANWEB.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 not really a workbook"),
    ],
)
def test_damaged_workbook(tmp_path: Path, name: str, content: bytes) -> None:
    path = _read(tmp_path, content, name)
    with pytest.raises(InputError) as err:
        read_release(path, max_unpacked=UNPACKED)
    assert str(err.value) == f"{path}: is not a readable workbook (Cannot detect file format)"
