from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest

from tests.test_parse import MOD_FIELDS
from tracker.config import SourceSettings
from tracker.errors import GuardError, InputError
from tracker.guard import Guard, Previous
from tracker.query import code_history, stored_diff
from tracker.records import HCPCS, ParsedRelease, Record, ReleaseInfo
from tracker.run.ingest import ReleaseFile, Storing, read_files, store_one, store_releases
from tracker.store import ImportResult, Store

# The [source] max_unpacked_mb default: the reader takes its cap from the config.
UNPACKED = SourceSettings().max_unpacked_bytes


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


def add(
    store: Store, parsed: ParsedRelease, guard: Guard | None = GUARD, *, force: bool = False
) -> ImportResult:
    """Store one release the way `tracker import` does."""
    return store_one(store, parsed, Storing(guard, force))


def test_import_is_idempotent_and_revisions_get_suffixes(store: Store) -> None:
    first = add(store, _release("2025-Q4", 10))
    again = add(store, _release("2025-Q4", 10, sha="other file, same records"))
    repost = add(store, _release("2025-Q4", 10, variant="x"))
    assert (first.status, again.status, repost.status) == ("imported", "already", "imported")
    assert again.release == first.release
    assert repost.release.info == ReleaseInfo(
        HCPCS, "2025-Q4.2", date(2025, 10, 1), 2, "2025-Q4.txt", "s", "quarterly"
    )
    assert repost.predecessor == first.release
    assert [r.info.label for r in store.catalog.releases()] == ["2025-Q4", "2025-Q4.2"]
    assert store.catalog.records("2025-Q4.2")["A0003"].get("long_description") == "Invented 3x"
    assert store.catalog.records("2025-Q4")["A0003"].get("long_description") == "Invented 3"


def test_unchanged_records_are_stored_once(store: Store) -> None:
    add(store, _release("2025", 100))
    add(store, _release("2025-Q2", 101))
    with store.transaction() as sql:
        count = sql.values("select count(*) from record_version")[0]
    assert count == 101


def test_guard_refuses_a_big_drop_and_stores_nothing(store: Store) -> None:
    add(store, _release("2025", 100))
    with pytest.raises(GuardError) as err:
        add(store, _release("2025-Q2", 89))
    assert str(err.value) == (
        "2025-Q2.txt: 89 codes, 11.0% fewer than 2025 (100), over the 10% limit "
        "(truncated or wrong file?); use --force if it is real"
    )
    assert [r.info.label for r in store.catalog.releases()] == ["2025"]
    forced = add(store, _release("2025-Q2", 89), force=True)
    assert forced.status == "imported"


