"""Benchmark tracker against simonw's git-history on the real CMS HCPCS releases.

Run from the repository root: ``python bench/bench.py`` (``--help`` for options).

Imports the four real releases in ``../shared/cms/`` into a fresh SQLite database and diffs each
consecutive pair, then loads the same releases into git-history (one CSV per release, one commit
per release, in a scratch git repository) and prints both side by side with the project's targets
(issue 2, item 10). Every time is the median of ``--repeat`` runs: the machine is noisy.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import importlib.util
import io
import logging
import os
import platform
import pstats
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import pairwise
from pathlib import Path, PurePosixPath
from typing import TypeVar

from sqlalchemy import create_engine
from sqlalchemy import text as sql_text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

REPO = Path(__file__).resolve().parents[1]
CMS_DIR = REPO.parent / "shared" / "cms"

if str(REPO) not in sys.path:  # run as a script from a checkout that is not pip-installed
    sys.path.insert(0, str(REPO))

from tracker import __version__ as TRACKER_VERSION  # noqa: E402
from tracker.config import SourceSettings  # noqa: E402
from tracker.guard import Guard  # noqa: E402
from tracker.hcpcs.container import data_members  # noqa: E402
from tracker.hcpcs.identity import identity_from_name  # noqa: E402
from tracker.hcpcs.layout import FIELD_NAMES  # noqa: E402
from tracker.hcpcs.read import read_release  # noqa: E402
from tracker.query import stored_diff  # noqa: E402
from tracker.records import ParsedRelease  # noqa: E402
from tracker.run.ingest import import_files  # noqa: E402
from tracker.store import Store  # noqa: E402

UNPACKED = SourceSettings().max_unpacked_bytes  # the [source] max_unpacked_mb default

T = TypeVar("T")

CSV_NAME = "hcpcs.csv"  # the one file git-history follows through the commits

# The targets of issue 2, item 10.
MIN_SPEEDUP = 20.0
MAX_IMPORT_S = 1.0
MAX_DIFF_S = 0.3
MAX_HELP_S = 0.2
# Issue 9: as whole CLI processes. Issue 12, item 6: PostgreSQL against SQLite.
MAX_CLI_IMPORT_S = 1.0
MIN_CLI_SPEEDUP = 20.0
MAX_PG_RATIO = 2.0

# git reads no user or system config (hooks, signing, templates) in the scratch repository.
GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}


# --- helpers -------------------------------------------------------------------------------


def timed(func: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def rss_bytes(ru_maxrss: int) -> int:
    # Linux reports ru_maxrss in KiB, macOS in bytes.
    return ru_maxrss if sys.platform == "darwin" else ru_maxrss * 1024


def mib(n: float) -> str:
    return f"{n / 2**20:.1f} MiB"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=True)]
    right = [i > 0 for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            str(c).rjust(w) if r else str(c).ljust(w)
            for c, w, r in zip(cells, widths, right, strict=True)
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def heading(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 76 - len(title)))


def script(name: str) -> Path | None:
    """A console script of this interpreter's environment (works without activating it)."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which(name)
    return Path(found) if found else None


# Runs one command and prints its wall time, peak RSS and exit code. A child's ru_maxrss on Linux
# starts at the RSS of the process that forked it, so the bench (hundreds of MiB by then) must
# not be the direct parent of the command it measures: this small interpreter is.
_LAUNCHER = """
import os, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
elapsed = time.perf_counter() - start
print(elapsed, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def child_env() -> dict[str, str]:
    """This environment for a child, with Python's bytecode cache on: an installed tracker has
    its ``.pyc`` files, and a child that may not write them (PYTHONDONTWRITEBYTECODE, set in
    some sandboxes) compiles every tracker module it imports, every run (~0.1 s)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_child(cmd: Sequence[str | Path], *, cwd: Path | None = None) -> tuple[float, int]:
    """Wall time and peak RSS in bytes of one child process, which must succeed."""
    # The checkout first on the path: `python -m tracker` then runs this code, installed or not.
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *map(str, cmd)],
        cwd=cwd,
        env=child_env() | {"PYTHONPATH": path},
        capture_output=True,
        text=True,
        check=True,
    )
    elapsed, maxrss, code = done.stdout.split()
    if int(code) != 0:
        raise SystemExit(f"bench: {' '.join(map(str, cmd))} failed (exit {code}):\n{done.stderr}")
    return float(elapsed), rss_bytes(int(maxrss))


