"""Conformance on the real CMS releases in ../shared/cms (skipped when that folder is absent).

The golden reports in tests/golden/real_*.csv were checked by hand on a sample of codes
against the raw records (see the README's "How the diffs were verified").
"""

from __future__ import annotations

import zipfile
from collections import Counter
from collections.abc import Iterable
from itertools import pairwise
from pathlib import Path

import pytest

from tests.cms_reports import RELEASE_ZIPS, expected_data_actions, expected_data_counts
from tests.conftest import shared_cms
from tests.golden import assert_golden
from tracker.config import SourceSettings
from tracker.errors import GuardError, InputError
from tracker.guard import Guard
from tracker.hcpcs.copies import compare_copies
from tracker.hcpcs.read import read_release
from tracker.hcpcs.text import parse_text
from tracker.hcpcs.workbook import parse_workbook
from tracker.query import stored_diff
from tracker.records import CopyDisagreement, ParsedRelease, Record
from tracker.report.csv import render_csv
from tracker.run.ingest import import_files
from tracker.store import Store

# The [source] max_unpacked_mb default: the reader takes its cap from the config.
UNPACKED = SourceSettings().max_unpacked_bytes

LABELS = ["2017", "2018", "2020", "2026-Q1"]


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
    parsed = read_release(path, max_unpacked=UNPACKED)
    got = {r.code: r.text("action_cd") for r in parsed.records}
    assert got == expected_data_actions(path)
    assert Counter(got.values()) == expected_data_counts(path)


def test_releases_and_code_counts(real_store: Store) -> None:
    releases = real_store.catalog.releases()
    assert [(r.info.label, r.info.effective.isoformat(), r.codes) for r in releases] == [
        ("2017", "2017-01-01", 6498),
        ("2018", "2018-01-01", 6559),
        ("2020", "2020-01-01", 7079),
        ("2026-Q1", "2026-01-01", 9006),
    ]


# The data files of each ZIP: the text, and its workbook copy (the legacy BIFF .xls in 2020).
COPIES = {
    "2017-Alpha-Numeric-HCPCS-File.zip": ("HCPC17_CONTR_ANWEB.txt", "HCPC17_CONTR_ANWEB.xlsx"),
    "2018-Alpha-Numeric-HCPCS-File.zip": (
        "HCPC2018_CONTR_ANWEB_disc.txt",
        "HCPC2018_CONTR_ANWEB_disc.xlsx",
    ),
    "2020-Alpha-Numeric-HCPCS-File.zip": (
        "HCPC2020_ANWEB_w_disclaimer.txt",
        "HCPC2020_ANWEB_w_disclaimer.xls",
    ),
    "january-2026-alpha-numeric-hcpcs-file.zip": (
        "HCPC2026_JAN_ANWEB_01122026.txt",
        "HCPC2026_JAN_ANWEB_01122026.xlsx",
    ),
}


def _copies(zip_name: str) -> tuple[tuple[Record, ...], tuple[Record, ...]]:
    """The records of a ZIP's text and of its workbook, each read on its own."""
    text, book = COPIES[zip_name]
    with zipfile.ZipFile(shared_cms() / zip_name) as archive:
        return parse_text(text, archive.read(text)), parse_workbook(book, archive.read(book))


def _rendered(disagreements: Iterable[CopyDisagreement]) -> str:
    def value(v: object) -> str:
        return "|".join(v) if isinstance(v, tuple) else str(v)

    lines = [f"{d.code},{d.field},{value(d.text)},{value(d.workbook)}\n" for d in disagreements]
    return "code,field,text,workbook\n" + "".join(lines)


@pytest.mark.parametrize("name", list(COPIES))
def test_both_copies_are_read_and_their_disagreements_kept(name: str) -> None:
    text, book = _copies(name)
    parsed = _read(name)
    assert parsed.records == text
    assert parsed.disagreements == compare_copies(text, book)
    # Every code is in both copies, and each copy gives the other's records but for the
    # fields pinned below.
    assert [r.code for r in book] == [r.code for r in text]
    differing = {d.code for d in parsed.disagreements}
    assert [r for r in book if r.code not in differing] == [
        r for r in text if r.code not in differing
    ]


