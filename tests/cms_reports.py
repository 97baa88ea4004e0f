"""Read CMS's own change report from a HCPCS release ZIP, for conformance tests.

Every annual/quarterly ZIP carries, beside the fixed-width data file (``*ANWEB*.txt``), CMS's
"transaction report": one row per code with CMS's wording of the change ("ADD",
"Discontinued", "Payment Change", ..., "No Change"). Counting those rows per action letter gives
an independent expectation for the action code (position 293, ``action_cd``) our parser reads
from the data file of the same ZIP.

The report and the data file of one ZIP do not always agree: the report can be older than a
re-posted data file (2018), and it can list codes the data file never carries (2026). The
differences found in the real files are listed, code by code, in ``KNOWN_DIFFERENCES`` with the
reason; ``expected_data_actions`` applies them, so a test compares exactly, never loosely.

Members and quirks seen (all verified on the ZIPs in ``../shared/cms``):

- 2017: ``HCPCS2017_Trans Report_Alpha.xlsx`` (sheets "Changes by HCPCS Code", "Changes by
  Action Code", "Action Code Key"; modifiers as ``"   FX"``) and the same two lists as text,
  ``HCPCS2017_Trans Report_ChangesbyAction.prn`` / ``..._ChangesbyHCPC.prn`` (header
  "HCPCS/Modifier Code Type of Change").
- 2018: ``HCPC18_Trans_Report_Alpha.xlsx`` (a blank row after the header; modifiers
  left-aligned) and two ``.prn`` files; one row says "No change" (lower case, modifier DA).
- 2020: ``HCPC2020_TRANS_ALPHA_w_disclaimer.xlsx`` and ``Changes_by_ActionCode.prn`` /
  ``Changes_by_HCPC.prn``: a disclaimer block (with cp1252 byte 0x92, a right quote) before
  the header row "HCPC/MOD  ACTION CD  SHORT DESCRIPTION  LONG DESCRIPTION" (row 10 in one
  file, 11 in the other); in the ``.prn`` the action column is centred and cut at the next
  column ("Short Description Chang"), and a long action text runs straight into the short
  description ("Long Description ChangePn soln ...").
- January 2026: ``HCPC2026_JAN_ANWEB_Transaction Report_12292025.xlsx`` (sheets "Changes by
  Action Code", "Changes by HCPC", "Action Code Key"); beside it, and NOT a change report,
  ``HCPC2026_JAN_ANWEB_Corrections_01122026.xlsx`` and the data workbook.

Every report above lists every code, "No Change" included, so the N count compares too. A
report that listed changed codes only would simply have no N key in the returned Counter.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import openpyxl

from tracker.errors import InputError

# The shared, read-only copies of CMS's ZIPs live beside the checkout (see PROVENANCE.md there);
# they are never copied into the project.
SHARED_CMS = Path(__file__).parents[1] / ".." / "shared" / "cms"

# The release ZIPs whose reports and data files were compared code by code.
RELEASE_ZIPS = (
    "2017-Alpha-Numeric-HCPCS-File.zip",
    "2018-Alpha-Numeric-HCPCS-File.zip",
    "2020-Alpha-Numeric-HCPCS-File.zip",
    "january-2026-alpha-numeric-hcpcs-file.zip",
)

# CMS's wording of a change, lower case with single spaces, to the record layout's action code.
# Report rows use the short forms; the "Action Code Key" sheets of 2020/2026 word B and T
# differently, so those spellings are accepted too. Anything else is an error, not a guess.
ACTION_LABELS: Mapping[str, str] = {
    "add": "A",
    "coverage & long desc change": "B",
    "coverage and long description change": "B",
    "long description change": "C",
    "discontinued": "D",
    "coverage change": "F",
    "no change": "N",  # 2018 also writes "No change"
    "payment change": "P",
    "re-activated": "R",
    "short description change": "S",
    "misc change (tos, betos)": "T",
    "miscellaneous change (betos or type of service)": "T",
}

# Sheets listing every code, in order of preference. "Changes by Action Code" comes first
# because in January 2026 the "Changes by HCPC" sheet omits G9871 (listed as ADD in the other
# sheet and carried with action A in the data file).
PREFERRED_SHEETS = ("changes by action code", "changes by hcpcs code", "changes by hcpc")

_CODE = re.compile(r"[A-Z0-9]{5}|[A-Z0-9]{2}")
_PRN_ROW = re.compile(r"\s*([A-Z0-9]{5}|[A-Z0-9]{2})\s+(\S.*?)\s*")


@dataclass(frozen=True)
class KnownDifference:
    """One code whose action differs between CMS's report and the data file of the same ZIP."""

    code: str
    in_report: str | None  # action letter in the report; None: the report has no row for it
    in_data: str | None  # action code in the ANWEB data file; None: no record for it
    why: str


