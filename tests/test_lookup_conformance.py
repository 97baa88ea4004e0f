"""Successors and validity on the four real releases in ../shared/cms, read through the store:
checked by hand on a sample, and against the pure functions on every ended code."""

from __future__ import annotations

import json
from datetime import date

import pytest

from tests.cms_reports import RELEASE_ZIPS
from tests.conftest import shared_cms
from tracker.config import SourceSettings
from tracker.hcpcs.read import read_release
from tracker.query import stored_diff
from tracker.query.lookup import code_life, show, valid_codes
from tracker.records import Record, Successor
from tracker.report import render
from tracker.report.life import standing_text
from tracker.store import Store
from tracker.successors import lineage, successor_json, successors_of
from tracker.validity import Coverage, last_known, validity

UNPACKED = SourceSettings().max_unpacked_bytes
LABELS = ("2017", "2018", "2020", "2026-Q1")


@pytest.fixture(scope="module")
def real() -> dict[str, dict[str, Record]]:
    folder = shared_cms()
    return {
        label: {r.code: r for r in read_release(folder / name, max_unpacked=UNPACKED).records}
        for label, name in zip(LABELS, RELEASE_ZIPS, strict=True)
    }


@pytest.mark.parametrize(
    ("old", "new"), [("2017", "2018"), ("2018", "2020"), ("2020", "2026-Q1"), ("2017", "2026-Q1")]
)
def test_every_diff_gives_the_successors_the_pure_rules_give(
    real_store: Store, real: dict[str, dict[str, Record]], old: str, new: str
) -> None:
    diff = stored_diff(real_store, old, new)
    last = {code: record for records in real.values() for code, record in records.items()}
    added = [real[new][c.code] for c in diff.changes if c.category == "added"]
    known = lineage(real["2026-Q1"], last, added)
    ended = [c for c in diff.changes if c.category in ("deleted", "discontinued")]
    record = {"deleted": real[old], "discontinued": real[new]}
    assert ended
    for change in ended:
        pure = successors_of(record[change.category][change.code], known)
        # As JSON: with what equality leaves out (add dates, descriptions).
        assert [successor_json(s) for s in change.successors] == [successor_json(s) for s in pure]


def test_real_successors_by_hand(real_store: Store) -> None:
    def successors(old: str, new: str) -> dict[str, tuple[Successor, ...]]:
        return {c.code: c.successors for c in stored_diff(real_store, old, new).changes}

    diff = stored_diff(real_store, "2020", "2026-Q1")
    recent = {c.code: c.successors for c in diff.changes}
    ended = [c for c in diff.changes if c.category in ("deleted", "discontinued")]
    # Of 487: issue 10's 39, but G9904, whose namesake G0028 ended with it (tests/test_successors).
    assert sum(1 for c in ended if c.successors) == 38
    # Codes added and ended in between (transient) get theirs too: C9058 -> Q5120.
    transient = [c for c in diff.changes if c.explanation == "transient"]
    # Not J0576 (its namesake C9154 ended before it) nor M1219 (M1311 came the same day).
    assert sum(1 for c in transient if c.successors) == 112
    assert [s.code for s in recent["C9058"]] == ["Q5120"]
    assert recent["C9055"] == (Successor("J1632", "cms", "active", None),)
    assert recent["C9132"] == (Successor("J7168", "inferred", "active", None),)
    assert recent["G9904"] == ()
    # What a successor is, beside it in every report: J2400 "Injection, chloroprocaine
    # hydrochloride, per 30 ml" is replaced by J2401, billed per 1 mg.
    j2400 = next(c for c in diff.changes if c.code == "J2400")
    assert (j2400.category, j2400.description) == (
        "discontinued", "Injection, chloroprocaine hydrochloride, per 30 ml",
    )  # fmt: skip
    line = (
        "      successors: J2401 (inferred, active, from 2023-01-01): "
        "Injection, chloroprocaine hydrochloride, per 1 mg\n"
    )
    assert line in render(diff, "text")
    changes = {c["code"]: c for c in json.loads(render(diff, "json"))["changes"]}
    assert changes["J2400"]["successors"] == [
        {"code": "J2401", "description": "Injection, chloroprocaine hydrochloride, per 1 mg",
         "source": "inferred", "status": "active", "terminated": None, "added": "2023-01-01",
         "range": None, "ends": ["J2401"], "next": [], "cycle": []},
    ]  # fmt: skip
    # C9130 ended 2013-12-31 and aged out of the 2018 file: read from its 2017 record.
    assert successors("2017", "2018")["C9130"] == (Successor("J1556", "cms", "active", None),)


