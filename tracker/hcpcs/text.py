"""CMS's fixed-width ANWEB text file -> raw rows, one per record line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from operator import itemgetter

from tracker.errors import InputError
from tracker.hcpcs.assemble import RawRow, assemble, trim
from tracker.hcpcs.layout import (
    CODE_PATTERN,
    CONTINUATION_IDS,
    FIELDS,
    FIRST_LINE_IDS,
    RECORD_LENGTH,
    Field,
)
from tracker.records import Record, Value

_RECORD_IDS = FIRST_LINE_IDS | CONTINUATION_IDS


def parse_text(source: str, payload: bytes) -> tuple[Record, ...]:
    """The records of an ANWEB text file; InputError naming ``source`` and the line."""
    return assemble(source, text_rows(source, payload))


def text_rows(source: str, payload: bytes) -> Iterator[RawRow]:
    """Each record line as a raw row; disclaimer lines before the first record are skipped."""
    try:
        lines = payload.decode("cp1252").splitlines()  # the whole text is not kept: 5 MB
    except UnicodeDecodeError as exc:
        raise InputError(
            source, f"byte {exc.start} is not cp1252 text; is this an ANWEB file?"
        ) from None
    seen = False
    for number, line in enumerate(lines, start=1):
        if not line or line.isspace():
            continue  # blank lines, and the all-space last line of some files
        rec_id = _record_id(line)
        if rec_id is None:
            if not seen:
                continue  # disclaimer lines before the first record (2018, 2020 files)
            raise InputError(source, f"line {number} is not a HCPCS record: {line[:40].strip()!r}")
        seen = True
        if len(line) > RECORD_LENGTH and not line[RECORD_LENGTH:].isspace():
            raise InputError(source, f"line {number} has text past column {RECORD_LENGTH}")
        fields = (
            {"long_description": line[_LONG_DESCRIPTION].strip()}
            if rec_id in CONTINUATION_IDS
            else _fields(line)
        )
        yield RawRow(f"line {number}", line[:5].strip(), rec_id, fields, len(line))


def _record_id(line: str) -> str | None:
    """The record id of a record line (code, 5-digit sequence, id 3/4/7/8), else None."""
    if len(line) < 12 or not CODE_PATTERN.fullmatch(line, 0, 5) or not line[5:10].isdigit():
        return None
    rec_id = line[10]
    return rec_id if rec_id in _RECORD_IDS else None


def _slices(field: Field) -> tuple[slice, ...]:
    """Python slices for each occurrence of a field (CMS numbers from 1, inclusive)."""
    return tuple(
        slice(field.start - 1 + i * field.width, field.start - 1 + (i + 1) * field.width)
        for i in range(field.occurs)
    )


def _getter(slices: tuple[slice, ...]) -> Callable[[str], tuple[str, ...]]:
    """All these slices of a line in one call (a tuple, even of one slice)."""
    get = itemgetter(*slices)
    return get if len(slices) > 1 else lambda line: (get(line),)


# Computed once: a 9,000-code file takes 26 fields, 48 slices, from each of its records.
_SINGLE_NAMES = tuple(f.name for f in FIELDS if f.occurs == 1)
_SINGLES = _getter(tuple(_slices(f)[0] for f in FIELDS if f.occurs == 1))
_REPEATED = tuple(
    (f.name, slice(f.start - 1, f.start - 1 + f.occurs * f.width), _getter(_slices(f)))
    for f in FIELDS
    if f.occurs > 1
)
_LONG_DESCRIPTION = next(_slices(f)[0] for f in FIELDS if f.name == "long_description")


def _fields(line: str) -> dict[str, Value]:
    fields: dict[str, Value] = dict(zip(_SINGLE_NAMES, map(str.strip, _SINGLES(line)), strict=True))
    for name, block, occurrences in _REPEATED:
        text = line[block]
        # Most repeated fields are blank in every occurrence (LABCERT1..8, CIM1..3, ...).
        fields[name] = (
            () if not text or text.isspace() else trim(list(map(str.strip, occurrences(line))))
        )
    return fields
