"""CMS's workbook copy of the ANWEB file (.xlsx, or the legacy BIFF .xls of 2020) -> raw rows.

One row per record, 48 columns named as in ``tracker.hcpcs.layout``; the header is row 1 in
some releases and row 11, after a disclaimer block, in others; sheet names vary. Read with
python-calamine, which reads both formats several times faster than openpyxl (0.25 s
against 1.4 s for January 2026); openpyxl stays for writing workbooks.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from operator import itemgetter

from tracker.errors import InputError
from tracker.hcpcs.assemble import RawRow, assemble, trim
from tracker.hcpcs.layout import CONTINUATION_IDS, FIELDS
from tracker.records import Record, Value

_HEADER_SCAN_ROWS = 40
_NO_HEADER = "no sheet has the ANWEB header row (HCPC, SEQNUM, RECID, LONG DESCRIPTION, ...)"


def parse_workbook(source: str, payload: bytes) -> tuple[Record, ...]:
    """The records of an ANWEB workbook; InputError naming ``source`` and the row."""
    return assemble(source, workbook_rows(source, payload))


def workbook_rows(source: str, payload: bytes) -> Iterator[RawRow]:
    """Each row under the first sheet's ANWEB header as a raw row; blank rows are skipped."""
    for rows in _sheets(source, payload):
        header = _find_header(rows)
        if header is not None:
            header_row, columns = header
            width = 1 + max(i for at in columns.values() for i in at)
            plan = _Plan(columns)
            for number, row in enumerate(rows, start=header_row + 1):
                cells = _cells(row)
                if any(cells):
                    if len(cells) < width:
                        cells += [""] * (width - len(cells))
                    yield plan.raw_row(number, cells)
            return
    raise InputError(source, _NO_HEADER)


def _cells(row: Sequence[object]) -> list[str]:
    """A row's cells as text (``_cell``)."""
    try:
        return list(map(str.strip, row))  # type: ignore[arg-type]  # CMS's cells are text...
    except TypeError:
        return [_cell(value) for value in row]  # ...but for a few dates typed in as numbers


def _sheets(source: str, payload: bytes) -> Iterator[Iterator[Sequence[object]]]:
    """Each sheet's rows, from row 1 (leading blank rows included, so numbers are Excel's)."""
    from python_calamine import CalamineWorkbook  # here: it costs every other command start-up

    try:
        with CalamineWorkbook.from_object(io.BytesIO(payload)) as book:
            for name in book.sheet_names:
                yield book.get_sheet_by_name(name).iter_rows()
    except Exception as exc:  # calamine raises CalamineError, ZipError, XmlError, ...
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InputError(source, f"is not a readable workbook ({reason})") from None


def _find_header(
    rows: Iterator[Sequence[object]],
) -> tuple[int, dict[str, tuple[int, ...]]] | None:
    """The header's row number and each field's columns, or None if this sheet has none."""
    for number, row in zip(range(1, _HEADER_SCAN_ROWS + 1), rows, strict=False):
        names = [_cell(value).upper() for value in row]
        if names and names[0] == "HCPC":
            index = {name: i for i, name in enumerate(names) if name}
            if not all(h in index for f in FIELDS for h in f.headers()):
                return None
            return number, {f.name: tuple(index[h] for h in f.headers()) for f in FIELDS}
    return None


class _Plan:
    """Where each field's cells are in a sheet's rows, by its header, ready to pick them out
    of 9,000 rows: ``raw_row`` is the raw row a row of cells is."""

    def __init__(self, columns: dict[str, tuple[int, ...]]) -> None:
        self._code, self._rec_id = columns["code"][0], columns["rec_id"][0]
        self._long_description = columns["long_description"][0]
        self._seq_num = columns["seq_num"][0]
        at = [i for where in columns.values() for i in where]
        self._cells = itemgetter(*at)  # every field's cells, in layout order
        # Each field's place among them: (name, first, None) for a field that occurs once,
        # (name, first, end) for a repeated one.
        self._fields: list[tuple[str, int, int | None]] = []
        first = 0
        for name, where in columns.items():
            self._fields.append((name, first, None if len(where) == 1 else first + len(where)))
            first += len(where)

    def raw_row(self, number: int, cells: list[str]) -> RawRow:
        code, rec_id = cells[self._code], cells[self._rec_id]
        fields: dict[str, Value]
        if rec_id in CONTINUATION_IDS:  # the rest of a long description (G0503 in 2020)
            fields = {"long_description": cells[self._long_description]}
        else:
            values = self._cells(cells)
            fields = {
                name: values[first] if end is None else trim(values[first:end])
                for name, first, end in self._fields
            }
            # SEQNUM is the text's positions 6-9: CMS drops the last digit of the 5-digit
            # sequence number (always 0: sequences go by 100s).
            seq = cells[self._seq_num]
            fields["seq_num"] = seq + "0" if len(seq) == 4 else seq
        return RawRow(f"row {number}", code, rec_id, fields)


def _cell(value: object) -> str:
    """A cell as the text the fixed-width file holds. CMS's cells are text, but a few dates
    were typed in as numbers (87 ACT EFF DT cells in 2017, 7 date cells in January 2026)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.strftime("%Y%m%d")  # the layout's CCYYMMDD
    return "" if value is None else str(value).strip()
