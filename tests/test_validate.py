"""`tracker validate`: a claims extract checked row by row, as CSV and as xlsx, against the
releases of tests/test_lookup.py."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from tests.test_lookup import db, run
from tracker.records import Record, Successor
from tracker.validate import Checker, Verdict, summary
from tracker.validity import Coverage, Known

__all__ = ["db"]  # the fixture: three releases imported

HEADER = "claim,hcpcs,dos,note"
ROWS = [
    "c1,J9906,2025-06-30,on its termination date",
    "c2,j9906 ,07/01/2025,the day after; the code as typed",
    "c3,C9901,20250101,ended with a successor",
    "c4,J9905,20240531,before its add date",
    "c5,Z0000,2025-01-01,in no release",
    "c6,A9999,2025-02-30,no such day",
    "c7,A9999,2023-12-31,older than every release",
    "c8,,2025-01-01,no code",
    "c9,E9901,1/5/2025,aged out",
    "c10,A9999",
]
CHECKED = [
    "claim,hcpcs,dos,note,status,reason,successors",
    "c1,J9906,2025-06-30,on its termination date,valid,"
    '"valid: added 2010-01-01, terminated 2025-06-30",',
    "c2,j9906 ,07/01/2025,the day after; the code as typed,ended,ended: terminated 2025-06-30,",
    "c3,C9901,20250101,ended with a successor,ended,ended: terminated 2024-12-31,"
    '"J9901 (cms, active, from 2025-01-01): Drug one, permanent"',
    "c4,J9905,20240531,before its add date,not_yet_valid,not yet valid: added 2024-06-01,",
    "c5,Z0000,2025-01-01,in no release,unknown,unknown: in no stored release,",
    "c6,A9999,2025-02-30,no such day,bad_date,bad date: '2025-02-30',",
    "c7,A9999,2023-12-31,older than every release,unknown,unknown: no release that old is "
    "stored (the oldest took effect 2024-01-01),",
    "c8,,2025-01-01,no code,unknown,unknown: no code in this row,",
    "c9,E9901,1/5/2025,aged out,ended,ended: terminated 2021-12-31,"
    '"K9901 (cms, active, from 2010-01-01): Walker, new"',
    "c10,A9999,,,bad_date,bad date: '',",
]
SUMMARY = (
    "claims.csv: 10 rows: 1 valid, 0 unconfirmed, 1 not_yet_valid, 3 ended, 3 unknown, 2 bad_date"
)


def _claims(tmp_path: Path, text: str, name: str = "claims.csv") -> Path:
    folder = tmp_path / "claims"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode())
    return path


def test_validate_writes_every_row_with_its_verdict(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    claims = _claims(tmp_path, "\r\n".join([HEADER, *ROWS]) + "\r\n")
    out = tmp_path / "checked.csv"
    argv = ["--db", db, "validate", str(claims), "--code-column", "hcpcs", "--date-column", "dos"]
    assert run(capsys, *argv, "--output", str(out)) == (0, SUMMARY + "\n", f"wrote {out}\n")
    assert out.read_bytes().decode() == "\r\n".join(CHECKED) + "\r\n"
    # Without --output the rows go to stdout and the summary to stderr.
    assert run(capsys, *argv) == (0, "\r\n".join(CHECKED) + "\r\n", SUMMARY + "\n")


def test_known_in_checks_with_what_a_release_knew(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    claims = _claims(tmp_path, "code;date\nC9902;2026-01-01\nJ9905;2024-07-01\n")
    argv = ["--db", db, "validate", str(claims), "--code-column", "CODE", "--date-column", "date"]
    assert run(capsys, *argv)[1].splitlines() == [
        "code;date;status;reason;successors",  # the file's own separator, columns by any case
        "C9902;2026-01-01;ended;ended: terminated 2025-12-31;"
        "J9902 (inferred, active, from 2026-01-01): Injection, twoumab, 1 mg",
        "J9905;2024-07-01;valid;valid: added 2024-06-01;",
    ]
    assert run(capsys, *argv, "--known-in", "2025")[1].splitlines()[1:] == [
        # 2025 spoke for dates up to 2025-03-31: of 2026 it could not say.
        'C9902;2026-01-01;unconfirmed;"unconfirmed: valid in 2025, which speaks for dates up to '
        '2025-03-31; a later release may have ended it";',
        "J9905;2024-07-01;unknown;unknown: in no stored release;",
    ]


def test_a_file_without_the_column_writes_nothing(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    claims = _claims(tmp_path, "\n".join([HEADER, *ROWS]))
    out = claims.parent / "checked.csv"
    argv = ["--db", db, "validate", str(claims), "--code-column", "code", "--date-column", "dos"]
    assert run(capsys, *argv, "--output", str(out)) == (
        1, "", "tracker: error: claims.csv: no column 'code' (its columns: 'claim', 'hcpcs', "
        "'dos', 'note')\n",
    )  # fmt: skip
    assert list(claims.parent.iterdir()) == [claims]
    assert run(capsys, *argv[:3], str(claims.parent / "empty.csv"), *argv[4:])[0] == 1  # none
    empty = _claims(tmp_path, "", "empty.csv")
    assert run(capsys, *argv[:3], str(empty), *argv[4:]) == (
        1, "", "tracker: error: empty.csv: is empty: no header row naming its columns\n",
    )  # fmt: skip
    argv[5] = "hcpcs"
    assert run(capsys, *argv, "--output", str(claims))[0] == 2  # never over the file itself
    old = _claims(tmp_path, "x", "claims.xls")
    assert run(capsys, *argv[:3], str(old), *argv[4:]) == (
        1, "", "tracker: error: claims.xls: .xls files are not read: save it as .xlsx or .csv\n",
    )  # fmt: skip


def test_own_columns_named_like_ours_and_bytes_kept(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    claims = tmp_path / "claims.csv"
    claims.write_bytes("code\tdos\tstatus\r\nA9999\t2025-01-01\tpay\xe9\r\n".encode("cp1252"))
    out = tmp_path / "checked.csv"
    argv = ["validate", str(claims), "--code-column", "code", "--date-column", "dos"]
    assert run(capsys, "--db", db, *argv, "--output", str(out))[0] == 0
    assert out.read_bytes() == (
        b"code\tdos\tstatus\tvalidate_status\treason\tsuccessors\r\n"
        b"A9999\t2025-01-01\tpay\xe9\tvalid\tvalid: added 2000-01-01\t\r\n"
    )


def test_an_xlsx_claims_file(capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Claim", "HCPCS", "Date of service", "Units"])
    sheet.append(["c1", "J9906", datetime(2025, 6, 30), 2])
    sheet.append(["c2", "C9901", date(2025, 1, 1), None])
    sheet.append(["c3", "A9999", 20250101, 1.5])  # a date typed as a number
    sheet.append([None, "A9999", "2025-13-01"])
    path = tmp_path / "claims.xlsx"
    book.save(path)
    argv = ["validate", str(path), "--code-column", "HCPCS", "--date-column", "Date of service"]
    code, out, err = run(capsys, "--db", db, *argv)
    assert (code, err) == (0, "claims.xlsx: 4 rows: 2 valid, 0 unconfirmed, 0 not_yet_valid, "
                              "1 ended, 0 unknown, 1 bad_date\n")  # fmt: skip
    assert out.splitlines() == [
        "Claim,HCPCS,Date of service,Units,status,reason,successors",
        'c1,J9906,2025-06-30,2,valid,"valid: added 2010-01-01, terminated 2025-06-30",',
        "c2,C9901,2025-01-01,,ended,ended: terminated 2024-12-31,"
        '"J9901 (cms, active, from 2025-01-01): Drug one, permanent"',
        "c3,A9999,20250101,1.5,valid,valid: added 2000-01-01,",
        ",A9999,2025-13-01,,bad_date,bad date: '2025-13-01',",
    ]


# --- the pure checker ----------------------------------------------------------------------


def test_the_checker_asks_once_per_code_and_counts() -> None:
    asked: Counter[str] = Counter()
    record = Known.of(Record("Q0001", {"term_dt": "20201231"}), "2021")

    def known(code: str) -> Known | None:
        asked[f"known {code}"] += 1
        return record if code == "Q0001" else None

    def successors(code: str) -> tuple[Successor, ...]:
        asked[f"successors {code}"] += 1
        return (Successor("J0001", "cms", "active", None),)

    check = Checker(known, successors, Coverage(date(2021, 1, 1), date(2021, 3, 31), "2021"))
    ended = Verdict("ended", "ended: terminated 2020-12-31", "J0001 (cms, active)")
    assert [check("Q0001", "2021-01-01"), check(" q0001", "20210102")] == [ended, ended]
    assert check("X0001", "2021-01-01") == Verdict("unknown", "unknown: in no stored release", "")
    assert check("Q0001", "2021-01-01") == ended
    assert asked == {"known Q0001": 1, "successors Q0001": 1, "known X0001": 1}
    assert summary("f.csv", check.counts) == (
        "f.csv: 4 rows: 0 valid, 0 unconfirmed, 0 not_yet_valid, 3 ended, 1 unknown, 0 bad_date"
    )
