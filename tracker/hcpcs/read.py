"""Read a HCPCS release (CMS ZIP, bare ANWEB text file, or ANWEB workbook) into records.

Pure apart from reading the one file it is given; raises ``InputError`` naming the file.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path, PurePosixPath
from typing import IO

from tracker.errors import InputError
from tracker.hcpcs.identity import identity_from_label, identity_from_name
from tracker.hcpcs.layout import CONTINUATION_IDS, FIELDS, FIRST_LINE_IDS, RECORD_LENGTH, Field
from tracker.records import HCPCS, ParsedRelease, Record, Value

MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # a real release ZIP unpacks to under 10 MB

# The action code (position 293) is the last field a first-line record must reach; shorter
# ones were cut off (a truncated file), unlike continuation records, which CMS cuts to 91.
_MIN_FIRST_LINE = 293
_CODE = re.compile(r"[A-Z0-9]{5}|   [A-Z0-9]{2}")
# ZIPs since 2024 hold several *ANWEB* members; only one is the data file.
_NOT_DATA = re.compile(r"correction|trans(action)?[\s_-]*report|record ?layout", re.IGNORECASE)
_HTML_START = re.compile(rb"^\s*(<!doctype\s+html|<html|<head|<body|<\?xml|<!--)", re.IGNORECASE)
_HEADER_SCAN_ROWS = 40


def read_release(
    path: Path,
    *,
    label: str | None = None,
    effective: date | None = None,
    name: str | None = None,
    source: str | None = None,
    max_unpacked: int = MAX_UNPACKED_BYTES,
) -> ParsedRelease:
    """Read one release file; ``label``/``effective`` override what its name says.

    ``name`` stands for the file's own name (a download kept as ``raw/<sha256>.zip`` is known
    by its URL's file name) and ``source`` for how error messages name it (the URL).
    """
    source = source or str(path)
    name = name or path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(source, f"cannot read file ({exc.strerror})") from None
    if not data:
        raise InputError(source, "file is empty")
    member, payload = _data_member(source, name, data, max_unpacked)
    records = _parse_payload(f"{source}:{member}" if member != name else source, member, payload)
    names = (member, name)
    return ParsedRelease(
        code_set=HCPCS,
        base_label=_label(source, names, label),
        effective=effective or _effective(source, names, label),
        source_name=name if member == name else f"{name}:{member}",
        sha256=hashlib.sha256(data).hexdigest(),
        records=records,
        kind=_kind(names, label),
    )


def _parse_payload(source: str, member: str, payload: bytes) -> tuple[Record, ...]:
    suffix = PurePosixPath(member).suffix.lower()
    if suffix == ".xlsx":
        return parse_workbook(source, payload)
    if suffix == ".xls":
        raise InputError(source, "legacy .xls workbooks are not supported; import the ANWEB .txt")
    return parse_text(source, payload)


# --- identity ------------------------------------------------------------------------------


def _label(source: str, names: Sequence[str], label: str | None) -> str:
    if label is not None:
        try:
            return identity_from_label(label).label
        except ValueError as exc:
            raise InputError(source, f"{exc}; use e.g. --label 2026 or --label 2026-Q2") from None
    for name in names:
        identity = identity_from_name(name)
        if identity is not None:
            return identity.label
    raise InputError(source, "the file name names no release year; give --label and --effective")


def _effective(source: str, names: Sequence[str], label: str | None) -> date:
    return identity_from_label(_label(source, names, label)).effective


def _kind(names: Sequence[str], label: str | None) -> str:
    if label is not None:
        return identity_from_label(label).kind
    for name in names:
        identity = identity_from_name(name)
        if identity is not None:
            return identity.kind
    return "annual"


# --- containers ----------------------------------------------------------------------------


def _data_member(source: str, name: str, data: bytes, max_unpacked: int) -> tuple[str, bytes]:
    """The data file's name and bytes: the file itself, or the ANWEB member of a ZIP."""
    if data[:4] == b"PK\x03\x04" and name.lower().endswith(".xlsx"):
        return name, data
    if data[:2] != b"PK":
        if name.lower().endswith(".zip") or _looks_like_html(data[:1024]):
            raise InputError(source, not_a_zip(data[:1024]))
        return name, data
    archive = open_zip(source, io.BytesIO(data), max_unpacked=max_unpacked)
    with archive:
        member = pick_data_member(source, [info.filename for info in archive.infolist()])
        try:
            return PurePosixPath(member).name, archive.read(member)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise InputError(source, f"member {member} is damaged ({exc})") from None


def open_zip(
    source: str, file: IO[bytes] | Path, *, max_unpacked: int = MAX_UNPACKED_BYTES
) -> zipfile.ZipFile:
    """Open a ZIP whose members are safe to unpack; InputError naming ``source`` if not."""
    try:
        archive = zipfile.ZipFile(file)
    except zipfile.BadZipFile:
        raise InputError(
            source, "is not a readable ZIP (truncated or damaged download?); download it again"
        ) from None
    try:
        check_members(source, archive.infolist(), max_unpacked=max_unpacked)
    except InputError:
        archive.close()
        raise
    return archive


