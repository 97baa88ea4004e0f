"""Reports of a diff: text for a terminal, CSV for Excel, JSON for machines. Pure: a Diff in,
a string out; ``publish`` writes them to a folder."""

from __future__ import annotations

from tracker.records import Diff
from tracker.report.csv import render_csv
from tracker.report.json import render_json
from tracker.report.text import render_text

FORMATS = ("text", "csv", "json")


def render(diff: Diff, fmt: str) -> str:
    """The diff in one of FORMATS."""
    if fmt == "text":
        return render_text(diff)
    if fmt == "csv":
        return render_csv(diff)
    if fmt == "json":
        return render_json(diff)
    raise ValueError(f"unknown format {fmt!r}")
