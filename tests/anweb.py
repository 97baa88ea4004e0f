"""Build ANWEB files for tests, fixed-width text and workbook: the real formats, invented
content."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Iterable, Mapping, Sequence

from tracker.hcpcs.layout import FIELDS, RECORD_LENGTH
from tracker.records import Value


def record_lines(
    code: str, values: Mapping[str, Value], *, short_continuations: bool = True
) -> list[str]:
    """A first-line record (id 3, or 7 for a modifier) and its continuation records (4/8)."""
    modifier = len(code) == 2
    pieces = textwrap.wrap(str(values.get("long_description", "")), 80) or [""]
    line = [" "] * RECORD_LENGTH
    merged: dict[str, Value] = {"seq_num": "00100", "rec_id": "7" if modifier else "3"}
    merged.update(values)
    merged["code"] = code.rjust(5)
    merged["long_description"] = pieces[0]
    for field in FIELDS:
        value = merged.get(field.name, "")
        items = [value] if isinstance(value, str) else list(value)
        for i, item in enumerate(items[: field.occurs]):
            start = field.start - 1 + i * field.width
            text = item.ljust(field.width) if field.name == "code" else item
            assert len(text) <= field.width, (field.name, item)
            line[start : start + len(text)] = list(text)
    lines = ["".join(line)]
    for n, piece in enumerate(pieces[1:], start=2):
        cont = f"{code.rjust(5)}{n:03d}00{'8' if modifier else '4'}{piece:<80}"
        lines.append(cont if short_continuations else cont.ljust(RECORD_LENGTH))
    return lines


def anweb_text(
    records: Iterable[tuple[str, Mapping[str, Value]]], *, disclaimer: str = ""
) -> bytes:
    lines = disclaimer.splitlines() if disclaimer else []
    for code, values in records:
        lines += record_lines(code, values)
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


# The workbook copy: 48 columns under this header (PRICE1..4, CIM1..3, ...), all cells text.
WORKBOOK_HEADER = [h for f in FIELDS for h in f.headers()]


def workbook_row(
    code: str, values: Mapping[str, Value], *, seq: str = "0010", rec_id: str = ""
) -> list[str]:
    """A first row as CMS writes it: a modifier's code keeps its three leading blanks, SEQNUM
    lacks the text's last digit, and the long description is whole in one cell."""
    modifier = len(code) == 2
    merged: dict[str, Value] = dict(values, code=code.rjust(5), seq_num=seq)
    merged["rec_id"] = rec_id or ("7" if modifier else "3")
    row: list[str] = []
    for field in FIELDS:
        value = merged.get(field.name, "")
        items = [value] if isinstance(value, str) else list(value)
        row += [items[i] if i < len(items) else "" for i in range(field.occurs)]
    return row


def continuation_row(code: str, piece: str, *, seq: str = "0020", rec_id: str = "4") -> list[str]:
    """A continuation row (RECID 4, or 8 for a modifier): only more of the long description;
    ``code`` may be the first row's code again or blank."""
    row = [""] * len(WORKBOOK_HEADER)
    row[:4] = [code, seq, rec_id, piece]
    return row


def anweb_workbook(
    rows: Iterable[Sequence[object]],
    *,
    disclaimer_rows: int = 0,
    sheets: Sequence[str] = ("HCPC2026_APR_ANWEB",),
) -> bytes:
    """An .xlsx workbook: ``disclaimer_rows`` rows of text (every other one blank), the header,
    then ``rows``, on the last of ``sheets`` (the others hold only a note)."""
    import openpyxl

    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    first.title = sheets[0]
    sheet = first
    for name in sheets[1:]:
        sheet.append(["Notes, no data here"])
        sheet = book.create_sheet(name)
    for i in range(disclaimer_rows):
        sheet.append([f"Disclaimer line {i}"] if i % 2 == 0 else [])
    sheet.append(WORKBOOK_HEADER)
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
