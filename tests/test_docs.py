"""The README, `--help`, `.ci/run` and config.example.toml stay in step with the code."""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tracker.cli import build_parser
from tracker.config import example_toml, load_config

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _commands(
    parser: argparse.ArgumentParser, prefix: str = "tracker"
) -> dict[str, argparse.ArgumentParser]:
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                has_sub = any(isinstance(a, argparse._SubParsersAction) for a in sub._actions)
                if has_sub:
                    found.update(_commands(sub, f"{prefix} {name}"))
                else:
                    found[f"{prefix} {name}"] = sub
    return found


def _readme_rows() -> list[str]:
    """The first cell of each row of the README's command table."""
    section = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `(tracker [^`]+)` \|", section, re.MULTILINE)


def test_every_command_is_in_the_readme_table_with_its_options() -> None:
    commands = _commands(build_parser())
    names = {}
    for row in _readme_rows():
        words = row.split()
        name = (
            " ".join(words[:3])
            if words[1] in ("cpt", "config", "db", "watch")
            else " ".join(words[:2])
        )
        names[name] = row
    assert sorted(names) == sorted(commands)
    for name, parser in commands.items():
        options = {
            opt
            for action in parser._actions
            for opt in action.option_strings
            if opt.startswith("--") and opt not in ("--help", "--db", "--config")
        }
        assert options == set(re.findall(r"--[a-z-]+", names[name])), name


def test_readme_quickstart_has_two_commands_and_ci_runs_the_second() -> None:
    quickstart = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)\n```", quickstart, re.DOTALL)
    assert len(blocks) == 2 and all("\n" not in b for b in blocks)
    assert blocks[0].endswith("tracker demo")
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ci[-1] == blocks[1]


def test_help_runs_for_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    for name in _commands(build_parser()):
        with pytest.raises(SystemExit) as exit_:
            build_parser().parse_args([*name.split()[1:], "--help"])
        assert exit_.value.code == 0
        assert capsys.readouterr().out.startswith("usage: tracker")


def test_config_example_is_the_schema_and_loads() -> None:
    example = ROOT / "config.example.toml"
    assert example.read_text() == example_toml(), "run: python -m tracker.config > " + str(example)
    assert load_config(example, environ={}).email is not None


@pytest.mark.skipif(shutil.which("ruff", path=str(Path(sys.executable).parent)) is None,
                    reason="ruff is not installed (pip install -e '.[test]')")  # fmt: skip
def test_ruff_is_clean() -> None:
    bin_dir = Path(sys.executable).parent
    for args in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run(
            [str(bin_dir / "ruff"), *args], cwd=ROOT, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(shutil.which("mypy", path=str(Path(sys.executable).parent)) is None,
                    reason="mypy is not installed (pip install -e '.[test]')")  # fmt: skip
def test_mypy_is_clean() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "mypy")], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
