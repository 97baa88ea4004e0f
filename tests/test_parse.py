from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import pytest

from tests.anweb import anweb_text, record_lines
from tracker.errors import InputError
from tracker.hcpcs.read import parse_text, read_release
from tracker.records import Record

J_FIELDS = {
    "long_description": "Injection, inventedmab, 10 mg, for intravenous use only, including all "
    "preparation and handling as described in the invented label text",
    "short_description": "Inj inventedmab  10 mg",
    "price": ("51", "", "57"),
    "mult_pi": "A",
    "cim": ("45-16",),
    "mcm": ("2049",),
    "statute": "1833(t)",
    "labcert": ("100", "310"),
    "xref": ("J9998",),
    "cov": "C",
    "asc_grp": "K2",
    "asc_dt": "20240101",
    "opps": "P",
    "opps_pi": "K",
    "opps_dt": "20240101",
    "procnote": "0106",
    "betos": "O1E",
    "tos": ("1", "P"),
    "anest_bu": "  0",
    "add_dt": "20240101",
    "act_eff_dt": "20250101",
    "term_dt": "",
    "action_cd": "C",
}

J_RECORD = Record(
    "J9999",
    {
        "code": "J9999",
        "seq_num": "00100",
        "rec_id": "3",
        "long_description": "Injection, inventedmab, 10 mg, for intravenous use only, including "
        "all preparation and handling as described in the invented label text",
        "short_description": "Inj inventedmab 10 mg",
        "price": ("51", "", "57"),
        "mult_pi": "A",
        "cim": ("45-16",),
        "mcm": ("2049",),
        "statute": "1833(t)",
        "labcert": ("100", "310"),
        "xref": ("J9998",),
        "cov": "C",
        "asc_grp": "K2",
        "asc_dt": "20240101",
        "opps": "P",
        "opps_pi": "K",
        "opps_dt": "20240101",
        "procnote": "0106",
        "betos": "O1E",
        "tos": ("1", "P"),
        "anest_bu": "0",
        "add_dt": "20240101",
        "act_eff_dt": "20250101",
        "action_cd": "C",
    },
)

MODIFIER = Record(
    "ZX",
    {
        "code": "ZX",
        "seq_num": "00100",
        "rec_id": "7",
        "long_description": "Invented modifier",
        "short_description": "Invented mod",
        "cov": "C",
        "add_dt": "20200101",
        "act_eff_dt": "20200101",
        "action_cd": "N",
    },
)
MOD_FIELDS = {
    "long_description": "Invented modifier",
    "short_description": "Invented mod",
    "cov": "C",
    "add_dt": "20200101",
    "act_eff_dt": "20200101",
    "action_cd": "N",
}


def test_every_field_of_the_layout_and_continuations() -> None:
    data = anweb_text([("ZX", MOD_FIELDS), ("J9999", J_FIELDS)])
    assert parse_text("f.txt", data) == (MODIFIER, J_RECORD)


def test_disclaimer_blank_lines_full_width_continuations_and_long_padded_lines() -> None:
    lines = record_lines("J9999", J_FIELDS, short_continuations=False)
    lines[0] = lines[0] + " " * 226  # CMS padded one line to 546 characters (January 2026)
    text = "***Disclaimers\r\n\r\n-- tab\tseparated disclaimer\r\n\r\n" + "\r\n".join(
        [*record_lines("ZX", MOD_FIELDS), *lines, " " * 296]
    )
    assert parse_text("f.txt", text.encode("cp1252")) == (MODIFIER, J_RECORD)


def test_cp1252_text() -> None:
    fields = dict(MOD_FIELDS, long_description="Invented modifier \u2013 caf\u00e9")
    (record,) = parse_text("f.txt", anweb_text([("ZX", fields)]))
    assert record.get("long_description") == "Invented modifier \u2013 caf\u00e9"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "f.txt: no HCPCS records found"),
        (b"just some text\r\nand more\r\n", "f.txt: no HCPCS records found"),
        (
            anweb_text([("ZX", MOD_FIELDS)]) + b"garbage line here\r\n",
            "f.txt: line 2 is not a HCPCS record: 'garbage line here'",
        ),
        (
            anweb_text([("ZX", MOD_FIELDS)])[:200],
            "f.txt: line 1 is cut short at 200 characters (truncated file?)",
        ),
        (
            anweb_text([("ZX", MOD_FIELDS), ("ZX", MOD_FIELDS)]),
            "f.txt: line 2: code ZX appears twice",
        ),
        (
            (record_lines("ZX", MOD_FIELDS)[0] + "X" * 5 + "\r\n").encode(),
            "f.txt: line 1 has text past column 320",
        ),
        (
            b"   ZX002008orphan continuation\r\n" + anweb_text([("ZX", MOD_FIELDS)]),
            "f.txt: line 1: continuation of ZX without its first line",
        ),
        (b"\x81\x8d", "f.txt: byte 0 is not cp1252 text; is this an ANWEB file?"),
    ],
)
def test_bad_text(data: bytes, message: str) -> None:
    with pytest.raises(InputError) as err:
        parse_text("f.txt", data)
    assert str(err.value) == message


def _zip(tmp_path: Path, name: str, members: dict[str, bytes]) -> Path:
    path = tmp_path / name
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    path.write_bytes(buffer.getvalue())
    return path


