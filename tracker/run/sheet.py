"""The rows of a workbook's first sheet, streamed: each row as text, one at a time.

A claims extract can hold a million rows. The readers that load a whole sheet hold every row
in memory: python-calamine took 143 MB for 300,000 five-column rows (about 450 bytes a row,
so 1,048,576 rows would take 470 MB). openpyxl's read-only mode streams, but took 17 s of
CPU for those rows (58 us a row). This reader streams the sheet's XML through expat with a
small handler and keeps no tree (about 10-14 us a row, memory flat), holding only the
workbook's shared strings, packed, which Excel keeps in a part of their own that any cell may
point into: their size grows with the distinct texts of the sheet, not with its rows.

Cells come back as text, as a CSV would give them: numbers as written in the file, a cell
with a date format as an ISO date (Excel stores dates as day numbers: 45748 is 2025-04-01),
booleans as TRUE/FALSE. Empty cells are "" (the file leaves them out).
"""

from __future__ import annotations

import posixpath
import zipfile
from array import array
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO
from xml.etree import ElementTree
from xml.parsers import expat

from tracker.errors import InputError

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_DOC_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_TEXT = f"{_MAIN}t"
# The sheet's tags as expat names them (namespace, a space, the local name): it is read with
# expat itself, whose handlers are called with less ado than ElementTree's.
_SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main "
_ROW, _CELL, _VALUE, _INLINE = (f"{_SHEET_NS}{tag}" for tag in ("row", "c", "v", "t"))
_PHONETIC = f"{_SHEET_NS}rPh"  # a Japanese reading guide inside a string: not its text
_CHUNK = 1 << 16
_MAX_DAYS = 100_000


# What a damaged or foreign file raises while it is read as a workbook.
_UNREADABLE = (
    zipfile.BadZipFile, KeyError, ElementTree.ParseError, expat.ExpatError, ValueError, IndexError,
)  # fmt: skip


