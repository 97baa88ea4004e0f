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
            for number, row in enumerate(rows, start=header_row + 1):
                cells = [v.strip() if type(v) is str else _cell(v) for v in row]  # fast path
                if any(cells):
                    cells += [""] * (width - len(cells))
                    yield _raw_row(number, cells, columns)
            return
    raise InputError(source, _NO_HEADER)


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


def _raw_row(number: int, cells: list[str], columns: dict[str, tuple[int, ...]]) -> RawRow:
    code, rec_id = cells[columns["code"][0]], cells[columns["rec_id"][0]]
    fields: dict[str, Value]
    if rec_id in CONTINUATION_IDS:  # the rest of a long description (G0503 in 2020)
        fields = {"long_description": cells[columns["long_description"][0]]}
    else:
        fields = {
            name: cells[at[0]] if len(at) == 1 else trim([cells[i] for i in at])
            for name, at in columns.items()
        }
        # SEQNUM is the text's positions 6-9: CMS drops the last digit of the 5-digit
        # sequence number (always 0: sequences go by 100s).
        seq = str(fields["seq_num"])
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
