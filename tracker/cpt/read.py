"""Read the CPT files an AMA licensee receives into a release the shared diff engine compares.

CPT (HCPCS Level I) belongs to the AMA and is licensed: the tracker never downloads it, users
import the files they hold. Pure apart from reading the paths it is given; every problem is an
``InputError`` naming the file (``UsageError`` for arguments that contradict each other).

Formats, recognised per file (a folder or ZIP is searched for them, other members skipped):

- ``LONGULT.txt``: the AMA copyright block, then ``code<TAB>long descriptor`` lines.
- ``MEDU.txt`` / ``SHORTU.txt``: ``code descriptor`` fixed lines (the block may precede them).
- consumer / clinician descriptor files: tab-separated with a header row naming ``CPT Code`` and
  ``Consumer Friendly Descriptor`` or ``Clinician Descriptor``; the clinician file holds several
  descriptors per code, kept as a tuple.
- a plain ``.csv`` with ``code``, ``descriptor`` and optionally ``effective`` columns (header
  optional): PLA, Category III or vaccine lists the AMA publishes outside the data file.

Files are combined per code: each descriptor kind is its own field (``long_descriptor``,
``medium_descriptor``, ``short_descriptor``, ``consumer_descriptor``, ``clinician_descriptors``)
so a diff reports which kind was revised. The CSV's descriptor is a ``long_descriptor``.

Labels (``release_label``): a release belongs to the year it takes effect (CPT 2026 is released
around 2025-09-01 and effective 2026-01-01), so ``--year`` is the effective year:

- annual: ``CPT-2026`` (effective January 1 unless given),
- category3: ``CPT-2026-CAT3-H1`` / ``-H2``, the half-year of the effective date,
- pla: ``CPT-2026-PLA-Q2``, the quarter of the effective date,
- vaccine: ``CPT-2026-VACCINE-2026-03-15``, the effective date itself (off-cycle releases).

Non-annual releases need an effective date: ``effective=``, or the one date every row of the
CSV's effective column shares.

``--year`` is checked against the files: a 4-digit year in a file, folder, ZIP or member name
(dates such as ``20250901`` are release dates and ignored) and the edition in the copyright
block ("CPT 2025"; its "Copyright 2024" is the year before the edition and ignored) must agree.

The sha256 is over the recognised data files' bytes in file-name order, so the same files give
the same hash whether given one by one, as a folder or as a ZIP.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path, PurePosixPath

from tracker.config import SourceSettings
from tracker.errors import InputError, UsageError
from tracker.hcpcs.container import check_members
from tracker.records import CPT, ParsedRelease, Record, Value

KINDS = ("annual", "category3", "pla", "vaccine")

CATEGORY = "category"
LONG = "long_descriptor"
MEDIUM = "medium_descriptor"
SHORT = "short_descriptor"
CONSUMER = "consumer_descriptor"
CLINICIAN = "clinician_descriptors"
EFFECTIVE = "effective"
FIELD_ORDER = (CATEGORY, LONG, MEDIUM, SHORT, CONSUMER, CLINICIAN, EFFECTIVE)

_WHAT = {
    LONG: "long descriptor",
    MEDIUM: "medium descriptor",
    SHORT: "short descriptor",
    CONSUMER: "consumer descriptor",
    CLINICIAN: "set of clinician descriptors",
    EFFECTIVE: "effective date",
}
_EXPECTED = (
    "LONGULT.txt, MEDU.txt, SHORTU.txt, a consumer or clinician descriptor file "
    "(tab-separated, header with 'CPT Code') or a CSV with code and descriptor columns"
)
# Files named for their descriptor kind in the AMA data package.
_NAMED = (("LONGULT", LONG), ("MEDU", MEDIUM), ("SHORTU", SHORT))
# Inside a folder or ZIP only these can be data; PDFs, workbooks and the like are skipped.
_TEXT_SUFFIXES = (".txt", ".tsv", ".csv")

_CATEGORY_BY_LETTER = {"A": "I", "F": "II", "T": "III", "U": "PLA", "M": "MAAA"}
_FIVE_DIGITS = re.compile(r"\d{5}")
_FOUR_AND_LETTER = re.compile(r"\d{4}[A-Z]")
# CPT modifiers are 22, 59, P1, 1P ...: at least one digit, so a copyright line starting with
# "US" or "AM" is not read as a modifier.
_MODIFIER = re.compile(r"\d[0-9A-Z]|[A-Z]\d")

_LONG_LINE = re.compile(r"(\S+)\t(.*)")
_FIXED_LINE = re.compile(r"(\S+)[ \t]+(.*)")
# The AMA block reads "CPT® 2026 ... Copyright 2025 American Medical Association": the edition
# follows "CPT", the copyright year is the year before, so only the former is compared.
_CPT_EDITION = re.compile(r"\bCPT(?:\s|®|™|\(R\)|&reg;)*(\d{4})(?!\d)", re.IGNORECASE)
# Dates in names ("released_20250901", "2025-09-01") are release dates, not the CPT year.
_DATE_IN_NAME = re.compile(
    r"(?<!\d)(?:\d{4}[-_.]\d{1,2}[-_.]\d{1,2}|\d{1,2}[-_./]\d{1,2}[-_./]\d{4}|\d{8})(?!\d)"
)
_YEAR_IN_NAME = re.compile(r"(?<!\d)(20\d\d)(?!\d)")

_CSV_COLUMNS = {
    "code": ("code", "cpt code", "cpt"),
    "descriptor": ("descriptor", "description", "long descriptor", "long description"),
    "effective": ("effective", "effective date"),
}
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%Y%m%d")


def cpt_category(code: str) -> str | None:
    """The category a CPT code's form says: I, II, III, PLA, MAAA or modifier; None if none.

    5 digits: Category I; 4 digits and A (vaccine administration, 0001A): Category I; F: II;
    T: III; U: Proprietary Laboratory Analyses; M: administrative MAAA codes (Appendix O);
    two characters with a digit: modifier.
    """
    if _FIVE_DIGITS.fullmatch(code):
        return "I"
    if _FOUR_AND_LETTER.fullmatch(code):
        return _CATEGORY_BY_LETTER.get(code[4])
    if _MODIFIER.fullmatch(code):
        return "modifier"
    return None


def release_label(year: int, kind: str, effective: date) -> str:
    """The base label of a CPT release (see the module docstring)."""
    if kind == "annual":
        return f"CPT-{year}"
    if kind == "category3":
        return f"CPT-{year}-CAT3-H{1 if effective.month <= 6 else 2}"
    if kind == "pla":
        return f"CPT-{year}-PLA-Q{(effective.month - 1) // 3 + 1}"
    if kind == "vaccine":
        return f"CPT-{year}-VACCINE-{effective.isoformat()}"
    raise UsageError(f"unknown CPT kind {kind!r}; use one of {', '.join(KINDS)}")


def read_cpt(
    paths: Sequence[Path],
    *,
    year: int,
    kind: str = "annual",
    effective: date | None = None,
    max_unpacked: int = SourceSettings().max_unpacked_bytes,
) -> ParsedRelease:
    """Read the given files, folders and ZIPs into one CPT release, combined per code. A ZIP
    that would unpack to over ``max_unpacked`` bytes ([source] max_unpacked_mb) is refused."""
    if kind not in KINDS:
        raise UsageError(f"unknown CPT kind {kind!r}; use one of {', '.join(KINDS)}")
    if not paths:
        raise UsageError("give the CPT data files, their folder or the AMA ZIP to import")
    if effective is not None and effective.year != year:
        raise UsageError(
            f"--effective {effective} is not in --year {year}: a CPT release belongs to the year "
            "it takes effect"
        )
    unique = list(dict.fromkeys(paths))
    source_name = ", ".join(sorted(p.name for p in unique))
    files = [parsed for path in unique for parsed in _read_path(path, year, max_unpacked)]
    files.sort(key=lambda f: (PurePosixPath(f.name).name, f.source))
    records = _combine(files)
    when = _release_effective(source_name, year, kind, effective, records)
    digest = hashlib.sha256()
    # The data files' bytes in name order, not the ZIP's: a folder and a ZIP of the same files,
    # or the same files given in another order, hash the same.
    for _name, data in sorted((PurePosixPath(f.name).name, f.data) for f in files):
        digest.update(data)
    return ParsedRelease(
        code_set=CPT,
        base_label=release_label(year, kind, when),
        effective=when,
        source_name=source_name,
        sha256=digest.hexdigest(),
        records=records,
        kind=kind,
    )


# --- containers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Member:
    source: str  # names the file in messages: "pkg.zip:LONGULT.txt", "folder/LONGULT.txt"
    name: str  # its path inside the folder or ZIP, or its own name
    data: bytes


@dataclass(frozen=True)
class _File:
    """One recognised data file: its codes and their fields."""

    source: str
    name: str
    data: bytes
    codes: Mapping[str, Mapping[str, Value]]


def _read_path(path: Path, year: int, max_unpacked: int) -> list[_File]:
    source = str(path)
    if path.is_dir():
        _check_name(source, path.name, year)
        return _read_container(source, _folder_members(path), year)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(source, "no such file or folder") from None
    except OSError as exc:
        raise InputError(source, f"cannot be read ({exc.strerror})") from None
    _check_name(source, path.name, year)
    if path.suffix.lower() == ".zip":
        return _read_container(source, _zip_members(source, data, max_unpacked), year)
    if path.suffix.lower() in (".xlsx", ".xls"):
        raise InputError(source, "workbooks are not read; save the sheet as CSV (code, descriptor)")
    parsed = _read_member(_Member(source, path.name, data), year, contained=False)
    assert parsed is not None  # a file given by itself is refused, never skipped
    return [parsed]


def _read_container(source: str, members: Sequence[_Member], year: int) -> list[_File]:
    files = []
    for member in members:
        parsed = _read_member(member, year, contained=True)
        if parsed is not None:  # a skipped "License 2019.pdf" may name any year
            _check_name(member.source, member.name, year)
            files.append(parsed)
    if not files:
        raise InputError(source, f"holds no CPT data file; expected {_EXPECTED}")
    return files


def _folder_members(folder: Path) -> list[_Member]:
    members = []
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_file() and _candidate(name):
            try:
                members.append(_Member(str(path), name, path.read_bytes()))
            except OSError as exc:
                raise InputError(str(path), f"cannot be read ({exc.strerror})") from None
    return members


def _zip_members(source: str, data: bytes, max_unpacked: int) -> list[_Member]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise InputError(source, "is not a readable ZIP (truncated or damaged?)") from None
    with archive:
        check_members(source, archive.infolist(), max_unpacked=max_unpacked)
        names = sorted(i.filename for i in archive.infolist() if not i.is_dir())
        try:
            return [_Member(f"{source}:{n}", n, archive.read(n)) for n in names if _candidate(n)]
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise InputError(source, f"has a damaged member ({exc})") from None


def _candidate(name: str) -> bool:
    """Could this folder or ZIP member be a data file? (macOS and hidden files never are.)"""
    path = PurePosixPath(name)
    if any(part.startswith(".") or part == "__MACOSX" for part in path.parts):
        return False
    return _named_field(name) is not None or path.suffix.lower() in _TEXT_SUFFIXES


def _named_field(name: str) -> str | None:
    stem = PurePosixPath(name).stem.upper()
    return next((field for prefix, field in _NAMED if stem.startswith(prefix)), None)


# --- year checks ---------------------------------------------------------------------------


def _check_name(source: str, name: str, year: int) -> None:
    found = sorted({int(y) for y in _YEAR_IN_NAME.findall(_DATE_IN_NAME.sub(" ", name))})
    if found and year not in found:
        said = "/".join(map(str, found))
        raise InputError(
            source,
            f"the name says {said} but --year is {year}: give --year {said} or the {year} files",
        )


def _check_block(source: str, block: Sequence[str], year: int) -> None:
    found = sorted({int(y) for line in block for y in _CPT_EDITION.findall(line)})
    if found and year not in found:
        said = "/".join(map(str, found))
        raise InputError(
            source,
            f"the copyright block says CPT {said} but --year is {year}: "
            f"give --year {said} or the CPT {year} files",
        )


# --- one file ------------------------------------------------------------------------------


def _read_member(member: _Member, year: int, *, contained: bool) -> _File | None:
    """The member's codes, or None for a folder/ZIP member that is not a CPT data file."""
    named = _named_field(member.name)
    text = _decode(member, strict=named is not None or not contained)
    if text is None:
        return None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if named is not None:
        pattern = _LONG_LINE if named == LONG else _FIXED_LINE
        block, codes = _read_coded_lines(member.source, lines, named, pattern)
    elif (table := _read_descriptor_table(member.source, lines)) is not None:
        block, codes = table
    elif (
        PurePosixPath(member.name).suffix.lower() == ".csv"
        and (found := _read_csv(member.source, text)) is not None
    ):
        block, codes = (), found
    elif contained:
        return None
    else:
        raise InputError(member.source, f"unknown format; expected {_EXPECTED}")
    _check_block(member.source, block, year)
    if not codes:
        raise InputError(member.source, "no recognisable CPT codes")
    return _File(member.source, member.name, member.data, codes)


