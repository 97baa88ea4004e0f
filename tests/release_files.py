"""Small HCPCS release files for CLI tests, in the real formats (tests/anweb.py), and a config
whose guard suits releases of a few dozen codes."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

from tests.anweb import anweb_text, anweb_workbook, workbook_row
from tracker.cli import main
from tracker.records import Value

Codes = list[tuple[str, dict[str, Value]]]


def codes(numbers: Iterable[int], *, variant: str = "") -> Codes:
    """Invented live codes A0000.. with a description (``variant`` makes other records)."""
    return [
        (f"A{i:04d}", {"long_description": f"Invented item {i}{variant}", "action_cd": "N"})
        for i in numbers
    ]


def write_text(path: Path, records: Codes) -> Path:
    path.write_bytes(anweb_text(records))
    return path


def write_zip(path: Path, members: Mapping[str, bytes]) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    path.write_bytes(buffer.getvalue())
    return path


def both_copies(path: Path, text: Codes, book: Codes, *, stem: str) -> Path:
    """A CMS-like ZIP holding the text ``<stem>.txt`` and the workbook ``<stem>.xlsx``."""
    workbook = anweb_workbook([workbook_row(code, values) for code, values in book])
    return write_zip(path, {f"{stem}.txt": anweb_text(text), f"{stem}.xlsx": workbook})


def write_config(tmp_path: Path) -> Path:
    """A config whose data folder is ``tmp_path/data`` and whose guard takes small releases
    (floor 5 codes, 10% drop, 3 live codes removed)."""
    config = tmp_path / "tracker.toml"
    config.write_text(
        f'[store]\ndata_dir = "{tmp_path / "data"}"\n'
        "[guard]\nmin_codes = 5\nmax_drop_percent = 10\nmax_removed = 3\n"
    )
    return config


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
