from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.golden import assert_golden, valid_diff_json
from tracker.cli import main
from tracker.run.demo import sample_paths


@pytest.fixture
def db(db_url: str) -> str:
    """A fresh database per test, on SQLite and on PostgreSQL (tests/conftest.py)."""
    return db_url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _import_samples(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, out, _ = run(capsys, "--db", db, "import", "--force", *map(str, sample_paths()))
    assert code == 0, out


def test_import_prints_one_line_per_release_and_is_idempotent(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    paths = [str(p) for p in sample_paths()]
    code, out, _ = run(capsys, "import", *paths, "--db", db)
    assert (code, out) == (1, "")  # the samples are far below the 1,000-code floor
    code, out, err = run(capsys, "--db", db, "import", "--force", *paths)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "imported 2025 (HCPC2025_ANWEB_SAMPLE.txt): 8 codes, effective 2025-01-01",
        "imported 2025-Q2 (HCPC2025_APR_ANWEB_SAMPLE.txt): 7 codes, effective 2025-04-01",
        "imported 2025-Q3 (HCPC2025_JUL_ANWEB_SAMPLE.txt): 8 codes, effective 2025-07-01",
    ]
    code, out, _ = run(capsys, "--db", db, "import", paths[0])
    assert (code, out) == (
        0,
        "already imported as 2025: HCPC2025_ANWEB_SAMPLE.txt; nothing changed\n",
    )


def test_guard_error_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str], db: str) -> None:
    path = str(sample_paths()[0])
    code, out, err = run(capsys, "--db", db, "import", path)
    assert (code, out) == (1, "")
    assert err == (
        "tracker: error: HCPC2025_ANWEB_SAMPLE.txt: only 8 codes, below the floor of 1000 "
        "(truncated or wrong file?); use --force if it is real\n"
    )


def test_releases_json(capsys: pytest.CaptureFixture[str], db: str) -> None:
    _import_samples(capsys, db)
    code, out, _ = run(capsys, "--db", db, "releases", "--json")
    releases = json.loads(out)
    assert code == 0
    assert [
        {k: r[k] for k in ("label", "code_set", "kind", "effective", "revision", "codes")}
        for r in releases
    ] == [
        {"label": "2025", "code_set": "HCPCS", "kind": "annual", "effective": "2025-01-01",
         "revision": 1, "codes": 8},
        {"label": "2025-Q2", "code_set": "HCPCS", "kind": "quarterly", "effective": "2025-04-01",
         "revision": 1, "codes": 7},
        {"label": "2025-Q3", "code_set": "HCPCS", "kind": "quarterly", "effective": "2025-07-01",
         "revision": 1, "codes": 8},
    ]  # fmt: skip
    assert all(len(r["sha256"]) == 64 for r in releases)


@pytest.mark.parametrize("fmt", ["text", "csv", "json"])
@pytest.mark.parametrize("pair", [("2025", "2025-Q2"), ("2025-Q2", "2025-Q3")])
def test_diff_reports_match_golden_files(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path, fmt: str, pair: tuple[str, str]
) -> None:
    _import_samples(capsys, db)
    out_file = tmp_path / f"report.{fmt}"
    code, _, err = run(
        capsys, "--db", db, "diff", *pair, "--format", fmt, "--output", str(out_file)
    )
    assert (code, err) == (0, f"wrote {out_file}\n")
    assert_golden(f"sample_{pair[0]}_to_{pair[1]}.{fmt}", out_file.read_bytes())


def test_diff_defaults_to_newest_pair(capsys: pytest.CaptureFixture[str], db: str) -> None:
    _import_samples(capsys, db)
    _, default, _ = run(capsys, "--db", db, "diff", "--format", "json")
    _, explicit, _ = run(capsys, "--db", db, "diff", "2025-Q2", "2025-Q3", "--format", "json")
    _, one, _ = run(capsys, "--db", db, "diff", "2025-Q3", "--format", "json")
    assert default == explicit == one
    valid_diff_json(default)