@contextmanager
def sheet_rows(path: Path) -> Iterator[Iterator[list[str]]]:
    """The rows of the first sheet, read as they are iterated; InputError naming the file
    when it is no readable workbook (also half-way through: the caller keeps nothing)."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise _unreadable(path, exc) from None
    with archive:
        try:
            sheet, epoch = _first_sheet(archive)
            strings = _shared_strings(archive)
            dates = _date_styles(archive)
            stream = archive.open(sheet)
        except _UNREADABLE as exc:
            raise _unreadable(path, exc) from None
        with stream:
            yield _rows(stream, _SheetTarget(strings, dates, epoch), path)


def _unreadable(path: Path, exc: Exception) -> InputError:
    return InputError(path.name, f"is not a readable xlsx workbook ({exc})")


def _rows(stream: IO[bytes], target: _SheetTarget, path: Path) -> Iterator[list[str]]:
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True  # a cell's text in one call
    parser.StartElementHandler = target.start
    parser.EndElementHandler = target.end
    parser.CharacterDataHandler = target.data
    try:
        while chunk := stream.read(_CHUNK):
            parser.Parse(chunk, False)
            yield from target.rows
            target.rows.clear()
        parser.Parse(b"", True)
    except _UNREADABLE as exc:
        raise _unreadable(path, exc) from None
    yield from target.rows


class _SheetTarget:
    """Expat calls this per tag: it keeps the cells of each row, no tree (a tree of a
    million rows is what the other readers hold)."""

    def __init__(self, strings: SharedStrings, dates: frozenset[str], epoch: datetime) -> None:
        self.rows: list[list[str]] = []
        self._strings, self._dates, self._epoch = strings, dates, epoch
        self._cells: list[str] = []
        self._text = ""
        self._type: str | None = None
        self._style = "0"  # the cell's style, as the file writes it
        self._days: dict[str, str] = {}  # day numbers read so far, as ISO dates
        self._column = 0  # where the cell goes: the file leaves empty cells out
        self._inside = 0  # >0 inside a <v> or <t> whose text is the cell's value
        self._phonetic = False

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == _CELL:
            self._type, self._text = attrs.get("t"), ""
            self._style = attrs.get("s", "0")
            ref = attrs.get("r")
            self._column = _column(ref) if ref else len(self._cells)
        elif tag in (_VALUE, _INLINE) and not self._phonetic:
            self._inside += 1
        elif tag == _ROW:
            self._cells = []
        elif tag == _PHONETIC:
            self._phonetic = True

    def data(self, text: str) -> None:
        if self._inside:
            self._text += text  # expat may split a value at a buffer's end

    def end(self, tag: str) -> None:
        if tag == _CELL:
            cells = self._cells
            if self._column > len(cells):
                cells.extend([""] * (self._column - len(cells)))
            cells.append(self._value(self._text))
        elif tag in (_VALUE, _INLINE) and self._inside:
            self._inside -= 1
        elif tag == _ROW:
            self.rows.append(self._cells)
        elif tag == _PHONETIC:
            self._phonetic = False

    def _value(self, raw: str) -> str:
        kind = self._type
        if kind == "s":
            return self._strings[int(raw)]
        if kind == "b":
            return "TRUE" if raw == "1" else "FALSE"
        if kind in ("str", "inlineStr", "e") or not raw:
            return raw
        if kind == "d":  # an ISO date and time written as such (rare: Excel writes numbers)
            return raw.removesuffix("T00:00:00")
        if self._style in self._dates:
            day = self._days.get(raw)
            if day is None:
                if len(self._days) > _MAX_DAYS:  # a cap: times of day make each value new
                    self._days.clear()
                day = self._days[raw] = _from_serial(raw, self._epoch)
            return day
        return raw


_COLUMNS: dict[str, int] = {}


def _column(ref: str) -> int:
    """ "C7" -> 2."""
    letters = ref.rstrip("0123456789")
    index = _COLUMNS.get(letters)
    if index is None:
        index = 0
        for letter in letters:
            index = index * 26 + ord(letter) - 64
        index = _COLUMNS[letters] = index - 1
    return index


def _from_serial(raw: str, epoch: datetime) -> str:
    from openpyxl.utils.datetime import from_excel

    try:
        value = from_excel(float(raw), epoch)
    except (ValueError, OverflowError):
        return raw
    if not isinstance(value, datetime):
        return raw
    return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()


def _first_sheet(archive: zipfile.ZipFile) -> tuple[str, datetime]:
    """The first sheet's part name, and the day numbers' epoch (1900, or 1904 on old Macs)."""
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    properties = book.find(f"{_MAIN}workbookPr")
    date1904 = properties is not None and properties.get("date1904") in ("1", "true")
    first = book.find(f"{_MAIN}sheets/{_MAIN}sheet")
    if first is None:
        raise ValueError("it has no sheet")
    relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    wanted = first.get(f"{_DOC_REL}id")
    target = next(
        r.get("Target", "") for r in relations.iter(f"{_PKG_REL}Relationship")
        if r.get("Id") == wanted
    )  # fmt: skip
    part = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
    return posixpath.normpath(part), CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900


class SharedStrings:
    """The workbook's shared strings, packed: one text and where each string starts. Excel
    puts every text of a sheet there (a claim number per row), so a list of str objects,
    about 60 bytes each, would grow with the rows; packed, a string costs its length plus
    8 bytes."""

    def __init__(self, strings: Iterable[str]) -> None:
        self._starts = array("q", [0])
        chunks: list[str] = []
        parts: list[str] = []
        for text in strings:
            parts.append(text)
            self._starts.append(self._starts[-1] + len(text))
            if len(parts) == 10_000:  # joined as they come: never a million str at once
                chunks.append("".join(parts))
                parts.clear()
        self._text = "".join([*chunks, *parts])

    def __getitem__(self, index: int) -> str:
        if not 0 <= index < len(self._starts) - 1:
            raise IndexError(f"shared string {index} of {len(self._starts) - 1}")
        return self._text[self._starts[index] : self._starts[index + 1]]


def _shared_strings(archive: zipfile.ZipFile) -> SharedStrings:
    if "xl/sharedStrings.xml" not in archive.namelist():
        return SharedStrings([])
    with archive.open("xl/sharedStrings.xml") as stream:
        return SharedStrings(_read_strings(stream))


def _read_strings(stream: IO[bytes]) -> Iterator[str]:
    root: ElementTree.Element | None = None
    for event, item in ElementTree.iterparse(stream, events=("start", "end")):
        if root is None:
            root = item
        elif event == "end" and item.tag == f"{_MAIN}si":
            yield _string(item)
            root.clear()  # the strings read so far: the tree would keep each one


def _string(item: ElementTree.Element) -> str:
    """A shared string: its text, or its rich-text runs' texts, without reading guides."""
    parts = [item.findtext(_TEXT) or ""]
    parts += [run.findtext(_TEXT) or "" for run in item.findall(f"{_MAIN}r")]
    return "".join(parts)


def _date_styles(archive: zipfile.ZipFile) -> frozenset[str]:
    """The cell styles whose number format shows a date: a number in such a cell is a day."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

    if "xl/styles.xml" not in archive.namelist():
        return frozenset()
    styles = ElementTree.fromstring(archive.read("xl/styles.xml"))
    formats = dict(BUILTIN_FORMATS)
    for item in styles.iter(f"{_MAIN}numFmt"):
        formats[int(item.get("numFmtId", -1))] = item.get("formatCode", "")
    cell_styles = styles.find(f"{_MAIN}cellXfs")
    if cell_styles is None:
        return frozenset()
    return frozenset(
        str(i)
        for i, xf in enumerate(cell_styles.findall(f"{_MAIN}xf"))
        if is_date_format(formats.get(int(xf.get("numFmtId", 0)), ""))
    )