def _looks_like_html(head: bytes) -> bool:
    return bool(_HTML_START.match(head.lstrip(b"\xef\xbb\xbf"))) or b"<html" in head.lower()


def not_a_zip(head: bytes) -> str:
    """What a file that should be a ZIP is instead, from its first bytes."""
    if _looks_like_html(head):
        return "is an HTML page, not a ZIP (CMS answers a wrong URL with a Page Not Found page)"
    if not head:
        return "is empty, not a ZIP; download it again"
    return f"is not a ZIP (it starts with {head[:8]!r}); download it again or check the URL"


def check_members(
    source: str, members: Iterable[zipfile.ZipInfo], *, max_unpacked: int = MAX_UNPACKED_BYTES
) -> None:
    """Refuse unsafe member names and ZIP bombs before anything is unpacked."""
    total = 0
    for info in members:
        if not is_safe_member(info.filename):
            raise InputError(
                source, f"holds an unsafe member name {info.filename!r}; refusing to unpack it"
            )
        total += info.file_size  # the declared sizes: what unpacking would write
    if total > max_unpacked:
        raise InputError(
            source,
            f"unpacks to {total} bytes, over the cap of {max_unpacked}; refusing to unpack it "
            "(raise [source] max_unpacked_mb if CMS's files really grew)",
        )


def is_safe_member(name: str) -> bool:
    """No absolute path, drive letter or ``..`` part, with either slash."""
    if not name or name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name):
        return False
    return ".." not in re.split(r"[/\\]", name)


def is_data_member(name: str) -> bool:
    """An ANWEB data file (``HCPC2026_JAN_ANWEB_01122026.txt`` or ``.xlsx``): not a change
    report, corrections list or record layout, nor a macOS ``__MACOSX/._*`` shadow copy."""
    base = re.split(r"[/\\]", name)[-1]
    return (
        not name.startswith("__MACOSX/")
        and "anweb" in base.lower()
        and base.lower().endswith((".txt", ".xlsx"))
        and not _NOT_DATA.search(base)
    )


