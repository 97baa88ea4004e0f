"""Where the text and workbook copies of one release disagree.

CMS puts the same release in a ZIP twice, as fixed-width text and as a workbook, and the two
do not always say the same (January 2026: C9248 has PRICE3 "11" in the workbook only, and the
workbook leaves the action effective date blank on 117 codes). Records are read from the text;
every disagreement is kept with the release.
"""

from __future__ import annotations

from collections.abc import Sequence

from tracker.hcpcs.layout import FIELD_NAMES
from tracker.records import CopyDisagreement, Record, Value


def compare_copies(
    text: Sequence[Record], workbook: Sequence[Record]
) -> tuple[CopyDisagreement, ...]:
    """Every field on which the copies disagree, by code, then in layout order. A code in one
    copy only is one disagreement on the field "code" (the other copy's value is "")."""
    texts = {r.code: r for r in text}
    books = {r.code: r for r in workbook}
    found: list[CopyDisagreement] = []
    for code in sorted(texts.keys() | books.keys()):
        if code not in books or code not in texts:
            found.append(CopyDisagreement(code, "code", _has(texts, code), _has(books, code)))
            continue
        if texts[code].fields == books[code].fields:
            continue  # the copies agree on almost every code
        found += (
            CopyDisagreement(code, name, texts[code].get(name), books[code].get(name))
            for name in FIELD_NAMES
            if _key(name, texts[code].get(name)) != _key(name, books[code].get(name))
        )
    return tuple(found)


def _has(copy: dict[str, Record], code: str) -> str:
    return code if code in copy else ""


def _key(name: str, value: Value) -> Value:
    """What is compared: descriptions with white space folded (the text loses a double space
    where it wraps at 80 characters: C9754, G0417), and SEQNUM without its last digit (the
    workbook's is the text's without it)."""
    if isinstance(value, str):
        if name == "seq_num":
            return value[:4]
        if name in ("long_description", "short_description"):
            return " ".join(value.split())
    return value
