from __future__ import annotations

import os
from datetime import date

import pytest

from tests.test_parse import MOD_FIELDS
from tracker.errors import GuardError
from tracker.guard import Guard
from tracker.records import HCPCS, ParsedRelease, Record, ReleaseInfo
from tracker.store import Store


def _release(label: str, codes: int, *, variant: str = "", sha: str = "s") -> ParsedRelease:
    records = tuple(
        Record(f"A{i:04d}", {"code": f"A{i:04d}", "long_description": f"Invented {i}{variant}"})
        for i in range(codes)
    )
    year, _, quarter = label.partition("-Q")
    month = 3 * int(quarter) - 2 if quarter else 1
    kind = "quarterly" if quarter else "annual"
    return ParsedRelease(
        HCPCS, label, date(int(year), month, 1), f"{label}.txt", sha, records, kind
    )


GUARD = Guard(max_drop=0.10, min_codes=5)


def test_import_is_idempotent_and_revisions_get_suffixes(store: Store) -> None:
    first = store.add_release(_release("2025-Q4", 10), guard=GUARD)
    again = store.add_release(_release("2025-Q4", 10, sha="other file, same records"), guard=GUARD)
    repost = store.add_release(_release("2025-Q4", 10, variant="x"), guard=GUARD)
    assert (first.status, again.status, repost.status) == ("imported", "already", "imported")
    assert again.release == first.release
    assert repost.release.info == ReleaseInfo(
        HCPCS, "2025-Q4.2", date(2025, 10, 1), 2, "2025-Q4.txt", "s", "quarterly"
    )
    assert repost.predecessor == first.release
    assert [r.info.label for r in store.releases()] == ["2025-Q4", "2025-Q4.2"]
    assert store.records("2025-Q4.2")["A0003"].get("long_description") == "Invented 3x"
    assert store.records("2025-Q4")["A0003"].get("long_description") == "Invented 3"


def test_unchanged_records_are_stored_once(store: Store) -> None:
    store.add_release(_release("2025", 100), guard=GUARD)
    store.add_release(_release("2025-Q2", 101), guard=GUARD)
    with store.session() as session:
        count = session.connection().exec_driver_sql("select count(*) from record_version").scalar()
    assert count == 101


def test_guard_refuses_a_big_drop_and_stores_nothing(store: Store) -> None:
    store.add_release(_release("2025", 100), guard=GUARD)
    with pytest.raises(GuardError) as err:
        store.add_release(_release("2025-Q2", 89), guard=GUARD)
    assert str(err.value) == (
        "2025-Q2.txt: 89 codes, 11.0% fewer than 2025 (100), over the 10% limit "
        "(truncated or wrong file?); use --force if it is real"
    )
    assert [r.info.label for r in store.releases()] == ["2025"]
    forced = store.add_release(_release("2025-Q2", 89), guard=GUARD, force=True)
    assert forced.status == "imported"


def test_guard_floor(store: Store) -> None:
    with pytest.raises(GuardError) as err:
        store.add_release(_release("2025", 4), guard=GUARD)
    assert str(err.value) == (
        "2025.txt: only 4 codes, below the floor of 5 (truncated or wrong file?); "
        "use --force if it is real"
    )
    assert store.releases() == []


def test_predecessor_follows_effective_dates_not_import_order(store: Store) -> None:
    store.add_release(_release("2026", 10), guard=GUARD)
    late = store.add_release(_release("2025-Q3", 10, variant="old"), guard=GUARD)
    assert late.predecessor is None
    assert [r.info.label for r in store.releases()] == ["2025-Q3", "2026"]
    newest = store.releases()[-1]
    prev = store.predecessor(newest.info)
    assert prev is not None and prev.info.label == "2025-Q3"


def test_code_versions(store: Store) -> None:
    store.add_release(_release("2025", 10), guard=GUARD)
    store.add_release(_release("2025-Q2", 9, variant="x"), guard=GUARD)
    versions = store.code_versions("A0009")
    assert [
        (r.info.label, rec.get("long_description") if rec else None) for r, rec in versions
    ] == [
        ("2025", "Invented 9"),
        ("2025-Q2", None),
    ]


