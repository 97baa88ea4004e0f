"""Read-only commands never create anything; `--db` also takes a plain file path (issue 9
item 6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.release_files import codes, run, write_text
from tracker.run.demo import sample_paths

READ_ONLY = [
    ["releases"],
    ["releases", "--json"],
    ["diff"],
    ["history", "A0001"],
    ["runs"],
    ["status"],
    ["cpt", "cadence"],
]


@pytest.mark.parametrize("command", READ_ONLY, ids=" ".join)
def test_a_read_only_command_on_a_missing_database_creates_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: list[str]
) -> None:
    config = tmp_path / "tracker.toml"
    config.write_text(f'[store]\ndata_dir = "{tmp_path / "data"}"\n')
    db = f"sqlite:///{tmp_path / 'typo' / 'trackr.db'}"
    code, out, err = run(capsys, "--config", str(config), "--db", db, *command)
    assert (code, out, err) == (1, "", f"tracker: error: database not found: {db}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tracker.toml"]


@pytest.mark.parametrize("command", READ_ONLY, ids=" ".join)
def test_a_file_that_is_no_tracker_database_is_not_found_and_left_alone(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: list[str]
) -> None:
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    code, _, err = run(capsys, "--db", str(empty), *command)
    assert (code, err) == (1, f"tracker: error: database not found: sqlite:///{empty}\n")
    assert empty.read_bytes() == b""


def test_db_takes_a_plain_file_path(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "new" / "tracker.db"
    code, out, _ = run(capsys, "--db", str(path), "import", "--force", str(sample_paths()[0]))
    assert (code, out) == (
        0, "imported 2025 (HCPC2025_ANWEB_SAMPLE.txt): 8 codes, effective 2025-01-01\n"
    )  # fmt: skip
    assert path.is_file()
    _, out, _ = run(capsys, "--db", f"sqlite:///{path}", "releases", "--json")
    assert [r["label"] for r in json.loads(out)] == ["2025"]


def test_a_relative_path_is_relative_to_the_working_folder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_text(tmp_path / "HCPC2026_ANWEB.txt", codes(range(3)))
    assert run(capsys, "--db", "snap/t.db", "import", "--force", "HCPC2026_ANWEB.txt")[0] == 0
    assert (tmp_path / "snap" / "t.db").is_file()
    assert run(capsys, "--db", "snap/t.db", "runs")[0] == 0
    assert run(capsys, "--db", "snap/x.db", "runs")[2] == (
        "tracker: error: database not found: sqlite:///snap/x.db\n"
    )


def test_a_password_in_the_url_is_never_shown(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Nothing listens on port 1: the connection is refused at once.
    db = "postgresql+psycopg://tracker:s3cret@127.0.0.1:1/tracker"
    code, out, err = run(capsys, "--db", db, "releases")
    assert (code, out) == (1, "")
    assert "s3cret" not in err and "tracker:***@127.0.0.1:1/tracker" in err