def test_history_json(capsys: pytest.CaptureFixture[str], db: str) -> None:
    _import_samples(capsys, db)
    code, out, _ = run(capsys, "--db", db, "history", "a9902", "--json")
    assert code == 0
    dates = {"added": "2020-01-01", "copies_disagree": [], "successors": []}
    assert json.loads(out) == {
        "code": "A9902",
        "status": {"status": "ended", "text": "ended 2025-03-31 (in 2025-Q3)",
                   "newest": "2025-Q3", "terminated": "2025-03-31", "last_seen": "2025-Q3"},
        "first_seen": {"release": "2025", "effective": "2025-01-01", "added": "2020-01-01"},
        "successors": [],
        "entries": [
            {"release": "2025", "code_set": "HCPCS", "effective": "2025-01-01",
             "previous": None, "code": "A9902", "category": "first_seen", "reason": None,
             "action": "N", "description": "Sample catheter, each", "fields": [],
             "action_effective": "2020-01-01", "terminated": None, "explanation": None}
            | dates,
            {"release": "2025-Q2", "code_set": "HCPCS", "effective": "2025-04-01",
             "previous": "2025", "code": "A9902", "category": "discontinued", "reason": None,
             "action": "D", "description": "Sample catheter, each",
             "fields": [{"field": "term_dt", "old": "", "new": "2025-03-31"}],
             "action_effective": "2025-04-01", "terminated": "2025-03-31",
             "explanation": "agrees"}
            | dates,
        ],
    }  # fmt: skip


def test_history_text_and_unknown_code(capsys: pytest.CaptureFixture[str], db: str) -> None:
    _import_samples(capsys, db)
    code, out, _ = run(capsys, "--db", db, "history", "E9901")
    assert (code, out) == (
        0,
        "E9901  Sample walker, folding, each\n"
        "status: ended 2020-12-31, dropped after 2025 (aged out)\n"
        "first seen: 2025 (effective 2025-01-01), added 2015-01-01\n"
        "successors: none known\n"
        "\n"
        "2025 (effective 2025-01-01): first seen\n"
        "  E9901  [N] Sample walker, folding, each\n"
        "      added 2015-01-01, action effective 2021-01-01, terminated 2020-12-31\n"
        "\n"
        "2025-Q2 (effective 2025-04-01): deleted since 2025\n"
        "  E9901  (aged_out) Sample walker, folding, each\n"
        "      added 2015-01-01, action effective 2021-01-01, terminated 2020-12-31\n",
    )
    code, out, err = run(capsys, "--db", db, "history", "Z0000")
    assert (code, out, err) == (1, "", "tracker: error: code 'Z0000' is in no stored release\n")


def test_unknown_release_and_usage_errors(capsys: pytest.CaptureFixture[str], db: str) -> None:
    _import_samples(capsys, db)
    code, _, err = run(capsys, "--db", db, "diff", "2019", "2025")
    assert (code, err) == (
        1,
        "tracker: error: no release labelled '2019'; see `tracker releases`\n",
    )
    with pytest.raises(SystemExit) as exit_:
        main(["--db", db, "diff", "--format", "xml"])
    assert exit_.value.code == 2


