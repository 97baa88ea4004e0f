"""Write diff reports to a folder: per release pair a CSV and a JSON (for machines), a workbook
and a page (for people), each written atomically."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from tracker.records import Diff, Impact
from tracker.report.csv import render_csv
from tracker.report.html import render_html
from tracker.report.json import render_json
from tracker.report.xlsx import render_xlsx

SUFFIXES = (".csv", ".json", ".xlsx", ".html")


def report_stem(diff: Diff) -> str:
    """``HCPCS_2025-Q2_to_2025-Q3``: the pair, safe as a file name on any system."""
    name = f"{diff.new.code_set}_{diff.old.label}_to_{diff.new.label}"
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def write_reports(diff: Diff, directory: Path, *, impacts: Sequence[Impact] = ()) -> list[Path]:
    """The pair's reports, led by the impact on each watchlist: the same bytes for the same
    pair, so a run that writes them again (the one before stopped before reporting them)
    leaves a file that holds them untouched."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = report_stem(diff)
    rendered = {
        ".csv": render_csv(diff).encode("utf-8"),
        ".json": render_json(diff).encode("utf-8"),
        ".xlsx": render_xlsx(diff, impacts=impacts),
        ".html": render_html(diff, impacts=impacts).encode("utf-8"),
    }
    paths = []
    for suffix in SUFFIXES:
        path, data = directory / f"{stem}{suffix}", rendered[suffix]
        if not _holds(path, data):
            write_atomic(path, data)
        paths.append(path)
    return paths


def _holds(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def write_atomic(path: Path, data: bytes) -> None:
    """Write beside the target, then rename: a reader never sees half a report."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            # On disk before the rename: after a power cut the name holds the whole report
            # or the file it replaced, never an empty file.
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; reports are for the whole team
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
