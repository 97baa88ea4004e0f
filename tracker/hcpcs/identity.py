"""Release identity from names: a ZIP, member or link title says which release it is.

CMS names drift (``HCPC17_CONTR_ANWEB.txt``, ``HCPC2018_CONTR_ANWEB_disc.txt``,
``HCPC2026_JAN_ANWEB_01122026.txt``, ``january-2026-alpha-numeric-hcpcs-file.zip``,
"January 2026 Alpha-Numeric HCPCS File - Updated 01/12/2026"), so this reads a year and an
optional month out of any of them. A month names the quarter whose update takes effect on the
first of that month (Jan, Apr, Jul, Oct); CMS posts the January quarter as well as the annual
file, both effective January 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_MONTHS = {
    "jan": 1, "january": 1, "apr": 4, "april": 4, "jul": 7, "july": 7,
    "oct": 10, "october": 10,
}  # fmt: skip
_QUARTER = {1: 1, 4: 2, 7: 3, 10: 4}

# Dates CMS appends to re-posts ("_01122026", "- Updated 09/10/2026") are not the release year.
_DATE_SUFFIX = re.compile(r"\d{1,2}[/_-]?\d{1,2}[/_-]?\d{4}(?!\d)|\d{8}")
_MONTH = re.compile(
    r"(?<![a-z])(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")(?![a-z])"
)
_YEAR4 = re.compile(r"(?<!\d)(20\d\d)(?!\d)")
_YEAR2 = re.compile(r"HCPCS?(\d\d)(?!\d)", re.IGNORECASE)  # HCPC17_CONTR_ANWEB, 12anweb
_YY_ANWEB = re.compile(r"(?<!\d)(\d\d)anweb", re.IGNORECASE)


@dataclass(frozen=True)
class Identity:
    label: str  # "2020" (annual) or "2026-Q1" (quarterly)
    effective: date
    kind: str  # "annual" | "quarterly"


def identity_from_name(name: str) -> Identity | None:
    """The release a file name or link title names, or None when it names no year."""
    text = _DATE_SUFFIX.sub(" ", re.sub(r"updated.*$", " ", name, flags=re.IGNORECASE))
    year = _year(text)
    if year is None:
        return None
    month = _MONTH.search(text.lower().replace("_", " "))
    if month is None:
        return Identity(str(year), date(year, 1, 1), "annual")
    first = _MONTHS[month.group(1)]
    return Identity(f"{year}-Q{_QUARTER[first]}", date(year, first, 1), "quarterly")


def identity_from_label(label: str) -> Identity:
    """Parse a label given with ``--label`` ("2021" or "2021-Q3")."""
    match = re.fullmatch(r"(\d{4})(?:-Q([1-4]))?", label)
    if match is None:
        raise ValueError(f"label {label!r} is not YYYY or YYYY-Qn")
    year = int(match.group(1))
    if match.group(2) is None:
        return Identity(label, date(year, 1, 1), "annual")
    quarter = int(match.group(2))
    return Identity(label, date(year, 3 * quarter - 2, 1), "quarterly")


def _year(text: str) -> int | None:
    for pattern, offset in ((_YEAR4, 0), (_YEAR2, 2000), (_YY_ANWEB, 2000)):
        match = pattern.search(text)
        if match:
            return int(match.group(1)) + offset
    return None
