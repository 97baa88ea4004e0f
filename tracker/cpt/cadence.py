"""The AMA's CPT calendar: which files are expected when, which arrived, which are late. Pure.

The AMA cycle (defaults; the ``[cpt]`` config table moves them, since the AMA moves its dates):

- annual data file (Categories I to III): released around September 1, effective January 1 of
  the next year;
- Category III: also released January 1 and July 1, effective six months later;
- PLA: released quarterly (January, April, July, October 1), effective the next quarter;
- vaccine codes: off-cycle, per code; listed only once imported.

An entry belongs to the year it takes effect, as the CPT edition does: CPT 2026 is released
2025-09-01 and effective 2026-01-01, so it is year 2026; so is the PLA file released 2025-10-01
for the quarter starting 2026-01-01. Labels are ``tracker.cpt.release_label``'s.

Status: ``received`` once a matching import exists (``late`` when it arrived more than
``grace_days`` after the expected release); otherwise ``upcoming`` before the expected release,
``due`` from that day through ``grace_days`` after it, ``overdue`` later. A file arrived on its
``released`` date when the importer gave one (``--released``, so back-filled past years show
when the AMA really published them), else on the day it was imported.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tracker.config import CptSettings, MonthDay
from tracker.cpt.read import release_label
from tracker.records import ReleaseInfo

_DEFAULT = CptSettings()
STATUSES = ("received", "upcoming", "due", "overdue")
_KIND_ORDER = {"annual": 0, "category3": 1, "pla": 2, "vaccine": 3}
_LABEL_YEAR = re.compile(r"CPT-(\d{4})")
_REVISION = re.compile(r"(.*)\.\d+")


@dataclass(frozen=True)
class CptCalendar:
    """When the AMA releases each kind of CPT file, and how long until it takes effect.

    The defaults are the ``[cpt]`` schema's (``tracker.config.CptSettings``).
    """

    annual_release: MonthDay = _DEFAULT.annual_release  # the year before it takes effect
    category3_releases: tuple[MonthDay, ...] = _DEFAULT.category3_releases
    category3_effective_months: int = _DEFAULT.category3_effective_months
    pla_releases: tuple[MonthDay, ...] = _DEFAULT.pla_releases
    pla_effective_months: int = _DEFAULT.pla_effective_months
    grace_days: int = _DEFAULT.grace_days

    @classmethod
    def from_config(cls, cpt: CptSettings) -> CptCalendar:
        """The calendar the validated ``[cpt]`` section describes."""
        return cls(
            annual_release=cpt.annual_release,
            category3_releases=cpt.category3_releases,
            category3_effective_months=cpt.category3_effective_months,
            pla_releases=cpt.pla_releases,
            pla_effective_months=cpt.pla_effective_months,
            grace_days=cpt.grace_days,
        )


@dataclass(frozen=True)
class ImportedCpt:
    """A CPT release the store holds: what it is and when it arrived."""

    kind: str
    label: str  # a revision suffix (".2") is ignored when matching
    effective: date
    imported_at: datetime
    released: date | None = None  # when the AMA published it, if the importer said so

    @classmethod
    def from_release(
        cls, info: ReleaseInfo, imported_at: datetime, released: date | None = None
    ) -> ImportedCpt:
        return cls(info.kind, info.base_label, info.effective, imported_at, released)


@dataclass(frozen=True)
class CadenceEntry:
    year: int
    kind: str
    label: str
    expected_release: date | None  # None: off-cycle (vaccine) or not on the calendar
    effective: date
    imported: bool
    imported_at: datetime | None
    status: str  # received | upcoming | due | overdue
    late: bool = False  # received more than grace_days after the expected release
    released: date | None = None


@dataclass(frozen=True)
class Expected:
    """A release the calendar expects."""

    year: int
    kind: str
    label: str
    release: date
    effective: date


def expected_releases(calendar: CptCalendar, year: int) -> list[Expected]:
    """Every release the calendar expects for files taking effect in ``year``."""
    january = date(year, 1, 1)
    annual_release = date(year - 1, *calendar.annual_release)
    found = [
        Expected(year, "annual", release_label(year, "annual", january), annual_release, january)
    ]
    for kind, days, months in (
        ("category3", calendar.category3_releases, calendar.category3_effective_months),
        ("pla", calendar.pla_releases, calendar.pla_effective_months),
    ):
        # A release takes effect up to ``months`` later, so it may fall in earlier years.
        for release_year in range(year - 1 - months // 12, year + 1):
            for month, day in days:
                release = date(release_year, month, day)
                effective = _add_months(release, months)
                if effective.year == year:
                    label = release_label(year, kind, effective)
                    found.append(Expected(year, kind, label, release, effective))
    return sorted(found, key=lambda e: (e.effective, _KIND_ORDER[e.kind], e.release))


def cadence(
    calendar: CptCalendar, imported: Sequence[ImportedCpt], *, as_of: date, years: Sequence[int]
) -> list[CadenceEntry]:
    """Per year and kind: expected release, effective date, whether and when it arrived, status.

    Imports the calendar does not expect (vaccine files, or dates the config no longer lists)
    are listed as received with no expected release. A file counts as received only once it
    was imported: judged as of a past date, a file imported later is still missing.
    """
    arrivals = _first_arrivals([i for i in imported if i.imported_at.date() <= as_of])
    entries: list[CadenceEntry] = []
    matched: set[tuple[str, str]] = set()
    for year in sorted(set(years)):
        for slot in expected_releases(calendar, year):
            key = (slot.kind, slot.label)
            arrival = arrivals.get(key)
            matched.add(key)
            entries.append(_entry(calendar, slot, arrival, as_of))
    for key, arrival in arrivals.items():
        year = _year(arrival)
        if key not in matched and year in years:
            entries.append(
                CadenceEntry(
                    year=year,
                    kind=arrival.kind,
                    label=key[1],
                    expected_release=None,
                    effective=arrival.effective,
                    imported=True,
                    imported_at=arrival.imported_at,
                    status="received",
                    released=arrival.released,
                )
            )
    return sorted(entries, key=lambda e: (e.year, e.effective, _KIND_ORDER.get(e.kind, 9), e.label))


def default_years(imported: Sequence[ImportedCpt], *, as_of: date) -> list[int]:
    """From the first imported year (or this year) to next year, whose files arrive this year."""
    first = min([_year(i) for i in imported] + [as_of.year])
    return list(range(first, as_of.year + 2))


def needs_attention(entries: Sequence[CadenceEntry]) -> list[CadenceEntry]:
    """The entries a reminder should name: due or overdue."""
    return [e for e in entries if e.status in ("due", "overdue")]


def to_json(entry: CadenceEntry) -> dict[str, object]:
    return {
        "year": entry.year,
        "kind": entry.kind,
        "label": entry.label,
        "expected_release": _iso(entry.expected_release),
        "effective": entry.effective.isoformat(),
        "imported": entry.imported,
        "imported_at": _iso(entry.imported_at),
        "released": _iso(entry.released),
        "status": entry.status,
        "late": entry.late,
    }


def render_cadence_text(entries: Sequence[CadenceEntry]) -> str:
    """A table, one line per entry; a late arrival reads "received (late)"."""
    if not entries:
        return "No CPT releases expected or imported.\n"
    show_released = any(e.released for e in entries)
    head = ["year", "kind", "label", "expected", "effective"]
    head += ["released"] if show_released else []
    rows = [[*head, "imported", "status"]]
    for e in entries:
        row = [
            str(e.year),
            e.kind,
            e.label,
            _iso(e.expected_release) or "-",
            e.effective.isoformat(),
        ]
        row += [_iso(e.released) or "-"] if show_released else []
        imported = e.imported_at.strftime("%Y-%m-%d %H:%M") if e.imported_at else "-"
        rows.append([*row, imported, e.status + (" (late)" if e.late else "")])
    widths = [max(len(r[i]) for r in rows) for i in range(len(head) + 2)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines) + "\n"


# --- helpers -------------------------------------------------------------------------------


def _entry(
    calendar: CptCalendar, slot: Expected, arrival: ImportedCpt | None, as_of: date
) -> CadenceEntry:
    deadline = slot.release + timedelta(days=calendar.grace_days)
    if arrival is not None:
        status = "received"
    elif as_of < slot.release:
        status = "upcoming"
    elif as_of <= deadline:
        status = "due"
    else:
        status = "overdue"
    return CadenceEntry(
        year=slot.year,
        kind=slot.kind,
        label=slot.label,
        expected_release=slot.release,
        effective=slot.effective,
        imported=arrival is not None,
        imported_at=arrival.imported_at if arrival else None,
        status=status,
        late=arrival is not None and (arrival.released or arrival.imported_at.date()) > deadline,
        released=arrival.released if arrival else None,
    )


def _first_arrivals(imported: Sequence[ImportedCpt]) -> dict[tuple[str, str], ImportedCpt]:
    """The first import of each release: later revisions are corrections, not the arrival."""
    first: dict[tuple[str, str], ImportedCpt] = {}
    for item in sorted(imported, key=lambda i: i.imported_at):
        match = _REVISION.fullmatch(item.label)
        first.setdefault((item.kind, match.group(1) if match else item.label), item)
    return first


def _year(item: ImportedCpt) -> int:
    match = _LABEL_YEAR.match(item.label)
    return int(match.group(1)) if match else item.effective.year


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for last in (31, 30, 29, 28):  # "08-31" plus six months is the last day of February
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
