"""Watchlists: `tracker watch add | list | remove`, the files they read, and the store."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from tests.conftest import FIXED_NOW
from tracker.cli import main
from tracker.errors import InputError, NotFoundError
from tracker.sources.watchlist import (
    WatchedRow,
    WatchFile,
    WatchlistVersion,
    normalise_code,
    parse_table,
    read_watchfile,
)
from tracker.store import Store

CDM = (
    "CPT/HCPCS,Description,Department,Price\n"
    "A9902,Catheter kit,Supply,12.50\n"
    " j9901 ,Sampledrug,Pharmacy,3\n"
    "J9901,Sampledrug vial,Oncology,4\n"
    "100,Anesthesia,OR,\n"
    ",Room charge,Nursing,900\n"
    "ZZZZZ,Typo,,\n"
)


@pytest.fixture
def db(db_url: str) -> str:
    """A fresh database per test, on SQLite and on PostgreSQL (tests/conftest.py), made as
    an import makes it: `watch` makes none."""
    Store(db_url).close()
    return db_url


def _watchlists(db: str, method: str, *args: str) -> Any:
    """One call on the database's watchlists, the store closed after it (PostgreSQL
    connections must not outlive the test)."""
    with Store(db, create=False) as store:
        return getattr(store.watchlists, method)(*args)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _times(text: str) -> str:
    """Load times are the wall clock's: shown as <time>."""
    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "<time>", text)


def _row(columns: tuple[str, ...], code: str, number: int, *values: str) -> WatchedRow:
    return WatchedRow(code, number, dict(zip(columns, values, strict=True)))


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_add_a_csv_then_list_it(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    path = _write(tmp_path / "cdm.csv", CDM)
    code, out, err = run(capsys, "--db", db, "watch", "add", "cdm", str(path))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "added watchlist cdm: 4 codes on 5 rows from cdm.csv, codes in 'CPT/HCPCS'",
        "  kept beside each code: Description, Department, Price",
        "  skipped 1 row whose 'CPT/HCPCS' is blank or not a code (row 6)",
        "  padded 1 code to five digits: 00100 (Excel drops a CPT code's leading zeros: "
        "100 was 00100)",
    ]
    code, out, _ = run(capsys, "--db", db, "watch", "list")
    assert code == 0
    assert _times(out).splitlines() == [
        "cdm: 4 codes on 5 rows from cdm.csv, loaded <time>",
        "  codes in 'CPT/HCPCS'; other columns: Description, Department, Price",
    ]
    stored = _watchlists(db, "get", "cdm")
    columns = ("Description", "Department", "Price")
    assert stored.rows == (
        _row(columns, "A9902", 2, "Catheter kit", "Supply", "12.50"),
        _row(columns, "J9901", 3, "Sampledrug", "Pharmacy", "3"),
        _row(columns, "J9901", 4, "Sampledrug vial", "Oncology", "4"),
        _row(columns, "00100", 5, "Anesthesia", "OR", ""),
        _row(columns, "ZZZZZ", 7, "Typo", "", ""),
    )
    assert stored.codes == ("00100", "A9902", "J9901", "ZZZZZ")


def test_add_an_xlsx_with_numbers_excel_made_of_codes(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    sheet["A1"] = "Chargemaster export, April 2026"  # a title above the header
    rows: list[tuple[str | float | datetime | None, ...]] = [
        ("HCPCS Code", "Price", "Updated", None),
        ("J1632", 12.5, datetime(2026, 1, 2), None),
        (100, 3, None, None),  # CPT 00100, which Excel keeps as the number 100
        (1999.0, None, None, "note"),  # CPT 01999, as a float
        (25, None, None, None),  # CPT modifier 25: two digits stay two
        (99213, 80, None, None),
        ("J1632-JW", 1, None, None),  # a code with a modifier glued on: not a code
    ]
    for r, values in enumerate(rows, start=3):
        for c, value in enumerate(values, start=1):
            sheet.cell(r, c, value)
    book.create_sheet("Other").append(["not read"])
    path = tmp_path / "cdm.xlsx"
    book.save(path)
    code, out, err = run(capsys, "--db", db, "watch", "add", "cdm", str(path))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "added watchlist cdm: 5 codes from cdm.xlsx, codes in 'HCPCS Code'",
        "  kept beside each code: Price, Updated, column 4",
        "  skipped 1 row whose 'HCPCS Code' is blank or not a code (row 9)",
        "  padded 2 codes to five digits: 00100, 01999 (Excel drops a CPT code's leading "
        "zeros: 100 was 00100)",
    ]
    columns = ("Price", "Updated", "column 4")
    assert _watchlists(db, "get", "cdm").rows == (
        _row(columns, "J1632", 4, "12.5", "2026-01-02", ""),
        _row(columns, "00100", 5, "3", "", ""),
        _row(columns, "01999", 6, "", "", "note"),
        _row(columns, "25", 7, "", "", ""),
        _row(columns, "99213", 8, "80", "", ""),
    )


