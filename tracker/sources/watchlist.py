"""A watchlist: an organisation's own codes (a chargemaster export), read from CSV or xlsx.

One column holds the codes (``--code-column``, else the one named like a code column: Code,
HCPCS, CPT, CPT/HCPCS, ...); the others (description, department, price) are kept as text
beside each code. The header is the first row naming the code column (an export may put a
title above it), else the first non-blank row. Only ``read_watchfile`` touches the disk; the
rest is pure.

Codes are normalised: stripped and upper-cased, then kept only when code-shaped (five letters
or digits: a HCPCS or CPT code; two: a modifier, which stays two characters). A chargemaster
lists lines with no code (room charges, supplies) and codes with a modifier glued on
(``J1632-JW``): such rows are skipped and counted, not stored.

Excel turns a CPT anesthesia code (00100-01999) into the number 100-1999: in an xlsx cell it
comes back as a number, in a CSV saved by Excel as 3 or 4 digits. No real code or modifier is
3 or 4 digits long, so such a value is padded back to five digits (100 -> 00100) and the
padding is reported. Two digits stay two: a CPT modifier (25, 59).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from tracker.errors import InputError, UsageError

# A watchlist's name appears in reports, emails and commands: keep it plain.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
CODE_SHAPE = re.compile(r"[A-Z0-9]{5}|[A-Z0-9]{2}")
# Headers taken as the code column when none is named, compared lower-case without spaces or
# punctuation ("CPT/HCPCS" -> "cpthcpcs").
CODE_HEADERS = frozenset({
    "code", "hcpcs", "hcpc", "cpt", "hcpcscode", "hcpccode", "cptcode", "hcpcscpt", "cpthcpcs",
    "hcpcscptcode", "cpthcpcscode", "cpthcpcscodes", "hcpcscodes", "cptcodes", "codes",
})  # fmt: skip
# Workbook files by their first bytes: xlsx (a ZIP) and the legacy BIFF .xls.
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
_SHOWN_ROWS = 5  # skipped rows named in a message; the rest are counted
_HEADER_SCAN_ROWS = 20  # rows searched for the header (titles may stand above it)


@dataclass(frozen=True)
class WatchedRow:
    """One row of a watchlist that holds a code."""

    code: str  # normalised (see the module docstring)
    row: int  # its row number in the file (the spreadsheet's, counting the header)
    columns: Mapping[str, str]  # the row's other columns, by header, as text ("" when blank)


@dataclass(frozen=True)
class WatchFile:
    """A watchlist file as read, before it is stored."""

    source: str  # the file's name
    sha256: str  # of the file's bytes
    code_column: str  # the header of the column the codes came from
    columns: tuple[str, ...]  # the other columns' headers, in the file's order
    rows: tuple[WatchedRow, ...]  # the rows holding a code, in the file's order
    skipped: tuple[int, ...] = ()  # rows whose code cell is blank or not code-shaped
    padded: tuple[str, ...] = ()  # codes padded back to five digits (Excel dropped the zeros)

    @property
    def codes(self) -> tuple[str, ...]:
        """Each code once, sorted (a chargemaster may bill one code on several lines)."""
        return tuple(sorted({r.code for r in self.rows}))

    @property
    def digest(self) -> str:
        """What the list says, whatever file it came in: a re-saved file is the same list."""
        data = [self.code_column, self.columns, [[r.code, dict(r.columns)] for r in self.rows]]
        return hashlib.sha256(json.dumps(data, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class WatchlistVersion:
    """One load of a watchlist: re-adding a name adds a version, and every version is kept."""

    version: int  # 1 when the name was first added, then 2, 3, ...
    loaded_at: datetime  # when it was loaded (UTC)
    source: str  # the file's name
    sha256: str  # of the file's bytes
    code_column: str
    columns: tuple[str, ...]  # the other columns' headers
    codes: int  # distinct codes
    rows: int  # rows holding a code


@dataclass(frozen=True)
class Watchlist:
    """A stored watchlist: its newest version's rows, and when it was loaded and replaced."""

    name: str
    rows: tuple[WatchedRow, ...]  # the newest version's rows, in the file's order
    versions: tuple[WatchlistVersion, ...]  # every load, oldest first; the last is current

    @property
    def current(self) -> WatchlistVersion:
        return self.versions[-1]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(sorted({r.code for r in self.rows}))


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise UsageError(
            f"watchlist name {name!r}: use letters, digits, '.', '_' and '-' "
            "(up to 64, starting with a letter or digit)"
        )
    return name


