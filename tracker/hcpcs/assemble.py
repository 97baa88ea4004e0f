"""One record-assembly step for both formats: raw rows in, records out.

The text file and the workbook both hold CMS's records as rows of (code, record id, fields):
a first row (record id 3, or 7 for a modifier) carries every field, and continuation rows
(4, or 8) carry only more of its long description. The text wraps every long description
into 80-character pieces; the workbook mostly keeps it in one cell, but CMS splits some of
them over a RECID 3 and a RECID 4 row too (G0503 in the 2020 workbooks and January 2023).
``assemble`` applies the same rules to both, so both copies of a release give the same
records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple, NoReturn

from tracker.errors import InputError
from tracker.hcpcs.layout import CODE_PATTERN, CONTINUATION_IDS, FIRST_LINE_IDS
from tracker.records import Record, Value

# Cut-short evidence, from the layout's positions. A first line must reach the action code
# (position 293), the last field it carries: CMS pads it to 320, but a line that stops
# before 293 was cut off (a truncated file). A continuation record is positions 1-91 (code,
# sequence, record id, a piece of the long description in 12-91); CMS writes it exactly 91
# characters long (2017, 2020) or pads it to 320 (2018, 2026), padding a short last piece
# with spaces, so one that stops before 91 was cut off too.
MIN_FIRST_LINE = 293
MIN_CONTINUATION = 91


class RawRow(NamedTuple):
    """One text line or workbook row, before the record it belongs to is assembled.

    A named tuple rather than a frozen dataclass: a release makes 18,000 of them, and a frozen
    dataclass takes twice as long to make.
    """

    where: str  # how an error names it: "line 12" (text) or "row 12" (workbook)
    code: str  # "J9999", "ZX" for a modifier; "" on a workbook continuation left blank
    rec_id: str  # the record id (position 11, RECID): 3/7 first row, 4/8 continuation
    # A first row's every layout field; a continuation's piece of long description only.
    fields: Mapping[str, Value]
    length: int | None = None  # a text line's length in characters; None for a workbook row


def assemble(source: str, rows: Iterable[RawRow]) -> tuple[Record, ...]:
    """Records from raw rows of either format; InputError naming ``source`` and the row.

    A record is made as soon as the next first row shows it complete (continuations follow
    their first row), so that its raw row is let go then and not kept to the end.
    """
    records: list[Record] = []
    seen: set[str] = set()
    last: tuple[str, Mapping[str, Value], list[str]] | None = None  # the record being read
    for row in rows:
        if row.rec_id in CONTINUATION_IDS:
            _check_length(source, row, MIN_CONTINUATION)
            if last is None or row.code not in (last[0], ""):
                _refuse_orphan(source, row, last[0] if last is not None else None)
            last[2].append(str(row.fields.get("long_description", "")))
            continue
        _check_first(source, row)
        if row.code in seen:
            raise InputError(source, f"{row.where}: code {row.code} appears twice")
        seen.add(row.code)
        if last is not None:
            records.append(_record(*last))
        last = (row.code, row.fields, [str(row.fields.get("long_description", ""))])
    if last is None:
        raise InputError(source, "no HCPCS records found")
    records.append(_record(*last))
    return tuple(records)


def _check_first(source: str, row: RawRow) -> None:
    if row.rec_id not in FIRST_LINE_IDS:
        raise InputError(
            source, f"{row.where}: record id {row.rec_id!r} of {row.code} is not 3, 4, 7 or 8"
        )
    if not CODE_PATTERN.fullmatch(row.code.rjust(5)):
        raise InputError(source, f"{row.where}: code {row.code!r} is not a HCPCS code")
    _check_length(source, row, MIN_FIRST_LINE)


def _check_length(source: str, row: RawRow, minimum: int) -> None:
    if row.length is not None and row.length < minimum:
        raise InputError(
            source, f"{row.where} is cut short at {row.length} characters (truncated file?)"
        )


def _refuse_orphan(source: str, row: RawRow, last: str | None) -> NoReturn:
    """A continuation row must follow the first row of its code, naming it again or blank."""
    unit = row.where.split()[0]  # "line" or "row"
    code = row.code or "a blank code"
    after = f" (it follows {last})" if last is not None else ""
    raise InputError(source, f"{row.where}: continuation of {code} without its first {unit}{after}")


def trim(values: Sequence[str]) -> tuple[str, ...]:
    """A repeated field (PRICE1..4, XREF1..5, ...) as a tuple without its trailing blanks."""
    if not any(values):
        return ()  # most are blank in every occurrence (LABCERT1..8, CIM1..3, ...): one C call
    end = len(values)
    while not values[end - 1]:
        end -= 1
    return tuple(values[:end])


def _record(code: str, row_fields: Mapping[str, Value], parts: list[str]) -> Record:
    fields = dict(row_fields)
    # The pieces join with a space, then white space is folded: the text loses a double space
    # where it wraps at 80 characters (C9754, G0417 in January 2026) that the workbook keeps.
    fields["long_description"] = " ".join(" ".join(parts).split())
    fields["short_description"] = " ".join(str(fields.get("short_description", "")).split())
    return Record(code, {name: value for name, value in fields.items() if value})
