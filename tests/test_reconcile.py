"""Each change is reconciled with CMS's claims: lifecycle dates and an explanation."""

from __future__ import annotations

from collections import Counter
from datetime import date
from functools import cache

import pytest

from tests.conftest import shared_cms
from tracker.config import SourceSettings
from tracker.diff import diff_releases
from tracker.hcpcs.read import read_release
from tracker.reconcile import claimed_only, explain
from tracker.records import HCPCS, Change, Claim, Diff, ParsedRelease, Record, ReleaseInfo

# The [source] max_unpacked_mb default: the reader takes its cap from the config.
UNPACKED = SourceSettings().max_unpacked_bytes

OLD = ReleaseInfo(HCPCS, "2026", date(2026, 1, 1), 1, "a.txt", "a")
NEW = ReleaseInfo(HCPCS, "2026-Q3", date(2026, 7, 1), 1, "b.txt", "b", "quarterly")


def rec(code: str, **fields: str) -> Record:
    return Record(code, {"code": code, "long_description": f"Invented {code}", **fields})


def _explained(old: dict[str, Record], new: dict[str, Record]) -> dict[str, str | None]:
    return {c.code: c.explanation for c in diff_releases(OLD, old, NEW, new).changes}


def test_added_codes_take_the_first_rule_that_applies() -> None:
    new = {
        # ended before NEW, although CMS flags it A: transient comes first
        "C0001": rec("C0001", add_dt="20260401", term_dt="20260630", action_cd="A"),
        # add date on or before OLD, absent from OLD
        "C0002": rec("C0002", add_dt="20260101", action_cd="A", act_eff_dt="20260101"),
        "C0003": rec("C0003", add_dt="20260701", action_cd="A", act_eff_dt="20260701"),
        # flagged N by a later release, its action dated after OLD: an intermediate release
        "C0004": rec("C0004", add_dt="20260401", action_cd="N", act_eff_dt="20260401"),
        "C0005": rec("C0005", add_dt="20260401", action_cd="N", act_eff_dt="20260101"),
        # ends after NEW: still billable, not transient
        "C0006": rec("C0006", add_dt="20260701", term_dt="20260701", action_cd="A"),
    }
    assert _explained({}, new) == {
        "C0001": "transient",
        "C0002": "retroactive",
        "C0003": "agrees",
        "C0004": "mid_period",
        "C0005": "unflagged",
        "C0006": "agrees",
    }


def test_changes_agree_with_their_own_letters_only() -> None:
    old = {c: rec(c) for c in ("E0001", "E0002", "E0003", "E0004", "E0005", "E0006")}
    old["E0004"] = rec("E0004", term_dt="20251231")
    new = {
        "E0001": rec("E0001", term_dt="20260930", action_cd="D", act_eff_dt="20260701"),
        "E0002": rec("E0002", term_dt="20260930", action_cd="C", act_eff_dt="20260401"),
        "E0003": rec("E0003", betos="D1A", action_cd="T"),
        "E0004": rec("E0004", action_cd="R", act_eff_dt="20260101"),
        "E0005": rec("E0005", betos="D1A", action_cd="N", act_eff_dt="20170101"),
        "E0006": rec("E0006", betos="D1A", action_cd="D"),
    }
    assert _explained(old, new) == {
        "E0001": "agrees",
        "E0002": "mid_period",
        "E0003": "agrees",
        "E0004": "agrees",
        "E0005": "unflagged",
        "E0006": "unflagged",
    }


def test_lifecycle_dates_come_from_the_new_record_or_the_old_for_a_deleted_code() -> None:
    old = {"G0001": rec("G0001", add_dt="20100101", term_dt="20211231", act_eff_dt="20211231")}
    new = {"G0002": rec("G0002", add_dt="20260701", act_eff_dt="20260701", action_cd="A")}
    assert diff_releases(OLD, old, NEW, new).changes == (
        Change("G0001", "deleted", "", "Invented G0001", reason="aged_out",
               explanation="aged_out", added=date(2010, 1, 1),
               action_effective=date(2021, 12, 31), terminated=date(2021, 12, 31)),
        Change("G0002", "added", "A", "Invented G0002", explanation="agrees",
               added=date(2026, 7, 1), action_effective=date(2026, 7, 1)),
    )  # fmt: skip


def test_claims_with_no_field_change_are_listed_apart() -> None:
    old = {"J0001": rec("J0001"), "J0002": rec("J0002"), "J0003": rec("J0003")}
    new = {
        # only the fields CMS resets moved: no change, but CMS claims one after OLD
        "J0001": rec("J0001", action_cd="P", act_eff_dt="20260401"),
        "J0002": rec("J0002", action_cd="P", act_eff_dt="20260101"),  # dated on OLD: old news
        "J0003": rec("J0003", action_cd="N", act_eff_dt="20260401"),
    }
    diff = diff_releases(OLD, old, NEW, new)
    assert diff == Diff(OLD, NEW, (), dict.fromkeys(diff.summary, 0), {},
                        (Claim("J0001", "P", date(2026, 4, 1)),))  # fmt: skip


def test_claims_of_codes_that_changed_are_not_listed_apart() -> None:
    shared = rec("J0009", action_cd="A", act_eff_dt="20260501")
    assert claimed_only([shared], frozenset(), OLD.effective) == (
        Claim("J0009", "A", date(2026, 5, 1)),
    )
    assert claimed_only([shared], frozenset({"J0009"}), OLD.effective) == ()