def _decode(member: _Member, *, strict: bool) -> str | None:
    data = member.data
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # a file saved as "Unicode" by Excel
        return data.decode("utf-16", errors="replace")
    for encoding in ("utf-8-sig", "cp1252"):  # the AMA ships cp1252 (®, smart quotes)
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    if not strict:
        return None
    raise InputError(member.source, "is neither UTF-8 nor Windows-1252 text; save it as UTF-8")


class _Codes:
    """Fields per code from one file; a second, different value for a field is refused."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.fields: dict[str, dict[str, Value]] = {}
        self.lines: dict[tuple[str, str], int] = {}

    def add(self, number: int, code: str, field: str, value: Value) -> None:
        held = self.fields.setdefault(code, {})
        if field in held and held[field] != value:
            first = self.lines[(code, field)]
            raise InputError(
                self.source,
                f"line {number}: code {code} has a second, different {_WHAT[field]} "
                f"(first on line {first}); keep one",
            )
        held[field] = value
        self.lines.setdefault((code, field), number)


def _code(source: str, number: int, text: str) -> str:
    code = text.strip().upper()
    if cpt_category(code) is None:
        raise InputError(source, f"line {number}: {text.strip()[:20]!r} is not a CPT code")
    return code


def _read_coded_lines(
    source: str, lines: Sequence[str], field: str, pattern: re.Pattern[str]
) -> tuple[tuple[str, ...], dict[str, dict[str, Value]]]:
    """LONGULT / MEDU / SHORTU: the copyright block, then one code and descriptor a line."""
    codes = _Codes(source)
    start = next((i for i, line in enumerate(lines) if _coded_line(line, pattern)), len(lines))
    for number, line in enumerate(lines[start:], start=start + 1):
        if not line.strip():
            continue
        match = _coded_line(line, pattern)
        if match is None:
            sep = "a tab" if pattern is _LONG_LINE else "a space"
            raise InputError(
                source,
                f"line {number}: expected a CPT code, {sep} and a descriptor, got {line[:40]!r}",
            )
        codes.add(number, match[0], field, match[1])
    return tuple(lines[:start]), codes.fields


def _coded_line(line: str, pattern: re.Pattern[str]) -> tuple[str, str] | None:
    match = pattern.fullmatch(line.rstrip())
    if match is None or cpt_category(match.group(1).upper()) is None:
        return None
    descriptor = match.group(2).strip()
    return (match.group(1).upper(), descriptor) if descriptor else None


def _read_descriptor_table(
    source: str, lines: Sequence[str]
) -> tuple[tuple[str, ...], dict[str, dict[str, Value]]] | None:
    """Consumer or clinician descriptors: tab-separated, a header row naming the columns."""
    found = _table_header(lines)
    if found is None:
        return None
    start, header = found
    if "consumer friendly descriptor" in header:
        field, column = CONSUMER, header.index("consumer friendly descriptor")
    elif "clinician descriptor" in header:
        field, column = CLINICIAN, header.index("clinician descriptor")
    else:
        return None
    code_column = header.index("cpt code")
    codes = _Codes(source)
    clinician: dict[str, set[str]] = {}
    for number, line in enumerate(lines[start + 1 :], start=start + 2):
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) <= max(code_column, column):
            raise InputError(
                source,
                f"line {number}: expected {len(header)} tab-separated columns, got {len(cells)}",
            )
        code, descriptor = _code(source, number, cells[code_column]), cells[column].strip()
        if not descriptor:
            raise InputError(source, f"line {number}: code {code} has no descriptor")
        if field == CONSUMER:
            codes.add(number, code, CONSUMER, descriptor)
        else:
            clinician.setdefault(code, set()).add(descriptor)
    # The clinician file's order and descriptor ids carry no meaning; sorted text does not
    # report a reordered file as revised descriptors.
    for code, texts in clinician.items():
        codes.add(0, code, CLINICIAN, tuple(sorted(texts)))
    return tuple(lines[:start]), codes.fields


def _table_header(lines: Sequence[str]) -> tuple[int, list[str]] | None:
    """The header row's index and column names; lines above it are the copyright block."""
    for index, line in enumerate(lines):
        header = [_column(cell) for cell in line.split("\t")] if "\t" in line else []
        if "cpt code" in header:
            return index, header
    return None


