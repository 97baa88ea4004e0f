"""Hand-built diffs for the report tests (xlsx, html, email text): invented codes, one of each
kind a reviewer must see."""

from __future__ import annotations

from collections import Counter
from datetime import date

from tracker.diff import CATEGORIES
from tracker.reconcile import count_explanations
from tracker.records import (
    CPT,
    HCPCS,
    Change,
    Claim,
    CopyDisagreement,
    Diff,
    FieldChange,
    Impact,
    ReleaseInfo,
    Successor,
    WatchedChange,
)

OLD = ReleaseInfo(HCPCS, "2025", date(2025, 1, 1), 1, "2025-anweb.zip", "a" * 64)
NEW = ReleaseInfo(HCPCS, "2026-Q1", date(2026, 1, 1), 1, "2026-q1-anweb.zip", "b" * 64, "quarterly")

G8442_OLD = (
    "Documentation of patient's current medications & <dose> not performed, reason not given "
    "(invented text for a test)"
)
G8442_NEW = (
    "Documentation of patient's current medications & <dose> not performed at the time of the "
    "encounter, reason not given (invented text for a test)"
)

# Ends the chain C9901 -> J7168 -> J7169; its description needs escaping in HTML.
J7169 = Successor("J7169", "cms", "active", None, description="Invented drug & <diluent>, 5 mg")

CHANGES = (
    Change("A9991", "deleted", "", 'Invented kit & <tray> for "tests"', reason="removed",
           explanation="removed", added=date(2019, 1, 1)),
    Change("A9992", "deleted", "", "Invented aged-out supply", reason="aged_out",
           explanation="aged_out", added=date(2010, 1, 1), terminated=date(2021, 12, 31),
           successors=(Successor("A9993", "cms", "active", None,
                                 description="Invented supply, per kit; sterile"),)),
    Change("C9901", "discontinued", "D", "Invented temporary drug, 1 mg",
           (FieldChange("term_dt", "", "20251231"),), explanation="agrees",
           added=date(2024, 7, 1), action_effective=date(2026, 1, 1),
           terminated=date(2025, 12, 31),
           successors=(Successor("J1632", "cms", "active", None,
                                 description="Invented permanent drug, 1 mg"),
                       Successor("J7168", "inferred", "ended", date(2025, 6, 30),
                                 description="Invented temporary drug, 10 mg", next=(J7169,)))),
    Change("C9902", "discontinued", "N", "Invented device, no successor",
           (FieldChange("term_dt", "", "20251231"),), explanation="unflagged",
           added=date(2023, 1, 1), terminated=date(2025, 12, 31)),
    Change("G8442", "changed", "B", G8442_NEW,
           (FieldChange("long_description", G8442_OLD, G8442_NEW),
            FieldChange("price", ("51",), ("11",))),
           explanation="agrees", added=date(2009, 1, 1), action_effective=date(2026, 1, 1),
           copies_disagree=(CopyDisagreement("G8442", "price", ("11",), ("11", "57")),)),
    Change("J9901", "added", "A", "Invented injection, transient", explanation="transient",
           added=date(2025, 7, 1), action_effective=date(2025, 7, 1),
           terminated=date(2025, 9, 30)),
    Change("J9902", "added", "A", "Invented injection, retroactive", explanation="retroactive",
           added=date(2024, 10, 1), action_effective=date(2025, 10, 1)),
    Change("J9903", "added", "A", "Invented injection, 10 mg", explanation="agrees",
           added=date(2026, 1, 1), action_effective=date(2026, 1, 1)),
    Change("K0001", "reactivated", "R", "Invented wheelchair part",
           (FieldChange("term_dt", "20241231", ""),), explanation="agrees",
           added=date(2001, 1, 1), action_effective=date(2026, 1, 1)),
    Change("K0002", "changed", "F", "Invented cushion",
           (FieldChange("short_description", "Cushion", "Seat cushion"),
            FieldChange("mult_pi", "A", ""),
            FieldChange("xref", (), ("K0003",))),
           explanation="mid_period", added=date(2001, 1, 1), action_effective=date(2025, 4, 1)),
)  # fmt: skip


def sample_diff() -> Diff:
    tally = Counter(c.category for c in CHANGES)
    return Diff(
        OLD,
        NEW,
        CHANGES,
        {k: tally[k] for k in CATEGORIES},
        count_explanations(CHANGES),
        (Claim("L0001", "C", date(2025, 7, 1)),),
    )


def sample_impact() -> Impact:
    by_code = {c.code: c for c in CHANGES}
    return Impact(
        "Cardiology & <Cath lab>",
        412,
        (
            WatchedChange(by_code["C9901"], {"department": "Pharmacy", "price": "12.00"}),
            WatchedChange(by_code["G8442"], {"department": "Quality"}),
            WatchedChange(by_code["K0002"], {"department": "DME", "price": "80.00"}),
        ),
        ("Z9999",),
    )


CPT_OLD = ReleaseInfo(CPT, "CPT-2025", date(2025, 1, 1), 1, "cpt2025.zip", "c" * 64)
CPT_NEW = ReleaseInfo(CPT, "CPT-2026", date(2026, 1, 1), 1, "cpt2026.zip", "d" * 64)
CPT_CHANGES = (
    Change("00100", "changed", "", "Anesthesia for procedures on salivary glands, with biopsy",
           (FieldChange("long_descriptor",
                        "Anesthesia for procedures on salivary glands",
                        "Anesthesia for procedures on salivary glands, with biopsy"),)),
    Change("0001U", "added", "", "Invented PLA test"),
    Change("99999", "deleted", "", "Invented retired service", reason="removed"),
)  # fmt: skip


def cpt_diff() -> Diff:
    tally = Counter(c.category for c in CPT_CHANGES)
    return Diff(CPT_OLD, CPT_NEW, CPT_CHANGES, {k: tally[k] for k in CATEGORIES}, {}, ())
