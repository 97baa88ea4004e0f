"""Validity on a date of service: fixtures in the ANWEB format for every boundary, then
conformance on the real releases in ../shared/cms."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path

import pytest

from tests.anweb import anweb_text
from tests.cms_reports import RELEASE_ZIPS
from tests.conftest import shared_cms
from tracker.config import SourceSettings
from tracker.hcpcs.read import read_release
from tracker.records import Record, Value
from tracker.validity import (
    Coverage,
    Known,
    Validity,
    check,
    last_known,
    quarter_end,
    service_date,
    validity,
)

# The [source] max_unpacked_mb default: the reader takes its cap from the config.
UNPACKED = SourceSettings().max_unpacked_bytes

Rows = Sequence[tuple[str, Mapping[str, Value]]]
FIRST = date(2025, 1, 1)  # the oldest stored release took effect then
# The releases 2025 and 2026 (effective January 1) speak for dates up to 2026-03-31.
COVERAGE = Coverage(FIRST, date(2026, 3, 31), "2026")

R2025: Rows = [
    ("J9001", {"long_description": "Drug", "add_dt": "20250401"}),
    ("J9002", {"long_description": "Later ended", "add_dt": "20200101"}),
]
R2026: Rows = [
    ("J9001", {"long_description": "Drug", "add_dt": "20250401", "term_dt": "20251231"}),
    ("J9002", {"long_description": "Later ended", "add_dt": "20200101", "term_dt": "20250630"}),
    # added retroactively: its add date precedes the 2025 release, which lacks it
    ("J9003", {"long_description": "Retroactive", "add_dt": "20240101"}),
    ("ZM", {"long_description": "A modifier", "add_dt": "20250101"}),
]


def _read(folder: Path, label: str, rows: Rows) -> tuple[str, tuple[Record, ...]]:
    path = folder / f"{label}.txt"
    path.write_bytes(anweb_text(rows))
    effective = date(int(label), 1, 1)
    return label, read_release(
        path, label=label, effective=effective, max_unpacked=UNPACKED
    ).records


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, tuple[Record, ...]]]:
    folder = tmp_path_factory.mktemp("validity")
    return [_read(folder, "2025", R2025), _read(folder, "2026", R2026)]


@pytest.fixture(scope="module")
def latest(releases: list[tuple[str, tuple[Record, ...]]]) -> dict[str, Known]:
    return last_known(releases)


def _on(code: str, on: date, known: Mapping[str, Known]) -> Validity:
    return validity(code, on, known.get(code), COVERAGE)


ADDED, ENDS = date(2025, 4, 1), date(2025, 12, 31)


def test_the_add_date_itself_is_valid(latest: dict[str, Known]) -> None:
    assert _on("J9001", ADDED, latest) == Validity(
        "J9001",
        ADDED,
        "valid",
        ADDED,
        ENDS,
        "2026",
        "valid: added 2025-04-01, terminated 2025-12-31",
    )


def test_the_day_before_the_add_date_is_not_yet_valid(latest: dict[str, Known]) -> None:
    on = date(2025, 3, 31)
    assert _on("J9001", on, latest) == Validity(
        "J9001", on, "not_yet_valid", ADDED, ENDS, "2026", "not yet valid: added 2025-04-01"
    )


def test_the_termination_date_itself_is_valid(latest: dict[str, Known]) -> None:
    assert _on("J9001", ENDS, latest).status == "valid"


def test_the_day_after_the_termination_date_is_ended(latest: dict[str, Known]) -> None:
    on = date(2026, 1, 1)
    assert _on("J9001", on, latest) == Validity(
        "J9001", on, "ended", ADDED, ENDS, "2026", "ended: terminated 2025-12-31"
    )


def test_a_code_without_termination_stays_valid_through_the_newest_release_s_quarter(
    latest: dict[str, Known],
) -> None:
    on = date(2026, 3, 31)
    added = date(2025, 1, 1)
    assert _on("ZM", on, latest) == Validity(
        "ZM", on, "valid", added, None, "2026", "valid: added 2025-01-01"
    )


def test_a_date_after_the_newest_release_s_quarter_is_unconfirmed(
    latest: dict[str, Known],
) -> None:
    on = date(2026, 4, 1)  # the April update, not stored, may end the code
    reason = (
        "unconfirmed: valid in 2026, which speaks for dates up to 2026-03-31; a later release "
        "may have ended it"
    )
    assert _on("ZM", on, latest) == Validity(
        "ZM", on, "unconfirmed", date(2025, 1, 1), None, "2026", reason
    )
    # What the stored releases say of a later date stands: ended, not yet valid, unknown.
    assert _on("J9001", date(2030, 1, 1), latest).status == "ended"
    assert _on("J9999", date(2030, 1, 1), latest).status == "unknown"


def test_the_coverage_ends_with_the_quarter_of_the_newest_release() -> None:
    days = [(1, 1), (3, 31), (4, 1), (8, 15), (12, 31)]
    assert [quarter_end(date(2026, m, d)) for m, d in days] == [
        date(2026, 3, 31), date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 30),
        date(2026, 12, 31),
    ]  # fmt: skip
    assert Coverage.of([("2025", FIRST), ("2026-Q2", date(2026, 4, 1))]) == Coverage(
        FIRST, date(2026, 6, 30), "2026-Q2"
    )
    assert Coverage.of([]) is None


def test_a_code_in_no_stored_release_is_unknown(latest: dict[str, Known]) -> None:
    on = date(2025, 6, 1)
    assert _on("J9999", on, latest) == Validity(
        "J9999", on, "unknown", None, None, None, "unknown: in no stored release"
    )


def test_a_date_before_the_oldest_release_is_unknown(latest: dict[str, Known]) -> None:
    on = date(2024, 12, 31)
    reason = "unknown: no release that old is stored (the oldest took effect 2025-01-01)"
    assert _on("J9002", on, latest) == Validity("J9002", on, "unknown", None, None, None, reason)
    assert _on("J9002", FIRST, latest).status == "valid"
    assert validity("J9002", on, latest["J9002"], None).reason == "unknown: no release is stored"


def test_latest_word_counts_a_retroactive_addition(latest: dict[str, Known]) -> None:
    assert _on("J9003", date(2025, 2, 1), latest).status == "valid"


def test_known_in_answers_with_what_that_release_knew(
    releases: list[tuple[str, tuple[Record, ...]]], latest: dict[str, Known]
) -> None:
    known_in_2025 = last_known(releases[:1])
    on = date(2025, 9, 1)
    assert _on("J9002", on, latest) == Validity(
        "J9002", on, "ended", date(2020, 1, 1), date(2025, 6, 30), "2026",
        "ended: terminated 2025-06-30",
    )  # fmt: skip
    assert _on("J9002", on, known_in_2025) == Validity(
        "J9002", on, "valid", date(2020, 1, 1), None, "2025", "valid: added 2020-01-01"
    )
    assert _on("J9003", date(2025, 2, 1), known_in_2025).status == "unknown"


@pytest.mark.parametrize(
    "text",
    ["2025-04-01", "20250401", "04/01/2025", "4/1/2025", " 2025-04-01 ", date(2025, 4, 1),
     datetime(2025, 4, 1, 0, 0)],
)  # fmt: skip
def test_date_formats(text: object) -> None:
    assert service_date(text) == date(2025, 4, 1)


@pytest.mark.parametrize(
    "text",
    ["", "2025-4-1", "2025/04/01", "01-04-2025", "2025-02-30", "20250230", "13/01/2025",
     "04/01/25", "2025-04-01T00:00", "April 1, 2025", "2025\uff10401", None, 20250401],
)  # fmt: skip
def test_bad_dates(text: object) -> None:
    assert service_date(text) is None


def test_check_marks_a_bad_date_and_does_not_raise(latest: dict[str, Known]) -> None:
    assert check("J9001", "31/12/2025", latest["J9001"], COVERAGE) == Validity(
        "J9001", None, "bad_date", None, None, None, "bad date: '31/12/2025'"
    )
    assert check("J9001", "12/31/2025", latest["J9001"], COVERAGE).status == "valid"


# Conformance on the real releases.


@pytest.fixture(scope="module")
def real() -> list[tuple[str, tuple[Record, ...]]]:
    folder = shared_cms()
    out = []
    for name in RELEASE_ZIPS:
        parsed = read_release(folder / name, max_unpacked=UNPACKED)
        out.append((parsed.base_label, parsed.records))
    return out


def test_real_validity(real: list[tuple[str, tuple[Record, ...]]]) -> None:
    first = Coverage(date(2017, 1, 1), date(2026, 3, 31), "2026-Q1")
    latest = last_known(real)

    def status(code: str, on: date, known: Mapping[str, Known] = latest) -> str:
        return validity(code, on, known.get(code), first).status

    # C9055: added 2020-01-01, terminated 2020-09-30 (the 2026-Q1 record), replaced by J1632.
    assert [status("C9055", date(*d)) for d in [(2019, 12, 31), (2020, 1, 1), (2020, 9, 30),
            (2020, 10, 1)]] == ["not_yet_valid", "valid", "valid", "ended"]  # fmt: skip
    assert status("J1632", date(2020, 10, 1)) == "valid"
    # The 2020 release did not yet know C9055 would end.
    assert status("C9055", date(2021, 1, 1), last_known(real[:3])) == "valid"
    # C9058 has an add date of 2019-11-15 but first appears in 2026-Q1: a retroactive addition.
    assert status("C9058", date(2019, 12, 1)) == "valid"
    assert status("C9058", date(2019, 12, 1), last_known(real[:3])) == "unknown"
    # C9130 ended 2013-12-31, before the oldest stored release (2017).
    c9130 = validity("C9130", date(2013, 12, 31), latest["C9130"], first)
    assert (c9130.status, c9130.reason) == (
        "unknown",
        "unknown: no release that old is stored (the oldest took effect 2017-01-01)",
    )
    assert validity("C9130", date(2017, 1, 1), latest["C9130"], first) == Validity(
        "C9130", date(2017, 1, 1), "ended", date(2013, 4, 1), date(2013, 12, 31), "2017",
        "ended: terminated 2013-12-31",
    )  # fmt: skip
    assert status("QM", date(2026, 1, 1)) == "valid"  # a modifier
