from __future__ import annotations

from datetime import date

from tracker.diff import diff_releases
from tracker.records import CPT, HCPCS, Change, Diff, FieldChange, Record, ReleaseInfo

OLD = ReleaseInfo(HCPCS, "2026", date(2026, 1, 1), 1, "a.txt", "a")
NEW = ReleaseInfo(HCPCS, "2026-Q2", date(2026, 4, 1), 1, "b.txt", "b", "quarterly")


def rec(code: str, **fields: str | tuple[str, ...]) -> Record:
    return Record(code, {"code": code, "long_description": f"Invented {code}", **fields})


def test_each_code_in_exactly_one_category() -> None:
    old = {
        "A0001": rec("A0001"),
        "A0002": rec("A0002", term_dt="20201231"),
        "A0003": rec("A0003"),
        "A0004": rec("A0004", term_dt="20251231"),
        "A0005": rec("A0005", price=("51",), action_cd="A", act_eff_dt="20250101", seq_num="00100"),
        "A0006": rec("A0006"),
        "A0007": rec("A0007", term_dt="20251231"),
    }
    new = {
        "A0003": rec("A0003", term_dt="20260331", action_cd="D"),
        "A0004": rec("A0004", action_cd="R"),
        "A0005": rec(
            "A0005", price=("51", "57"), action_cd="N", act_eff_dt="20260401", seq_num="00200"
        ),
        "A0006": rec("A0006", action_cd="N", act_eff_dt="20260401"),
        "A0007": rec("A0007", term_dt="20260101", action_cd="F"),
        "B0001": rec("B0001", action_cd="A"),
    }
    assert diff_releases(OLD, old, NEW, new) == Diff(
        OLD,
        NEW,
        (
            Change("A0001", "deleted", "", "Invented A0001", reason="removed",
                   explanation="removed"),
            Change("A0002", "deleted", "", "Invented A0002", reason="aged_out",
                   explanation="aged_out", terminated=date(2020, 12, 31)),
            Change("A0003", "discontinued", "D", "Invented A0003",
                   (FieldChange("term_dt", "", "20260331"),), explanation="agrees",
                   terminated=date(2026, 3, 31)),
            Change("A0004", "reactivated", "R", "Invented A0004",
                   (FieldChange("term_dt", "20251231", ""),), explanation="agrees"),
            Change("A0005", "changed", "N", "Invented A0005",
                   (FieldChange("price", ("51",), ("51", "57")),), explanation="mid_period",
                   action_effective=date(2026, 4, 1)),
            Change("A0007", "changed", "F", "Invented A0007",
                   (FieldChange("term_dt", "20251231", "20260101"),), explanation="agrees",
                   terminated=date(2026, 1, 1)),
            Change("B0001", "added", "A", "Invented B0001", explanation="agrees"),
        ),
        {"added": 1, "deleted": 2, "discontinued": 1, "reactivated": 1, "changed": 2},
        {"removed": 1, "mid_period": 1, "agrees": 4, "aged_out": 1},
        (),  # A0006: action N is no claim
    )  # fmt: skip


def test_fields_in_layout_order() -> None:
    old = {"A0001": rec("A0001", short_description="x", price=("51",), term_dt="")}
    new = {"A0001": rec("A0001", long_description="y", short_description="z", price=("52",))}
    (change,) = diff_releases(OLD, old, NEW, new).changes
    assert [f.field for f in change.fields] == ["long_description", "short_description", "price"]


def test_cpt_descriptor_kind_missing_from_a_whole_release_is_not_a_change() -> None:
    old_info = ReleaseInfo(CPT, "CPT-2025", date(2025, 1, 1), 1, "LONGULT.txt", "a")
    new_info = ReleaseInfo(CPT, "CPT-2026", date(2026, 1, 1), 1, "pkg", "b")
    old = {"99990": Record("99990", {"long_descriptor": "Invented alpha"})}
    new = {
        "99990": Record(
            "99990", {"long_descriptor": "Invented alpha, revised", "short_descriptor": "Inv a"}
        ),
        "99991": Record("99991", {"long_descriptor": "Invented beta", "short_descriptor": "Inv b"}),
    }
    diff = diff_releases(old_info, old, new_info, new)
    assert diff.changes == (
        Change("99990", "changed", "", "Invented alpha, revised",
               (FieldChange("long_descriptor", "Invented alpha", "Invented alpha, revised"),)),
        Change("99991", "added", "", "Invented beta"),
    )  # fmt: skip