def _read(zip_name: str) -> ParsedRelease:
    return read_release(shared_cms() / zip_name, max_unpacked=UNPACKED)


def test_january_2026_copies_disagree_on_118_fields() -> None:
    # CMS's own two copies disagree in two ways: the workbook leaves the action effective
    # date blank on 117 old codes (a field CMS resets and the diff does not compare), and gives
    # C9248 a third pricing indicator the text does not have. The golden file lists each.
    disagreements = _read("january-2026-alpha-numeric-hcpcs-file.zip").disagreements
    assert Counter(d.field for d in disagreements) == {"act_eff_dt": 117, "price": 1}
    assert [d for d in disagreements if d.field == "price"] == [
        CopyDisagreement("C9248", "price", ("53",), ("53", "", "11"))
    ]
    assert all(d.workbook == "" for d in disagreements if d.field == "act_eff_dt")
    assert_golden("copies_2026-Q1.csv", _rendered(disagreements))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "2017-Alpha-Numeric-HCPCS-File.zip",
            (
                CopyDisagreement("L5638", "act_eff_dt", "19960101", "19860101"),
                CopyDisagreement("L5640", "act_eff_dt", "19960101", "19860101"),
                CopyDisagreement("L5643", "act_eff_dt", "19860101", "19880101"),
            ),
        ),
        ("2018-Alpha-Numeric-HCPCS-File.zip", ()),
        ("2020-Alpha-Numeric-HCPCS-File.zip", ()),  # its legacy .xls included
    ],
)
def test_annual_copies_disagree_at_most_on_three_action_dates(
    name: str, expected: tuple[CopyDisagreement, ...]
) -> None:
    assert _read(name).disagreements == expected


def test_2020_xls_joins_g0503_continuation_row_as_the_text_does() -> None:
    # The .xls splits G0503's description over a RECID 3 and a RECID 4 row; the text wraps it
    # over 17 lines. Both give one record, the same.
    text, book = _copies("2020-Alpha-Numeric-HCPCS-File.zip")
    (from_text,) = [r for r in text if r.code == "G0503"]
    (from_book,) = [r for r in book if r.code == "G0503"]
    assert from_book == from_text
    assert str(from_text.get("long_description")).endswith(
        "and/or other treatment goals and are prepared for discharge from active treatment"
    )


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
    results = import_files(
        real_store, [shared_cms() / n for n in RELEASE_ZIPS], guard=Guard(), max_unpacked=UNPACKED
    )
    assert [r.status for r in results] == ["already"] * 4


def test_truncated_zip_is_refused(tmp_path: Path) -> None:
    data = (shared_cms() / "january-2026-alpha-numeric-hcpcs-file.zip").read_bytes()
    cut = tmp_path / "january-2026-alpha-numeric-hcpcs-file.zip"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError) as err:
        read_release(cut, max_unpacked=UNPACKED)
    assert str(err.value) == (
        f"{cut}: is not a readable ZIP (truncated or damaged download?); download it again"
    )


def test_truncated_text_file_is_refused_by_the_guard(real_store: Store, tmp_path: Path) -> None:
    text = _member("january-2026-alpha-numeric-hcpcs-file.zip", ".txt")
    lines = text.split(b"\r\n")
    cut = tmp_path / "HCPC2026_APR_ANWEB.txt"
    cut.write_bytes(b"\r\n".join(lines[: len(lines) * 2 // 3]))  # cut at a line boundary
    with pytest.raises(GuardError) as err:
        import_files(real_store, [cut], guard=Guard(), max_unpacked=UNPACKED)
    assert str(err.value) == (
        "HCPC2026_APR_ANWEB.txt: 5841 codes, 35.1% fewer than 2026-Q1 (9006), over the 10% "
        "limit (truncated or wrong file?); use --force if it is real"
    )
    assert len(real_store.catalog.releases()) == 4