def db_space(path: Path) -> list[tuple[str, int]]:
    """Bytes per table and index, biggest first (SQLite's dbstat, when compiled in)."""
    with sqlite3.connect(path) as conn:
        try:
            rows = conn.execute(
                "select name, sum(pgsize) from dbstat group by name order by 2 desc"
            ).fetchall()
        except sqlite3.OperationalError:
            rows = conn.execute(
                "select name, 0 from sqlite_master where type in ('table', 'index')"
            ).fetchall()
    return [(str(name), int(size)) for name, size in rows]


# --- the releases --------------------------------------------------------------------------


def release_zips(cms_dir: Path) -> list[Path]:
    if not cms_dir.is_dir():
        raise SystemExit(
            f"bench: {cms_dir} not found; the benchmark needs the real CMS release ZIPs in "
            "../shared/cms beside the checkout (or pass --cms DIR)"
        )
    zips = [p for p in cms_dir.glob("*.zip") if "alpha-numeric" in p.name.lower()]
    if len(zips) < 2:
        raise SystemExit(f"bench: {cms_dir} holds {len(zips)} *Alpha-Numeric*.zip; need 2 or more")
    dated = [(identity_from_name(p.name), p) for p in zips]
    unnamed = [p.name for i, p in dated if i is None]
    if unnamed:
        raise SystemExit(f"bench: cannot tell the release of {', '.join(unnamed)} from its name")
    # Oldest first, from the names (the tracker's own rule), so nothing is parsed ahead of the
    # timed imports and the process's peak RSS is the tracker's.
    return [p for i, p in sorted(dated, key=lambda d: (d[0].effective if d[0] else None, d[1]))]


# --- tracker -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    name: str
    seconds: float  # median
    peak: int = 0  # tracemalloc peak, bytes
    codes: int = 0  # an import: codes in the release
    note: str = ""


@dataclass(frozen=True)
class Pass:
    """One repetition: seconds per step, tracemalloc peaks (when traced), what was stored."""

    open_seconds: float
    import_seconds: list[float]
    diff_seconds: list[float]
    peaks: list[int]
    labels: list[str]
    codes: list[int]
    summaries: list[str]
    changed: list[int]  # codes in each diff that are not deleted
    db: Path


@dataclass(frozen=True)
class TrackerRun:
    open_seconds: float
    imports: list[Step]
    diffs: list[Step]
    labels: list[str]
    changed_counts: list[int]
    db_bytes: int
    db_path: Path
    max_rss: int


