"""Release identity holds together (issue 9 item 5): one naming rule for every file, a label
and effective date that agree, no second copy of a release under another label, "already
imported" only for the newest revision, and a release inserted between others guarded on both
sides."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from tests.anweb import anweb_text
from tests.release_files import codes, run, write_config, write_text, write_zip
from tracker.config import SourceSettings
from tracker.hcpcs.identity import Identity, Named, file_identity, label_period, release_identity
from tracker.run.ingest import ReleaseFile, read_files
from tracker.sources.discover import scan_directory

UNPACKED = SourceSettings().max_unpacked_bytes
Cli = Callable[..., tuple[int, str, str]]  # cli(*argv) -> (exit code, stdout, stderr)


# --- the naming rule -------------------------------------------------------------------------


def test_the_outer_name_wins_and_a_member_names_a_file_that_names_nothing() -> None:
    q1 = Identity("2026-Q1", date(2026, 1, 1), "quarterly")
    q2 = Identity("2026-Q2", date(2026, 4, 1), "quarterly")
    assert release_identity(
        "january-2026-alpha-numeric-hcpcs-file.zip",
        ["HCPC2026_JAN_ANWEB_01122026.txt", "HCPC2026_JAN_ANWEB_01122026.xlsx"],
    ) == Named(q1)
    assert release_identity("hcpcs.zip", ["data/HCPC2026_APR_ANWEB.txt"]) == Named(q2)
    assert release_identity("hcpcs.zip", []) is None
    named = release_identity("jan2026.zip", ["data/HCPC2026_APR_ANWEB.txt"])
    assert named == Named(q1, "HCPC2026_APR_ANWEB.txt")
    assert named.warning == (
        "its data file HCPC2026_APR_ANWEB.txt names another release; taken as 2026-Q1 by its "
        "file name (rename it or give --label)"
    )


def test_the_annual_file_holding_a_january_member_is_no_disagreement() -> None:
    named = release_identity("2026-alpha-numeric-hcpcs-file.zip", ["HCPC2026_JAN_ANWEB.txt"])
    assert named == Named(Identity("2026", date(2026, 1, 1), "annual"))
    assert named.warning == ""


def test_the_drop_folder_and_the_import_label_a_file_alike(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Before, the folder scan trusted the ZIP's name (2026-Q1) and the import its member
    (2026-Q2): one file, two labels."""
    drop = tmp_path / "drop"
    drop.mkdir()
    path = write_zip(drop / "jan2026.zip", {"HCPC2026_APR_ANWEB.txt": anweb_text(codes(range(3)))})
    caplog.set_level(logging.WARNING)
    [found] = scan_directory(drop)
    [parsed] = read_files([ReleaseFile(path)], max_unpacked=UNPACKED)
    assert (found.label, found.effective) == ("2026-Q1", date(2026, 1, 1))
    assert (parsed.base_label, parsed.effective, parsed.kind) == (
        "2026-Q1", date(2026, 1, 1), "quarterly"
    )  # fmt: skip
    file_warning = file_identity(path)
    assert file_warning is not None
    assert [r.getMessage() for r in caplog.records] == [f"{path}: {file_warning.warning}"] * 2


