"""The impact of a diff on the organisation's watchlists: the pure core, `tracker impact` on the
bundled sample releases and on CPT, and conformance on the real 2020 -> 2026-Q1 diff."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import shared_cms
from tracker.cli import main
from tracker.impact import impact_line, impact_lines, impacts
from tracker.query import impacts_for, stored_diff
from tracker.records import Change, Diff, FieldChange, Impact, ReleaseInfo, Successor, WatchedChange
from tracker.run.demo import DEMO_GUARD, sample_paths
from tracker.run.ingest import import_files
from tracker.sources.watchlist import WatchedRow, Watchlist, parse_table
from tracker.store import Store

OLD = ReleaseInfo("HCPCS", "2025", date(2025, 1, 1), 1, "old.txt", "0" * 64)
NEW = ReleaseInfo("HCPCS", "2025-Q2", date(2025, 4, 1), 1, "new.txt", "1" * 64, "quarterly")
J1632 = Successor("J1632", "cms", "active", None)
C9055 = Change("C9055", "discontinued", "D", "Injection, brexanolone, 1mg", successors=(J1632,))
ADDED = Change("J1632", "added", "A", "Injection, brexanolone, 1 mg")
OTHER = Change("K0001", "changed", "C", "Wheelchair", (FieldChange("price", "46", "00"),))
DIFF = Diff(OLD, NEW, (C9055, ADDED, OTHER))

CDM = (
    "CPT/HCPCS,Description,Department,Price\n"
    "A9902,Catheter kit,Supply,12.50\n"
    "J9901,Sampledrug,Pharmacy,3\n"
    "J9901,Sampledrug vial,Oncology,4\n"
    "K9901,Wheelchair part,DME,100\n"
    "L9901,Orthosis,DME,\n"
    "100,Anesthesia,OR,\n"
    "ZZZZZ,Typo,,\n"
)
UNKNOWN = "in no stored release (a typo, or a CPT code while no CPT release is imported)"


def _watchlist(name: str, *codes: str) -> Watchlist:
    rows = tuple(WatchedRow(code, n, {"Dept": f"d{n}"}) for n, code in enumerate(codes, start=2))
    return Watchlist(name, rows, ())


# --- the pure core -------------------------------------------------------------------------


def test_impacts_one_entry_per_watched_row_and_unknown_codes_apart() -> None:
    cdm = _watchlist("cdm", "J1632", "C9055", "ZZZZZ", "C9055", "A4226")
    pharmacy = _watchlist("pharmacy", "A4226")
    known = {"C9055", "J1632", "A4226", "K0001"}
    assert impacts(DIFF, [cdm, pharmacy], known) == (
        Impact(
            "cdm",
            4,
            (
                WatchedChange(C9055, {"Dept": "d3"}),
                WatchedChange(C9055, {"Dept": "d5"}),
                WatchedChange(ADDED, {"Dept": "d2"}),
            ),
            ("ZZZZZ",),
        ),
        Impact("pharmacy", 1, ()),
    )
    assert impacts(DIFF, [], known) == ()


@pytest.mark.parametrize(
    ("impact", "line"),
    [
        (
            Impact("cdm", 412, (WatchedChange(C9055, {}), WatchedChange(ADDED, {}))),
            "cdm: 2 of your 412 codes changed: 1 added, 1 discontinued (successor J1632)",
        ),
        (
            Impact("cdm", 412, (WatchedChange(C9055, {}), WatchedChange(C9055, {"a": "b"}))),
            "cdm: 1 of your 412 codes changed: 1 discontinued (successor J1632)",
        ),
        (
            Impact(
                "cdm",
                3,
                (
                    WatchedChange(C9055, {}),
                    WatchedChange(
                        Change(
                            "P7001",
                            "deleted",
                            "",
                            "Culture bacterial urine",
                            reason="aged_out",
                            successors=(Successor("CPT", "cms", None, None),),
                        ),
                        {},
                    ),
                    WatchedChange(
                        Change("C9132", "discontinued", "D", "Prothrombin complex"),
                        {},
                    ),
                ),
            ),
            "cdm: 3 of your 3 codes changed: 1 deleted (successor see CPT), "
            "2 discontinued (successor J1632)",
        ),
        (
            Impact(
                "cdm",
                7,
                tuple(
                    WatchedChange(
                        Change(
                            f"C90{n}",
                            "discontinued",
                            "D",
                            "",
                            successors=(Successor(f"J00{n}", "inferred", "active", None),),
                        ),
                        {},
                    )
                    for n in range(10, 17)
                ),
            ),
            "cdm: 7 of your 7 codes changed: 7 discontinued (successors J0010, J0011, J0012, "
            "J0013, J0014, 2 more)",
        ),
        (
            Impact("cdm", 1, (), ("ZZZZZ",)),
            "cdm: none of your 1 code changed; 1 in no stored release",
        ),
        (
            Impact("cdm", 5, (WatchedChange(OTHER, {}),), ("99213", "ZZZZZ")),
            "cdm: 1 of your 5 codes changed: 1 changed; 2 in no stored release",
        ),
    ],
    ids=["two", "on-two-rows-counts-once", "see-cpt", "many-successors", "none", "unknown"],
)
def test_impact_line(impact: Impact, line: str) -> None:
    assert impact_line(impact) == line


def test_no_watchlists_no_section() -> None:
    assert impact_lines(()) == ()
    assert impact_lines((Impact("cdm", 2, ()), Impact("er", 1, ()))) == (
        "cdm: none of your 2 codes changed",
        "er: none of your 1 code changed",
    )


def test_impacts_for_reads_the_store(store: Store) -> None:
    """On SQLite and PostgreSQL: the watchlists and which codes some stored release holds."""
    import_files(store, sample_paths(), guard=DEMO_GUARD, max_unpacked=10**8)
    diff = stored_diff(store, "2025", "2025-Q2")
    assert impacts_for(store, diff) == ()
    rows = [["Code", "Dept"], ["K9901", "DME"], ["Q9901", "Wound"], ["ZZZZZ", ""], ["E0100", "x"]]
    store.watchlists.add("cdm", parse_table("cdm.csv", "0" * 64, rows, None))
    by_code = {c.code: c for c in diff.changes}
    assert impacts_for(store, diff) == (
        Impact(
            "cdm",
            4,
            (
                WatchedChange(by_code["K9901"], {"Dept": "DME"}),
                WatchedChange(by_code["Q9901"], {"Dept": "Wound"}),
            ),
            ("E0100", "ZZZZZ"),
        ),
    )
    assert impacts_for(store, diff, "cdm") == impacts_for(store, diff)


# --- `tracker impact` ----------------------------------------------------------------------


@pytest.fixture
def db(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """The three sample releases, and the watchlist CDM as "cdm" (SQLite, then PostgreSQL)."""
    url = db_url
    assert main(["--db", url, "import", "--force", *map(str, sample_paths())]) == 0
    (tmp_path / "cdm.csv").write_text(CDM)
    assert main(["--db", url, "watch", "add", "cdm", str(tmp_path / "cdm.csv")]) == 0
    capsys.readouterr()
    return url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_impact_text_on_the_samples(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, out, err = run(capsys, "--db", db, "impact", "2025", "2025-Q2")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "HCPCS 2025 (effective 2025-01-01) -> 2025-Q2 (effective 2025-04-01)",
        "",
        "cdm: 4 of your 6 codes changed: 1 deleted, 1 discontinued, 1 reactivated, 1 changed; "
        "2 in no stored release",
        "  A9902  discontinued (agrees) Sample catheter, each",
        "      Termination date (term_dt): '' -> '2025-03-31'",
        "      yours: Description: Catheter kit | Department: Supply | Price: 12.50",
        "  J9901  changed (agrees) Injection, sampledrug (brand sample), 1 mg",
        "      Long description (long_description): 'Injection, sampledrug, 1 mg' -> "
        "'Injection, sampledrug (brand sample), 1 mg'",
        "      yours: Description: Sampledrug | Department: Pharmacy | Price: 3",
        "  J9901  changed (agrees) Injection, sampledrug (brand sample), 1 mg",
        "      Long description (long_description): 'Injection, sampledrug, 1 mg' -> "
        "'Injection, sampledrug (brand sample), 1 mg'",
        "      yours: Description: Sampledrug vial | Department: Oncology | Price: 4",
        "  K9901  deleted (removed) Sample wheelchair accessory, each",
        "      yours: Description: Wheelchair part | Department: DME | Price: 100",
        "  L9901  reactivated (agrees) Sample orthosis, custom fabricated",
        "      Termination date (term_dt): '2024-12-31' -> ''",
        "      yours: Description: Orthosis | Department: DME",
        f"  {UNKNOWN}: 00100, ZZZZZ",
    ]


def test_impact_defaults_to_the_newest_diff(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, out, _ = run(capsys, "--db", db, "impact")
    assert code == 0
    assert run(capsys, "--db", db, "impact", "2025-Q3")[1] == out
    assert run(capsys, "--db", db, "impact", "2025-Q2", "2025-Q3", "--watch", "cdm")[1] == out
    assert out.splitlines()[:3] == [
        "HCPCS 2025-Q2 (effective 2025-04-01) -> 2025-Q3 (effective 2025-07-01)",
        "",
        "cdm: 1 of your 6 codes changed: 1 changed; 2 in no stored release",
    ]


def test_impact_csv(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, out, _ = run(capsys, "--db", db, "impact", "2025", "2025-Q2", "--format", "csv")
    assert code == 0
    head = "watchlist,old_release,new_release"
    assert out.split("\r\n") == [
        f"\ufeff{head},code,category,reason,explanation,cms_action,long_description,changes,"
        "terminated,successors,Description,Department,Price",
        'cdm,"=""2025""",2025-Q2,"=""A9902""",discontinued,,agrees,D,"Sample catheter, each",'
        'Termination date: \'\' -> \'2025-03-31\',"=""2025-03-31""",,Catheter kit,Supply,'
        '"=""12.50"""',
        'cdm,"=""2025""",2025-Q2,"=""J9901""",changed,,agrees,C,"Injection, sampledrug (brand '
        "sample), 1 mg\",\"Long description: 'Injection, sampledrug, 1 mg' -> 'Injection, "
        'sampledrug (brand sample), 1 mg\'",,,Sampledrug,Pharmacy,"=""3"""',
        'cdm,"=""2025""",2025-Q2,"=""J9901""",changed,,agrees,C,"Injection, sampledrug (brand '
        "sample), 1 mg\",\"Long description: 'Injection, sampledrug, 1 mg' -> 'Injection, "
        'sampledrug (brand sample), 1 mg\'",,,Sampledrug vial,Oncology,"=""4"""',
        'cdm,"=""2025""",2025-Q2,"=""K9901""",deleted,removed,removed,,"Sample wheelchair '
        'accessory, each",,,,Wheelchair part,DME,"=""100"""',
        'cdm,"=""2025""",2025-Q2,"=""L9901""",reactivated,,agrees,R,"Sample orthosis, custom '
        "fabricated\",Termination date: '2024-12-31' -> '',,,Orthosis,DME,",
        f'cdm,"=""2025""",2025-Q2,"=""00100""",unknown,,"{UNKNOWN}",,,,,,,,',
        f'cdm,"=""2025""",2025-Q2,"=""ZZZZZ""",unknown,,"{UNKNOWN}",,,,,,,,',
        "",
    ]