def test_bad_input_leaves_the_database_unchanged(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"  # a file: its bytes tell that nothing changed
    _import_samples(capsys, db)
    before = Path(db.removeprefix("sqlite:///")).read_bytes()
    bad = tmp_path / "2026-alpha-numeric-hcpcs-file.zip"
    bad.write_bytes(b"<html><body>Page Not Found</body></html>")
    good = sample_paths()[0]
    code, out, err = run(capsys, "--db", db, "import", str(good), str(bad))
    assert (code, out) == (1, "")
    assert err == (
        f"tracker: error: {bad}: is an HTML page, not a ZIP (CMS answers a wrong URL with a "
        "Page Not Found page)\n"
    )
    with sqlite3.connect(db.removeprefix("sqlite:///")) as conn:
        assert conn.execute("select count(*) from release").fetchone() == (3,)
    assert Path(db.removeprefix("sqlite:///")).read_bytes() == before


def test_bad_config_is_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "tracker.toml"
    config.write_text("[guard]\nmax_drop_percent = 'ten'\n")
    code, _, err = run(capsys, "--config", str(config), "releases")
    assert (code, err) == (
        2,
        f"tracker: error: {config}: [guard] max_drop_percent: expected a number >= 0 and <= 100, "
        "got 'ten'\n",
    )
    code, _, err = run(capsys, "--config", str(tmp_path / "missing.toml"), "releases")
    assert (code, err) == (
        2,
        f"tracker: error: {tmp_path / 'missing.toml'}: config file not found; "
        "copy config.example.toml\n",
    )


def test_demo(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    code, out, _ = run(capsys, "--db", db, "demo", "--output", str(tmp_path / "reports"))
    assert code == 0
    assert out.splitlines()[3:5] == [
        "2025 -> 2025-Q2: 1 added, 2 deleted, 1 discontinued, 1 reactivated, 1 changed",
        "2025-Q2 -> 2025-Q3: 1 added, 0 deleted, 0 discontinued, 0 reactivated, 2 changed",
    ]
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [
        f"HCPCS_{pair}.{suffix}"
        for pair in ("2025-Q2_to_2025-Q3", "2025_to_2025-Q2")
        for suffix in ("csv", "html", "json", "xlsx")
    ]
    assert_golden(
        "sample_2025_to_2025-Q2.csv",
        (tmp_path / "reports" / "HCPCS_2025_to_2025-Q2.csv").read_bytes(),
    )


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[guard]\nmax_drop_percent = -5\n",
         "[guard] max_drop_percent: expected a number >= 0 and <= 100, got -5"),
        ("[guard]\nmin_codes = -1\n", "[guard] min_codes: expected a whole number >= 0, got -1"),
        ("[cpt]\nemail_descriptors = 'false'\n",
         "[cpt] email_descriptors: expected true or false, got 'false'"),
        ("[cpt]\nemail_descriptor = false\n", "[cpt] unknown key 'email_descriptor'; known: "
         "annual_release, category3_effective_months, category3_releases, email_descriptors, "
         "grace_days, pla_effective_months, pla_releases"),
        ("[source]\nlisting_urls = 5\n",
         "[source] listing_urls: expected a list of strings, got 5"),
        ("[email]\nhost = 'h'\nport = 'x'\nsender = 'a@b.c'\nrecipients = ['d@e.f']\n",
         "[email] port: expected a whole number >= 1 and <= 65535, got 'x'"),
        ("[schedule]\nstale_after_days = 0\n", None),
    ],
)  # fmt: skip
def test_config_errors_stop_a_check_before_it_starts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, toml: str, message: str | None
) -> None:
    config = tmp_path / "tracker.toml"
    config.write_text(f'[store]\ndata_dir = "{tmp_path}"\n{toml}')
    command = "status" if message is None else "check"
    code, out, err = run(capsys, "--config", str(config), command)
    assert (code, out) == (2, "")
    expected = message or "[schedule] stale_after_days: expected a whole number >= 1, got 0"
    assert err == f"tracker: error: {config}: {expected}\n"
    assert not (tmp_path / "tracker.db.lock").exists()


def test_an_import_of_several_files_is_all_or_nothing(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    cut = tmp_path / "HCPC2025_OCT_ANWEB.txt"
    cut.write_bytes(b"\r\n".join(sample_paths()[2].read_bytes().split(b"\r\n")[:4]) + b"\r\n")
    code, out, err = run(capsys, "--db", db, "import", str(sample_paths()[0]), str(cut))
    assert (code, out) == (1, "")
    assert err.startswith("tracker: error: HCPC2025_ANWEB_SAMPLE.txt: only 8 codes")
    _, out, _ = run(capsys, "--db", db, "releases", "--json")
    assert json.loads(out) == []


def test_a_label_that_is_no_label_is_bad_usage(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Exit 2 (bad usage), as a bad --effective is, before any file is read or database made."""
    db = tmp_path / "t.db"
    with pytest.raises(SystemExit) as exited:
        main(["--db", str(db), "import", "x.txt", "--label", "2026-Q5"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "tracker import: error: argument --label: label '2026-Q5' is not YYYY or YYYY-Qn; "
        "use e.g. 2026 or 2026-Q2"
    )
    assert not db.exists()