def test_codes_vanishing_under_the_limit_are_stored_with_a_warning(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """A file cut at a record boundary loses a run of live codes: under [guard] max_removed it
    is stored, and whoever imports it is told which codes vanished."""
    add(store, _release("2025", 100))
    with caplog.at_level(logging.WARNING, logger="tracker.run.ingest"):
        assert add(store, _release("2025-Q2", 98)).status == "imported"
    assert caplog.messages == [
        "2025-Q2.txt: 2 code(s) of 2025 vanish without a termination date (A0098, A0099); CMS "
        "terminates a code before it drops it: check that the file is whole"
    ]


def test_guard_floor(store: Store) -> None:
    with pytest.raises(GuardError) as err:
        add(store, _release("2025", 4))
    assert str(err.value) == (
        "2025.txt: only 4 codes, below the floor of 5 (truncated or wrong file?); "
        "use --force if it is real"
    )
    assert store.catalog.releases() == []


def test_predecessor_follows_effective_dates_not_import_order(store: Store) -> None:
    add(store, _release("2026", 10))
    late = add(store, _release("2025-Q3", 10, variant="old"))
    assert late.predecessor is None
    assert [r.info.label for r in store.catalog.releases()] == ["2025-Q3", "2026"]
    newest = store.catalog.releases()[-1]
    prev = store.catalog.predecessor(newest.info)
    assert prev is not None and prev.info.label == "2025-Q3"


def test_code_versions(store: Store) -> None:
    add(store, _release("2025", 10))
    add(store, _release("2025-Q2", 9, variant="x"))
    versions = store.catalog.code_versions("A0009")
    assert [
        (r.info.label, rec.get("long_description") if rec else None) for r, rec in versions
    ] == [
        ("2025", "Invented 9"),
        ("2025-Q2", None),
    ]


def test_modifier_fields_roundtrip(store: Store) -> None:
    record = Record("ZX", {"code": "ZX", "tos": ("1", "P"), **MOD_FIELDS})
    parsed = ParsedRelease(HCPCS, "2025", date(2025, 1, 1), "f", "s", (record,))
    add(store, parsed, None)
    assert store.catalog.records("2025") == {"ZX": record}


def test_the_same_reports_on_postgresql(pg_url: str) -> None:
    from tests.golden import assert_golden
    from tracker.query import stored_diff
    from tracker.report.csv import render_csv
    from tracker.run.demo import DEMO_GUARD, sample_paths
    from tracker.run.ingest import import_files

    pg = Store(pg_url)  # a fresh database (tests/conftest.py)
    try:
        import_files(pg, sample_paths(), guard=DEMO_GUARD, max_unpacked=UNPACKED)
        assert [
            r.status
            for r in import_files(pg, sample_paths(), guard=DEMO_GUARD, max_unpacked=UNPACKED)
        ] == ["already"] * 3
        assert_golden("sample_2025_to_2025-Q2.csv", render_csv(stored_diff(pg, "2025", "2025-Q2")))
        assert_golden("sample_2025-Q2_to_2025-Q3.csv", render_csv(stored_diff(pg, "2025-Q3")))
    finally:
        pg.close()


def test_codes_vanishing_without_termination_are_refused(store: Store) -> None:
    add(store, _release("2025", 1000))
    cut = _release("2025-Q2", 1000)
    cut = ParsedRelease(
        cut.code_set, cut.base_label, cut.effective, "cut.txt", "c", cut.records[:940]
    )
    with pytest.raises(GuardError) as err:
        add(store, cut)
    assert str(err.value) == (
        "cut.txt: 60 codes of 2025 vanish without a termination date, over the limit of 50 "
        "(truncated or wrong file?); use --force if it is real"
    )
    assert [r.info.label for r in store.catalog.releases()] == ["2025"]


def test_terminated_codes_may_age_out(store: Store) -> None:
    old = _release("2025", 1000)
    terminated = tuple(
        Record(r.code, {**r.fields, "term_dt": "20201231"}) if i >= 900 else r
        for i, r in enumerate(old.records)
    )
    add(store, ParsedRelease(HCPCS, "2025", old.effective, "a", "a", terminated))
    aged = ParsedRelease(HCPCS, "2025-Q2", date(2025, 4, 1), "b", "b", terminated[:920])
    assert add(store, aged, Guard(max_drop=0.10, min_codes=5)).status == "imported"


def test_the_annual_file_comes_before_the_january_quarter(store: Store) -> None:
    quarter = _release("2026-Q1", 10, variant="q")
    annual = _release("2026", 10)
    add(store, quarter)
    add(store, annual)
    assert [r.info.label for r in store.catalog.releases()] == ["2026", "2026-Q1"]
    before = store.catalog.predecessor(store.catalog.release("2026-Q1").info)
    assert before is not None and before.info.label == "2026"


def test_several_releases_are_stored_all_or_none(store: Store) -> None:
    with pytest.raises(GuardError):
        store_releases(store, [_release("2025", 100), _release("2025-Q2", 50)], Storing(GUARD))
    assert store.catalog.releases() == []


def test_fields_cms_resets_do_not_make_a_new_revision(store: Store) -> None:
    first = _release("2025-Q3", 10)
    reset = ParsedRelease(
        HCPCS, "2025-Q3", first.effective, "repost.txt", "r",
        tuple(Record(r.code, {**r.fields, "act_eff_dt": "20250701", "action_cd": "N"})
              for r in first.records),
    )  # fmt: skip
    add(store, first)
    assert add(store, reset).status == "already"
    same_content_new_label = ParsedRelease(
        HCPCS, "2025-Q4", date(2025, 10, 1), "q4.txt", "q", first.records
    )
    with pytest.raises(GuardError) as err:
        add(store, same_content_new_label)
    assert str(err.value) == (
        "q4.txt: same records as 2025-Q3 (2025-Q3.txt): a wrong file or label? "
        "use --force to store them as 2025-Q4 too"
    )
    assert add(store, same_content_new_label, force=True).status == "imported"


def test_the_annual_file_imported_after_the_january_quarter_comes_before_it(store: Store) -> None:
    """Issue 8: `diff` and `history` both say 2026 -> 2026-Q1, whatever the import order."""
    add(store, _release("2025-Q4", 10, variant="a"))
    add(store, _release("2026-Q1", 10, variant="c"))
    add(store, _release("2026", 10, variant="b"))
    diff = stored_diff(store)
    assert (diff.old.label, diff.new.label) == ("2026", "2026-Q1")
    assert [
        (e.release.info.label, e.previous.info.label if e.previous else None, e.change.category)
        for e in code_history(store, "A0001")
    ] == [
        ("2025-Q4", None, "first_seen"),
        ("2026", "2025-Q4", "changed"),
        ("2026-Q1", "2026", "changed"),
    ]


def test_a_release_not_stored_yet_is_guarded_against_its_predecessor_once_stored(
    store: Store,
) -> None:
    """Issue 8: the 2026 annual file imported after 2026-Q1 follows 2025-Q4, not 2026-Q1
    (against 2026-Q1's 120 codes its 100 would be 16.7% fewer)."""
    add(store, _release("2025-Q4", 100))
    add(store, _release("2026-Q1", 120))
    annual = add(store, _release("2026", 100, variant="a"))
    assert annual.status == "imported"
    assert annual.predecessor is not None and annual.predecessor.info.label == "2025-Q4"


def test_releases_stored_one_by_one_collect_failures(store: Store) -> None:
    failures: list[str] = []
    results = store_releases(
        store,
        [_release("2025-Q2", 50), _release("2025", 100), _release("2025-Q3", 100, variant="z")],
        Storing(GUARD, reported=False),
        policy="each",
        failures=failures,
    )
    assert [(r.status, r.release.info.label) for r in results] == [
        ("imported", "2025"),
        ("imported", "2025-Q3"),
    ]
    assert failures == [
        "2025-Q2.txt: 50 codes, 50.0% fewer than 2025 (100), over the 10% limit "
        "(truncated or wrong file?); use --force if it is real"
    ]
    assert [r.info.label for r in store.catalog.unreported()] == ["2025", "2025-Q3"]


def test_files_read_one_by_one_collect_failures(tmp_path: Path) -> None:
    empty = tmp_path / "HCPC2025_ANWEB.txt"
    empty.write_bytes(b"")
    files = [ReleaseFile(empty, source="https://example.org/a.zip"), ReleaseFile(tmp_path / "x")]
    failures: list[str] = []
    assert read_files(files, max_unpacked=UNPACKED, policy="each", failures=failures) == []
    assert failures == [
        "https://example.org/a.zip: file is empty",
        f"{tmp_path / 'x'}: cannot read file (No such file or directory)",
    ]
    with pytest.raises(InputError, match="file is empty"):
        read_files(files, max_unpacked=UNPACKED)


def test_what_the_guard_is_told_of_a_stored_release(store: Store) -> None:
    records = (
        Record("A1", {"code": "A1", "term_dt": "20201231"}),
        Record("A2", {"code": "A2", "long_description": 'says "term_dt":"20201231"'}),
        Record("A3", {"code": "A3", "term_dt": ""}),
        Record("A4", {"code": "A4", "termxdt": "20201231"}),
        Record("A5", {"code": "A5"}),
    )
    stored = add(store, ParsedRelease(HCPCS, "2025", date(2025, 1, 1), "a", "a", records), None)
    with store.catalog.batch() as batch:
        previous = batch.previous(stored.release)
    assert previous == Previous("2025", 5, frozenset({"A2", "A3", "A4", "A5"}))


def test_an_in_memory_sqlite_database_goes_through_sqlalchemy() -> None:
    """No file to open with sqlite3: the engine's one connection holds the database; dates
    and times are written as for a file."""
    with Store("sqlite://") as store:
        add(store, _release("2025", 10))
        (stored,) = store.catalog.releases()
        with store.transaction() as sql:
            assert sql.values("SELECT effective FROM release") == ["2025-01-01"]
    assert stored.info.effective == date(2025, 1, 1) and stored.imported_at.tzinfo is not None