def test_zip_takes_the_data_member_and_names_the_release(tmp_path: Path) -> None:
    data = anweb_text([("ZX", MOD_FIELDS)])
    path = _zip(
        tmp_path,
        "april-2026-alpha-numeric-hcpcs-file.zip",
        {
            "HCPC2026_APR_ANWEB_Transaction Report_v2.txt": b"not data",
            "HCPC2026_APR_ANWEB_Corrections_v2.xlsx": b"not data",
            "HCPC2026_APR_ANWEB_v2.txt": data,
            "proc_notes_APR2026.txt": b"notes",
        },
    )
    parsed = read_release(path)
    assert (parsed.base_label, parsed.effective, parsed.kind, parsed.source_name) == (
        "2026-Q2",
        date(2026, 4, 1),
        "quarterly",
        "april-2026-alpha-numeric-hcpcs-file.zip:HCPC2026_APR_ANWEB_v2.txt",
    )
    assert parsed.records == (MODIFIER,)


def test_label_and_effective_override(tmp_path: Path) -> None:
    path = tmp_path / "renamed.txt"
    path.write_bytes(anweb_text([("ZX", MOD_FIELDS)]))
    parsed = read_release(path, label="2024-Q3", effective=date(2024, 7, 2))
    assert (parsed.base_label, parsed.effective, parsed.kind) == (
        "2024-Q3",
        date(2024, 7, 2),
        "quarterly",
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("HCPC2026_ANWEB.txt", b"", "file is empty"),
        ("2026.zip", b"<!DOCTYPE html><html><title>Page Not Found</title></html>",
         "is an HTML page, not a ZIP (CMS answers a wrong URL with a Page Not Found page)"),
        ("HCPC2026_ANWEB.txt", b"<html><body>Access denied</body></html>",
         "is an HTML page, not a ZIP (CMS answers a wrong URL with a Page Not Found page)"),
        ("2026.zip", b"PK\x03\x04truncated",
         "is not a readable ZIP (truncated or damaged download?); download it again"),
        ("renamed.txt", b"x", "the file name names no release year; give --label and --effective"),
    ],
)  # fmt: skip
def test_bad_files(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    if name == "renamed.txt":
        path.write_bytes(anweb_text([("ZX", MOD_FIELDS)]))
    with pytest.raises(InputError) as err:
        read_release(path)
    assert str(err.value) == f"{path}: {message}"


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({"README.txt": b"x"}, "holds no *ANWEB* data file (.txt or .xlsx), only: README.txt; "
                                "is it the alpha-numeric HCPCS file?"),
        ({"../HCPC2026_ANWEB.txt": b"x"},
         "holds an unsafe member name '../HCPC2026_ANWEB.txt'; refusing to unpack it"),
        ({"/etc/HCPC2026_ANWEB.txt": b"x"},
         "holds an unsafe member name '/etc/HCPC2026_ANWEB.txt'; refusing to unpack it"),
        ({"a/HCPC26_ANWEB.txt": b"x", "b/HCPC26_ANWEB_v2.txt": b"x"},
         "several ANWEB data files in ZIP: a/HCPC26_ANWEB.txt, b/HCPC26_ANWEB_v2.txt"),
    ],
)  # fmt: skip
def test_bad_zips(tmp_path: Path, members: dict[str, bytes], message: str) -> None:
    path = _zip(tmp_path, "2026-alpha-numeric-hcpcs-file.zip", members)
    with pytest.raises(InputError) as err:
        read_release(path)
    assert str(err.value) == f"{path}: {message}"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        read_release(tmp_path / "nope.zip")
    assert (
        str(err.value) == f"{tmp_path / 'nope.zip'}: cannot read file (No such file or directory)"
    )


def _workbook(rows: list[list[str]], *, disclaimer_rows: int = 0) -> bytes:
    import openpyxl

    from tracker.hcpcs.layout import FIELDS

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "HCPC2026_APR_ANWEB"
    for i in range(disclaimer_rows):
        sheet.append([f"Disclaimer line {i}"] if i % 2 == 0 else [])
    sheet.append([h for f in FIELDS for h in f.headers()])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _row(code: str, fields: dict[str, object], seq: str = "0010", recid: str = "3") -> list[str]:
    from tracker.hcpcs.layout import FIELDS

    values: dict[str, object] = dict(fields, code=code, seq_num=seq, rec_id=recid)
    row: list[str] = []
    for f in FIELDS:
        value = values.get(f.name, "")
        items = [value] if isinstance(value, str) else list(value)  # type: ignore[call-overload]
        row += [str(items[i]) if i < len(items) else "" for i in range(f.occurs)]
    return row


@pytest.mark.parametrize("disclaimer_rows", [0, 10])
def test_workbook_gives_the_same_records_as_the_text(tmp_path: Path, disclaimer_rows: int) -> None:
    # The workbook keeps CMS's double spaces and drops the last digit of SEQNUM.
    j = dict(
        J_FIELDS, long_description=str(J_FIELDS["long_description"]).replace(" 10 mg", "  10 mg")
    )
    data = _workbook(
        [_row("   ZX", MOD_FIELDS, recid="7"), _row("J9999", j)], disclaimer_rows=disclaimer_rows
    )
    path = tmp_path / "HCPC2026_APR_ANWEB_v2.xlsx"
    path.write_bytes(data)
    parsed = read_release(path)
    assert parsed.records == (MODIFIER, J_RECORD)
    assert parsed.base_label == "2026-Q2"


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
        read_release(path)
    assert str(err.value) == (
        f"{path}: no sheet has the ANWEB header row (HCPC, SEQNUM, RECID, LONG DESCRIPTION, ...)"
    )


def test_damaged_workbook(tmp_path: Path) -> None:
    path = tmp_path / "HCPC2026_ANWEB.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(InputError) as err:
        read_release(path)
    assert str(err.value) == f"{path}: is not a readable xlsx workbook (BadZipFile)"