def tracker_pass(zips: Sequence[Path], work: Path, *, trace: bool = False) -> Pass:
    """One repetition on a fresh database: open, import each release in order, diff pairs."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db = work / "bench.db"
    open_s, store = timed(partial(Store, f"sqlite:///{db}"))
    run = Pass(open_s, [], [], [], [], [], [], [], db)
    for path in zips:
        if trace:
            tracemalloc.reset_peak()
        seconds, results = timed(
            partial(import_files, store, [path], guard=Guard(), max_unpacked=UNPACKED)
        )
        if trace:
            run.peaks.append(tracemalloc.get_traced_memory()[1])
        run.import_seconds.append(seconds)
        run.labels.append(results[0].release.info.label)
        run.codes.append(results[0].release.codes)
    for old, new in pairwise(run.labels):
        if trace:
            tracemalloc.reset_peak()
        seconds, diff = timed(partial(stored_diff, store, old, new))
        if trace:
            run.peaks.append(tracemalloc.get_traced_memory()[1])
        run.diff_seconds.append(seconds)
        run.summaries.append(", ".join(f"{n} {c}" for c, n in diff.summary.items()))
        run.changed.append(sum(1 for c in diff.changes if c.category != "deleted"))
    store.close()
    return run


def bench_tracker(zips: Sequence[Path], tmp: Path, repeat: int) -> TrackerRun:
    runs = [tracker_pass(zips, tmp / f"tracker-{i}") for i in range(repeat)]
    max_rss = rss_bytes(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    # A separate pass measures memory: tracemalloc slows Python down several times over.
    tracemalloc.start()
    peaks = tracker_pass(zips, tmp / "tracker-mem", trace=True).peaks
    tracemalloc.stop()
    last = runs[-1]
    imports = [
        Step(f"import {label}", median([r.import_seconds[i] for r in runs]), peaks[i], codes=n)
        for i, (label, n) in enumerate(zip(last.labels, last.codes, strict=True))
    ]
    diffs = [
        Step(
            f"diff {old} -> {new}",
            median([r.diff_seconds[i] for r in runs]),
            peaks[len(zips) + i],
            note=last.summaries[i],
        )
        for i, (old, new) in enumerate(pairwise(last.labels))
    ]
    return TrackerRun(
        median([r.open_seconds for r in runs]),
        imports,
        diffs,
        last.labels,
        last.changed,
        last.db.stat().st_size,
        last.db,
        max_rss,
    )


@dataclass(frozen=True)
class CliRun:
    """The in-process work again, as whole `tracker` processes."""

    total: float  # median of the repetitions' sums
    max_rss: int  # the largest child's peak RSS, bytes
    steps: list[Step]  # the import process, then each diff process: medians


def bench_tracker_cli(
    zips: Sequence[Path], labels: Sequence[str], tmp: Path, repeat: int
) -> CliRun:
    """The same work through the installed console script, as a user (or cron) runs it."""
    exe = script("tracker")
    cmd: list[str | Path] = [exe] if exe else [sys.executable, "-m", "tracker"]
    names = ["tracker import (all ZIPs)"] + [
        f"tracker diff {old} {new} --format json" for old, new in pairwise(labels)
    ]
    runs: list[list[float]] = []
    peak = 0
    for i in range(repeat):
        work = tmp / f"tracker-cli-{i}"
        work.mkdir()
        db = ["--db", f"sqlite:///{work / 'cli.db'}"]
        seconds, rss = run_child([*cmd, *db, "import", *zips], cwd=work)
        times = [seconds]
        peak = max(peak, rss)
        for old, new in pairwise(labels):
            out = work / f"{old}-{new}.json"
            seconds, rss = run_child(
                [*cmd, *db, "diff", old, new, "--format", "json", "--output", out], cwd=work
            )
            times.append(seconds)
            peak = max(peak, rss)
        runs.append(times)
    steps = [Step(name, median([r[k] for r in runs])) for k, name in enumerate(names)]
    return CliRun(median([sum(r) for r in runs]), peak, steps)


def bench_help(repeat: int) -> list[tuple[str, float]]:
    """Start-up: `tracker --help` as a module and as the console script, beside bare Python."""
    commands: list[tuple[str, list[str | Path]]] = [
        ("python -c pass (interpreter alone)", [sys.executable, "-c", "pass"]),
        ("python -m tracker --help", [sys.executable, "-m", "tracker", "--help"]),
    ]
    exe = script("tracker")
    if exe is not None:
        commands.append((f"{exe} --help", [exe, "--help"]))
    out = []
    for name, cmd in commands:
        run_child(cmd, cwd=REPO)  # warm the page cache and __pycache__
        out.append((name, median([run_child(cmd, cwd=REPO)[0] for _ in range(repeat)])))
    return out


@dataclass(frozen=True)
class CliImports:
    """Issue 9: one `tracker import` process on a fresh database, median wall and peak RSS."""

    zip_name: str  # the ZIP holding both copies (text and workbook)
    both: tuple[float, int]  # the ZIP: both copies read, compared and stored
    workbook_name: str
    workbook: tuple[float, int]  # its workbook copy alone


def bench_cli_imports(zips: Sequence[Path], tmp: Path, repeat: int) -> CliImports | None:
    """The newest ZIP holding both copies, imported as one CLI process; then its workbook
    alone (unpacked to the scratch folder first). None when no ZIP holds both."""
    for path in reversed(zips):
        with zipfile.ZipFile(path) as archive:
            members = data_members(str(path), archive.namelist())
            books = [m for m in members if m.lower().endswith((".xlsx", ".xls"))]
            if len(members) < 2 or not books:
                continue
            work = tmp / "cli-imports"
            work.mkdir()
            book = work / PurePosixPath(books[0]).name
            book.write_bytes(archive.read(books[0]))
        named = identity_from_name(path.name)
        label = ["--label", named.label] if named is not None else []
        exe = script("tracker")
        cmd: list[str | Path] = [exe] if exe else [sys.executable, "-m", "tracker"]
        run_child([*cmd, "--help"], cwd=work)  # warm the page cache and __pycache__
        both = cli_import([*cmd, "import", path], work, "zip", repeat)
        alone = cli_import([*cmd, "import", book, *label], work, "book", repeat)
        return CliImports(path.name, both, book.name, alone)
    return None


def cli_import(cmd: Sequence[str | Path], work: Path, what: str, repeat: int) -> tuple[float, int]:
    """Median wall and peak RSS of one import process, each run on a new database."""
    runs = [
        run_child([*cmd, "--db", f"sqlite:///{work / f'{what}-{i}.db'}"], cwd=work)
        for i in range(repeat)
    ]
    return median([seconds for seconds, _ in runs]), max(rss for _, rss in runs)


@dataclass(frozen=True)
class PgRun:
    """Issue 12, item 6: the in-process imports of ``tracker_pass``, on PostgreSQL."""

    server: str  # the URL without its password
    open_seconds: float  # median: a new database's schema
    import_seconds: list[float]  # median per release, oldest first


def pg_url_for(url: str) -> str:
    """The URL as given, or one line saying it is unusable."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise SystemExit(f"bench: --pg {url!r} is not a database URL ({exc})") from None
    if parsed.get_backend_name() != "postgresql":
        raise SystemExit(f"bench: --pg {parsed!r} is not a PostgreSQL URL")
    return url