def read_watchfile(path: Path, code_column: str | None = None) -> WatchFile:
    """Read a CSV or xlsx watchlist; InputError naming the file and what is wrong."""
    data = path.read_bytes()
    source = path.name
    rows = (
        _workbook_rows(source, data)
        if data.startswith(_WORKBOOK_MAGIC)
        else _csv_rows(source, data)
    )
    return parse_table(source, hashlib.sha256(data).hexdigest(), rows, code_column)


def parse_table(
    source: str, sha256: str, rows: Iterable[Sequence[object]], code_column: str | None
) -> WatchFile:
    """A watchlist from a table's rows (cells as text, or numbers and dates from a workbook)."""
    numbered = [(n, list(row)) for n, row in enumerate(rows, start=1) if any(map(_text, row))]
    if not numbered:
        raise InputError(source, "is empty: no header row and no codes")
    start = _header_at(numbered, code_column)
    (_, header), data = numbered[start], numbered[start + 1 :]
    headers = _headers(header, data)
    at = _code_index(source, headers, code_column)
    others = [(i, h) for i, h in enumerate(headers) if i != at and h]
    if not data:
        raise InputError(source, f"holds no codes: no rows under the header ({_listed(headers)})")
    kept: list[WatchedRow] = []
    skipped: list[int] = []
    padded: set[str] = set()
    for number, cells in data:
        cells += [None] * (len(headers) - len(cells))
        code, pad = normalise_code(cells[at])
        if code is None:
            skipped.append(number)
            continue
        if pad:
            padded.add(code)
        kept.append(WatchedRow(code, number, {h: _text(cells[i]) for i, h in others}))
    if not kept:
        raise InputError(source, _no_codes(headers[at], [cells[at] for _, cells in data]))
    columns = tuple(h for _, h in others)
    return WatchFile(
        source, sha256, headers[at], columns, tuple(kept), tuple(skipped), tuple(sorted(padded))
    )


def normalise_code(value: object) -> tuple[str | None, bool]:
    """The code a cell holds (None: blank or not code-shaped), and whether it was padded."""
    if isinstance(value, bool):
        return None, False
    if isinstance(value, float):
        if not value.is_integer():
            return None, False
        value = int(value)
    text = str(value).strip().upper() if value is not None else ""
    if text.isascii() and text.isdigit() and len(text) in (3, 4):
        return text.zfill(5), True  # Excel's number 100 is CPT 00100 (module docstring)
    return (text, False) if CODE_SHAPE.fullmatch(text) else (None, False)


def skipped_line(file: WatchFile) -> str:
    """ "skipped 3 rows whose 'CPT' is blank or not a code (rows 4, 9, 12)", or "" when none
    were."""
    if not file.skipped:
        return ""
    shown = ", ".join(map(str, file.skipped[:_SHOWN_ROWS]))
    more = (
        f", ... {len(file.skipped) - _SHOWN_ROWS} more" if len(file.skipped) > _SHOWN_ROWS else ""
    )
    rows = "row" if len(file.skipped) == 1 else "rows"
    return (
        f"skipped {len(file.skipped)} {rows} whose {file.code_column!r} is blank or not a code "
        f"({rows} {shown}{more})"
    )


def padded_line(file: WatchFile) -> str:
    """ "padded 2 codes to five digits: 00100, 01999 (...)", or "" when none were."""
    if not file.padded:
        return ""
    shown = ", ".join(file.padded[:_SHOWN_ROWS])
    more = ", ..." if len(file.padded) > _SHOWN_ROWS else ""
    codes = "code" if len(file.padded) == 1 else "codes"
    return (
        f"padded {len(file.padded)} {codes} to five digits: {shown}{more} "
        "(Excel drops a CPT code's leading zeros: 100 was 00100)"
    )


