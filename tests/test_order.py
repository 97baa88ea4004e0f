"""The one release order, and the predecessor it gives a release stored or not."""

from __future__ import annotations

from datetime import date

from tracker.order import (
    incoming_order,
    predecessor_of,
    provisional_info,
    release_order,
    successor_of,
)
from tracker.records import CPT, HCPCS, ParsedRelease, ReleaseInfo


def _info(label: str, revision: int = 1, code_set: str = HCPCS, kind: str = "") -> ReleaseInfo:
    base = label.split(".")[0].removeprefix("CPT-")
    year, _, quarter = base.partition("-Q")
    month = 3 * int(quarter) - 2 if quarter else 1
    kind = kind or ("quarterly" if quarter else "annual")
    return ReleaseInfo(code_set, label, date(int(year), month, 1), revision, "f", "s", kind)


def test_by_date_then_the_annual_file_then_revision_then_label() -> None:
    infos = [
        _info("2026-Q1"), _info("2025-Q4.2", 2), _info("2026"), _info("2025-Q4"),
        _info("2026-Q1.2", 2), _info("2025-Q3"),
    ]  # fmt: skip
    assert [i.label for i in sorted(infos, key=release_order)] == [
        "2025-Q3", "2025-Q4", "2025-Q4.2", "2026", "2026-Q1", "2026-Q1.2",
    ]  # fmt: skip


def test_a_release_not_stored_yet_follows_what_will_precede_it() -> None:
    stored = [_info("2025-Q4"), _info("2026-Q1")]
    assert predecessor_of(_info("2026"), stored, lambda i: i) == _info("2025-Q4")
    assert predecessor_of(_info("2026-Q1"), stored, lambda i: i) == _info("2025-Q4")
    assert predecessor_of(_info("2026-Q1.2", 2), stored, lambda i: i) == _info("2026-Q1")
    assert predecessor_of(_info("2025-Q4"), stored, lambda i: i) is None


def test_a_release_inserted_between_others_precedes_the_next_of_its_series() -> None:
    stored = [_info("2018"), _info("2020"), _info("2026-Q1.2", 2), _info("CPT-2019", code_set=CPT)]
    assert successor_of(_info("2019"), stored, lambda i: i) == _info("2020")
    assert successor_of(_info("2017"), stored, lambda i: i) == _info("2018")
    assert successor_of(_info("2026-Q1"), stored, lambda i: i) == _info("2026-Q1.2", 2)
    assert successor_of(_info("2026-Q1.2", 2), stored, lambda i: i) is None
    assert successor_of(_info("2026-Q2"), stored, lambda i: i) is None


def test_each_cpt_kind_is_its_own_series() -> None:
    stored = [_info("CPT-2025", code_set=CPT), _info("CPT-2026", code_set=CPT, kind="pla")]
    new = _info("CPT-2026", code_set=CPT)
    assert predecessor_of(new, stored, lambda i: i) == stored[0]
    assert predecessor_of(_info("2026"), stored, lambda i: i) is None


def test_a_parsed_file_sorts_as_the_first_revision_of_its_label() -> None:
    parsed = ParsedRelease(HCPCS, "2026-Q1", date(2026, 1, 1), "f", "s", (), "quarterly")
    assert provisional_info(parsed, 2) == ReleaseInfo(
        HCPCS, "2026-Q1.2", date(2026, 1, 1), 2, "f", "s", "quarterly"
    )
    assert incoming_order(parsed) == (date(2026, 1, 1), True, 1, "2026-Q1")
