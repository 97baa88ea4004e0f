"""The change-report reader, against CMS's real release ZIPs and small invented inputs.

The counts below were checked against the action code of every first-line record (record id 3
or 7) of the ``*ANWEB*.txt`` in the same ZIP, and against the data workbooks.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from tests.cms_reports import (
    KNOWN_DIFFERENCES,
    RELEASE_ZIPS,
    SHARED_CMS,
    KnownDifference,
    action_letter,
    apply_differences,
    expected_data_actions,
    expected_data_counts,
    parse_prn,
    parse_sheet,
    preferred_report,
    read_report,
    report_action_counts,
    report_actions,
    report_members,
)
from tracker.errors import InputError

needs_cms = pytest.mark.skipif(
    not SHARED_CMS.is_dir(),
    reason=f"CMS release ZIPs not found at {SHARED_CMS.resolve()} (../shared/cms beside checkout)",
)

# The exact files the numbers below were verified on (PROVENANCE.md in ../shared/cms).
SHA256 = dict(
    zip(
        RELEASE_ZIPS,
        [
            "a798d75e90ca6002e51b49a8b76c2be2a4707d02cfdf6de21d8cab351b05afe5",
            "81ea3ce5f1d5c6d8acbe4c8895d518adb8d678f19840c4eb0a12e2294ed58414",
            "c7223c198ac019be842a3370defb6365eeb573da2a97e251650c25056c7b8ab3",
            "8f4a26de1eca89205be02fbe48cc899c6c5930cf5d4f6b8c5a227f64450157b0",
        ],
        strict=True,
    )
)

JAN_2026_REPORT = "HCPC2026_JAN_ANWEB_Transaction Report_12292025.xlsx"
PREFERRED = {
    "2017-Alpha-Numeric-HCPCS-File.zip": "HCPCS2017_Trans Report_Alpha.xlsx",
    "2018-Alpha-Numeric-HCPCS-File.zip": "HCPC18_Trans_Report_Alpha.xlsx",
    "2020-Alpha-Numeric-HCPCS-File.zip": "HCPC2020_TRANS_ALPHA_w_disclaimer.xlsx",
    "january-2026-alpha-numeric-hcpcs-file.zip": JAN_2026_REPORT,
}

REPORT_COUNTS = {
    "2017-Alpha-Numeric-HCPCS-File.zip": Counter(
        {"N": 5902, "A": 278, "D": 147, "C": 124, "P": 38, "T": 4, "S": 2, "B": 1, "F": 1, "R": 1}
    ),
    "2018-Alpha-Numeric-HCPCS-File.zip": Counter(
        {"N": 6231, "A": 152, "P": 64, "C": 50, "D": 40, "S": 19, "F": 2}
    ),
    "2020-Alpha-Numeric-HCPCS-File.zip": Counter(
        {"N": 6648, "A": 250, "D": 99, "C": 70, "P": 10, "S": 2}
    ),
    "january-2026-alpha-numeric-hcpcs-file.zip": Counter(
        {"N": 8391, "C": 294, "A": 160, "D": 101, "P": 65, "S": 1}
    ),
}

# Counted directly in each ZIP's *ANWEB*.txt (first-line records, action code at column 293).
DATA_COUNTS = {
    "2017-Alpha-Numeric-HCPCS-File.zip": REPORT_COUNTS["2017-Alpha-Numeric-HCPCS-File.zip"],
    "2018-Alpha-Numeric-HCPCS-File.zip": Counter(
        {"N": 6232, "A": 152, "P": 64, "C": 50, "D": 40, "S": 19, "F": 2}
    ),
    "2020-Alpha-Numeric-HCPCS-File.zip": REPORT_COUNTS["2020-Alpha-Numeric-HCPCS-File.zip"],
    "january-2026-alpha-numeric-hcpcs-file.zip": Counter(
        {"N": 8391, "C": 294, "A": 160, "D": 95, "P": 65, "S": 1}
    ),
}

# Code: (report, data) for every code where the report and the data file disagree.
DIFFERENCES: dict[str, dict[str, tuple[str | None, str | None]]] = {
    "2017-Alpha-Numeric-HCPCS-File.zip": {},
    "2018-Alpha-Numeric-HCPCS-File.zip": {"L1": (None, "N")},
    "2020-Alpha-Numeric-HCPCS-File.zip": {},
    "january-2026-alpha-numeric-hcpcs-file.zip": {
        "D1352": ("D", None),
        "D1705": ("D", None),
        "D1706": ("D", None),
        "D1707": ("D", None),
        "D1712": ("D", None),
        "D9248": ("D", None),
    },
}

# Every (member, sheet) holding a full change list; each must agree with the preferred one,
# except where noted.
ALL_REPORTS: dict[str, list[tuple[str, str | None]]] = {
    "2017-Alpha-Numeric-HCPCS-File.zip": [
        ("HCPCS2017_Trans Report_Alpha.xlsx", "Changes by Action Code"),
        ("HCPCS2017_Trans Report_Alpha.xlsx", "Changes by HCPCS Code"),
        ("HCPCS2017_Trans Report_ChangesbyAction.prn", None),
        ("HCPCS2017_Trans Report_ChangesbyHCPC.prn", None),
    ],
    "2018-Alpha-Numeric-HCPCS-File.zip": [
        ("HCPC18_Trans_Report_Alpha.xlsx", "Changes by Action Code"),
        ("HCPC18_Trans_Report_Alpha.xlsx", "Changes by HCPCS Code"),
        ("HCPC18_Trans_Report_Alpha_ChangesbyAction.prn", None),
        ("HCPC18_Trans_Report_Alpha_ChangesbyHCPC.prn", None),
    ],
    "2020-Alpha-Numeric-HCPCS-File.zip": [
        ("HCPC2020_TRANS_ALPHA_w_disclaimer.xlsx", "Changes by Action Code"),
        ("HCPC2020_TRANS_ALPHA_w_disclaimer.xlsx", "Changes by HCPCS code"),
        ("Changes_by_ActionCode.prn", None),
        ("Changes_by_HCPC.prn", None),
    ],
    "january-2026-alpha-numeric-hcpcs-file.zip": [
        (JAN_2026_REPORT, "Changes by Action Code"),
        (JAN_2026_REPORT, "Changes by HCPC"),
    ],
}

# CMS's "Changes by HCPC" sheet of January 2026 has no row for G9871 (ADD in the other sheet,
# action A in the data file); that is why report_actions reads "Changes by Action Code".
MISSING_FROM: dict[tuple[str, str], dict[str, str]] = {
    ("january-2026-alpha-numeric-hcpcs-file.zip", "Changes by HCPC"): {"G9871": "A"},
}

releases = pytest.mark.parametrize("name", RELEASE_ZIPS)


@needs_cms
@releases
def test_verified_files(name: str) -> None:
    assert hashlib.sha256((SHARED_CMS / name).read_bytes()).hexdigest() == SHA256[name]


@needs_cms
@releases
def test_preferred_report(name: str) -> None:
    with zipfile.ZipFile(SHARED_CMS / name) as archive:
        assert preferred_report(archive.namelist(), name) == PREFERRED[name]


@needs_cms
@releases
def test_report_members(name: str) -> None:
    with zipfile.ZipFile(SHARED_CMS / name) as archive:
        members = report_members(archive.namelist())
    assert sorted(members) == sorted({member for member, _ in ALL_REPORTS[name]})


@needs_cms
@releases
def test_report_action_counts(name: str) -> None:
    assert report_action_counts(SHARED_CMS / name) == REPORT_COUNTS[name]


@needs_cms
@releases
def test_expected_data_counts(name: str) -> None:
    assert expected_data_counts(SHARED_CMS / name) == DATA_COUNTS[name]


@needs_cms
@releases
def test_known_differences_by_code(name: str) -> None:
    report = report_actions(SHARED_CMS / name)
    data = expected_data_actions(SHARED_CMS / name)
    differing = {
        code: (report.get(code), data.get(code))
        for code in report.keys() | data.keys()
        if report.get(code) != data.get(code)
    }
    assert differing == DIFFERENCES[name]


@needs_cms
@releases
def test_every_report_copy_agrees(name: str) -> None:
    preferred = report_actions(SHARED_CMS / name)
    for member, sheet in ALL_REPORTS[name]:
        copy = read_report(SHARED_CMS / name, member, sheet)
        missing = MISSING_FROM.get((name, sheet or member), {})
        assert {code: preferred[code] for code in preferred.keys() - copy.keys()} == missing
        assert copy == {code: a for code, a in preferred.items() if code not in missing}


@needs_cms
def test_report_rows_by_code() -> None:
    # A few rows whose wording or layout is a quirk of its file.
    assert {
        code: report_actions(SHARED_CMS / name)[code]
        for name, code in [
            ("2017-Alpha-Numeric-HCPCS-File.zip", "FX"),  # modifier written "   FX"
            ("2018-Alpha-Numeric-HCPCS-File.zip", "DA"),  # "No change", lower case
            ("2020-Alpha-Numeric-HCPCS-File.zip", "G8654"),  # cut in the .prn (below)
            ("january-2026-alpha-numeric-hcpcs-file.zip", "S0189"),  # Corrections: terminate
        ]
    } == {"FX": "A", "DA": "N", "G8654": "S", "S0189": "D"}
    prn = read_report(SHARED_CMS / "2020-Alpha-Numeric-HCPCS-File.zip", "Changes_by_ActionCode.prn")
    assert (prn["G8654"], prn["B4185"]) == ("S", "C")


# Invented codes and wording below: no CMS or CPT text.


def test_action_letter_wordings() -> None:
    assert [
        action_letter(label, "x")
        for label in ["ADD", "  No  change ", "Coverage & Long Desc Change", "Re-activated"]
    ] == ["A", "N", "B", "R"]


def test_action_letter_cut_only_when_cut() -> None:
    assert action_letter("Payment Chan", "x", cut=True) == "P"
    with pytest.raises(InputError) as raised:
        action_letter("Payment Chan", "z.zip!r.prn line 3")
    assert str(raised.value) == (
        "z.zip!r.prn line 3: unknown change wording 'Payment Chan'; add it to ACTION_LABELS"
    )


def test_action_letter_ambiguous_cut_is_an_error() -> None:
    with pytest.raises(InputError):
        action_letter("Coverage", "x", cut=True)  # Coverage Change or Coverage & Long Desc


def test_parse_prn_disclaimer_and_cut_column() -> None:
    text = "\r\n".join(
        [
            "Note regarding something in CMS\u2019 invented files",
            "",
            "  HCPC/MOD         ACTION CD       SHORT DESCRIPTION              LONG DESCRIPTION",
            "      9Y              ADD          Invented modifier              Invented modifier",
            "   X9001    Long Description ChangeInvented short          Invented long",
            "   X9002    Short Description ChangInvented short two      Invented long two",
            "",
        ]
    )
    assert parse_prn(text, "x") == {"9Y": "A", "X9001": "C", "X9002": "S"}


def test_parse_prn_without_description_columns() -> None:
    text = (
        "HCPCS/Modifier CodeType of Change\r\n\r\n"
        "9Y                 No change\r\n"
        "X9001              Discontinued\r\n"
    )
    assert parse_prn(text, "x") == {"9Y": "N", "X9001": "D"}


def test_parse_prn_duplicate_code() -> None:
    text = "HCPCS/Modifier Code Type of Change\nX9001               ADD\nX9001               ADD\n"
    with pytest.raises(InputError) as raised:
        parse_prn(text, "z.zip!r.prn")
    assert str(raised.value) == (
        "z.zip!r.prn: code X9001 is listed twice; the report must list each once"
    )


def test_parse_sheet_header_after_disclaimer() -> None:
    rows = [
        ("Disclaimer text", None, None),
        (None, None, None),
        ("HCPC/MOD", "ACTION CD", "SHORT DESCRIPTION"),
        (None, None, None),
        ("   9Y", "ADD", "Invented"),
        ("X9001", "Misc Change (TOS, BETOS)", "Invented"),
    ]
    assert parse_sheet(rows, "x") == {"9Y": "A", "X9001": "T"}


def test_parse_sheet_bad_row() -> None:
    rows = [("HCPCS/Modifier Code", "Type of Change"), ("X9001", None)]
    with pytest.raises(InputError) as raised:
        parse_sheet(rows, "z.zip!r.xlsx [s]")
    assert str(raised.value) == "z.zip!r.xlsx [s]: row 2 is not 'code, change': ['X9001', '']"


def test_report_actions_from_invented_zip(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    first = book.active
    assert isinstance(first, Worksheet)
    first.title = "Changes by HCPC"
    first.append(["HCPC", "ACTION CD"])
    first.append(["X9001", "No Change"])  # not read: the by-action sheet is preferred
    action = book.create_sheet("Changes by Action Code")
    action.append(["HCPC", "ACTION CD"])
    action.append(["X9001", "ADD"])
    action.append(["X9002", "No Change"])
    buffer = io.BytesIO()
    book.save(buffer)
    path = tmp_path / "invented.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("INV_ANWEB.txt", "")
        archive.writestr("INV_ANWEB_Corrections.xlsx", b"")  # not a report: never opened
        archive.writestr("INV_ANWEB_Transaction Report.xlsx", buffer.getvalue())
    assert report_actions(path) == {"X9001": "A", "X9002": "N"}
    assert report_action_counts(path) == Counter({"A": 1, "N": 1})
    assert expected_data_actions(path) == {"X9001": "A", "X9002": "N"}


def test_apply_differences() -> None:
    differences = [
        KnownDifference("X9001", "D", None, "invented"),
        KnownDifference("9Y", None, "N", "invented"),
    ]
    report = {"X9001": "D", "X9002": "N"}
    assert apply_differences(report, differences, "x") == {"X9002": "N", "9Y": "N"}


def test_apply_differences_stale_entry() -> None:
    with pytest.raises(InputError) as raised:
        apply_differences({"X9001": "N"}, [KnownDifference("X9001", "D", None, "i")], "z.zip")
    assert str(raised.value) == (
        "z.zip: known difference for X9001 expects the report to say 'D' but it says 'N'; "
        "update KNOWN_DIFFERENCES"
    )


def test_known_differences_only_for_checked_zips() -> None:
    assert set(KNOWN_DIFFERENCES) <= set(RELEASE_ZIPS)