# Found by comparing, code by code, the report (``report_actions``) with the action code of
# every first-line record (record id 3 or 7) of the ``*ANWEB*.txt`` in the same ZIP. 2017 and
# 2020 agree exactly (6498 and 7079 codes).
KNOWN_DIFFERENCES: Mapping[str, tuple[KnownDifference, ...]] = {
    # The report (HCPC18_Trans_Report_Alpha.xlsx and both .prn, all dated 2017-11-06) has no
    # row for modifier L1, while the data file re-posted 2018-03-07
    # (HCPC2018_CONTR_ANWEB_disc.txt/.xlsx) carries it with action N (term date 2016-12-31).
    # L1 was discontinued the year before (action D in the 2017 ZIP's report and data file);
    # every other code discontinued in 2017, and older discontinued modifiers (JF, V8, V9), are
    # in the 2018 report as No Change. No CMS document in the ZIP says why L1 is missing
    # (HCPC2018_README.txt is dated 2017-11-03 and predates the re-post).
    "2018-Alpha-Numeric-HCPCS-File.zip": (
        KnownDifference(
            "L1",
            None,
            "N",
            "2018 report (2017-11-06) has no row for L1; data re-posted 2018-03-07 has it as N",
        ),
    ),
    # "HCPC2026_JAN_ANWEB_Transaction Report_12292025.xlsx" lists six CDT (D-series) codes as
    # Discontinued, in both of its code sheets. The data file (HCPC2026_JAN_ANWEB_01122026.txt
    # and .xlsx) holds no D-series record at all: CDT codes and descriptors are copyrighted by
    # the American Dental Association (HCPC2026_recordlayout.txt, field 1), and CMS's READMEs
    # say the file leaves them out (HCPC2020_README.txt, in the 2020 ZIP: "this file does not
    # contain ... the American Dental Association's CDT-20 codes"; the 2026 ZIP has no README).
    # So these are report rows with no data record, not a parser miss.
    # The Corrections workbook (HCPC2026_JAN_ANWEB_Corrections_01122026.xlsx: S0189 terminate,
    # J2516 revise TOS, J1572 do not terminate, J3365 xref removed, G2076 add date) changes no
    # action code against this report: the report already has S0189 D, J2516 ADD, J1572 No
    # Change, J3365 D, G2076 C, exactly as the 2026-01-12 data file.
    "january-2026-alpha-numeric-hcpcs-file.zip": tuple(
        KnownDifference(
            code,
            "D",
            None,
            "2026-01 report lists CDT code as Discontinued; the ANWEB file carries no D-series",
        )
        for code in ("D1352", "D1705", "D1706", "D1707", "D1712", "D9248")
    ),
}


def action_letter(label: str, source: str, cut: bool = False) -> str:
    """The action code for CMS's wording of a change.

    ``cut`` says the text ran up to the end of its ``.prn`` column, so it may be truncated
    (2020: "Short Description Chang"); it is then accepted when it starts exactly one label.
    """
    text = " ".join(label.split()).lower()
    if text in ACTION_LABELS:
        return ACTION_LABELS[text]
    if cut:
        letters = {letter for known, letter in ACTION_LABELS.items() if known.startswith(text)}
        if len(letters) == 1:
            return letters.pop()
    raise InputError(source, f"unknown change wording {label!r}; add it to ACTION_LABELS")


def _add(actions: dict[str, str], code: str, letter: str, source: str) -> None:
    if code in actions:
        raise InputError(source, f"code {code} is listed twice; the report must list each once")
    actions[code] = letter


def parse_prn(text: str, source: str) -> dict[str, str]:
    """Code to action code, from a ``.prn`` change report (text already decoded from cp1252).

    Lines before the header (the line starting with "HCPC") are CMS's disclaimer; blank lines
    are skipped. When the header names a "SHORT DESCRIPTION" column (2020), the action text is
    read only up to it, since CMS cuts the action at that column.
    """
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.lstrip().upper().startswith("HCPC")]
    if not starts:
        raise InputError(source, "no header line starting with 'HCPC'; not a CMS change report")
    header = lines[starts[0]].upper()
    end = header.find("SHORT DESCRIPTION")
    actions: dict[str, str] = {}
    for number, line in enumerate(lines[starts[0] + 1 :], start=starts[0] + 2):
        if not line.strip():
            continue
        field = line if end < 0 else line[:end]
        match = _PRN_ROW.fullmatch(field)
        if match is None:
            raise InputError(source, f"line {number} is not 'code  change': {line[:60]!r}")
        cut = end >= 0 and len(line) >= end and line[end - 1] != " "
        _add(actions, match[1], action_letter(match[2], f"{source} line {number}", cut), source)
    return actions