@pytest.mark.parametrize(
    ("label", "first", "last"),
    [
        ("2026", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-Q2", date(2026, 4, 1), date(2026, 6, 30)),
        ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
    ],
)
def test_a_label_names_the_days_its_release_may_take_effect(
    label: str, first: date, last: date
) -> None:
    assert label_period(label) == (first, last)


# --- through the CLI -------------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    """``cli(*argv)``: run tracker with a small-release config and a fresh database."""
    config = write_config(tmp_path)
    db = f"sqlite:///{tmp_path / 'data' / 'tracker.db'}"

    def call(*argv: str) -> tuple[int, str, str]:
        return run(capsys, "--config", str(config), "--db", db, *argv)

    return call


def _labels(cli: Cli) -> list[str]:
    code, out, _ = cli("releases", "--json")
    assert code == 0
    return [r["label"] for r in json.loads(out)]


def test_a_label_that_contradicts_the_effective_date_is_refused(cli: Cli, tmp_path: Path) -> None:
    path = write_text(tmp_path / "jan2026.txt", codes(range(20)))
    code, out, err = cli("import", str(path), "--label", "2026-Q2", "--effective", "2019-01-01")
    assert (code, out) == (2, "")
    assert err == (
        "tracker: error: jan2026.txt: label 2026-Q2 and effective date 2019-01-01 disagree: "
        "2026-Q2 takes effect on 2026-04-01 (or later in its quarter, up to 2026-06-30); "
        "correct --label or --effective, or use --force if both are right\n"
    )
    code, out, _ = cli(
        "import", str(path), "--label", "2026-Q2", "--effective", "2019-01-01", "--force"
    )
    assert (code, out) == (
        0, "imported 2026-Q2 (jan2026.txt): 20 codes, effective 2019-01-01\n"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("label", "effective"),
    [("2026-Q2", "2026-04-01"), ("2026-Q2", "2026-05-15"), ("2026", "2026-01-01")],
)
def test_a_label_and_effective_date_that_agree_are_fine(
    cli: Cli, tmp_path: Path, label: str, effective: str
) -> None:
    path = write_text(tmp_path / "renamed.txt", codes(range(20)))
    code, out, _ = cli("import", str(path), "--label", label, "--effective", effective)
    assert (code, out) == (0, f"imported {label} (renamed.txt): 20 codes, effective {effective}\n")


def test_the_same_records_under_another_label_are_refused(cli: Cli, tmp_path: Path) -> None:
    first = write_text(tmp_path / "HCPC2026_JAN_ANWEB.txt", codes(range(20)))
    copy = write_text(tmp_path / "HCPC2026_APR_ANWEB.txt", codes(range(20)))
    assert cli("import", str(first))[0] == 0
    code, out, err = cli("import", str(copy))
    assert (code, out) == (1, "")
    assert err == (
        "tracker: error: HCPC2026_APR_ANWEB.txt: same records as 2026-Q1 "
        "(HCPC2026_JAN_ANWEB.txt): a wrong file or label? use --force to store them as "
        "2026-Q2 too\n"
    )
    assert _labels(cli) == ["2026-Q1"]
    assert cli("import", str(copy), "--force")[0] == 0
    assert _labels(cli) == ["2026-Q1", "2026-Q2"]


def test_the_annual_file_and_the_january_quarter_may_hold_the_same_records(
    cli: Cli, tmp_path: Path
) -> None:
    quarter = write_text(tmp_path / "HCPC2026_JAN_ANWEB.txt", codes(range(20)))
    annual = write_text(tmp_path / "HCPC2026_ANWEB.txt", codes(range(20)))
    code, out, _ = cli("import", str(quarter), str(annual))
    assert (code, out.splitlines()) == (
        0,
        [
            "imported 2026 (HCPC2026_ANWEB.txt): 20 codes, effective 2026-01-01",
            "imported 2026-Q1 (HCPC2026_JAN_ANWEB.txt): 20 codes, effective 2026-01-01",
        ],
    )


def test_already_imported_under_another_effective_date_is_an_error(
    cli: Cli, tmp_path: Path
) -> None:
    path = write_text(tmp_path / "HCPC2026_APR_ANWEB.txt", codes(range(20)))
    assert cli("import", str(path), "--effective", "2026-05-15")[0] == 0
    code, out, err = cli("import", str(path), "--effective", "2026-04-01")
    assert (code, out) == (1, "")
    assert err == (
        "tracker: error: HCPC2026_APR_ANWEB.txt: already imported as 2026-Q2, effective "
        "2026-05-15, not 2026-04-01; to change its date, `tracker remove 2026-Q2 --yes` and "
        "import it again\n"
    )
    assert cli("import", str(path), "--effective", "2026-05-15")[1] == (
        "already imported as 2026-Q2: HCPC2026_APR_ANWEB.txt; nothing changed\n"
    )
    assert cli("import", str(path))[1] == (  # no date given: nothing to contradict
        "already imported as 2026-Q2: HCPC2026_APR_ANWEB.txt; nothing changed\n"
    )


def test_a_repost_that_reverts_to_an_earlier_revision_is_a_new_revision(
    cli: Cli, tmp_path: Path
) -> None:
    first = write_text(tmp_path / "HCPC2025_OCT_ANWEB.txt", codes(range(20)))
    fixed = write_text(tmp_path / "HCPC2025_OCT_ANWEB_v2.txt", codes(range(20), variant="b"))
    assert cli("import", str(first))[0] == 0
    assert cli("import", str(fixed))[1].startswith("imported 2025-Q4.2 ")
    code, out, _ = cli("import", str(first))
    assert (code, out) == (
        0,
        "imported 2025-Q4.3 (HCPC2025_OCT_ANWEB.txt): 20 codes, effective 2025-10-01, revision 3\n",
    )
    assert cli("import", str(first))[1] == (
        "already imported as 2025-Q4.3: HCPC2025_OCT_ANWEB.txt; nothing changed\n"
    )
    code, out, _ = cli("diff", "--format", "json")
    diff = json.loads(out)
    assert (diff["old"]["label"], diff["new"]["label"], diff["summary"]["changed"]) == (
        "2025-Q4.2", "2025-Q4.3", 20
    )  # fmt: skip


def test_a_release_inserted_between_others_is_guarded_on_both_sides(
    cli: Cli, tmp_path: Path
) -> None:
    """Issue 9: a January 2026 file labelled 2019 by mistake went between 2018 and 2020, and
    nothing compared 2020 with it. Guarded against 2020 too, it is refused: 2020 would lose 10
    of its live codes."""
    old = write_text(tmp_path / "HCPC2018_ANWEB.txt", codes(range(20)))
    new = write_text(tmp_path / "HCPC2020_ANWEB.txt", codes(range(30)))
    late = write_text(tmp_path / "jan2026.txt", codes(range(40)))
    assert cli("import", str(old), str(new))[0] == 0
    code, out, err = cli("import", str(late), "--label", "2019")
    assert (code, out) == (1, "")
    assert err == (
        "tracker: error: jan2026.txt: stored as 2019, it would precede 2020, which has 30 "
        "codes, 25.0% fewer than 2019 (40), over the 10% limit (wrong label or effective "
        "date?); use --force if it is real\n"
    )
    gone = write_text(tmp_path / "cut.txt", [*codes(range(20)), *codes(range(31, 36))])
    assert cli("import", str(gone), "--label", "2019")[2] == (
        "tracker: error: cut.txt: stored as 2019, it would precede 2020, in which 5 codes of "
        "2019 vanish without a termination date, over the limit of 3 (wrong label or "
        "effective date?); use --force if it is real\n"
    )
    right = write_text(tmp_path / "HCPC2019_ANWEB.txt", codes(range(25)))
    code, out, _ = cli("import", str(right))
    assert (code, out.splitlines()) == (
        0,
        [
            "imported 2019 (HCPC2019_ANWEB.txt): 25 codes, effective 2019-01-01",
            "  inserted between 2018 and 2020: the diff 2018 -> 2020 is now 2018 -> 2019 -> 2020",
        ],
    )
    assert _labels(cli) == ["2018", "2019", "2020"]


def test_a_release_inserted_before_the_first_says_so(cli: Cli, tmp_path: Path) -> None:
    assert cli("import", str(write_text(tmp_path / "HCPC2020_ANWEB.txt", codes(range(30)))))[0] == 0
    code, out, _ = cli("import", str(write_text(tmp_path / "HCPC2019_ANWEB.txt", codes(range(28)))))
    assert (code, out.splitlines()[1:]) == (
        0,
        ["  inserted before 2020: 2020 is now diffed against 2019"],
    )