def test_blank_or_malformed_dates_explain_nothing() -> None:
    change = Change("K0001", "changed", "N", "x")
    assert explain(change, OLD.effective, NEW.effective) == "unflagged"


# --- the real releases --------------------------------------------------------------------


@cache
def _real(name: str) -> ParsedRelease:
    return read_release(shared_cms() / name, max_unpacked=UNPACKED)


def _real_diff(old_zip: str, new_zip: str) -> Diff:
    old, new = _real(old_zip), _real(new_zip)

    def info(p: ParsedRelease) -> ReleaseInfo:
        return ReleaseInfo(p.code_set, p.base_label, p.effective, 1, p.source_name, p.sha256)

    return diff_releases(
        info(old), {r.code: r for r in old.records}, info(new), {r.code: r for r in new.records}
    )


def _counts(diff: Diff) -> dict[str, dict[str, int]]:
    tally: dict[str, Counter[str]] = {}
    for c in diff.changes:
        tally.setdefault(c.category, Counter())[str(c.explanation)] += 1
    return {category: dict(sorted(t.items())) for category, t in sorted(tally.items())}


# Counted by an independent reader of the shared files (issue 9).
@pytest.mark.parametrize(
    ("old_zip", "new_zip", "expected"),
    [
        (
            "2017-Alpha-Numeric-HCPCS-File.zip",
            "2018-Alpha-Numeric-HCPCS-File.zip",
            {
                "added": {"agrees": 152, "retroactive": 2, "transient": 14},
                "changed": {"agrees": 135, "unflagged": 18},
                "deleted": {"aged_out": 107},
                "discontinued": {"agrees": 26, "unflagged": 3},
            },
        ),
        (
            "2018-Alpha-Numeric-HCPCS-File.zip",
            "2020-Alpha-Numeric-HCPCS-File.zip",
            {
                "added": {"agrees": 250, "mid_period": 224, "retroactive": 3, "transient": 45},
                "changed": {"agrees": 67, "mid_period": 125, "unflagged": 22},
                "deleted": {"removed": 2},
                "discontinued": {"agrees": 71, "mid_period": 33},
            },
        ),
    ],
)
def test_real_reconciliation_matches_an_independent_count(
    old_zip: str, new_zip: str, expected: dict[str, dict[str, int]]
) -> None:
    diff = _real_diff(old_zip, new_zip)
    assert _counts(diff) == expected
    assert diff.claimed_only == ()


def test_real_codes_checked_by_hand() -> None:
    """Sampled from each explanation and read against the raw records."""
    diff = _real_diff("2017-Alpha-Numeric-HCPCS-File.zip", "2018-Alpha-Numeric-HCPCS-File.zip")
    by_code = {c.code: c for c in diff.changes}
    # C1842 and G0659: absent from 2017, yet added 2017-01-01
    assert (by_code["C1842"].explanation, by_code["C1842"].added) == (
        "retroactive",
        date(2017, 1, 1),
    )
    assert by_code["G0659"].explanation == "retroactive"
    # C9484: added and ended within 2017
    c9484 = by_code["C9484"]
    assert (c9484.explanation, c9484.added, c9484.terminated) == (
        "transient",
        date(2017, 4, 1),
        date(2017, 12, 31),
    )
    # E0210's type of service changed while CMS says N, dated 2017-01-01 or before
    e0210 = by_code["E0210"]
    assert (e0210.category, e0210.action, e0210.explanation) == ("changed", "N", "unflagged")
    assert [f.field for f in e0210.fields] == ["tos"]
    assert by_code["A9599"].explanation == "agrees"  # discontinued, action D
    assert by_code["C1204"].explanation == "aged_out"


def test_real_2018_to_2020_codes_checked_by_hand() -> None:
    """Read against the raw records of HCPC2018_CONTR_ANWEB_disc.txt and
    HCPC2020_ANWEB_w_disclaimer.txt (add date, action date, termination date, action code)."""
    diff = _real_diff("2018-Alpha-Numeric-HCPCS-File.zip", "2020-Alpha-Numeric-HCPCS-File.zip")
    by_code = {c.code: c for c in diff.changes}
    found = {
        code: (by_code[code].category, by_code[code].action, by_code[code].explanation)
        for code in ("G9868", "C9030", "A4563", "C9488", "C8904", "B4185", "G9976")
    }
    assert found == {
        "G9868": ("added", "N", "retroactive"),  # absent in 2018, add date 2018-01-01
        "C9030": ("added", "N", "transient"),  # added 2018-07-01, ended 2018-12-31
        "A4563": ("added", "N", "mid_period"),  # added by the action of 2019-01-01
        "C9488": ("changed", "N", "unflagged"),  # ASC group and date moved; action of 2017
        "C8904": ("discontinued", "N", "mid_period"),  # ended 2018-12-31, action of 2019
        "B4185": ("changed", "C", "agrees"),  # long description changed, action C
        "G9976": ("deleted", "", "removed"),  # gone without a termination date
    }
    assert (by_code["C9030"].added, by_code["C9030"].terminated) == (
        date(2018, 7, 1),
        date(2018, 12, 31),
    )