def _headers(header: list[object], data: list[tuple[int, list[object]]]) -> list[str]:
    """The header's names: a blank one is "column N" when its column holds anything (else
    dropped, as ""); a repeated one gets " (2)", " (3)"."""
    width = max([len(header), *(len(cells) for _, cells in data)])
    names: list[str] = []
    for i in range(width):
        name = _text(header[i]) if i < len(header) else ""
        if not name and any(i < len(cells) and _text(cells[i]) for _, cells in data):
            name = f"column {i + 1}"
        if name and name in names:
            name = next(
                f"{name} ({n})" for n in range(2, width + 2) if f"{name} ({n})" not in names
            )
        names.append(name)
    return names


def _header_at(numbered: list[tuple[int, list[object]]], wanted: str | None) -> int:
    """Which non-blank row is the header: the first naming the code column (an export may
    start with a title or a date above it), else the first."""
    for i, (_, row) in enumerate(numbered[:_HEADER_SCAN_ROWS]):
        if _code_matches([_text(c) for c in row], wanted):
            return i
    return 0


def _code_matches(headers: list[str], wanted: str | None) -> list[int]:
    """The columns that may hold the codes: named ``wanted`` (exactly, else ignoring case), or
    named like a code column (``CODE_HEADERS``)."""
    if wanted is not None:
        name = wanted.strip()
        exact = [i for i, h in enumerate(headers) if h and h == name]
        return exact or [i for i, h in enumerate(headers) if h and h.casefold() == name.casefold()]
    return [i for i, h in enumerate(headers) if re.sub(r"[^a-z0-9]", "", h.lower()) in CODE_HEADERS]


def _code_index(source: str, headers: list[str], wanted: str | None) -> int:
    found = _code_matches(headers, wanted)
    if len(found) == 1:
        return found[0]
    if wanted is not None:
        problem = "several columns" if found else "no column"
        raise InputError(source, f"{problem} named {wanted!r}; its columns are {_listed(headers)}")
    which = "no column named like a code column" if not found else "several code columns"
    raise InputError(
        source, f"{which}; name one with --code-column (its columns are {_listed(headers)})"
    )


def _no_codes(column: str, cells: list[object]) -> str:
    values = [_text(c) for c in cells if _text(c)]
    rows = f"{len(cells)} row" + ("" if len(cells) == 1 else "s")
    if not values:
        return f"column {column!r} holds no codes: it is blank on all {rows}"
    return (
        f"column {column!r} holds no codes: none of its {rows} is a HCPCS or CPT code or a "
        f"modifier (e.g. {values[0]!r}); name the code column with --code-column"
    )


def _listed(headers: list[str]) -> str:
    return ", ".join(h for h in headers if h) or "(none)"


def _text(value: object) -> str:
    """A cell as text: numbers as Excel shows them in General format, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _csv_rows(source: str, data: bytes) -> list[list[str]]:
    text = _decode(source, data)
    first = next((line for line in text.splitlines() if line.strip()), "")
    # Excel writes ";" where the decimal mark is a comma, and tabs for "Unicode Text".
    delimiter = max((",", ";", "\t"), key=first.count) if first else ","
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise InputError(source, f"is not a readable CSV ({exc})") from None


def _decode(source: str, data: bytes) -> str:
    """UTF-8 (with or without a BOM), UTF-16 ("Unicode Text" from Excel), else Windows-1252,
    the encoding of a CSV saved by Excel on Windows."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(source, "is neither a workbook nor a CSV in UTF-8 or Windows-1252")


def _workbook_rows(source: str, data: bytes) -> list[list[object]]:
    """The first sheet's rows, from row 1 (so row numbers are the spreadsheet's)."""
    from python_calamine import CalamineWorkbook  # here: it costs every other command start-up

    try:
        with CalamineWorkbook.from_object(io.BytesIO(data)) as book:
            if not book.sheet_names:
                return []
            sheet = book.get_sheet_by_name(book.sheet_names[0])
            return [list(row) for row in sheet.iter_rows()]
    except Exception as exc:  # calamine raises CalamineError, ZipError, XmlError, ...
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InputError(source, f"is not a readable workbook ({reason})") from None
