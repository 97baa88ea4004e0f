"""Conformance on the real CMS releases in ../shared/cms (skipped when that folder is absent).

The golden reports in tests/golden/real_*.csv were checked by hand on a sample of codes
against the raw records (see the README's "How the diffs were verified").
"""

from __future__ import annotations

import zipfile
from collections import Counter
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest

from tests.cms_reports import RELEASE_ZIPS, expected_data_actions, expected_data_counts
from tests.conftest import FIXED_NOW, shared_cms
from tests.golden import assert_golden
from tracker.errors import GuardError, InputError
from tracker.guard import Guard
from tracker.hcpcs.read import parse_text, parse_workbook, read_release
from tracker.query import stored_diff
from tracker.report.render import render_csv
from tracker.run.ingest import import_files
from tracker.store import Store

LABELS = ["2017", "2018", "2020", "2026-Q1"]


@pytest.fixture(scope="module")
def real_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    folder = shared_cms()
    store = Store(
        f"sqlite:///{tmp_path_factory.mktemp('real') / 'real.db'}", clock=lambda: FIXED_NOW
    )
    import_files(store, [folder / name for name in RELEASE_ZIPS], guard=Guard())
    yield store
    store.close()


def _member(zip_name: str, suffix: str) -> bytes:
    with zipfile.ZipFile(shared_cms() / zip_name) as archive:
        (name,) = [
            n for n in archive.namelist()
            if "ANWEB" in n and n.endswith(suffix)
            and "Corrections" not in n and "Transaction" not in n
        ]  # fmt: skip
        return archive.read(name)


@pytest.mark.parametrize("name", RELEASE_ZIPS)
def test_action_codes_match_cms_change_report(name: str) -> None:
    path = shared_cms() / name
    parsed = read_release(path)
    got = {r.code: r.text("action_cd") for r in parsed.records}
    assert got == expected_data_actions(path)
    assert Counter(got.values()) == expected_data_counts(path)


def test_releases_and_code_counts(real_store: Store) -> None:
    assert [
        (r.info.label, r.info.effective.isoformat(), r.codes) for r in real_store.releases()
    ] == [
        ("2017", "2017-01-01", 6498),
        ("2018", "2018-01-01", 6559),
        ("2020", "2020-01-01", 7079),
        ("2026-Q1", "2026-01-01", 9006),
    ]


def _differences(text_zip: str) -> set[tuple[str, str, object, object]]:
    text = {r.code: r for r in parse_text("txt", _member(text_zip, ".txt"))}
    book = {r.code: r for r in parse_workbook("xlsx", _member(text_zip, ".xlsx"))}
    assert text.keys() == book.keys()
    return {
        (code, name, text[code].get(name), book[code].get(name))
        for code in text
        for name in text[code].fields.keys() | book[code].fields.keys()
        if text[code].get(name) != book[code].get(name)
    }


def test_january_2026_text_equals_workbook() -> None:
    differences = _differences("january-2026-alpha-numeric-hcpcs-file.zip")
    # CMS's own two copies disagree in two ways, both checked here exactly: the workbook leaves
    # the action effective date blank on 117 old codes (a field CMS resets and the diff does
    # not compare), and gives C9248 a third pricing indicator the text does not have.
    price = {d for d in differences if d[1] != "act_eff_dt"}
    assert price == {("C9248", "price", ("53",), ("53", "", "11"))}
    act_eff = [d for d in differences if d[1] == "act_eff_dt"]
    assert len(act_eff) == 117
    assert all(book == "" and len(str(text)) == 8 for _, _, text, book in act_eff)


def test_2018_text_equals_workbook() -> None:
    assert _differences("2018-Alpha-Numeric-HCPCS-File.zip") == set()


def test_2017_text_and_workbook_differ_only_in_three_action_dates() -> None:
    assert _differences("2017-Alpha-Numeric-HCPCS-File.zip") == {
        ("L5638", "act_eff_dt", "19960101", "19860101"),
        ("L5640", "act_eff_dt", "19960101", "19860101"),
        ("L5643", "act_eff_dt", "19860101", "19880101"),
    }


@pytest.mark.parametrize(("old", "new"), list(pairwise(LABELS)))
def test_consecutive_diffs_match_golden_reports(real_store: Store, old: str, new: str) -> None:
    assert_golden(f"real_{old}_to_{new}.csv", render_csv(stored_diff(real_store, old, new)))


def test_summaries(real_store: Store) -> None:
    summaries = [dict(stored_diff(real_store, o, n).summary) for o, n in pairwise(LABELS)]
    assert summaries == [
        {"added": 168, "deleted": 107, "discontinued": 29, "reactivated": 0, "changed": 153},
        {"added": 522, "deleted": 2, "discontinued": 104, "reactivated": 0, "changed": 214},
        {"added": 1927, "deleted": 0, "discontinued": 487, "reactivated": 0, "changed": 570},
    ]


def test_importing_again_changes_nothing(real_store: Store) -> None:
    results = import_files(real_store, [shared_cms() / n for n in RELEASE_ZIPS], guard=Guard())
    assert [r.status for r in results] == ["already"] * 4


def test_truncated_zip_is_refused(tmp_path: Path) -> None:
    data = (shared_cms() / "january-2026-alpha-numeric-hcpcs-file.zip").read_bytes()
    cut = tmp_path / "january-2026-alpha-numeric-hcpcs-file.zip"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError) as err:
        read_release(cut)
    assert str(err.value) == (
        f"{cut}: is not a readable ZIP (truncated or damaged download?); download it again"
    )


def test_truncated_text_file_is_refused_by_the_guard(real_store: Store, tmp_path: Path) -> None:
    text = _member("january-2026-alpha-numeric-hcpcs-file.zip", ".txt")
    lines = text.split(b"\r\n")
    cut = tmp_path / "HCPC2026_APR_ANWEB.txt"
    cut.write_bytes(b"\r\n".join(lines[: len(lines) * 2 // 3]))  # cut at a line boundary
    with pytest.raises(GuardError) as err:
        import_files(real_store, [cut], guard=Guard())
    assert str(err.value) == (
        "HCPC2026_APR_ANWEB.txt: 5841 codes, 35.1% fewer than 2026-Q1 (9006), over the 10% "
        "limit (truncated or wrong file?); use --force if it is real"
    )
    assert len(real_store.releases()) == 4
