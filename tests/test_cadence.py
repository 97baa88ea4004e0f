"""The CPT calendar: expected releases, statuses against an injected as_of, config, output."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tracker.config import CptSettings, parse_section
from tracker.cpt.cadence import (
    CadenceEntry,
    CptCalendar,
    Expected,
    ImportedCpt,
    cadence,
    default_years,
    expected_releases,
    needs_attention,
    render_cadence_text,
    to_json,
)
from tracker.records import ReleaseInfo

DEFAULT = CptCalendar()
ANNUAL_ONLY = CptCalendar(category3_releases=(), pla_releases=())


def imported(
    kind: str, label: str, effective: date, at: datetime, released: date | None = None
) -> ImportedCpt:
    return ImportedCpt(kind, label, effective, at, released)


def pending(
    year: int, kind: str, label: str, release: date, effective: date, status: str
) -> CadenceEntry:
    return CadenceEntry(year, kind, label, release, effective, False, None, status)


def test_expected_releases_of_a_year_by_the_default_calendar() -> None:
    assert expected_releases(DEFAULT, 2026) == [
        Expected(2026, "annual", "CPT-2026", date(2025, 9, 1), date(2026, 1, 1)),
        Expected(2026, "category3", "CPT-2026-CAT3-H1", date(2025, 7, 1), date(2026, 1, 1)),
        Expected(2026, "pla", "CPT-2026-PLA-Q1", date(2025, 10, 1), date(2026, 1, 1)),
        Expected(2026, "pla", "CPT-2026-PLA-Q2", date(2026, 1, 1), date(2026, 4, 1)),
        Expected(2026, "category3", "CPT-2026-CAT3-H2", date(2026, 1, 1), date(2026, 7, 1)),
        Expected(2026, "pla", "CPT-2026-PLA-Q3", date(2026, 4, 1), date(2026, 7, 1)),
        Expected(2026, "pla", "CPT-2026-PLA-Q4", date(2026, 7, 1), date(2026, 10, 1)),
    ]


def test_moved_dates_and_a_year_long_lead() -> None:
    calendar = CptCalendar(
        annual_release=(8, 15),
        category3_releases=((8, 31),),
        category3_effective_months=18,
        pla_releases=(),
    )
    assert expected_releases(calendar, 2026) == [
        Expected(2026, "annual", "CPT-2026", date(2025, 8, 15), date(2026, 1, 1)),
        # 2024-08-31 plus 18 months: February has no 31st, so its last day
        Expected(2026, "category3", "CPT-2026-CAT3-H1", date(2024, 8, 31), date(2026, 2, 28)),
    ]


def test_every_status_and_lateness() -> None:
    imports = [
        imported("annual", "CPT-2026", date(2026, 1, 1), datetime(2025, 9, 15, 10, 0)),
        imported("category3", "CPT-2026-CAT3-H1.2", date(2026, 1, 1), datetime(2025, 9, 1, 8, 0)),
        imported("category3", "CPT-2026-CAT3-H1", date(2026, 1, 1), datetime(2025, 7, 16, 9, 30)),
        imported("vaccine", "CPT-2026-VACCINE-2026-03-15", date(2026, 3, 15), datetime(2026, 1, 5)),
        imported("vaccine", "CPT-2027-VACCINE-2027-02-01", date(2027, 2, 1), datetime(2026, 1, 6)),
    ]
    assert cadence(DEFAULT, imports, as_of=date(2026, 1, 10), years=[2026]) == [
        CadenceEntry(
            2026, "annual", "CPT-2026", date(2025, 9, 1), date(2026, 1, 1),
            True, datetime(2025, 9, 15, 10, 0), "received", late=False,
        ),
        CadenceEntry(
            2026, "category3", "CPT-2026-CAT3-H1", date(2025, 7, 1), date(2026, 1, 1),
            True, datetime(2025, 7, 16, 9, 30), "received", late=True,
        ),
        pending(2026, "pla", "CPT-2026-PLA-Q1", date(2025, 10, 1), date(2026, 1, 1), "overdue"),
        CadenceEntry(
            2026, "vaccine", "CPT-2026-VACCINE-2026-03-15", None, date(2026, 3, 15),
            True, datetime(2026, 1, 5), "received",
        ),
        pending(2026, "pla", "CPT-2026-PLA-Q2", date(2026, 1, 1), date(2026, 4, 1), "due"),
        pending(2026, "category3", "CPT-2026-CAT3-H2", date(2026, 1, 1), date(2026, 7, 1), "due"),
        pending(2026, "pla", "CPT-2026-PLA-Q3", date(2026, 4, 1), date(2026, 7, 1), "upcoming"),
        pending(2026, "pla", "CPT-2026-PLA-Q4", date(2026, 7, 1), date(2026, 10, 1), "upcoming"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("as_of", "status"),
    [
        (date(2026, 8, 31), "upcoming"),
        (date(2026, 9, 1), "due"),
        (date(2026, 9, 15), "due"),
        (date(2026, 9, 16), "overdue"),
    ],
)
def test_status_boundaries(as_of: date, status: str) -> None:
    assert cadence(ANNUAL_ONLY, [], as_of=as_of, years=[2027]) == [
        pending(2027, "annual", "CPT-2027", date(2026, 9, 1), date(2027, 1, 1), status)
    ]


@pytest.mark.parametrize(
    ("at", "late"),
    [(datetime(2026, 9, 15, 23, 59), False), (datetime(2026, 9, 16, 0, 1), True)],
)
def test_late_means_after_the_grace_days(at: datetime, late: bool) -> None:
    imports = [imported("annual", "CPT-2027", date(2027, 1, 1), at)]
    [entry] = cadence(ANNUAL_ONLY, imports, as_of=date(2027, 6, 1), years=[2027])
    assert (entry.status, entry.late) == ("received", late)


def test_released_date_is_the_arrival_of_a_back_filled_year() -> None:
    imports = [
        imported("annual", "CPT-2024", date(2024, 1, 1), datetime(2026, 1, 8), date(2023, 9, 2)),
        imported("annual", "CPT-2025", date(2025, 1, 1), datetime(2026, 1, 8)),
    ]
    assert cadence(ANNUAL_ONLY, imports, as_of=date(2026, 1, 10), years=[2024, 2025]) == [
        CadenceEntry(
            2024, "annual", "CPT-2024", date(2023, 9, 1), date(2024, 1, 1),
            True, datetime(2026, 1, 8), "received", late=False, released=date(2023, 9, 2),
        ),
        CadenceEntry(
            2025, "annual", "CPT-2025", date(2024, 9, 1), date(2025, 1, 1),
            True, datetime(2026, 1, 8), "received", late=True,
        ),
    ]  # fmt: skip


def test_an_import_the_calendar_no_longer_expects_is_listed_as_received() -> None:
    imports = [imported("pla", "CPT-2026-PLA-Q2", date(2026, 4, 1), datetime(2026, 1, 2))]
    assert cadence(ANNUAL_ONLY, imports, as_of=date(2026, 1, 10), years=[2026]) == [
        CadenceEntry(
            2026, "annual", "CPT-2026", date(2025, 9, 1), date(2026, 1, 1),
            False, None, "overdue",
        ),
        CadenceEntry(
            2026, "pla", "CPT-2026-PLA-Q2", None, date(2026, 4, 1),
            True, datetime(2026, 1, 2), "received",
        ),
    ]  # fmt: skip


def test_a_file_counts_as_received_only_from_its_import_date() -> None:
    imports = [imported("annual", "CPT-2026", date(2026, 1, 1), datetime(2025, 9, 20))]
    before = cadence(ANNUAL_ONLY, imports, as_of=date(2025, 9, 19), years=[2026])
    on_the_day = cadence(ANNUAL_ONLY, imports, as_of=date(2025, 9, 20), years=[2026])
    assert [(e.status, e.imported) for e in before] == [("overdue", False)]
    assert [(e.status, e.imported, e.late) for e in on_the_day] == [("received", True, True)]


def test_imported_cpt_from_a_stored_release() -> None:
    info = ReleaseInfo("CPT", "CPT-2026-PLA-Q2.2", date(2026, 4, 1), 2, "pla.csv", "ab", "pla")
    assert ImportedCpt.from_release(info, datetime(2026, 1, 3), date(2026, 1, 1)) == ImportedCpt(
        "pla", "CPT-2026-PLA-Q2", date(2026, 4, 1), datetime(2026, 1, 3), date(2026, 1, 1)
    )


def test_default_years_run_from_the_first_import_to_next_year() -> None:
    imports = [imported("annual", "CPT-2023", date(2023, 1, 1), datetime(2025, 1, 1))]
    assert (
        default_years(imports, as_of=date(2025, 10, 1)),
        default_years([], as_of=date(2025, 10, 1)),
    ) == ([2023, 2024, 2025, 2026], [2025, 2026])


def test_needs_attention_is_due_and_overdue() -> None:
    entries = cadence(DEFAULT, [], as_of=date(2026, 1, 10), years=[2026])
    assert [(e.label, e.status) for e in needs_attention(entries)] == [
        ("CPT-2026", "overdue"),
        ("CPT-2026-CAT3-H1", "overdue"),
        ("CPT-2026-PLA-Q1", "overdue"),
        ("CPT-2026-PLA-Q2", "due"),
        ("CPT-2026-CAT3-H2", "due"),
    ]


def test_to_json() -> None:
    received = CadenceEntry(
        2026, "annual", "CPT-2026", date(2025, 9, 1), date(2026, 1, 1),
        True, datetime(2025, 9, 20, 14, 5), "received", late=True, released=date(2025, 9, 16),
    )  # fmt: skip
    vaccine = CadenceEntry(
        2026, "vaccine", "CPT-2026-VACCINE-2026-03-15", None, date(2026, 3, 15),
        False, None, "upcoming",
    )  # fmt: skip
    assert [to_json(received), to_json(vaccine)] == [
        {
            "year": 2026,
            "kind": "annual",
            "label": "CPT-2026",
            "expected_release": "2025-09-01",
            "effective": "2026-01-01",
            "imported": True,
            "imported_at": "2025-09-20T14:05:00",
            "released": "2025-09-16",
            "status": "received",
            "late": True,
        },
        {
            "year": 2026,
            "kind": "vaccine",
            "label": "CPT-2026-VACCINE-2026-03-15",
            "expected_release": None,
            "effective": "2026-03-15",
            "imported": False,
            "imported_at": None,
            "released": None,
            "status": "upcoming",
            "late": False,
        },
    ]


def test_render_text_table() -> None:
    imports = [
        imported("annual", "CPT-2026", date(2026, 1, 1), datetime(2025, 9, 20, 14, 5)),
        imported("vaccine", "CPT-2026-VACCINE-2026-03-15", date(2026, 3, 15), datetime(2026, 1, 5)),
    ]
    entries = cadence(ANNUAL_ONLY, imports, as_of=date(2026, 1, 10), years=[2026, 2027])
    assert render_cadence_text(entries) == (
        "year  kind     label                        expected    effective   imported          status\n"  # noqa: E501
        "2026  annual   CPT-2026                     2025-09-01  2026-01-01  2025-09-20 14:05  received (late)\n"  # noqa: E501
        "2026  vaccine  CPT-2026-VACCINE-2026-03-15  -           2026-03-15  2026-01-05 00:00  received\n"  # noqa: E501
        "2027  annual   CPT-2027                     2026-09-01  2027-01-01  -                 upcoming\n"  # noqa: E501
    )  # fmt: skip


def test_render_text_shows_released_when_known() -> None:
    imports = [
        imported("annual", "CPT-2024", date(2024, 1, 1), datetime(2026, 1, 8), date(2023, 9, 2))
    ]
    entries = cadence(ANNUAL_ONLY, imports, as_of=date(2026, 1, 10), years=[2024])
    assert render_cadence_text(entries) == (
        "year  kind    label     expected    effective   released    imported          status\n"
        "2024  annual  CPT-2024  2023-09-01  2024-01-01  2023-09-02  2026-01-08 00:00  received\n"
    )


def test_render_nothing() -> None:
    assert render_cadence_text([]) == "No CPT releases expected or imported.\n"


# --- configuration -------------------------------------------------------------------------


def test_from_config_defaults() -> None:
    assert CptCalendar.from_config(CptSettings()) == DEFAULT
    assert CptCalendar.from_config(CptSettings()) == CptCalendar(
        annual_release=(9, 1),
        category3_releases=((1, 1), (7, 1)),
        category3_effective_months=6,
        pla_releases=((1, 1), (4, 1), (7, 1), (10, 1)),
        pla_effective_months=3,
        grace_days=14,
    )


def test_from_config_moves_dates() -> None:
    table: dict[str, object] = {
        "annual_release": "08-15",
        "category3_releases": ["07-01", "01-01", "07-01"],
        "category3_effective_months": 7,
        "pla_releases": [],
        "pla_effective_months": 0,
        "grace_days": 30,
    }
    assert CptCalendar.from_config(parse_section(CptSettings, table)) == CptCalendar(
        annual_release=(8, 15),
        category3_releases=((1, 1), (7, 1)),
        category3_effective_months=7,
        pla_releases=(),
        pla_effective_months=0,
        grace_days=30,
    )
