"""Build ANWEB fixed-width records for tests: the real format, invented content."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping

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