def test_impact_json(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, out, _ = run(capsys, "--db", db, "impact", "2025", "2025-Q2", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert (data["old"]["label"], data["new"]["label"]) == ("2025", "2025-Q2")
    [cdm] = data["watchlists"]
    changes = cdm.pop("changes")
    assert cdm == {
        "name": "cdm",
        "watched": 6,
        "changed": 4,
        "summary": {"added": 0, "deleted": 1, "discontinued": 1, "reactivated": 1, "changed": 1},
        "line": "cdm: 4 of your 6 codes changed: 1 deleted, 1 discontinued, 1 reactivated, "
        "1 changed; 2 in no stored release",
        "unknown": ["00100", "ZZZZZ"],
    }
    assert [(c["code"], c["category"], c["columns"]) for c in changes] == [
        ("A9902", "discontinued", {"Description": "Catheter kit", "Department": "Supply",
                                   "Price": "12.50"}),
        ("J9901", "changed", {"Description": "Sampledrug", "Department": "Pharmacy",
                              "Price": "3"}),
        ("J9901", "changed", {"Description": "Sampledrug vial", "Department": "Oncology",
                              "Price": "4"}),
        ("K9901", "deleted", {"Description": "Wheelchair part", "Department": "DME",
                              "Price": "100"}),
        ("L9901", "reactivated", {"Description": "Orthosis", "Department": "DME", "Price": ""}),
    ]  # fmt: skip
    diff = json.loads(run(capsys, "--db", db, "diff", "2025", "2025-Q2", "--format", "json")[1])
    by_code = {c["code"]: c for c in diff["changes"]}
    assert [{k: v for k, v in c.items() if k != "columns"} for c in changes] == [
        by_code[c["code"]] for c in changes
    ]


def test_impact_errors(capsys: pytest.CaptureFixture[str], db: str) -> None:
    assert run(capsys, "--db", db, "impact", "--watch", "er") == (
        1,
        "",
        "tracker: error: no watchlist named 'er'; see `tracker watch list`\n",
    )
    run(capsys, "--db", db, "watch", "remove", "cdm")
    assert run(capsys, "--db", db, "impact") == (
        1,
        "",
        "tracker: error: no watchlists: add one with `tracker watch add NAME FILE`\n",
    )


def test_cpt_codes_are_matched_against_cpt_releases(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    """One watchlist, both code sets: a HCPCS diff touches its HCPCS codes, a CPT diff its CPT
    codes; once a CPT release is stored, its codes are no longer unknown."""
    for year, text in (
        ("2025", "code,descriptor\n00100,Anesthesia for salivary glands\n99213,Visit\n"),
        ("2026", 'code,descriptor\n00100,"Anesthesia for salivary glands, biopsy"\n99213,Visit\n'),
    ):
        (tmp_path / f"cpt{year}.csv").write_text(text)
        assert run(capsys, "--db", db, "cpt", "import", str(tmp_path / f"cpt{year}.csv"),
                   "--year", year)[0] == 0  # fmt: skip
    code, out, _ = run(capsys, "--db", db, "impact", "CPT-2025", "CPT-2026")
    assert (code, out.splitlines()) == (
        0,
        [
            "CPT CPT-2025 (effective 2025-01-01) -> CPT-2026 (effective 2026-01-01)",
            "",
            "cdm: 1 of your 6 codes changed: 1 changed; 1 in no stored release",
            "  00100  changed Anesthesia for salivary glands, biopsy",
            "      Long descriptor (long_descriptor): 'Anesthesia for salivary glands' -> "
            "'Anesthesia for salivary glands, biopsy'",
            "      yours: Description: Anesthesia | Department: OR",
            f"  {UNKNOWN}: ZZZZZ",
        ],
    )
    out = run(capsys, "--db", db, "impact", "2025", "2025-Q2")[1]
    assert out.splitlines()[2] == (
        "cdm: 4 of your 6 codes changed: 1 deleted, 1 discontinued, 1 reactivated, 1 changed; "
        "1 in no stored release"
    )
    assert out.splitlines()[-1] == f"  {UNKNOWN}: ZZZZZ"


# --- conformance: the real 2020 -> 2026-Q1 diff --------------------------------------------


@pytest.fixture(scope="module")
def real_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = shared_cms()
    url = f"sqlite:///{tmp_path_factory.mktemp('real') / 'real.db'}"
    names = ("2020-Alpha-Numeric-HCPCS-File.zip", "january-2026-alpha-numeric-hcpcs-file.zip")
    assert main(["--db", url, "import", *(str(folder / n) for n in names)]) == 0
    return url


def test_real_impact_2020_to_2026_q1(
    capsys: pytest.CaptureFixture[str], real_db: str, tmp_path: Path
) -> None:
    """Checked by hand against the two raw files:

    - C9055 (2020: brexanolone, 1mg) has TERM DT 20200930 and XREF1 J1632 in January 2026,
      its ASC group YY and ASC date 20200101 gone; action D dated 2020-10-01;
    - J1632 (brexanolone, 1 mg) is new in January 2026, ADD DT 20201001;
    - A4226 changed PRICE1 99 -> 00 and COV C -> I, action N dated 2020-09-15;
    - ZZZZZ is in neither release.
    """
    path = tmp_path / "ours.csv"
    path.write_text("Code,Description\nC9055,Brexanolone\nJ1632,Brexanolone\nA4226,CGM supply\n"
                    "ZZZZZ,Typo\n")  # fmt: skip
    capsys.readouterr()
    assert run(capsys, "--db", real_db, "watch", "add", "ours", str(path))[0] == 0
    code, out, err = run(capsys, "--db", real_db, "impact", "2020", "2026-Q1")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "HCPCS 2020 (effective 2020-01-01) -> 2026-Q1 (effective 2026-01-01)",
        "",
        "ours: 3 of your 4 codes changed: 1 added, 1 discontinued (successor J1632), 1 changed; "
        "1 in no stored release",
        "  A4226  changed (mid_period) Supplies for maintenance of insulin infusion pump with "
        "dosage rate adjustment using therapeutic continuous glucose sensing, per week",
        "      Pricing indicator (price): '99' -> '00'",
        "      Medicare coverage (cov): 'C' -> 'I'",
        "      yours: Description: CGM supply",
        "  C9055  discontinued (mid_period) Injection, brexanolone, 1mg",
        "      Cross reference (xref): '' -> 'J1632'",
        "      ASC payment group (asc_grp): 'YY' -> ''",
        "      ASC payment group effective date (asc_dt): '2020-01-01' -> ''",
        "      Termination date (term_dt): '' -> '2020-09-30'",
        "      successors: J1632 (cms, active, from 2020-10-01): Injection, brexanolone, 1 mg",
        "      yours: Description: Brexanolone",
        "  J1632  added (mid_period) Injection, brexanolone, 1 mg",
        "      yours: Description: Brexanolone",
        f"  {UNKNOWN}: ZZZZZ",
    ]