def bench_postgres(zips: Sequence[Path], url: str, repeat: int) -> PgRun:
    """Each repetition: a new database on the server (CREATE DATABASE, dropped after), the
    store opened on it and the releases imported one at a time, oldest first, as on SQLite."""
    server = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    opens: list[float] = []
    imports: list[list[float]] = []
    try:
        for i in range(repeat):
            name = f"tracker_bench_{os.getpid()}_{i}"
            with server.connect() as conn:
                conn.execute(sql_text(f'CREATE DATABASE "{name}"'))
            try:
                db_url = make_url(url).set(database=name).render_as_string(hide_password=False)
                seconds, store = timed(partial(Store, db_url))
                opens.append(seconds)
                imports.append(
                    [
                        timed(
                            partial(import_files, store, [p], guard=Guard(), max_unpacked=UNPACKED)
                        )[0]
                        for p in zips
                    ]
                )
                store.close()
            finally:
                with server.connect() as conn:
                    conn.execute(sql_text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    except SQLAlchemyError as exc:
        detail = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or ["?"])[0]
        raise SystemExit(f"bench: PostgreSQL at {make_url(url)!r}: {detail}") from None
    finally:
        server.dispose()
    return PgRun(
        repr(make_url(url)),
        median(opens),
        [median([run[i] for run in imports]) for i in range(len(zips))],
    )


# --- git-history ---------------------------------------------------------------------------


