"""`tracker validate FILE`: a claims extract (CSV or xlsx) read row by row and written back
with each row's verdict (``tracker.validate``), one row in memory at a time.

The output is CSV: the input's columns, then status, reason and successors. It is written to
a temporary file beside ``--output`` and renamed when the whole file has been read, so a run
that stops half-way (a file that turns out unreadable, Ctrl-C) leaves no partial output; a
file without the named columns writes nothing at all.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from tracker.errors import InputError, UsageError
from tracker.run.sheet import sheet_rows
from tracker.validate import ADDED_COLUMNS, Verdict

WORKBOOKS = (".xlsx", ".xlsm")
# Spreadsheet formats read by neither path: say so rather than read them as text.
NOT_READ = (".xls", ".xlsb", ".ods", ".numbers")
DELIMITERS = ",;\t|"  # what a claims extract may be separated by (";": European Excel)
BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class Table:
    """An open input file: its header and its rows, read as they are iterated."""

    header: list[str]
    rows: Iterator[list[str]]
    delimiter: str  # the output's: the input's own for a CSV
    bom: bool  # whether the output starts with a BOM: the input did, or was a workbook


def validate_file(
    path: Path,
    columns: tuple[str, str],
    check: Callable[[str, str], Verdict],
    output: Path | None,
    stdout: TextIO,
) -> None:
    """Check every row of ``path`` by its (code, date of service) ``columns`` and write it,
    with its verdict, to ``output`` (None: ``stdout``)."""
    if output is not None and output.resolve() == path.resolve():
        raise UsageError(f"--output {output} is the file checked: name another file")
    with open_table(path) as table:
        code, on = (column_index(path, table.header, name) for name in columns)
        with _output(output, stdout, table.bom) as out:
            writer = csv.writer(out, delimiter=table.delimiter, lineterminator="\r\n")
            writer.writerow([*table.header, *_added(table.header)])
            _check_rows(table, code, on, check, writer.writerow)


def _check_rows(
    table: Table,
    code: int,
    on: int,
    check: Callable[[str, str], Verdict],
    write: Callable[[Sequence[str]], object],
) -> None:
    width = len(table.header)
    for row in table.rows:
        if len(row) < width:  # a short row (a CSV line cut short, trailing empty cells)
            row += [""] * (width - len(row))
        verdict = check(row[code], row[on])
        row += (verdict.status, verdict.reason, verdict.successors)
        write(row)


@contextmanager
def open_table(path: Path) -> Iterator[Table]:
    """The file as a table: an xlsx workbook's first sheet, or a CSV in UTF-8 (with or
    without a BOM), UTF-16 (Excel's "Unicode text") or any other bytes, kept as they are."""
    suffix = path.suffix.lower()
    if suffix in NOT_READ:
        raise InputError(path.name, f"{suffix} files are not read: save it as .xlsx or .csv")
    if suffix in WORKBOOKS:
        with sheet_rows(path) as rows:
            yield Table(_header(path, rows), rows, ",", True)
        return
    with path.open("rb") as raw:
        head = raw.read(3)
    utf16 = head.startswith(BOMS[1:])
    # Bytes that are not UTF-8 (a Windows-1252 export) are kept as they are and written back
    # the same: a code column is ASCII whatever the file's encoding.
    encoding, errors = ("utf-16", "strict") if utf16 else ("utf-8-sig", "surrogateescape")
    with path.open(newline="", encoding=encoding, errors=errors) as text:
        first = text.readline()
        rows = csv.reader(itertools.chain([first], text), delimiter=_delimiter(first))
        yield Table(_header(path, rows), rows, _delimiter(first), head.startswith(BOMS))


def column_index(path: Path, header: Sequence[str], name: str) -> int:
    """Where the named column is: the header that is ``name``, else the one header that is
    ``name`` but for case and surrounding spaces."""
    if name in header:
        return header.index(name)
    loose = [i for i, h in enumerate(header) if h.strip().casefold() == name.strip().casefold()]
    if len(loose) == 1:
        return loose[0]
    has = ", ".join(repr(h) for h in header)
    raise InputError(path.name, f"no column {name!r} (its columns: {has})")


def _header(path: Path, rows: Iterator[list[str]]) -> list[str]:
    header = next(rows, None)
    if not header:
        raise InputError(path.name, "is empty: no header row naming its columns")
    return header


def _delimiter(line: str) -> str:
    """The separator the header line uses most (a comma when it has none)."""
    counts = {d: line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _added(header: Sequence[str]) -> list[str]:
    """The added columns' names; "validate_status" and so on where the file has its own."""
    return [f"validate_{name}" if name in header else name for name in ADDED_COLUMNS]


@contextmanager
def _output(path: Path | None, stdout: TextIO, bom: bool) -> Iterator[TextIO]:
    if path is None:
        if isinstance(stdout, io.TextIOWrapper):
            stdout.reconfigure(errors="surrogateescape")  # bytes kept as they came
        yield stdout
        stdout.flush()
        return
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("w", newline="", encoding="utf-8", errors="surrogateescape") as out:
            if bom:
                out.write("\ufeff")
            yield out
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