def test_modifier_fields_roundtrip(store: Store) -> None:
    record = Record("ZX", {"code": "ZX", "tos": ("1", "P"), **MOD_FIELDS})
    parsed = ParsedRelease(HCPCS, "2025", date(2025, 1, 1), "f", "s", (record,))
    store.add_release(parsed)
    assert store.records("2025") == {"ZX": record}


@pytest.mark.skipif(
    not os.environ.get("TRACKER_TEST_PG_URL"),
    reason="set TRACKER_TEST_PG_URL=postgresql+psycopg://... to run the store on PostgreSQL",
)
def test_the_same_reports_on_postgresql() -> None:
    from sqlmodel import SQLModel

    from tests.golden import assert_golden
    from tracker.query import stored_diff
    from tracker.report.render import render_csv
    from tracker.run.demo import DEMO_GUARD, sample_paths
    from tracker.run.ingest import import_files

    pg = Store(os.environ["TRACKER_TEST_PG_URL"])
    SQLModel.metadata.drop_all(pg.engine)
    SQLModel.metadata.create_all(pg.engine)
    try:
        import_files(pg, sample_paths(), guard=DEMO_GUARD)
        assert [r.status for r in import_files(pg, sample_paths(), guard=DEMO_GUARD)] == [
            "already"
        ] * 3
        assert_golden("sample_2025_to_2025-Q2.csv", render_csv(stored_diff(pg, "2025", "2025-Q2")))
        assert_golden("sample_2025-Q2_to_2025-Q3.csv", render_csv(stored_diff(pg, "2025-Q3")))
    finally:
        SQLModel.metadata.drop_all(pg.engine)
        pg.close()


def test_codes_vanishing_without_termination_are_refused(store: Store) -> None:
    store.add_release(_release("2025", 1000), guard=GUARD)
    cut = _release("2025-Q2", 1000)
    cut = ParsedRelease(
        cut.code_set, cut.base_label, cut.effective, "cut.txt", "c", cut.records[:940]
    )
    with pytest.raises(GuardError) as err:
        store.add_release(cut, guard=GUARD)
    assert str(err.value) == (
        "cut.txt: 60 codes of 2025 vanish without a termination date, over the limit of 50 "
        "(truncated or wrong file?); use --force if it is real"
    )
    assert [r.info.label for r in store.releases()] == ["2025"]


def test_terminated_codes_may_age_out(store: Store) -> None:
    old = _release("2025", 1000)
    terminated = tuple(
        Record(r.code, {**r.fields, "term_dt": "20201231"}) if i >= 900 else r
        for i, r in enumerate(old.records)
    )
    store.add_release(
        ParsedRelease(HCPCS, "2025", old.effective, "a", "a", terminated), guard=GUARD
    )
    aged = ParsedRelease(HCPCS, "2025-Q2", date(2025, 4, 1), "b", "b", terminated[:920])
    assert store.add_release(aged, guard=Guard(max_drop=0.10, min_codes=5)).status == "imported"


def test_the_annual_file_comes_before_the_january_quarter(store: Store) -> None:
    quarter = _release("2026-Q1", 10, variant="q")
    annual = _release("2026", 10)
    store.add_release(quarter, guard=GUARD)
    store.add_release(annual, guard=GUARD)
    assert [r.info.label for r in store.releases()] == ["2026", "2026-Q1"]
    before = store.predecessor(store.release("2026-Q1").info)
    assert before is not None and before.info.label == "2026"


def test_several_releases_are_stored_all_or_none(store: Store) -> None:
    with pytest.raises(GuardError):
        store.add_releases([_release("2025", 100), _release("2025-Q2", 50)], guard=GUARD)
    assert store.releases() == []


def test_fields_cms_resets_do_not_make_a_new_revision(store: Store) -> None:
    first = _release("2025-Q3", 10)
    reset = ParsedRelease(
        HCPCS, "2025-Q3", first.effective, "repost.txt", "r",
        tuple(Record(r.code, {**r.fields, "act_eff_dt": "20250701", "action_cd": "N"})
              for r in first.records),
    )  # fmt: skip
    store.add_release(first, guard=GUARD)
    assert store.add_release(reset, guard=GUARD).status == "already"
    same_content_new_label = ParsedRelease(
        HCPCS, "2025-Q4", date(2025, 10, 1), "q4.txt", "q", first.records
    )
    assert store.add_release(same_content_new_label, guard=GUARD).status == "imported"
