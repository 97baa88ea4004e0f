"""Releases and what changed between them: `tracker import`, `remove`, `releases`, `diff`,
`history`, `timeline` and `demo`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker.cli.common import (
    IMPORT_WAIT,
    Subparsers,
    add_command,
    add_wait,
    date_arg,
    db_url,
    import_lock,
    label_arg,
    load,
    notice,
    print_json,
    store_for,
    write_output,
)
from tracker.errors import UsageError

if TYPE_CHECKING:
    from tracker.records import Diff
    from tracker.store import Store

CATEGORIES = ("added", "deleted", "discontinued", "reactivated", "changed", "claimed_only")
DIFF_FORMATS = ("text", "csv", "json", "xlsx", "html")
TIMELINE_FORMATS = ("text", "json", "html", "xlsx")
_BINARY = frozenset({"xlsx"})
DIFF_HELP = (
    "what changed between two stored releases of one code set: `diff` compares the newest "
    "release with the one before it, `diff NEW` compares NEW with the one before it, "
    "`diff OLD NEW` compares the two"
)


def add_release_commands(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    add_demo(sub, common)
    add_import(sub, common)
    add_command(
        sub, common, "releases", cmd_releases, "list stored releases, oldest first"
    ).add_argument("--json", action="store_true", help="print a JSON list")
    add_diff(sub, common)
    p = add_command(
        sub, common, "history", cmd_history, "a code's life: every change, its status, successors"
    )
    p.add_argument("code", metavar="CODE")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p = add_command(
        sub, common, "timeline", cmd_timeline,
        "the stored history at a glance: per release, its size and the codes added, ended, changed",
    )  # fmt: skip
    p.add_argument("--format", choices=TIMELINE_FORMATS, help="default: from --output, else text")
    p.add_argument("--output", metavar="FILE", type=Path, help="write it to FILE")
    p = add_command(
        sub, common, "remove", cmd_remove,
        "take a release out of the store (its raw file stays); recorded in the run ledger",
    )  # fmt: skip
    p.add_argument("label", metavar="LABEL")
    p.add_argument("--yes", action="store_true", help="remove it (without: say what would go)")
    add_wait(p, IMPORT_WAIT, "a check or an import")


def add_demo(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    help = "import three bundled sample releases and report their diffs"
    p = add_command(sub, common, "demo", cmd_demo, help)
    p.add_argument(
        "--output",
        metavar="DIR",
        type=Path,
        default=None,
        help="folder for the demo reports (default: snapshots/demo/reports)",
    )


def add_import(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    help = "import HCPCS release files (CMS ZIP, ANWEB .txt, .xlsx or .xls)"
    p = add_command(sub, common, "import", cmd_import, help)
    p.add_argument("paths", nargs="+", metavar="PATH", type=Path)
    p.add_argument(
        "--label", type=label_arg, help="release label for a renamed file: YYYY or YYYY-Qn"
    )
    p.add_argument("--effective", type=date_arg, metavar="DATE", help="effective date, YYYY-MM-DD")
    p.add_argument(
        "--force", action="store_true", help="import even if the mass-change guard refuses"
    )
    add_wait(p, IMPORT_WAIT, "a check or another import")


def add_diff(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    help = "report what changed between two stored releases"
    p = add_command(sub, common, "diff", cmd_diff, help, DIFF_HELP)
    p.add_argument("labels", nargs="*", metavar="LABEL", help="none, NEW, or OLD NEW (see above)")
    p.add_argument(
        "--format", choices=DIFF_FORMATS, help="default: from --output's extension, else text"
    )
    p.add_argument("--output", metavar="FILE", type=Path, help="write the report to FILE")
    p.add_argument(
        "--per", choices=("field", "code"), default="field",
        help="CSV: one row per field change (default) or one row per code",
    )  # fmt: skip
    p.add_argument(
        "--category", action="append", choices=CATEGORIES, default=[],
        help="only this category (repeatable)",
    )  # fmt: skip
    p.add_argument(
        "--code", action="append", default=[], metavar="PREFIX",
        help="only codes starting with PREFIX (repeatable): J16 matches J1600 to J1699",
    )  # fmt: skip
    p.add_argument("--watch", metavar="NAME", help="only the codes of this watchlist")
    p.add_argument(
        "--schema", action="store_true", help="print the JSON Schema of --format json and exit"
    )


def output_format(fmt: str | None, output: Path | None, formats: tuple[str, ...]) -> str:
    """The format asked for: --format, else --output's extension, else text. A contradiction
    (``--format csv --output report.json``) is a usage error: the file would lie."""
    suffix = output.suffix.lower().lstrip(".") if output is not None else ""
    implied = suffix if suffix in formats else None
    if fmt is not None and implied is not None and fmt != implied:
        raise UsageError(f"--format {fmt} contradicts --output {output}: give one or the other")
    chosen = fmt or implied or "text"
    if chosen in _BINARY and output is None:
        raise UsageError(f"--format {chosen} writes a workbook: give --output FILE.{chosen}")
    return chosen


# --- commands ------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace) -> int:
    from tracker.cli.db import open_store
    from tracker.report.text import summary_line
    from tracker.run.demo import run_demo

    config = load(args)
    demo_dir = config.data_dir / "demo"
    # The demo keeps to its own database unless told otherwise: never mix it with real data.
    db = db_url(getattr(args, "db", None)) or f"sqlite:///{demo_dir / 'demo.db'}"
    store = open_store(db, config.data_dir, writes="import")
    result = run_demo(
        store, args.output or demo_dir / "reports", max_unpacked=config.source.max_unpacked_bytes
    )
    for item in result.imports:
        print(import_line(item))
    for diff in result.diffs:
        print(summary_line(diff))
    for path in result.reports:
        print(f"report: {path}")
    print(f"database: {db}")
    print("Next: tracker --db", db, "diff --format text")
    return 0


def import_line(result: Any) -> str:
    from tracker.run.ingest import insertion_note

    info = result.release.info
    if result.status == "already":
        return f"already imported as {info.label}: {info.source_name}; nothing changed"
    rev = f", revision {info.revision}" if info.revision > 1 else ""
    note = insertion_note(result)  # which diffs a release inserted before others changed
    return (
        f"imported {info.label} ({info.source_name}): {result.release.codes} codes, "
        f"effective {info.effective}{rev}" + (f"\n  {note}" if note else "")
    )


def cmd_import(args: argparse.Namespace) -> int:
    from concurrent.futures import ThreadPoolExecutor

    from tracker.run.ingest import ReleaseFile, Storing, read_files, store_releases

    if len(args.paths) > 1 and (args.label or args.effective):
        raise UsageError("--label and --effective name one release: import one file at a time")
    config = load(args)
    files = [ReleaseFile(path, args.label, args.effective) for path in args.paths]
    how = Storing(config.guard.as_guard(), force=args.force, effective=args.effective)
    # The files are read while the lock is taken (a check may hold it: --wait) and the store
    # opened: what `import_files` does, in that order, sooner.
    with ThreadPoolExecutor(max_workers=1) as pool:
        reading = pool.submit(read_files, files, max_unpacked=config.source.max_unpacked_bytes)
        with import_lock(config, args.wait):
            store = store_for(config, writes="import", locked=True)
            results = store_releases(store, reading.result(), how)
    for result in results:
        print(import_line(result))
    return 0


def cmd_releases(args: argparse.Namespace) -> int:
    from tracker.report.json import release_json

    store = store_for(load(args))
    releases, disagree = store.catalog.releases(), store.catalog.disagreement_counts()
    if args.json:
        print_json([
            release_json(r.info) | {"codes": r.codes, "imported_at": r.imported_at.isoformat(),
                                    "copies_disagree": disagree.get(r.info.label, 0)}
            for r in releases
        ])  # fmt: skip
        return 0
    if not releases:
        print("No releases stored yet: run `tracker import PATH` or `tracker check`.")
    for r in releases:
        i = r.info
        # A column only when some release's text and workbook copies disagree on codes.
        copies = f"copies disagree on {disagree.get(i.label, 0):>4}  " if disagree else ""
        print(f"{i.code_set:<6} {i.label:<18} rev {i.revision}  effective {i.effective}  "
              f"{r.codes:>6} codes  imported {r.imported_at:%Y-%m-%d %H:%M} UTC  "
              f"{copies}{i.source_name}")  # fmt: skip
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    if args.schema:
        from tracker.report.json import schema_text

        sys.stdout.write(schema_text())
        return 0
    if len(args.labels) > 2:
        raise UsageError("diff takes at most two release labels: [OLD] NEW")
    fmt = output_format(args.format, args.output, DIFF_FORMATS)
    if args.per == "code" and fmt != "csv":
        raise UsageError("--per code is for --format csv")
    store = store_for(load(args))
    diff = _selected(store, args, _stored(store, args.labels))
    write_output(args.output, _render(store, diff, fmt, args.per))
    return 0


def _stored(store: Store, labels: list[str]) -> Diff:
    from tracker.order import release_order
    from tracker.query import stored_diff

    if len(labels) == 2:
        old, new = (store.catalog.release(label).info for label in labels)
        if old.label == new.label:
            notice(f"warning: {old.label} compared with itself: there is nothing to report")
        elif old.code_set == new.code_set and release_order(old) > release_order(new):
            notice(f"warning: {old.label} is newer than {new.label}: this diff reads backwards")
        return stored_diff(store, *labels)
    if len(labels) == 1:  # `diff NEW`: NEW against the release before it
        return stored_diff(store, labels[0])
    return stored_diff(store)


def _selected(store: Store, args: argparse.Namespace, diff: Diff) -> Diff:
    from tracker.diff import select

    whole = diff
    if args.watch:
        diff = select(diff, exact=store.watchlists.get(args.watch).codes)
    diff = select(diff, categories=args.category, codes=args.code)
    if whole.changes and not diff.changes:
        # "No changes." alone would read as if a mistyped code were unchanged.
        notice(f"no change matches the filters; the diff holds {len(whole.changes):,} changes")
    return diff


def _render(store: Store, diff: Diff, fmt: str, per: str) -> str | bytes:
    if fmt == "csv":
        from tracker.report.csv import render_csv

        return render_csv(diff, per=per)
    if fmt in ("xlsx", "html"):
        from tracker.query import impacts_for

        impacts = impacts_for(store, diff)
        if fmt == "html":
            from tracker.report.html import render_html

            return render_html(diff, impacts=impacts)
        from tracker.report.xlsx import render_xlsx

        return render_xlsx(diff, impacts=impacts)
    from tracker.report import render

    return render(diff, fmt)


def cmd_history(args: argparse.Namespace) -> int:
    from tracker.query.lookup import code_life
    from tracker.report.life import history_json
    from tracker.report.text import render_history

    life = code_life(store_for(load(args)), args.code.strip().upper())
    if args.json:
        print_json(history_json(life))
        return 0
    sys.stdout.write(render_history(life))
    return 0


def cmd_timeline(args: argparse.Namespace) -> int:
    from tracker.query import timeline
    from tracker.report.timeline import render_timeline

    fmt = output_format(args.format, args.output, TIMELINE_FORMATS)
    write_output(args.output, render_timeline(timeline(store_for(load(args))), fmt))
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from tracker.run.remove import describe, plan_removal, raw_files, remove_release

    config = load(args)
    if not args.yes:
        planned = plan_removal(store_for(config), args.label)  # read-only: creates nothing
        effect = f"; {planned.effect}" if planned.effect else ""
        raise UsageError(
            f"would remove {describe(planned.release)}{effect}; run again with --yes to remove it"
        )
    store_for(config)  # a database that is not there is "not found": removing creates nothing
    with import_lock(config, args.wait):
        removal = remove_release(store_for(config, writes="import", locked=True), args.label)
    print(f"removed {describe(removal.release)}")
    if removal.effect:
        print(f"  {removal.effect}")
    for path in raw_files(config.data_dir / "raw", removal.release.info.sha256):
        print(f"  its raw file stays: {path}")
    return 0