def pick_data_member(source: str, names: Sequence[str]) -> str:
    """The ANWEB data file among a ZIP's members: text preferred over its workbook copy."""
    data = [n for n in names if is_data_member(n)]
    for suffix in (".txt", ".xlsx"):
        found = [n for n in data if n.lower().endswith(suffix)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise InputError(source, f"several ANWEB data files in ZIP: {', '.join(sorted(found))}")
    files = [n for n in names if not n.endswith("/")]
    shown = ", ".join(files[:8]) + (", ..." if len(files) > 8 else "")
    raise InputError(
        source,
        f"holds no *ANWEB* data file (.txt or .xlsx), only: {shown or 'nothing'}; "
        "is it the alpha-numeric HCPCS file?",
    )


# --- fixed-width text ----------------------------------------------------------------------


def parse_text(source: str, payload: bytes) -> tuple[Record, ...]:
    """Parse the fixed-width ANWEB text: first-line records, continuations, disclaimers."""
    try:
        text = payload.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise InputError(
            source, f"byte {exc.start} is not cp1252 text; is this an ANWEB file?"
        ) from None
    records: dict[str, tuple[dict[str, Value], list[str]]] = {}
    last: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        kind = _line_kind(line)
        if kind is None:
            if not records:
                continue  # disclaimer lines before the first record (2018, 2020 files)
            raise InputError(source, f"line {number} is not a HCPCS record: {line[:40].strip()!r}")
        code = line[:5].strip()
        if kind == "continuation":
            if code != last:
                raise InputError(
                    source, f"line {number}: continuation of {code} without its first line"
                )
            records[code][1].append(line[_LONG_DESCRIPTION].strip())
            continue
        if len(line) < _MIN_FIRST_LINE:
            raise InputError(
                source, f"line {number} is cut short at {len(line)} characters (truncated file?)"
            )
        if line[RECORD_LENGTH:].strip():
            raise InputError(source, f"line {number} has text past column {RECORD_LENGTH}")
        if code in records:
            raise InputError(source, f"line {number}: code {code} appears twice")
        fields = _fields(line)
        records[code] = (fields, [str(fields["long_description"])])
        last = code
    if not records:
        raise InputError(source, "no HCPCS records found")
    return tuple(_record(code, fields, parts) for code, (fields, parts) in records.items())


def _line_kind(line: str) -> str | None:
    if len(line) < 12 or not _CODE.fullmatch(line[:5]) or not line[5:10].isdigit():
        return None
    if line[10] in FIRST_LINE_IDS:
        return "first"
    if line[10] in CONTINUATION_IDS:
        return "continuation"
    return None


def _slices(field: Field) -> tuple[slice, ...]:
    """Python slices for each occurrence of a field (CMS numbers from 1, inclusive)."""
    return tuple(
        slice(field.start - 1 + i * field.width, field.start - 1 + (i + 1) * field.width)
        for i in range(field.occurs)
    )


# Computed once: a 9,000-code file takes 26 fields from each of its records.
_SINGLE = tuple((f.name, _slices(f)[0]) for f in FIELDS if f.occurs == 1)
_REPEATED = tuple((f.name, _slices(f)) for f in FIELDS if f.occurs > 1)
_LONG_DESCRIPTION = next(_slices(f)[0] for f in FIELDS if f.name == "long_description")


def _fields(line: str) -> dict[str, Value]:
    fields: dict[str, Value] = {name: line[where].strip() for name, where in _SINGLE}
    for name, occurrences in _REPEATED:
        fields[name] = _trim(line[where].strip() for where in occurrences)
    return fields


def _trim(values: Iterable[str]) -> tuple[str, ...]:
    """A repeated field as a tuple without its trailing blank occurrences."""
    items = list(values)
    while items and not items[-1]:
        items.pop()
    return tuple(items)


def _record(code: str, fields: dict[str, Value], parts: list[str]) -> Record:
    # The text file wraps the long description into 80-character pieces (record ids 4/8);
    # the workbook holds it in one cell. A double space at a wrap point is lost in the text
    # (C9754, G0417 in January 2026), so descriptions are compared with white space folded.
    fields["long_description"] = " ".join(parts)
    return _normalised(code, fields)


def _normalised(code: str, fields: dict[str, Value]) -> Record:
    for name in ("long_description", "short_description"):
        fields[name] = " ".join(str(fields[name]).split())
    return Record(code, {name: value for name, value in fields.items() if value})


# --- workbook ------------------------------------------------------------------------------


def parse_workbook(source: str, payload: bytes) -> tuple[Record, ...]:
    """Parse CMS's xlsx copy: one row per code, header in row 1 or after a disclaimer block."""
    with warnings.catch_warnings():
        # CMS workbooks carry page headers openpyxl cannot parse (it warns while loading and
        # while reading the sheet); they hold no data.
        warnings.filterwarnings("ignore", "Cannot parse header or footer", UserWarning)
        return _read_workbook(source, payload)


def _read_workbook(source: str, payload: bytes) -> tuple[Record, ...]:
    import openpyxl  # imported here: loading it costs start-up time for every other command

    try:
        book = openpyxl.load_workbook(io.BytesIO(payload), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise InputError(
            source, f"is not a readable xlsx workbook ({type(exc).__name__})"
        ) from None
    try:
        for sheet in book.worksheets:
            rows = sheet.iter_rows(values_only=True)
            columns = _find_header(rows)
            if columns is not None:
                return _workbook_records(source, rows, columns)
    finally:
        book.close()
    raise InputError(
        source, "no sheet has the ANWEB header row (HCPC, SEQNUM, RECID, LONG DESCRIPTION, ...)"
    )


def _find_header(rows: Iterator[tuple[object, ...]]) -> dict[str, int] | None:
    for _, row in zip(range(_HEADER_SCAN_ROWS), rows, strict=False):
        names = [_cell(v).upper() for v in row]
        if names and names[0] == "HCPC":
            index = {name: i for i, name in enumerate(names) if name}
            if all(h in index for f in FIELDS for h in f.headers()):
                return index
            return None
    return None


def _workbook_records(
    source: str, rows: Iterator[tuple[object, ...]], columns: dict[str, int]
) -> tuple[Record, ...]:
    records: dict[str, Record] = {}
    for row in rows:
        cells = [_cell(v) for v in row]
        if not any(cells):
            continue
        fields: dict[str, Value] = {}
        for field in FIELDS:
            values = [cells[columns[h]] if columns[h] < len(cells) else "" for h in field.headers()]
            fields[field.name] = values[0] if field.occurs == 1 else _trim(values)
        # SEQNUM in the workbook is the text's positions 6-9: CMS drops the last digit of
        # the 5-digit sequence number (always 0: sequences go by 100s).
        seq = str(fields["seq_num"])
        fields["seq_num"] = seq + "0" if len(seq) == 4 else seq
        code = str(fields["code"])
        if not _CODE.fullmatch(code.rjust(5)):
            raise InputError(source, f"row with code {code!r} is not a HCPCS code")
        if code in records:
            raise InputError(source, f"code {code} appears twice")
        records[code] = _normalised(code, fields)
    if not records:
        raise InputError(source, "workbook has a header but no HCPCS rows")
    return tuple(records.values())


def _cell(value: object) -> str:
    if value is None:
        return ""
    return str(value).strip()
