"""Read a HCPCS release (CMS ZIP, bare ANWEB text file, or ANWEB workbook) into records.

The one entry point every caller uses. Pure apart from reading the one file it is given;
raises ``InputError`` naming the file. The stages live beside it: ``container`` (ZIP safety,
data members), ``text`` and ``workbook`` (each format to raw rows), ``assemble`` (raw rows to
records), ``copies`` (where a ZIP's two copies disagree).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path, PurePosixPath

from tracker.errors import InputError
from tracker.hcpcs.container import data_files
from tracker.hcpcs.copies import compare_copies
from tracker.hcpcs.identity import identity_from_label, identity_from_name
from tracker.hcpcs.text import parse_text
from tracker.hcpcs.workbook import parse_workbook
from tracker.records import HCPCS, ParsedRelease, Record


def read_release(
    path: Path,
    *,
    label: str | None = None,
    effective: date | None = None,
    name: str | None = None,
    source: str | None = None,
    max_unpacked: int,
) -> ParsedRelease:
    """Read one release file; ``label``/``effective`` override what its name says.

    ``name`` stands for the file's own name (a download kept as ``raw/<sha256>.zip`` is known
    by its URL's file name) and ``source`` for how error messages name it (the URL). A ZIP
    holding both a text and a workbook copy gives its records from the text, and every field
    on which the two disagree.
    """
    source = source or str(path)
    name = name or path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(source, f"cannot read file ({exc.strerror})") from None
    if not data:
        raise InputError(source, "file is empty")
    copies = _parse_copies(source, name, data_files(source, name, data, max_unpacked=max_unpacked))
    member, records = copies[0]
    names = (member, name)
    return ParsedRelease(
        code_set=HCPCS,
        base_label=_label(source, names, label),
        effective=effective or _effective(source, names, label),
        source_name=name if member == name else f"{name}:{member}",
        sha256=hashlib.sha256(data).hexdigest(),
        records=records,
        kind=_kind(names, label),
        disagreements=compare_copies(records, copies[1][1]) if len(copies) > 1 else (),
    )


def _parse_copies(
    source: str, name: str, files: Sequence[tuple[str, bytes]]
) -> list[tuple[str, tuple[Record, ...]]]:
    """Each data file's records, in order: the text copy first when a ZIP holds both.

    The workbook copy is read in a second thread while the text is parsed: calamine parses
    the sheet without holding the GIL (about half of reading the workbook), so the two
    overlap. A text that cannot be read is the error, as when they are read in turn.
    """
    jobs = [(member, f"{source}:{member}" if member != name else source, p) for member, p in files]
    if len(jobs) == 1:
        member, where, payload = jobs[0]
        return [(member, _parse(where, member, payload))]
    with ThreadPoolExecutor(max_workers=1) as pool:
        later = [(member, pool.submit(_parse, where, member, p)) for member, where, p in jobs[1:]]
        member, where, payload = jobs[0]
        first = (member, _parse(where, member, payload))
        return [first, *((member, future.result()) for member, future in later)]


def _parse(source: str, member: str, payload: bytes) -> tuple[Record, ...]:
    if PurePosixPath(member).suffix.lower() in (".xlsx", ".xls"):
        return parse_workbook(source, payload)
    return parse_text(source, payload)


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