def release_csv(release: ParsedRelease) -> str:
    """One row per code: every layout field, repeated fields joined with a space."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELD_NAMES)
    for record in release.records:
        writer.writerow([record.code, *(record.text(name) for name in FIELD_NAMES[1:])])
    return out.getvalue()


def git(repo: Path, *args: str, date: str | None = None) -> None:
    env = os.environ | GIT_ENV
    if date is not None:
        env |= {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, stdout=subprocess.DEVNULL)


def make_repo(releases: Sequence[ParsedRelease], repo: Path) -> list[str]:
    """A scratch repository with one commit per release of the same CSV file; the hashes."""
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for release in releases:
        (repo / CSV_NAME).write_text(release_csv(release), encoding="utf-8")
        git(repo, "add", CSV_NAME)
        when = f"{release.effective.isoformat()}T12:00:00+0000"
        git(repo, "commit", "-q", "-m", f"HCPCS {release.base_label}", date=when)
    log = subprocess.run(
        ["git", "log", "--reverse", "--format=%H"],
        cwd=repo,
        env=os.environ | GIT_ENV,
        check=True,
        capture_output=True,
        text=True,
    )
    return log.stdout.split()


def git_history_command() -> list[str | Path]:
    exe = script("git-history")
    if exe is not None:
        return [exe]
    if importlib.util.find_spec("git_history") is None:
        raise SystemExit("bench: git-history is not installed; run: pip install -e '.[bench]'")
    return [sys.executable, "-c", "from git_history.cli import cli; cli()"]


@dataclass(frozen=True)
class GitHistoryRun:
    prep_seconds: float
    load_seconds: float
    diffs: list[Step]
    db_bytes: int
    db_path: Path
    max_rss: int
    help_seconds: float
    items: int
    versions: int
    changed_counts: list[int]


# git-history's nearest thing to a diff: the item versions a commit wrote and the columns each
# changed. It records no deletions (an item missing from a later commit leaves no trace).
DIFF_SQL = """
select item.code, group_concat(columns.name, ' ')
from item_version
join item on item._id = item_version._item
left join item_changed on item_changed.item_version = item_version._id
left join columns on columns.id = item_changed.column
where item_version._commit = (select id from commits where hash = ?)
group by item_version._id
"""


def git_history_diff(db: Path, commit: str) -> int:
    with sqlite3.connect(db) as conn:
        return len(conn.execute(DIFF_SQL, (commit,)).fetchall())


def bench_git_history(
    zips: Sequence[Path], labels: Sequence[str], tmp: Path, repeat: int
) -> GitHistoryRun:
    cmd = git_history_command()
    repo = tmp / "git-repo"
    # The tracker's parser reads the ZIPs, so both tools get identical content.
    releases = [read_release(p, max_unpacked=UNPACKED) for p in zips]
    prep, commits = timed(partial(make_repo, releases, repo))
    loads: list[float] = []
    peak = 0
    db = tmp / "git-history-0.db"
    for i in range(repeat):
        db = tmp / f"git-history-{i}.db"
        # --dialect excel: what csv.writer wrote; the default sniffs the first 1 KiB and guesses.
        seconds, rss = run_child(
            [
                *cmd,
                "file",
                db,
                repo / CSV_NAME,
                "--repo",
                repo,
                "--branch",
                "main",
                "--id",
                "code",
                "--csv",
                "--dialect",
                "excel",
                "--silent",
            ],
            cwd=tmp,
        )
        loads.append(seconds)
        peak = max(peak, rss)
    diffs = []
    counts = []
    for (old, new), commit in zip(pairwise(labels), commits[1:], strict=True):
        seconds = median([timed(partial(git_history_diff, db, commit))[0] for _ in range(repeat)])
        diffs.append(Step(f"diff {old} -> {new} (SQL)", seconds))
        counts.append(git_history_diff(db, commit))
    with sqlite3.connect(db) as conn:
        items = conn.execute("select count(*) from item").fetchone()[0]
        versions = conn.execute("select count(*) from item_version").fetchone()[0]
    help_s = median([run_child([*cmd, "--help"])[0] for _ in range(repeat)])
    return GitHistoryRun(
        prep, median(loads), diffs, db.stat().st_size, db, peak, help_s, items, versions, counts
    )


# --- profile -------------------------------------------------------------------------------


def import_times(top: int, args: Sequence[str] = ("--help",), title: str = "--help") -> None:
    """The slowest imports of `tracker ARGS` (python -X importtime), cumulative."""
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "tracker", *args],
        env=child_env() | {"PYTHONPATH": path},
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "cumulative" not in line:
            _, cumulative, name = line.removeprefix("import time:").split("|")
            rows.append((int(cumulative), name.rstrip()))
    heading(f"profile: imports of `tracker {title}`, top {top} by cumulative time")
    print(
        table(
            ["module", "cumulative"],
            [[n, f"{us / 1000:.1f} ms"] for us, n in sorted(rows, reverse=True)[:top]],
        )
    )


def profile(zips: Sequence[Path], labels: Sequence[str], tmp: Path, top: int) -> None:
    """cProfile of the last import (into a store holding the others) and of the last diff."""
    import_times(top)
    work = tmp / "profile"
    work.mkdir()
    store = Store(f"sqlite:///{work / 'profile.db'}")
    for path in zips[:-1]:
        import_files(store, [path], guard=Guard(), max_unpacked=UNPACKED)
    for title, call in (
        (
            f"import {labels[-1]}",
            lambda: import_files(store, [zips[-1]], guard=Guard(), max_unpacked=UNPACKED),
        ),
        (f"diff {labels[-2]} -> {labels[-1]}", lambda: stored_diff(store, labels[-2], labels[-1])),
    ):
        prof = cProfile.Profile()
        prof.runcall(call)
        for order in ("tottime", "cumulative"):
            heading(f"profile: {title}, top {top} by {order}")
            text = io.StringIO()
            pstats.Stats(prof, stream=text).strip_dirs().sort_stats(order).print_stats(top)
            body = text.getvalue()
            print(body[body.find("   ncalls") :].rstrip())
    # What one `tracker diff` imports (a process per diff: every import counts).
    db, old, new = f"sqlite:///{work / 'profile.db'}", labels[-2], labels[-1]
    diff = ["--db", db, "diff", old, new, "--format", "json", "--output", str(work / "d.json")]
    import_times(top, diff, f"diff {old} {new} --format json")
    store.close()


# --- report --------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(
    tr: TrackerRun,
    cli: CliRun | None,
    helps: list[tuple[str, float]],
    gh: GitHistoryRun | None,
    imports: CliImports | None = None,
    pg: PgRun | None = None,
) -> bool:
    heading("tracker (in process, fresh SQLite database per repetition)")
    rows = [["open store (create tables)", ms(tr.open_seconds), "", ""]]
    rows += [[f"{s.name} ({s.codes} codes)", ms(s.seconds), mib(s.peak), ""] for s in tr.imports]
    rows += [[s.name, ms(s.seconds), mib(s.peak), s.note] for s in tr.diffs]
    import_total = tr.open_seconds + sum(s.seconds for s in tr.imports)
    diff_total = sum(s.seconds for s in tr.diffs)
    rows.append(["total import + diff", ms(import_total + diff_total), "", ""])
    print(table(["step", "median wall", "tracemalloc peak", "diff summary"], rows))
    print(f"process max RSS after the tracker runs: {mib(tr.max_rss)}")
    print(f"database after {len(tr.labels)} imports: {tr.db_bytes:,} bytes ({mib(tr.db_bytes)})")
    if cli is not None:
        cli_table(tr, cli)

    heading("start-up (median wall of a subprocess)")
    print(table(["command", "median wall"], [[n, ms(s)] for n, s in helps]))

    tracker_total = import_total + diff_total
    targets: list[tuple[str, str, bool]] = []
    if gh is not None:
        heading("git-history (CLI, fresh database per repetition)")
        rows = [
            ["prepare: CSVs + git commits (once, not counted)", ms(gh.prep_seconds), "", ""],
            ["git-history file (all releases)", ms(gh.load_seconds), mib(gh.max_rss), ""],
        ]
        rows += [
            [s.name, ms(s.seconds), "", f"{n} items new or changed"]
            for s, n in zip(gh.diffs, gh.changed_counts, strict=True)
        ]
        gh_total = gh.load_seconds + sum(s.seconds for s in gh.diffs)
        rows.append(["total import + diff", ms(gh_total), "", ""])
        print(table(["step", "median wall", "child max RSS", "note"], rows))
        print(f"git-history --help start-up: {ms(gh.help_seconds)}")
        print(
            f"database: {gh.db_bytes:,} bytes ({mib(gh.db_bytes)}); "
            f"{gh.items} items, {gh.versions} item versions"
        )
        print(
            "its diff is a SQL query for the item versions a commit wrote: it records no deleted "
            "items and compares every column (sequence number and action code included); "
            "tracker's non-deleted codes per diff, for comparison: "
            + ", ".join(map(str, tr.changed_counts))
        )

        heading("database space by table/index (dbstat)")
        for name, path in (("tracker", tr.db_path), ("git-history", gh.db_path)):
            space = db_space(path)
            print(f"{name}: " + ", ".join(f"{t} {b:,}" for t, b in space if b))

        speedup = gh_total / tracker_total
        targets.append(
            (
                f">= {MIN_SPEEDUP:.0f}x faster than git-history, import + diff in process",
                f"{ms(tracker_total)} vs {ms(gh_total)}: {speedup:.1f}x",
                speedup >= MIN_SPEEDUP,
            )
        )
        if cli is not None:
            # Issue 9: the same work as whole CLI processes (one import, then one per diff),
            # each paying its own start-up, against git-history's one process.
            processes = 1 + len(tr.diffs)
            targets.append(
                (
                    f">= {MIN_CLI_SPEEDUP:.0f}x faster than git-history, as whole CLI processes",
                    f"{ms(cli.total)} ({processes} tracker processes) vs {ms(gh_total)}: "
                    f"{gh_total / cli.total:.1f}x",
                    gh_total / cli.total >= MIN_CLI_SPEEDUP,
                )
            )
        ratio = tr.db_bytes / gh.db_bytes
        targets.append(
            (
                "database no larger than git-history's",
                f"{tr.db_bytes:,} vs {gh.db_bytes:,} bytes: {ratio:.2f}x",
                tr.db_bytes <= gh.db_bytes,
            )
        )
    biggest = max(tr.imports, key=lambda s: s.codes)
    targets.append(
        (
            f"one release imported < {MAX_IMPORT_S} s",
            f"{biggest.name} ({biggest.codes} codes): {ms(biggest.seconds)}",
            biggest.seconds < MAX_IMPORT_S,
        )
    )
    slowest = max(tr.diffs, key=lambda s: s.seconds)
    targets.append(
        (
            f"diff of two releases < {MAX_DIFF_S} s in process",
            f"slowest, {slowest.name}: {ms(slowest.seconds)}",
            slowest.seconds < MAX_DIFF_S,
        )
    )
    for name, seconds in helps[1:]:
        targets.append((f"`{name}` < {MAX_HELP_S} s", ms(seconds), seconds < MAX_HELP_S))

    if gh is None:
        print("\ngit-history comparison skipped (--no-git-history): no speed-up targets judged")
    targets += cli_import_targets(imports)
    targets += pg_targets(tr, pg)

    heading("targets (issue 2, item 10; issue 9; issue 12, item 6)")
    print(
        table(
            ["target", "measured (medians)", "verdict"],
            [[t, m, verdict(ok)] for t, m, ok in targets],
        )
    )
    return all(ok for _, _, ok in targets)


def cli_table(tr: TrackerRun, cli: CliRun) -> None:
    """Each process beside the same work in process: the difference is what a process adds
    (the interpreter, tracker's and SQLAlchemy's modules, opening the database, the output)."""
    heading("the same work as whole CLI processes (fresh SQLite database per repetition)")
    in_process = [tr.open_seconds + sum(s.seconds for s in tr.imports)]
    in_process += [s.seconds for s in tr.diffs]
    rows = [
        [step.name, ms(step.seconds), ms(work), ms(step.seconds - work)]
        for step, work in zip(cli.steps, in_process, strict=True)
    ]
    rows.append(["total", ms(cli.total), ms(sum(in_process)), ms(cli.total - sum(in_process))])
    print(table(["process", "median wall", "same work in process", "process adds"], rows))
    print(f"child max RSS: {mib(cli.max_rss)}")


def cli_import_targets(imports: CliImports | None) -> list[tuple[str, str, bool]]:
    """Issue 9: a both-copies ZIP, and a workbook alone, each imported by one CLI process."""
    if imports is None:
        print("\nno ZIP holds both a text and a workbook copy: the issue 9 imports are skipped")
        return []
    heading("tracker import as one CLI process (fresh SQLite database per run)")
    rows = [
        [f"{imports.zip_name} (both copies)", ms(imports.both[0]), mib(imports.both[1])],
        [
            f"{imports.workbook_name} (workbook alone)",
            ms(imports.workbook[0]),
            mib(imports.workbook[1]),
        ],
    ]
    print(table(["tracker import", "median wall", "child max RSS"], rows))
    return [
        (
            f"ZIP with both copies imported < {MAX_CLI_IMPORT_S:.0f} s, one CLI process",
            ms(imports.both[0]),
            imports.both[0] < MAX_CLI_IMPORT_S,
        ),
        (
            f"workbook alone imported < {MAX_CLI_IMPORT_S:.0f} s, one CLI process",
            ms(imports.workbook[0]),
            imports.workbook[0] < MAX_CLI_IMPORT_S,
        ),
    ]


def pg_targets(tr: TrackerRun, pg: PgRun | None) -> list[tuple[str, str, bool]]:
    """Issue 12, item 6: the releases imported into PostgreSQL, beside SQLite."""
    if pg is None:
        print(
            "\nPostgreSQL skipped: give --pg URL or TRACKER_BENCH_PG_URL "
            "(postgresql+psycopg://user@host:port/db, a user who may CREATE DATABASE)"
        )
        return []
    heading(f"PostgreSQL vs SQLite (in process, fresh database per repetition): {pg.server}")
    rows = [["open store (create tables)", ms(tr.open_seconds), ms(pg.open_seconds)]]
    rows += [
        [f"{s.name} ({s.codes} codes)", ms(s.seconds), ms(seconds)]
        for s, seconds in zip(tr.imports, pg.import_seconds, strict=True)
    ]
    sqlite_total = tr.open_seconds + sum(s.seconds for s in tr.imports)
    pg_total = pg.open_seconds + sum(pg.import_seconds)
    rows.append(["total", ms(sqlite_total), ms(pg_total)])
    print(table(["step", "SQLite", "PostgreSQL"], rows))
    ratio = pg_total / sqlite_total
    return [
        (
            f"{len(tr.imports)} releases imported into PostgreSQL within "
            f"{MAX_PG_RATIO:.0f}x of SQLite",
            f"{ms(pg_total)} vs {ms(sqlite_total)}: {ratio:.2f}x",
            ratio <= MAX_PG_RATIO,
        )
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (median; default 5)")
    parser.add_argument(
        "--cms", type=Path, default=CMS_DIR, help=f"release ZIPs (default {CMS_DIR})"
    )
    parser.add_argument(
        "--tmp", type=Path, default=None, help="scratch folder (default: a temp dir)"
    )
    parser.add_argument("--no-git-history", action="store_true", help="skip the git-history side")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also print cProfile of the last import and the last diff",
    )
    parser.add_argument("--top", type=int, default=15, help="rows per profile (default 15)")
    parser.add_argument(
        "--pg",
        metavar="URL",
        default=os.environ.get("TRACKER_BENCH_PG_URL"),
        help="also import into PostgreSQL at URL, a user who may CREATE DATABASE "
        "(default: TRACKER_BENCH_PG_URL; unset: skipped)",
    )
    args = parser.parse_args(argv)
    # The in-process imports warn on the two codes the real 2020 file drops without a
    # termination date (G9976, G9977), once per repetition: not a figure.
    logging.getLogger("tracker.run.ingest").setLevel(logging.ERROR)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    pg_url = pg_url_for(args.pg) if args.pg else None

    zips = release_zips(args.cms)
    gh_cmd = None if args.no_git_history else git_history_command()
    if gh_cmd is not None and shutil.which("git") is None:
        raise SystemExit("bench: git is not on PATH; git-history needs it (or --no-git-history)")

    print(f"tracker {TRACKER_VERSION} benchmark: {len(zips)} releases from {args.cms}")
    print(
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{platform.platform()}, {os.cpu_count()} CPUs; median of {args.repeat} runs; "
        "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    with tempfile.TemporaryDirectory(prefix="tracker-bench-", dir=args.tmp) as scratch:
        tmp = Path(scratch)
        print(f"scratch folder: {tmp}")
        tr = bench_tracker(zips, tmp, args.repeat)
        cli = bench_tracker_cli(zips, tr.labels, tmp, args.repeat)
        helps = bench_help(args.repeat)
        imports = bench_cli_imports(zips, tmp, args.repeat)
        pg = None if pg_url is None else bench_postgres(zips, pg_url, args.repeat)
        gh = None if gh_cmd is None else bench_git_history(zips, tr.labels, tmp, args.repeat)
        ok = report(tr, cli, helps, gh, imports, pg)
        if args.profile:
            profile(zips, tr.labels, tmp, args.top)
    print("\nall targets hold" if ok else "\nsome targets FAIL (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