def _column(cell: str) -> str:
    return " ".join(cell.strip().strip('"').replace("_", " ").split()).casefold()


def _read_csv(source: str, text: str) -> dict[str, dict[str, Value]] | None:
    """A plain CSV: code, descriptor, optionally effective; by header, or by position."""
    rows: Iterator[tuple[int, list[str]]] = (
        (number, row) for number, row in _csv_rows(source, text) if any(c.strip() for c in row)
    )
    first = next(rows, None)
    if first is None:
        return None
    header = [_column(cell) for cell in first[1]]
    columns = {
        key: next((header.index(n) for n in names if n in header), None)
        for key, names in _CSV_COLUMNS.items()
    }
    if columns["code"] is None or columns["descriptor"] is None:
        if cpt_category(first[1][0].strip().upper()) is None:
            return None
        columns = {"code": 0, "descriptor": 1, "effective": 2 if len(first[1]) > 2 else None}
        rows = _chain(first, rows)  # no header: the first row is data
    codes = _Codes(source)
    for number, row in rows:
        cells = {key: _cell(row, i) for key, i in columns.items()}
        code = _code(source, number, cells["code"])
        if not cells["descriptor"]:
            raise InputError(source, f"line {number}: code {code} has no descriptor")
        codes.add(number, code, LONG, cells["descriptor"])
        if cells["effective"]:
            codes.add(number, code, EFFECTIVE, _date(source, number, cells["effective"]))
    return codes.fields


