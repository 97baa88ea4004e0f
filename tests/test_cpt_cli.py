"""CPT through the CLI: import, releases beside HCPCS, diff, history, cadence, reminders."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from tests.golden import valid_diff_json
from tracker.cli import main
from tracker.run.demo import sample_paths

FIXTURES = Path(__file__).parent / "fixtures" / "cpt"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(db_url: str) -> str:
    """A fresh database per test, on SQLite and on PostgreSQL (tests/conftest.py)."""
    return db_url


def _package_2027(tmp_path: Path) -> Path:
    """Next year's package: one descriptor revised, one code added (all invented)."""
    folder = tmp_path / "cpt2027"
    shutil.copytree(FIXTURES / "cpt2026", folder)
    for path in folder.glob("*.txt"):
        path.write_text(path.read_text().replace("CPT 2026", "CPT 2027"))
    longult = folder / "LONGULT.txt"
    longult.write_text(
        longult.read_text().replace("first of its kind", "first of its kind, revised")
        + "99991\tInvented procedure gamma\n"
    )
    return folder


def test_cpt_import_releases_diff_history(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    package = str(FIXTURES / "cpt2026")
    code, out, err = run(
        capsys, "--db", db, "cpt", "import", package, "--year", "2026", "--released", "2025-09-01"
    )
    assert (code, err) == (0, "")
    assert out.startswith("imported CPT-2026 (")
    run(capsys, "--db", db, "import", "--force", str(sample_paths()[0]))
    code, out, _ = run(
        capsys, "--db", db, "cpt", "import", str(_package_2027(tmp_path)), "--year", "2027"
    )
    assert code == 0
    _, out, _ = run(capsys, "--db", db, "releases", "--json")
    assert [(r["code_set"], r["label"]) for r in json.loads(out)] == [
        ("HCPCS", "2025"),
        ("CPT", "CPT-2026"),
        ("CPT", "CPT-2027"),
    ]
    _, out, _ = run(capsys, "--db", db, "diff", "CPT-2026", "CPT-2027", "--format", "json")
    report = valid_diff_json(out)
    assert report["summary"] == {
        "added": 1,
        "deleted": 0,
        "discontinued": 0,
        "reactivated": 0,
        "changed": 1,
    }
    assert [(c["code"], c["category"], c["fields"]) for c in report["changes"]] == [
        ("99990", "changed", [{"field": "long_descriptor",
                               "old": "Invented procedure alpha, first of its kind",
                               "new": "Invented procedure alpha, first of its kind, revised"}]),
        ("99991", "added", []),
    ]  # fmt: skip
    _, out, _ = run(capsys, "--db", db, "history", "99990", "--json")
    life = json.loads(out)
    assert [(h["release"], h["category"]) for h in life["entries"]] == [
        ("CPT-2026", "first_seen"),
        ("CPT-2027", "changed"),
    ]
    assert (life["status"]["text"], life["successors"]) == ("still current in CPT-2027", [])


def test_cpt_import_twice_is_already_imported(capsys: pytest.CaptureFixture[str], db: str) -> None:
    args = ("--db", db, "cpt", "import", str(FIXTURES / "cpt2026"), "--year", "2026")
    run(capsys, *args)
    code, out, _ = run(capsys, *args)
    assert (code, out.startswith("already imported as CPT-2026:")) == (0, True)


def test_cpt_year_that_contradicts_the_file(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, out, err = run(
        capsys, "--db", db, "cpt", "import", str(FIXTURES / "cpt2026"), "--year", "2025"
    )
    assert (code, out) == (1, "")
    assert err.startswith("tracker: error: ") and "2026" in err and err.count("\n") == 1
    # Nothing stored: the file was refused before the database was opened (issue 9 item 6).
    assert run(capsys, "--db", db, "releases", "--json") == (
        1,
        "",
        f"tracker: error: database not found: {db}\n",
    )


def test_cpt_zip_over_the_configured_unpacked_cap(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    """[source] max_unpacked_mb caps a CPT ZIP as it caps a HCPCS one."""
    archive = tmp_path / "cpt-data-2026.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("LONGULT.txt", "99990\tInvented alpha\n" + " " * 1_000_000)
    config = tmp_path / "tracker.toml"
    config.write_text("[source]\nmax_unpacked_mb = 1\n")
    args = ("--db", db, "cpt", "import", str(archive), "--year", "2026")
    assert run(capsys, "--config", str(config), *args) == (
        1,
        "",
        f"tracker: error: {archive}: unpacks to 1000021 bytes, over the cap of 1000000; refusing "
        "to unpack it (raise [source] max_unpacked_mb if CMS's files really grew)\n",
    )
    code, out, _ = run(capsys, *args)  # the default cap, 500 MB
    assert (code, out.startswith("imported CPT-2026 (")) == (0, True)


def test_cadence_json(capsys: pytest.CaptureFixture[str], db: str) -> None:
    from datetime import date

    run(capsys, "--db", db, "cpt", "import", str(FIXTURES / "cpt2026"), "--year", "2026",
        "--released", "2025-09-01")  # fmt: skip
    # Judged as of a day before the import (the CLI's real clock), the file had not arrived.
    code, out, _ = run(capsys, "--db", db, "cpt", "cadence", "--as-of", "2026-01-20", "--json")
    entries = json.loads(out)
    assert code == 0
    annual = {e["year"]: e for e in entries if e["kind"] == "annual"}
    assert {
        k: annual[2026][k] for k in ("expected_release", "effective", "imported", "status")
    } == {
        "expected_release": "2025-09-01",
        "effective": "2026-01-01",
        "imported": False,
        "status": "overdue",
    }
    assert {k: annual[2027][k] for k in ("expected_release", "imported", "status")} == {
        "expected_release": "2026-09-01",
        "imported": False,
        "status": "upcoming",
    }
    pla = [e for e in entries if e["kind"] == "pla" and e["expected_release"] == "2026-01-01"]
    assert [(e["status"], e["imported"]) for e in pla] == [("overdue", False)]
    assert set(entries[0]) == {"year", "kind", "label", "expected_release", "effective", "imported",
                               "imported_at", "released", "status", "late"}  # fmt: skip
    # As of today it has: received, on its --released date.
    _, out, _ = run(capsys, "--db", db, "cpt", "cadence", "--as-of", date.today().isoformat(),
                    "--json")  # fmt: skip
    annual = {e["year"]: e for e in json.loads(out) if e["kind"] == "annual"}
    assert {k: annual[2026][k] for k in ("imported", "status", "late", "released")} == {
        "imported": True,
        "status": "received",
        "late": False,
        "released": "2025-09-01",
    }


def test_reminders_name_cpt_files_due_or_overdue(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    from datetime import date

    from tracker.cpt.cadence import CptCalendar
    from tracker.run.cycle import cpt_reminders
    from tracker.store import Store

    with Store(db) as store:
        assert cpt_reminders(store, CptCalendar(), date(2026, 1, 20)) == []  # no CPT in use yet
        run(capsys, "--db", db, "cpt", "import", str(FIXTURES / "cpt2026"), "--year", "2026",
            "--released", "2025-09-01")  # fmt: skip
        # A file counts as received from its import (today, by the real clock of the CLI) on.
        notes = cpt_reminders(store, CptCalendar(), date.today())
        assert notes[0] == (
            "CPT CPT-2026-CAT3-H1 (category3) is overdue: expected 2025-07-01, "
            "effective 2026-01-01; import it with `tracker cpt import`"
        )
        assert all(" is due: " in n or " is overdue: " in n for n in notes)
