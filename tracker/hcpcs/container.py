"""Release containers: ZIP safety, and which members of a ZIP are the ANWEB data files.

Used by the reader, by download validation and by the CPT reader; pure apart from the ZIP
it is given.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import IO

from tracker.errors import InputError

# ZIPs since 2024 hold several *ANWEB* members; only one is the data file.
_NOT_DATA = re.compile(r"correction|trans(action)?[\s_-]*report|record ?layout", re.IGNORECASE)
_HTML_START = re.compile(rb"^\s*(<!doctype\s+html|<html|<head|<body|<\?xml|<!--)", re.IGNORECASE)
# The copies of one release CMS puts in a ZIP: the text, and a workbook (.xls until 2020).
_TEXT = (".txt",)
_WORKBOOK = (".xlsx", ".xls")


def data_files(
    source: str, name: str, data: bytes, *, max_unpacked: int
) -> tuple[tuple[str, bytes], ...]:
    """The data files (name, bytes) in a release file: the file itself, or the ANWEB
    members of a ZIP, its text copy first and then its workbook copy."""
    if data[:4] == b"PK\x03\x04" and name.lower().endswith(".xlsx"):
        return ((name, data),)
    if data[:2] != b"PK":
        if name.lower().endswith(".zip") or _looks_like_html(data[:1024]):
            raise InputError(source, not_a_zip(data[:1024]))
        return ((name, data),)
    with open_zip(source, io.BytesIO(data), max_unpacked=max_unpacked) as archive:
        members = data_members(source, [info.filename for info in archive.infolist()])
        return tuple((PurePosixPath(m).name, _unpack(source, archive, m)) for m in members)


def _unpack(source: str, archive: zipfile.ZipFile, member: str) -> bytes:
    try:
        return archive.read(member)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise InputError(source, f"member {member} is damaged ({exc})") from None


def open_zip(source: str, file: IO[bytes] | Path, *, max_unpacked: int) -> zipfile.ZipFile:
    """Open a ZIP whose members are safe to unpack and unpack to at most ``max_unpacked`` bytes
    ([source] max_unpacked_mb); InputError naming ``source`` if not."""
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


def check_members(source: str, members: Iterable[zipfile.ZipInfo], *, max_unpacked: int) -> None:
    """Refuse unsafe member names and ZIP bombs (over ``max_unpacked`` bytes, [source]
    max_unpacked_mb) before anything is unpacked."""
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
    """An ANWEB data file (``HCPC2026_JAN_ANWEB_01122026.txt``, ``.xlsx`` or ``.xls``): not a
    change report, corrections list or record layout, nor a macOS ``__MACOSX/._*`` shadow."""
    base = re.split(r"[/\\]", name)[-1]
    return (
        not name.startswith("__MACOSX/")
        and "anweb" in base.lower()
        and base.lower().endswith(_TEXT + _WORKBOOK)
        and not _NOT_DATA.search(base)
    )


def data_members(source: str, names: Sequence[str]) -> tuple[str, ...]:
    """The ANWEB data files among a ZIP's members: its text, its workbook, or both (text
    first). Two texts, or two workbooks, leave no way to tell which one is the release."""
    data = [n for n in names if is_data_member(n)]
    found: list[str] = []
    for suffixes in (_TEXT, _WORKBOOK):
        copies = [n for n in data if n.lower().endswith(suffixes)]
        if len(copies) > 1:
            raise InputError(
                source, f"several ANWEB data files in ZIP: {', '.join(sorted(copies))}"
            )
        found += copies
    if found:
        return tuple(found)
    files = [n for n in names if not n.endswith("/")]
    shown = ", ".join(files[:8]) + (", ..." if len(files) > 8 else "")
    raise InputError(
        source,
        f"holds no *ANWEB* data file (.txt or .xlsx), only: {shown or 'nothing'}; "
        "is it the alpha-numeric HCPCS file?",
    )


def pick_data_member(source: str, names: Sequence[str]) -> str:
    """The ANWEB data file among a ZIP's members that records are read from: its text,
    else its workbook copy."""
    return data_members(source, names)[0]