def _cell(row: Sequence[str], index: int | None) -> str:
    return row[index].strip() if index is not None and index < len(row) else ""


def _csv_rows(source: str, text: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text))
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as exc:
        raise InputError(source, f"line {reader.line_num}: {exc}") from None


def _chain(
    first: tuple[int, list[str]], rest: Iterator[tuple[int, list[str]]]
) -> Iterator[tuple[int, list[str]]]:
    yield first
    yield from rest


def _date(source: str, number: int, text: str) -> str:
    for layout in _DATE_FORMATS:
        try:
            return datetime.strptime(text, layout).date().isoformat()
        except ValueError:
            continue
    raise InputError(
        source, f"line {number}: effective date {text!r} is not YYYY-MM-DD or MM/DD/YYYY"
    )


# --- the release ---------------------------------------------------------------------------


def _combine(files: Sequence[_File]) -> tuple[Record, ...]:
    """One record per code from every file; the same field from two files must agree."""
    fields: dict[str, dict[str, Value]] = {}
    origin: dict[tuple[str, str], str] = {}
    for file in files:
        for code, values in file.codes.items():
            held = fields.setdefault(code, {})
            for name, value in values.items():
                if name in held and held[name] != value:
                    raise InputError(
                        file.source,
                        f"code {code} has a different {_WHAT[name]} in "
                        f"{origin[(code, name)]}; drop or fix one of the files",
                    )
                held[name] = value
                origin.setdefault((code, name), file.source)
    return tuple(_record(code, fields[code]) for code in sorted(fields))


def _record(code: str, values: Mapping[str, Value]) -> Record:
    category = cpt_category(code)
    assert category is not None  # every code was checked when read
    merged: dict[str, Value] = {CATEGORY: category, **values}
    return Record(code, {name: merged[name] for name in FIELD_ORDER if name in merged})


def _release_effective(
    source: str, year: int, kind: str, effective: date | None, records: Sequence[Record]
) -> date:
    if effective is not None:
        return effective
    if kind == "annual":
        return date(year, 1, 1)
    dates = {r.text(EFFECTIVE) for r in records}
    if len(dates) == 1 and "" not in dates:
        derived = date.fromisoformat(dates.pop())
        if derived.year != year:
            raise InputError(
                source,
                f"the effective dates say {derived} but --year is {year}: "
                f"give --year {derived.year} or the {year} files",
            )
        return derived
    example = {"category3": f"{year}-07-01", "pla": f"{year}-04-01"}.get(kind, f"{year}-03-01")
    raise UsageError(
        f"{source}: a {kind} release needs --effective DATE (e.g. {example}); "
        "the files carry no single effective date"
    )
