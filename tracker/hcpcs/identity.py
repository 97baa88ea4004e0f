"""Release identity from names: a ZIP, member or link title says which release it is.

CMS names drift (``HCPC17_CONTR_ANWEB.txt``, ``HCPC2018_CONTR_ANWEB_disc.txt``,
``HCPC2026_JAN_ANWEB_01122026.txt``, ``january-2026-alpha-numeric-hcpcs-file.zip``,
"January 2026 Alpha-Numeric HCPCS File - Updated 01/12/2026"), so this reads a year and an
optional month out of any of them. A month names the quarter whose update takes effect on the
first of that month (Jan, Apr, Jul, Oct); CMS posts the January quarter as well as the annual
file, both effective January 1.

One rule names every release file, downloaded, dropped in the folder or imported by hand
(``release_identity``): the outer name wins (the link title of a download, the file's own name
otherwise), and the data file's name inside a ZIP counts only when the outer name names no
year. The outer name is what CMS titled the posting, or what a person named the file, and a
download has only its link title to go by before it is fetched: were the member to win, the
same ZIP would get one label from `tracker check` and another from `tracker import`.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from tracker.hcpcs.container import is_data_member

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


@dataclass(frozen=True)
class Named:
    """The release a file is, by ``release_identity``."""

    identity: Identity
    # A data file inside the ZIP that names a release taking effect on another day (the outer
    # name won), for a warning; "" when none does.
    overruled: str = ""

    @property
    def warning(self) -> str:
        """What to tell the user when the names disagree ("" when they agree)."""
        if not self.overruled:
            return ""
        return (
            f"its data file {self.overruled} names another release; "
            f"taken as {self.identity.label} by its file name (rename it or give --label)"
        )


def release_identity(name: str, members: Sequence[str] = ()) -> Named | None:
    """The release a file is: by its outer ``name`` (a link title, or the file's own name),
    else by the first of its data files' ``members`` that names one; None when none does."""
    outer = identity_from_name(name)
    inner = [(m, i) for m in members if (i := identity_from_name(_base(m))) is not None]
    if outer is None:
        return Named(inner[0][1]) if inner else None
    # The annual file and the January quarter take effect the same day: not another release.
    overruled = next((m for m, i in inner if i.effective != outer.effective), "")
    return Named(outer, _base(overruled))


def file_identity(path: Path, name: str | None = None) -> Named | None:
    """``release_identity`` of a file on disk: by ``name`` (its real name; default: the
    path's), else by the ANWEB data files inside it when it is a ZIP."""
    return release_identity(name or path.name, _data_members(path, name or path.name))


def label_period(label: str) -> tuple[date, date]:
    """The first and last day a release with this label may take effect: its quarter. An
    annual label names the first quarter of its year: CMS's annual file takes effect on
    January 1, with the January quarter. CMS's quarterly updates take effect on the first day
    of the quarter; a later day inside it is allowed for an off-cycle correction."""
    start = identity_from_label(label).effective
    year, month = divmod(start.month + 2, 12)  # the quarter after: month + 3, 1-based
    return start, date(start.year + year, month + 1, 1) - timedelta(days=1)


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


def _data_members(path: Path, name: str) -> list[str]:
    """The ANWEB data files' names inside a ZIP; none for another file, or a damaged ZIP
    (reading it says what is wrong)."""
    if not name.lower().endswith(".zip"):
        return []
    try:
        with zipfile.ZipFile(path) as archive:
            return [m for m in archive.namelist() if is_data_member(m)]
    except (OSError, zipfile.BadZipFile):
        return []


def _base(member: str) -> str:
    return re.split(r"[/\\]", member)[-1]


def _year(text: str) -> int | None:
    for pattern, offset in ((_YEAR4, 0), (_YEAR2, 2000), (_YY_ANWEB, 2000)):
        match = pattern.search(text)
        if match:
            return int(match.group(1)) + offset
    return None
