"""Write diff reports to a folder: one CSV and one JSON per release pair, written atomically."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from tracker.records import Diff
from tracker.report.csv import render_csv
from tracker.report.json import render_json


def report_stem(diff: Diff) -> str:
    """``HCPCS_2025-Q2_to_2025-Q3``: the pair, safe as a file name on any system."""
    name = f"{diff.new.code_set}_{diff.old.label}_to_{diff.new.label}"
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def write_reports(diff: Diff, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    stem = report_stem(diff)
    csv_path, json_path = directory / f"{stem}.csv", directory / f"{stem}.json"
    write_atomic(csv_path, render_csv(diff).encode("utf-8"))
    write_atomic(json_path, render_json(diff).encode("utf-8"))
    return [csv_path, json_path]


def write_atomic(path: Path, data: bytes) -> None:
    """Write beside the target, then rename: a reader never sees half a report."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; reports are for the whole team
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
