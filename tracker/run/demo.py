"""`tracker demo`: the whole job offline, on three small releases bundled with the package."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from itertools import pairwise
from pathlib import Path

from tracker.guard import Guard
from tracker.query import stored_diff
from tracker.records import Diff
from tracker.report.publish import write_reports
from tracker.run.ingest import import_files
from tracker.store import ImportResult, Store

# The samples hold a dozen codes; the real floor (1,000 codes) would refuse them.
DEMO_GUARD = Guard(max_drop=0.5, min_codes=1)


@dataclass(frozen=True)
class DemoResult:
    imports: list[ImportResult]
    diffs: list[Diff]
    reports: list[Path]


def sample_paths() -> list[Path]:
    folder = resources.files("tracker") / "samples"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".txt"))


def run_demo(store: Store, reports_dir: Path, *, max_unpacked: int) -> DemoResult:
    imports = import_files(store, sample_paths(), guard=DEMO_GUARD, max_unpacked=max_unpacked)
    labels = [r.release.info.label for r in imports]
    diffs = [stored_diff(store, old, new) for old, new in pairwise(labels)]
    reports = [path for diff in diffs for path in write_reports(diff, reports_dir)]
    return DemoResult(imports, diffs, reports)
