from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.anweb import anweb_text, record_lines
from tests.release_files import write_zip
from tracker.config import SourceSettings
from tracker.errors import InputError
from tracker.hcpcs.read import read_release
from tracker.hcpcs.text import parse_text
from tracker.records import Record, Value

# The [source] max_unpacked_mb default: the reader takes its cap from the config.
UNPACKED = SourceSettings().max_unpacked_bytes

J_FIELDS: dict[str, Value] = {
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
MOD_FIELDS: dict[str, Value] = {
    "long_description": "Invented modifier",
    "short_description": "Invented mod",
    "cov": "C",
    "add_dt": "20200101",
    "act_eff_dt": "20200101",
    "action_cd": "N",
}

J_LINES = record_lines("J9999", J_FIELDS)


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
            b"   ZX002008orphan continuation".ljust(91)
            + b"\r\n"
            + anweb_text([("ZX", MOD_FIELDS)]),
            "f.txt: line 1: continuation of ZX without its first line",
        ),
        (
            anweb_text([("J9999", J_FIELDS), ("ZX", MOD_FIELDS)])
            + b"J9999003004a third piece".ljust(91)
            + b"\r\n",
            "f.txt: line 4: continuation of J9999 without its first line (it follows ZX)",
        ),
        (
            # CMS writes a continuation 91 characters long (to the end of the description
            # field, space-padded) or 320: one character less is a cut.
            "\r\n".join([J_LINES[0], J_LINES[1][:90]]).encode(),
            "f.txt: line 2 is cut short at 90 characters (truncated file?)",
        ),
        (b"\x81\x8d", "f.txt: byte 0 is not cp1252 text; is this an ANWEB file?"),
    ],
)
def test_bad_text(data: bytes, message: str) -> None:
    with pytest.raises(InputError) as err:
        parse_text("f.txt", data)
    assert str(err.value) == message


def _zip(tmp_path: Path, name: str, members: dict[str, bytes]) -> Path:
    return write_zip(tmp_path / name, members)


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
    parsed = read_release(path, max_unpacked=UNPACKED)
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
    parsed = read_release(path, label="2024-Q3", effective=date(2024, 7, 2), max_unpacked=UNPACKED)
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
        read_release(path, max_unpacked=UNPACKED)
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
        read_release(path, max_unpacked=UNPACKED)
    assert str(err.value) == f"{path}: {message}"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        read_release(tmp_path / "nope.zip", max_unpacked=UNPACKED)
    assert (
        str(err.value) == f"{tmp_path / 'nope.zip'}: cannot read file (No such file or directory)"
    )
