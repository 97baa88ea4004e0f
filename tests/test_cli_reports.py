"""The report options of the command line: formats from --output, filters, warnings, the
workbook and page, the timeline (issue 11)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import openpyxl
import pytest

from tests.golden import valid_diff_json
from tracker.cli import main
from tracker.report.csv import read_cell
from tracker.run.demo import sample_paths


@pytest.fixture
def db(db_url: str, capsys: pytest.CaptureFixture[str]) -> str:
    url = db_url  # SQLite, then PostgreSQL (tests/conftest.py)
    assert main(["--db", url, "import", "--force", *map(str, sample_paths())]) == 0
    capsys.readouterr()
    return url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_output_takes_its_format_from_the_extension(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    for name in ("guess.csv", "guess.json", "guess.html", "guess.xlsx", "guess.txt"):
        code, _, err = run(capsys, "--db", db, "diff", "--output", str(tmp_path / name))
        assert (code, err) == (0, f"wrote {tmp_path / name}\n")
    assert (tmp_path / "guess.csv").read_text(encoding="utf-8-sig").startswith("old_release,")
    valid_diff_json((tmp_path / "guess.json").read_text())
    assert (tmp_path / "guess.html").read_text().startswith("<!DOCTYPE html>")
    assert (tmp_path / "guess.xlsx").read_bytes()[:2] == b"PK"
    assert (tmp_path / "guess.txt").read_text().startswith("HCPCS 2025-Q2 (effective")


def test_a_format_that_contradicts_the_output_exits_2(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    out_file = tmp_path / "report.json"
    code, out, err = run(capsys, "--db", db, "diff", "--format", "csv", "--output", str(out_file))
    assert (code, out) == (2, "")
    assert err == (
        f"tracker: error: --format csv contradicts --output {out_file}: give one or the other\n"
    )
    assert not out_file.exists()
    code, _, err = run(capsys, "--db", db, "diff", "--format", "xlsx")
    assert (code, err) == (
        2, "tracker: error: --format xlsx writes a workbook: give --output FILE.xlsx\n"
    )  # fmt: skip


def test_a_reversed_pair_is_reported_with_a_warning(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    code, out, err = run(capsys, "--db", db, "diff", "2025-Q3", "2025")
    assert code == 0
    assert err == "tracker: warning: 2025-Q3 is newer than 2025: this diff reads backwards\n"
    assert out.startswith("HCPCS 2025-Q3 (effective 2025-07-01) -> 2025 (effective")
    _, _, err = run(capsys, "--db", db, "diff", "2025", "2025-Q3")
    assert err == ""


def test_filters_by_category_and_code_in_every_format(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    _, out, _ = run(capsys, "--db", db, "diff", "2025", "2025-Q2", "--format", "json",
                    "--category", "deleted", "--category", "discontinued")  # fmt: skip
    report = valid_diff_json(out)
    assert [(c["code"], c["category"]) for c in report["changes"]] == [
        ("A9902", "discontinued"), ("E9901", "deleted"), ("K9901", "deleted"),
    ]  # fmt: skip
    assert report["summary"]["added"] == 0
    _, out, _ = run(capsys, "--db", db, "diff", "2025", "2025-Q2", "--format", "csv",
                    "--code", "j9", "--per", "code")  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(out.removeprefix("\ufeff"))))
    assert [(read_cell(r["code"]), r["category"]) for r in rows] == [("J9901", "changed")]


def test_filters_that_match_nothing_say_so(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, out, err = run(capsys, "--db", db, "diff", "2025", "2025-Q2", "--code", "ZZ9")
    assert (code, err) == (
        0, "tracker: no change matches the filters; the diff holds 6 changes\n"
    )  # fmt: skip
    assert out.rstrip().endswith("No changes.")


def test_per_code_is_for_csv_only(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, _, err = run(capsys, "--db", db, "diff", "--per", "code")
    assert (code, err) == (2, "tracker: error: --per code is for --format csv\n")


def test_schema_is_printed_without_a_database(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--db", "sqlite:////nonexistent/x.db", "diff", "--schema")
    assert code == 0 and json.loads(out)["title"] == "tracker diff"


def test_the_workbook_through_the_cli(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    path = tmp_path / "review.xlsx"
    assert run(capsys, "--db", db, "diff", "2025", "2025-Q2", "--output", str(path))[0] == 0
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[0] == "Summary"
    assert "Legend" in book.sheetnames and "Field changes" in book.sheetnames


def test_releases_text_shows_revision_and_import_time(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    _, out, _ = run(capsys, "--db", db, "releases")
    first = out.splitlines()[0]
    assert re.fullmatch(
        r"HCPCS  2025 +rev 1  effective 2025-01-01 +8 codes  imported \d{4}-\d\d-\d\d \d\d:\d\d UTC"
        r"  HCPC2025_ANWEB_SAMPLE\.txt",
        first,
    ), first


def test_timeline_in_every_format(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "--db", db, "timeline", "--format", "json")
    assert code == 0
    # 2025-Q2 ended 2: A9902 discontinued, K9901 removed; E9901 aged out (ended in 2020).
    assert [(r["label"], r["codes"], r["added"], r["ended"], r["changed"]) for r in
            json.loads(out)["releases"]] == [
        ("2025", 8, 0, 0, 0), ("2025-Q2", 7, 1, 2, 1), ("2025-Q3", 8, 1, 0, 2),
    ]  # fmt: skip
    for suffix in ("html", "xlsx", "txt"):
        code, _, _ = run(capsys, "--db", db, "timeline", "--output", str(tmp_path / f"t.{suffix}"))
        assert code == 0
    assert "<svg" in (tmp_path / "t.html").read_text()
