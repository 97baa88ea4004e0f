"""Where a ZIP's text and workbook copies disagree is kept with the release, counted by
`tracker releases` and shown on every diff entry of the code (issue 9 item 2)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import shared_cms
from tests.release_files import Codes, both_copies, codes, run, write_config, write_text
from tracker.config import SourceSettings
from tracker.guard import Guard
from tracker.query import code_history, stored_diff
from tracker.records import HCPCS, CopyDisagreement, ParsedRelease, Record
from tracker.run.ingest import Storing, import_files, store_one
from tracker.store import Store

UNPACKED = SourceSettings().max_unpacked_bytes

PRICE3 = CopyDisagreement("A0003", "price", "", ("", "", "11"))  # C9248 in January 2026
WORDING = CopyDisagreement("A0005", "long_description", "Invented item 5", "Invented item 5, wb")
BOOK_ONLY = CopyDisagreement("A0099", "code", "", "A0099")


def _parsed(label: str, month: int, disagreements: tuple[CopyDisagreement, ...]) -> ParsedRelease:
    records = tuple(
        Record(f"A{i:04d}", {"code": f"A{i:04d}", "long_description": f"{label} {i}"})
        for i in range(6)
    )
    kind = "quarterly" if "-Q" in label else "annual"
    return ParsedRelease(
        HCPCS, label, date(2026, month, 1), f"{label}.zip", "s", records, kind, disagreements
    )


def test_disagreements_are_stored_with_the_release_and_go_with_it(store: Store) -> None:
    store_one(store, _parsed("2026-Q1", 1, ()), Storing(None))
    store_one(store, _parsed("2026-Q2", 4, (PRICE3, WORDING, BOOK_ONLY)), Storing(None))
    assert store.catalog.disagreements("2026-Q2") == (PRICE3, WORDING, BOOK_ONLY)
    assert store.catalog.disagreements("2026-Q1") == ()
    assert store.catalog.disagreement_counts() == {"2026-Q2": 3}
    assert store.catalog.code_disagreements("A0003") == {"2026-Q2": (PRICE3,)}
    store.catalog.remove("2026-Q2")
    assert store.catalog.disagreement_counts() == {}
    with store.transaction() as sql:
        assert sql.values("select count(*) from copy_disagreement") == [0]


def test_each_change_carries_the_disagreements_on_its_code_from_both_releases(
    store: Store,
) -> None:
    old_wording = CopyDisagreement("A0005", "short_description", "Old", "Old, wb")
    store_one(store, _parsed("2026-Q1", 1, (old_wording, PRICE3)), Storing(None))
    store_one(store, _parsed("2026-Q2", 4, (PRICE3, WORDING)), Storing(None))
    diff = stored_diff(store, "2026-Q1", "2026-Q2")
    by_code = {c.code: c.copies_disagree for c in diff.changes}
    assert by_code == {
        "A0000": (), "A0001": (), "A0002": (), "A0004": (),
        "A0003": (PRICE3,),  # both releases say it: once
        "A0005": (old_wording, WORDING),  # the old release's first
    }  # fmt: skip
    [entry] = [e for e in code_history(store, "A0005") if e.previous is not None]
    assert entry.change.copies_disagree == (old_wording, WORDING)


def _both(tmp_path: Path) -> Path:
    """The April 2026 ZIP: its workbook gives A0003 a third pricing indicator, words A0005
    otherwise and holds A0099, which the text lacks."""
    text: Codes = codes(range(6))
    book: Codes = codes(range(6))
    book[3] = (book[3][0], dict(book[3][1], price=("", "", "11")))
    book[5] = (book[5][0], dict(book[5][1], long_description="Invented item 5, wb"))
    book.append(("A0099", {"long_description": "Only in the workbook"}))
    path = tmp_path / "april-2026-alpha-numeric-hcpcs-file.zip"
    return both_copies(path, text, book, stem="HCPC2026_APR_ANWEB")


def test_releases_counts_and_every_diff_format_shows_them(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = write_config(tmp_path)
    old = write_text(tmp_path / "HCPC2026_JAN_ANWEB.txt", codes(range(6), variant=" old"))

    def cli(*argv: str) -> tuple[int, str, str]:
        return run(capsys, "--config", str(config), *argv)

    assert cli("import", str(old))[0] == 0
    assert "copies disagree" not in cli("releases")[1]  # no release has any: no column
    assert cli("import", str(_both(tmp_path)))[0] == 0
    out = cli("releases", "--json")[1]
    assert [(r["label"], r["copies_disagree"]) for r in json.loads(out)] == [
        ("2026-Q1", 0),
        ("2026-Q2", 3),
    ]
    out = cli("releases")[1]
    assert [line.split(" UTC  ")[1] for line in out.splitlines()] == [
        "copies disagree on    0  HCPC2026_JAN_ANWEB.txt",
        "copies disagree on    3  april-2026-alpha-numeric-hcpcs-file.zip:HCPC2026_APR_ANWEB.txt",
    ]
    diff = json.loads(cli("diff", "--format", "json")[1])
    assert {c["code"]: c["copies_disagree"] for c in diff["changes"] if c["copies_disagree"]} == {
        "A0003": [{"field": "price", "text": [], "workbook": ["", "", "11"]}],
        "A0005": [{"field": "long_description", "text": "Invented item 5",
                   "workbook": "Invented item 5, wb"}],
    }  # fmt: skip
    text = cli("diff")[1]
    assert "the ZIP's copies disagree on price" in text
    assert "copies_disagree" in cli("diff", "--format", "csv")[1].splitlines()[0]


def test_january_2026_keeps_its_118_disagreements_with_the_release(tmp_path: Path) -> None:
    """The real ZIP: its workbook gives C9248 PRICE3 "11", which the text lacks, and leaves
    the action effective date blank on 117 codes."""
    path = shared_cms() / "january-2026-alpha-numeric-hcpcs-file.zip"
    store = Store(f"sqlite:///{tmp_path / 'real.db'}")
    try:
        import_files(store, [path], guard=Guard(), max_unpacked=UNPACKED)
        assert store.catalog.disagreement_counts() == {"2026-Q1": 118}
        assert store.catalog.code_disagreements("C9248") == {
            "2026-Q1": (CopyDisagreement("C9248", "price", ("53",), ("53", "", "11")),)
        }
        fields = [d.field for d in store.catalog.disagreements("2026-Q1")]
        assert (fields.count("act_eff_dt"), fields.count("price")) == (117, 1)
    finally:
        store.close()
