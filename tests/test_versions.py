"""What the import's speed-ups must not change: record version ids whichever way the database
hands back new rows' ids, the two copies of a ZIP read at once, and the garbage collector."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from tests.anweb import anweb_text, anweb_workbook, workbook_row
from tests.release_files import write_zip
from tests.test_parse import J_FIELDS, MOD_FIELDS
from tracker.config import SourceSettings
from tracker.errors import InputError
from tracker.guard import Guard
from tracker.hcpcs.copies import compare_copies
from tracker.hcpcs.read import read_release
from tracker.hcpcs.text import parse_text
from tracker.hcpcs.workbook import parse_workbook
from tracker.records import Record
from tracker.run.ingest import ReleaseFile, Storing, read_files, store_releases
from tracker.store import Store
from tracker.store.versions import records_by_ids, version_ids

UNPACKED = SourceSettings().max_unpacked_bytes
ZIP_NAME = "april-2026-alpha-numeric-hcpcs-file.zip"
TEXT = "HCPC2026_APR_ANWEB.txt"
BOOK = "HCPC2026_APR_ANWEB.xlsx"


def _records(*descriptions: str) -> tuple[Record, ...]:
    return tuple(
        Record(f"A{i:04d}", {"code": f"A{i:04d}", "long_description": d, "price": ("51", "57")})
        for i, d in enumerate(descriptions)
    )


def test_new_versions_get_their_ids_and_known_ones_are_shared(store: Store) -> None:
    first, second = _records("One", "Two", "Three"), _records("One", "Two, changed", "Three", "4")
    with store.transaction() as sql:
        old = version_ids(sql, first)
        new = version_ids(sql, second)
        again = version_ids(sql, second)
        stored = records_by_ids(sql, new)
    assert len(set(old)) == 3
    assert (new[0], new[2]) == (old[0], old[2])  # unchanged records share their versions
    assert new[1] > max(old) and new[3] == new[1] + 1  # new versions, in record order
    assert again == new
    assert stored == {r.code: r for r in second}


def _zip(tmp_path: Path, members: dict[str, bytes]) -> Path:
    return write_zip(tmp_path / ZIP_NAME, members)


def test_both_copies_read_at_once_give_what_each_gives_alone(tmp_path: Path) -> None:
    text = anweb_text([("ZX", MOD_FIELDS), ("J9999", J_FIELDS)])
    book = anweb_workbook(
        [workbook_row("ZX", MOD_FIELDS), workbook_row("J9999", dict(J_FIELDS, mult_pi="B"))]
    )
    parsed = read_release(_zip(tmp_path, {TEXT: text, BOOK: book}), max_unpacked=UNPACKED)
    alone = parse_text("t", text)
    assert parsed.records == alone
    assert parsed.disagreements == compare_copies(alone, parse_workbook("b", book))
    assert [(d.code, d.field) for d in parsed.disagreements] == [("J9999", "mult_pi")]


def test_when_both_copies_are_bad_the_text_is_the_error(tmp_path: Path) -> None:
    path = _zip(tmp_path, {TEXT: b"not a record\r\n", BOOK: b"PK\x03\x04 not a workbook"})
    with pytest.raises(InputError) as error:
        read_release(path, max_unpacked=UNPACKED)
    assert str(error.value) == f"{path}:{TEXT}: no HCPCS records found"


@pytest.mark.parametrize("enabled", [True, False])
def test_reading_and_storing_leave_the_garbage_collector_as_they_were(
    store: Store, tmp_path: Path, enabled: bool
) -> None:
    path = tmp_path / "HCPC2026_APR_ANWEB.txt"
    path.write_bytes(anweb_text([("ZX", MOD_FIELDS), ("J9999", J_FIELDS)]))
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        parsed = read_files([ReleaseFile(path)], max_unpacked=UNPACKED)
        assert gc.isenabled() is enabled
        results = store_releases(store, parsed, Storing(Guard(min_codes=1)))
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()
    assert [r.status for r in results] == ["imported"]