def test_readding_replaces_the_list_and_keeps_when_it_changed(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    first = _write(tmp_path / "cdm-march.csv", "Code,Price\nA9902,1\nJ9901,2\n")
    second = _write(tmp_path / "cdm-april.csv", "Code,Price\nA9902,1\nK9901,5\nL9901,6\n")
    assert run(capsys, "--db", db, "watch", "add", "cdm", str(first))[0] == 0
    code, out, _ = run(capsys, "--db", db, "watch", "add", "cdm", str(second))
    assert code == 0
    assert _times(out).splitlines() == [
        "replaced watchlist cdm: 3 codes from cdm-april.csv, codes in 'Code'",
        "  kept beside each code: Price",
        "  replaced version 1 (2 codes, loaded <time> from cdm-march.csv)",
    ]
    code, out, _ = run(capsys, "--db", db, "watch", "list")
    assert _times(out).splitlines() == [
        "cdm: 3 codes from cdm-april.csv, loaded <time>, version 2, first added <time>",
        "  codes in 'Code'; other columns: Price",
    ]
    assert _watchlists(db, "get", "cdm").codes == ("A9902", "K9901", "L9901")
    # The same list again, in a file saved otherwise (CRLF, a BOM, another name): no change.
    again = _write(tmp_path / "copy.csv", "\ufeffCode,Price\r\nA9902,1\r\nK9901,5\r\nL9901,6\r\n")
    code, out, _ = run(capsys, "--db", db, "watch", "add", "cdm", str(again))
    assert (code, _times(out)) == (
        0,
        "watchlist cdm unchanged: copy.csv holds the list loaded <time>; nothing stored\n",
    )
    assert [v.version for v in _watchlists(db, "versions")["cdm"]] == [1, 2]


def test_remove(capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path) -> None:
    path = _write(tmp_path / "cdm.csv", "Code\nA9902\n")
    run(capsys, "--db", db, "watch", "add", "cdm", str(path))
    run(capsys, "--db", db, "watch", "add", "other", str(path))
    code, out, _ = run(capsys, "--db", db, "watch", "remove", "cdm")
    assert (code, _times(out)) == (0, "removed watchlist cdm (1 code, loaded <time>)\n")
    code, out, _ = run(capsys, "--db", db, "watch", "list")
    assert _times(out).splitlines() == [
        "other: 1 code from cdm.csv, loaded <time>",
        "  codes in 'Code'; other columns: none",
    ]
    code, out, err = run(capsys, "--db", db, "watch", "remove", "cdm")
    assert (code, out, err) == (
        1,
        "",
        "tracker: error: no watchlist named 'cdm'; see `tracker watch list`\n",
    )
    run(capsys, "--db", db, "watch", "remove", "other")
    assert run(capsys, "--db", db, "watch", "list")[1] == (
        "No watchlists: add one with `tracker watch add NAME FILE`.\n"
    )


BAD_FILES = [
    pytest.param(
        "cdm.csv", "Charge,Description\n100,Visit\n", ["--code-column", "CPT"],
        "cdm.csv: no column named 'CPT'; its columns are Charge, Description",
        id="no-such-column",
    ),
    pytest.param(
        "cdm.csv", "Charge,Description\n100,Visit\n", [],
        "cdm.csv: no column named like a code column; name one with --code-column "
        "(its columns are Charge, Description)",
        id="no-code-column-found",
    ),
    pytest.param(
        "cdm.csv", "CPT,HCPCS\n99213,J1632\n", [],
        "cdm.csv: several code columns; name one with --code-column (its columns are CPT, HCPCS)",
        id="two-code-columns",
    ),
    pytest.param(
        "cdm.csv", "Code,Description\n\n,,\n", [],
        "cdm.csv: holds no codes: no rows under the header (Code, Description)",
        id="no-data-rows",
    ),
    pytest.param(
        "cdm.csv", "\n \n", [], "cdm.csv: is empty: no header row and no codes", id="empty"
    ),
    pytest.param(
        "cdm.csv", "Code,Description\n,Room\n,Linen\n", [],
        "cdm.csv: column 'Code' holds no codes: it is blank on all 2 rows",
        id="code-column-blank",
    ),
    pytest.param(
        "cdm.csv", "Item,Code\nRoom,Semi-private room\nLinen,J1632-JW\n", [],
        "cdm.csv: column 'Code' holds no codes: none of its 2 rows is a HCPCS or CPT code or a "
        "modifier (e.g. 'Semi-private room'); name the code column with --code-column",
        id="code-column-not-codes",
    ),
    pytest.param(
        "cdm.xlsx", "PK\x03\x04 not really a workbook", [],
        "cdm.xlsx: is not a readable workbook",
        id="broken-workbook",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("name", "text", "options", "message"), BAD_FILES)
def test_bad_file_is_one_line_exit_1_and_nothing_stored(
    capsys: pytest.CaptureFixture[str],
    db: str,
    tmp_path: Path,
    name: str,
    text: str,
    options: list[str],
    message: str,
) -> None:
    good = _write(tmp_path / "good.csv", "Code\nA9902\n")
    run(capsys, "--db", db, "watch", "add", "cdm", str(good))
    before = _watchlists(db, "get", "cdm")
    path = _write(tmp_path / name, text)
    code, out, err = run(capsys, "--db", db, "watch", "add", "cdm", str(path), *options)
    assert (code, out) == (1, "")
    if name.endswith(".xlsx"):  # the workbook reader's own reason follows, in brackets
        err = re.sub(r" \([^\n]*\)\n$", "\n", err)
    assert err == f"tracker: error: {message}\n"
    assert _watchlists(db, "get", "cdm") == before
    assert run(capsys, "--db", db, "watch", "add", "new", str(path), *options)[0] == 1
    assert list(_watchlists(db, "versions")) == ["cdm"]


def test_a_missing_file_and_a_bad_name(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    missing = tmp_path / "nope.csv"
    code, out, err = run(capsys, "--db", db, "watch", "add", "cdm", str(missing))
    assert (code, out, err) == (1, "", f"tracker: error: {missing}: No such file or directory\n")
    path = _write(tmp_path / "cdm.csv", "Code\nA9902\n")
    code, out, err = run(capsys, "--db", db, "watch", "add", "my list", str(path))
    assert (code, out, err) == (
        2,
        "",
        "tracker: error: watchlist name 'my list': use letters, digits, '.', '_' and '-' "
        "(up to 64, starting with a letter or digit)\n",
    )


@pytest.mark.parametrize(
    ("data", "encoding", "columns"),
    [
        (
            "Code;Beschreibung;Preis\nA9902;Katheter;12,50\n",  # Excel where 12,50 is a number
            "utf-8",
            {"Beschreibung": "Katheter", "Preis": "12,50"},
        ),
        (
            "Code,Description,Price\nA9902,Cathéter,12.50\n",  # Excel's CSV on Windows
            "cp1252",
            {"Description": "Cathéter", "Price": "12.50"},
        ),
        (
            "Code\tDescription\tPrice\nA9902\tCathéter\t12.50\n",  # Excel's "Unicode Text"
            "utf-16",
            {"Description": "Cathéter", "Price": "12.50"},
        ),
    ],
    ids=["semicolons", "windows-1252", "utf-16-tabs"],
)
def test_csv_dialects_excel_writes(
    tmp_path: Path, data: str, encoding: str, columns: dict[str, str]
) -> None:
    file = read_watchfile(_write(tmp_path / "cdm.csv", data, encoding))
    assert file.rows == (WatchedRow("A9902", 2, columns),)


def test_a_code_column_named_by_hand_is_matched_without_case(tmp_path: Path) -> None:
    path = _write(tmp_path / "cdm.csv", "Charge,Proc Code\nX1,g0008\n")
    assert read_watchfile(path, "proc code") == WatchFile(
        source="cdm.csv",
        sha256=read_watchfile(path, "proc code").sha256,
        code_column="Proc Code",
        columns=("Charge",),
        rows=(WatchedRow("G0008", 2, {"Charge": "X1"}),),
    )


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (" j1632 ", ("J1632", False)),
        ("AQ", ("AQ", False)),
        ("25", ("25", False)),
        (25, ("25", False)),
        ("0001U", ("0001U", False)),
        (100, ("00100", True)),
        (100.0, ("00100", True)),
        ("1999", ("01999", True)),
        (99213.0, ("99213", False)),
        (99213.5, (None, False)),
        ("7", (None, False)),
        ("123456", (None, False)),
        ("J1632-JW", (None, False)),
        ("", (None, False)),
        (None, (None, False)),
        (True, (None, False)),
    ],
)
def test_normalise_code(cell: object, expected: tuple[str | None, bool]) -> None:
    assert normalise_code(cell) == expected


def test_duplicate_and_blank_headers() -> None:
    rows = [["Code", "Note", "", "Note", ""], ["A9902", "a", "b", "c"], ["J9901", "", "", "", ""]]
    file = parse_table("cdm.csv", "0" * 64, rows, None)
    assert file.columns == ("Note", "column 3", "Note (2)")
    assert file.rows == (
        WatchedRow("A9902", 2, {"Note": "a", "column 3": "b", "Note (2)": "c"}),
        WatchedRow("J9901", 3, {"Note": "", "column 3": "", "Note (2)": ""}),
    )


def test_store_versions_and_known_codes(store: Store) -> None:
    """On SQLite and PostgreSQL, with the fixed clock."""
    rows = [["Code", "Price"], ["A9902", "1"], ["J9901", "2"], ["J9901", "3"]]
    first = parse_table("march.csv", "a" * 64, rows, None)
    added = store.watchlists.add("cdm", first)
    version_1 = WatchlistVersion(1, FIXED_NOW, "march.csv", "a" * 64, "Code", ("Price",), 2, 3)
    assert (added.status, added.current, added.previous) == ("added", version_1, None)
    assert store.watchlists.add("cdm", first).status == "unchanged"
    second = parse_table("april.csv", "b" * 64, [["Code"], ["K9901"]], None)
    added = store.watchlists.add("cdm", second)
    version_2 = WatchlistVersion(2, FIXED_NOW, "april.csv", "b" * 64, "Code", (), 1, 1)
    assert (added.status, added.current, added.previous) == ("replaced", version_2, version_1)
    stored = store.watchlists.get("cdm")
    assert (stored.rows, stored.versions) == ((WatchedRow("K9901", 2, {}),), (version_1, version_2))
    assert store.watchlists.all() == [stored]
    assert store.watchlists.known_codes(["K9901", "ZZZZZ"]) == frozenset()
    assert store.watchlists.remove("cdm") == version_2
    assert store.watchlists.versions() == {}
    with pytest.raises(NotFoundError):
        store.watchlists.get("cdm")


def test_a_later_load_is_the_current_one(db: str) -> None:
    clock = iter([FIXED_NOW, FIXED_NOW + timedelta(days=30)])
    with Store(db, clock=lambda: next(clock)) as store:
        store.watchlists.add("cdm", parse_table("a.csv", "a" * 64, [["Code"], ["A9902"]], None))
        store.watchlists.add("cdm", parse_table("b.csv", "b" * 64, [["Code"], ["B9902"]], None))
        loads = store.watchlists.versions()["cdm"]
        assert store.watchlists.get("cdm").current == loads[-1]
    assert [(v.version, v.loaded_at, v.source) for v in loads] == [
        (1, FIXED_NOW, "a.csv"),
        (2, datetime(2026, 5, 2, 12, 0, tzinfo=UTC), "b.csv"),
    ]


def test_input_error_names_the_file() -> None:
    with pytest.raises(InputError) as caught:
        parse_table("x.csv", "0" * 64, [["Code"]], None)
    assert (caught.value.source, caught.value.problem) == (
        "x.csv",
        "holds no codes: no rows under the header (Code)",
    )


def test_watch_makes_no_database(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A list is read against stored releases: a database not there is a mistyped --db."""
    missing, cdm = tmp_path / "typo" / "t.db", tmp_path / "cdm.csv"
    cdm.write_text("code\nJ1632\n")
    for argv in (["add", "cdm", str(cdm)], ["remove", "cdm"]):
        assert run(capsys, "--db", str(missing), "watch", *argv) == (
            1, "", f"tracker: error: database not found: sqlite:///{missing}\n"
        )  # fmt: skip
    assert not missing.parent.exists()
