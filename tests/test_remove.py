"""`tracker remove LABEL --yes`: a release imported by mistake goes, its raw file stays, and the
run ledger says so (issue 9 item 5)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from tests.release_files import codes, run, write_text
from tracker.errors import NotFoundError
from tracker.query import code_history
from tracker.records import HCPCS, ParsedRelease, Record
from tracker.run.ingest import Storing, store_one
from tracker.run.lock import hold, lock_for
from tracker.store import Store

Cli = Callable[..., tuple[int, str, str]]  # cli(*argv) -> (exit code, stdout, stderr)


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    """A drop folder holding 2018, 2019 and 2020, settled (not being copied)."""
    folder = tmp_path / "drop"
    folder.mkdir()
    for year, count in ((2018, 20), (2019, 25), (2020, 30)):
        path = write_text(folder / f"HCPC{year}_ANWEB.txt", codes(range(count)))
        os.utime(path, (time.time() - 3600,) * 2)
    return folder


@pytest.fixture
def cli(tmp_path: Path, drop: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    config = tmp_path / "tracker.toml"
    config.write_text(
        f'[store]\ndata_dir = "{tmp_path / "data"}"\n'
        "[guard]\nmin_codes = 5\n"
        f'[source]\nlisting_urls = []\ndirectory = "{drop}"\n'
        f'[reports]\ndirectory = "{tmp_path / "reports"}"\nreport_since = 2018-01-01\n'
    )

    def call(*argv: str) -> tuple[int, str, str]:
        return run(capsys, "--config", str(config), *argv)

    return call


def _labels(cli: Cli) -> list[str]:
    return [r["label"] for r in json.loads(cli("releases", "--json")[1])]


def test_drop_folder_files_are_kept_in_the_raw_store(cli: Cli, tmp_path: Path, drop: Path) -> None:
    assert cli("check")[0] == 0
    raw = tmp_path / "data" / "raw"
    assert sorted(p.read_bytes() for p in raw.iterdir()) == sorted(
        p.read_bytes() for p in drop.iterdir()
    )
    assert all(p.suffix == ".txt" and len(p.stem) == 64 for p in raw.iterdir())


def test_remove_without_yes_says_what_it_would_remove(cli: Cli) -> None:
    assert cli("check")[0] == 0
    code, out, err = cli("remove", "2019")
    assert (code, out) == (2, "")
    assert err == (
        "tracker: error: would remove 2019 (HCPCS annual, effective 2019-01-01, 25 codes, from "
        "HCPC2019_ANWEB.txt); the diff 2018 -> 2019 -> 2020 becomes 2018 -> 2020; run again "
        "with --yes to remove it\n"
    )
    assert _labels(cli) == ["2018", "2019", "2020"]


def test_remove_takes_the_release_out_keeps_its_raw_file_and_is_in_the_ledger(
    cli: Cli, tmp_path: Path
) -> None:
    assert cli("check")[0] == 0
    raw_before = sorted((tmp_path / "data" / "raw").iterdir())
    code, out, err = cli("remove", "2019", "--yes")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[:2] == [
        "removed 2019 (HCPCS annual, effective 2019-01-01, 25 codes, from HCPC2019_ANWEB.txt)",
        "  the diff 2018 -> 2019 -> 2020 becomes 2018 -> 2020",
    ]
    [kept] = [p for p in raw_before if p.read_bytes().count(b"\r\n") == 25]
    assert lines[2:] == [f"  its raw file stays: {kept}"]
    assert sorted((tmp_path / "data" / "raw").iterdir()) == raw_before
    assert _labels(cli) == ["2018", "2020"]
    diff = json.loads(cli("diff", "--format", "json")[1])
    assert (diff["old"]["label"], diff["new"]["label"]) == ("2018", "2020")

    runs = json.loads(cli("runs", "--json")[1])
    assert [(r["kind"], r["trigger"], r["outcome"], r["note"]) for r in runs] == [
        ("remove", "manual", "ok",
         "removed 2019 (HCPCS annual, effective 2019-01-01, 25 codes, from HCPC2019_ANWEB.txt); "
         "the diff 2018 -> 2019 -> 2020 becomes 2018 -> 2020"),
        ("check", "manual", "ok", ""),
    ]  # fmt: skip
    text = cli("runs")[1].splitlines()
    assert text[0].endswith("UTC  manual   ok      removed 2019 (HCPCS annual, effective "
                            "2019-01-01, 25 codes, from HCPC2019_ANWEB.txt); the diff "
                            "2018 -> 2019 -> 2020 becomes 2018 -> 2020")  # fmt: skip
    assert " check " not in text[0] and "found 3, imported 2018, 2019, 2020" in text[1]


def test_status_looks_at_checks_not_removals(cli: Cli, drop: Path) -> None:
    (drop / "HCPC2021_ANWEB.txt").write_bytes(b"not a release\r\n")
    os.utime(drop / "HCPC2021_ANWEB.txt", (time.time() - 3600,) * 2)
    assert cli("check")[0] == 1
    assert cli("remove", "2018", "--yes")[0] == 0
    code, out, _ = cli("status")
    assert code == 1 and out.startswith("FAIL: no run has succeeded yet\n")


def test_a_check_takes_a_removed_file_still_in_the_drop_folder_in_again(cli: Cli) -> None:
    assert cli("check")[0] == 0
    assert cli("remove", "2020", "--yes")[0] == 0
    code, out, _ = cli("check")
    assert code == 0 and "imported 2020 (HCPC2020_ANWEB.txt): 30 codes" in out


def test_remove_waits_for_the_lock_like_an_import(cli: Cli, tmp_path: Path) -> None:
    assert cli("check")[0] == 0
    db = f"sqlite:///{tmp_path / 'data' / 'tracker.db'}"
    with hold(lock_for(db, tmp_path / "data"), "check"):
        code, out, err = cli("remove", "2019", "--yes", "--wait", "0")
    assert (code, out) == (1, "")
    assert err.startswith("tracker: error: another check (host ") and "holds the database" in err
    assert _labels(cli) == ["2018", "2019", "2020"]


def test_remove_of_an_unknown_label(cli: Cli) -> None:
    assert cli("check")[0] == 0
    assert cli("remove", "2017", "--yes")[:2] == (1, "")
    assert cli("remove", "2017")[2] == (
        "tracker: error: no release labelled '2017'; see `tracker releases`\n"
    )


def test_only_the_record_versions_no_other_release_holds_go(store: Store) -> None:
    def release(label: str, descriptions: dict[str, str]) -> ParsedRelease:
        records = tuple(
            Record(code, {"code": code, "long_description": text})
            for code, text in descriptions.items()
        )
        return ParsedRelease(HCPCS, label, date(int(label), 1, 1), f"{label}.txt", "s", records)

    kept = release("2024", {"A1": "one", "A2": "two"})
    store_one(store, kept, Storing(None))
    store_one(store, release("2025", {"A1": "one", "A2": "two, new", "A3": "three"}), Storing(None))
    store.catalog.remove("2025")
    assert store.catalog.records("2024") == {r.code: r for r in kept.records}
    with store.transaction() as sql:
        assert sql.values("select count(*) from record_version") == [
            2
        ]  # A1 shared and kept; 2025's A2 and A3 gone
    assert [e.release.info.label for e in code_history(store, "A2")] == ["2024"]
    with pytest.raises(NotFoundError, match="code 'A3' is in no stored release"):
        code_history(store, "A3")