def test_real_lives(real_store: Store) -> None:
    a4373 = code_life(real_store, "A4373")
    assert (standing_text(a4373.standing), len(a4373.entries), a4373.successors) == (
        "still current in 2026-Q1", 1, (),
    )  # fmt: skip
    c9130 = code_life(real_store, "C9130")
    assert standing_text(c9130.standing) == "ended 2013-12-31, dropped after 2017 (aged out)"
    assert c9130.successors == (Successor("J1556", "cms", "active", None),)
    # A chain: C9136 -> Q9975 (ended 2015-12-31) -> J7205.
    c9136 = code_life(real_store, "C9136")
    assert standing_text(c9136.standing) == "ended 2015-03-31 (in 2026-Q1)"
    assert c9136.successors == (
        Successor(
            "Q9975", "cms", "ended", date(2015, 12, 31),
            next=(Successor("J7205", "cms", "active", None),),
        ),
    )  # fmt: skip
    # J2400 ended 2022-12-31 in the files after 2020: J2401 was added with its short description.
    j2400 = code_life(real_store, "J2400")
    assert [(e.release.info.label, e.change.category) for e in j2400.entries] == [
        ("2017", "first_seen"), ("2026-Q1", "discontinued"),
    ]  # fmt: skip
    assert j2400.successors == (Successor("J2401", "inferred", "active", None),)


def test_real_validity(real_store: Store) -> None:
    def status(code: str, on: date, known_in: str | None = None) -> str:
        return show(real_store, code, on, known_in=known_in).validity.status

    # G9976 vanished after 2018 without a termination date: ended the day before 2020.
    assert [status("G9976", d) for d in (date(2019, 12, 31), date(2020, 1, 1))] == [
        "valid",
        "ended",
    ]
    assert status("G9976", date(2018, 3, 31), known_in="2018") == "valid"  # what 2018 knew
    assert status("G9976", date(2021, 1, 1), known_in="2018") == "unconfirmed"  # past 2018-Q1
    # C9055: added 2020-01-01, terminated 2020-09-30, valid on that day and ended the next.
    days = [date(2019, 12, 31), date(2020, 1, 1), date(2020, 9, 30), date(2020, 10, 1)]
    assert [status("C9055", d) for d in days] == ["not_yet_valid", "valid", "valid", "ended"]
    assert show(real_store, "C9055", days[3]).successors == (
        Successor("J1632", "cms", "active", None),
    )
    assert status("C9055", date(2020, 3, 31), known_in="2020") == "valid"  # 2020 knew no end
    assert status("C9055", date(2021, 1, 1), known_in="2020") == "unconfirmed"
    # C9058: added 2019-11-15, first stored in 2026-Q1: a retroactive addition counts.
    assert status("C9058", date(2019, 12, 1)) == "valid"
    assert status("C9130", date(2016, 12, 31)) == "unknown"  # before the oldest release
    assert status("C9130", date(2017, 1, 1)) == "ended"


def test_real_codes_valid_on_a_date(real_store: Store, real: dict[str, dict[str, Record]]) -> None:
    on = date(2026, 1, 1)
    found = [k.record.code for k in valid_codes(real_store, on)]
    effective = {r.info.label: r.info.effective for r in real_store.catalog.releases()}
    latest = last_known(
        ((label, tuple(records.values())) for label, records in real.items()), effective
    )
    coverage = Coverage(date(2017, 1, 1), date(2026, 3, 31), "2026-Q1")
    expected = sorted(
        c for c, k in latest.items() if validity(c, on, k, coverage).status == "valid"
    )
    # G9976 and G9977 vanished after 2018 without a termination date: removed, not valid.
    assert (len(found), found) == (7686, expected)
    assert "G9976" not in found
    assert "C9055" not in found and "J1632" in found and "QM" in found