def parse_sheet(rows: Iterable[Sequence[object]], source: str) -> dict[str, str]:
    """Code to action code, from the rows of a change report sheet (cell values).

    Rows before the header (first cell starting with "HCPC") are CMS's disclaimer; the action
    column is the header cell "Type of Change" (2017, 2018) or "ACTION CD" (2020, 2026).
    """
    actions: dict[str, str] = {}
    column: int | None = None
    for number, row in enumerate(rows, start=1):
        cells = ["" if cell is None else str(cell).strip() for cell in row]
        if column is None:
            if cells and cells[0].upper().startswith("HCPC"):
                names = [cell.lower() for cell in cells]
                found = [
                    i for i, name in enumerate(names) if name in ("type of change", "action cd")
                ]
                if not found:
                    raise InputError(source, f"header row {number} has no 'Type of Change' column")
                column = found[0]
            continue
        code = cells[0] if cells else ""
        label = cells[column] if column < len(cells) else ""
        if not code and not label:
            continue  # 2018: a blank row under the header
        if _CODE.fullmatch(code) is None or not label:
            raise InputError(source, f"row {number} is not 'code, change': {cells[:2]!r}")
        _add(actions, code, action_letter(label, f"{source} row {number}"), source)
    if column is None:
        raise InputError(source, "no header row starting with 'HCPC'; not a CMS change report")
    return actions


def report_members(names: Iterable[str]) -> tuple[str, ...]:
    """The change report members among a ZIP's member names: ``*trans*.xlsx`` and ``*.prn``.

    The Corrections and data workbooks (``*ANWEB*.xlsx`` without "trans") are not reports.
    """
    return tuple(
        name
        for name in names
        if (name.lower().endswith(".xlsx") and "trans" in name.lower())
        or name.lower().endswith(".prn")
    )


def preferred_report(names: Iterable[str], source: str) -> str:
    """The member ``report_actions`` reads: the one transaction workbook (its cells hold the
    full wording, where the ``.prn`` columns are cut), else the by-action ``.prn``."""
    members = report_members(names)
    for suffix, word in ((".xlsx", "trans"), (".prn", "action")):
        found = [m for m in members if m.lower().endswith(suffix) and word in m.lower()]
        if len(found) == 1:
            return found[0]
        if found:
            raise InputError(source, f"several change reports {found}; name the one to read")
    raise InputError(source, "no CMS change report (*Trans*.xlsx or *Action*.prn) in the ZIP")


def _sheet_name(sheetnames: Sequence[str], source: str) -> str:
    by_lower = {name.strip().lower(): name for name in sheetnames}
    for wanted in PREFERRED_SHEETS:
        if wanted in by_lower:
            return by_lower[wanted]
    raise InputError(
        source, f"no 'Changes by Action Code' or 'Changes by HCPC' sheet in {sheetnames}"
    )


def read_report(zip_path: Path, member: str, sheet: str | None = None) -> dict[str, str]:
    """Code to action code, from one change report member of a release ZIP.

    ``.prn`` members are decoded as cp1252. For a workbook, ``sheet`` defaults to the first of
    ``PREFERRED_SHEETS`` present.
    """
    source = f"{zip_path.name}!{member}"
    with zipfile.ZipFile(zip_path) as archive:
        data = archive.read(member)
    if member.lower().endswith(".prn"):
        return parse_prn(data.decode("cp1252"), source)
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        name = sheet if sheet is not None else _sheet_name(book.sheetnames, source)
        return parse_sheet(book[name].iter_rows(values_only=True), f"{source} [{name}]")
    finally:
        book.close()


def report_actions(zip_path: Path) -> dict[str, str]:
    """Code (modifiers as two characters, e.g. "L1") to action code, from CMS's own change
    report inside the release ZIP (the member ``preferred_report`` picks)."""
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
    return read_report(zip_path, preferred_report(names, zip_path.name))


def report_action_counts(zip_path: Path) -> Counter[str]:
    """How many codes CMS's own change report in the ZIP gives each action code (A, B, C, D,
    F, N, P, R, S, T). All reports seen list every code, so N is counted too; a report listing
    only changed codes would give no N."""
    return Counter(report_actions(zip_path).values())


def apply_differences(
    report: Mapping[str, str], differences: Iterable[KnownDifference], source: str
) -> dict[str, str]:
    """The report's code-to-action map turned into what the data file holds, per the known
    differences; a difference the report no longer shows is an error (stale entry)."""
    expected = dict(report)
    for difference in differences:
        if expected.get(difference.code) != difference.in_report:
            raise InputError(
                source,
                f"known difference for {difference.code} expects the report to say "
                f"{difference.in_report!r} but it says {expected.get(difference.code)!r}; "
                "update KNOWN_DIFFERENCES",
            )
        if difference.in_data is None:
            del expected[difference.code]
        else:
            expected[difference.code] = difference.in_data
    return expected


def expected_data_actions(zip_path: Path) -> dict[str, str]:
    """Code to the action code the ``*ANWEB*`` data file of this ZIP holds, per CMS's report
    and ``KNOWN_DIFFERENCES``."""
    differences = KNOWN_DIFFERENCES.get(zip_path.name, ())
    return apply_differences(report_actions(zip_path), differences, zip_path.name)


def expected_data_counts(zip_path: Path) -> Counter[str]:
    """Per action code, how many first-line records the data file of this ZIP should hold."""
    return Counter(expected_data_actions(zip_path).values())
