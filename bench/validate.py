"""`tracker validate` on a generated claims file: rows per second and peak memory.

Run from the repository root: ``python bench/validate.py`` (``--help`` for options).

Imports the four real releases in ``../shared/cms/`` into a fresh SQLite database, writes a
claims extract of ``--rows`` rows (default 1,000,000: a claim number, a member, a HCPCS code,
a date of service, units, a charge) and one a tenth as long to ``--tmp``, then times

    tracker validate FILE --code-column hcpcs --date-column dos --output OUT

as one CLI process on each (median of ``--repeat`` runs; peak RSS and CPU time from the
child's own rusage). Memory that does not grow with the file shows as the same peak for both.
``--xlsx`` does the same with workbooks (written directly in the xlsx format, as Excel writes
them: codes in the shared strings, dates as day numbers with a date style). The codes are the
stored ones, mixed with 5% unknown codes and 0.1% impossible dates, every date between 2017 and
2026 in the three formats accepted. Exit status 1 when the target of issue 10 fails: the
1,000,000-row CSV in under 15 s.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import os
import random
import statistics
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CMS_DIR = REPO.parent / "shared" / "cms"
MAX_S = 15.0  # issue 10: a million rows in under 15 s as one CLI process
FIRST_DAY, DAYS = date(2017, 1, 1), 3650

if str(REPO) not in sys.path:  # run as a script from a checkout that is not pip-installed
    sys.path.insert(0, str(REPO))

from tracker.config import SourceSettings  # noqa: E402
from tracker.guard import Guard  # noqa: E402
from tracker.run.ingest import import_files  # noqa: E402
from tracker.store import Store  # noqa: E402

# Runs one command; prints its wall time, its own peak RSS and CPU time, and its exit code. A
# child's ru_maxrss on Linux starts at the RSS of the process that forked it, so this small
# interpreter, not the bench, is the parent of what is measured.
_LAUNCHER = """
import os, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
_, status, usage = os.wait4(proc.pid, 0)
elapsed = time.perf_counter() - start
cpu = usage.ru_utime + usage.ru_stime
print(elapsed, usage.ru_maxrss, cpu, os.waitstatus_to_exitcode(status))
"""


def store_codes(db: Path, cms: Path) -> list[str]:
    zips = sorted(p for p in cms.glob("*.zip") if "alpha-numeric" in p.name.lower())
    if not zips:
        raise SystemExit(f"bench: no *Alpha-Numeric*.zip in {cms} (pass --cms DIR)")
    store = Store(f"sqlite:///{db}")
    import_files(store, zips, guard=Guard(), max_unpacked=SourceSettings().max_unpacked_bytes)
    codes = sorted(
        {c for r in store.catalog.releases() for c in store.catalog.records(r.info.label)}
    )
    store.close()
    return codes


def claims(codes: list[str], rows: int) -> Iterator[list[object]]:
    """The rows, deterministic: (claim, member, code, date of service, units, charge); the
    first rows of a longer file are a shorter one."""
    rng = random.Random(10)
    for n in range(rows):
        code = rng.choice(codes) if rng.random() >= 0.05 else f"Z{rng.randrange(10000):04d}"
        day: date | str = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
        if rng.random() < 0.001:
            day = "2025-02-30"
        yield [100000000 + n, f"M{rng.randrange(10**7):07d}", code, day,
               rng.randrange(1, 5), round(rng.random() * 500, 2)]  # fmt: skip


def write_csv(path: Path, rows: Iterable[list[object]]) -> None:
    forms = ("%Y-%m-%d", "%Y%m%d", "%m/%d/%Y")
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["claim", "member", "hcpcs", "dos", "units", "charge"])
        for i, row in enumerate(rows):
            day = row[3]
            shown = day.strftime(forms[i % 3]) if isinstance(day, date) else day
            writer.writerow([*row[:3], shown, *row[4:]])


def write_xlsx(path: Path, rows: Iterable[list[object]]) -> None:
    """A workbook as Excel writes one: strings shared, dates as day numbers in a date style."""
    strings: dict[str, int] = {}

    def shared(text: str) -> str:
        return f'<c t="s"><v>{strings.setdefault(text, len(strings))}</v></c>'

    def cell(value: object) -> str:
        if isinstance(value, date):
            return f'<c s="1"><v>{(value - date(1899, 12, 30)).days}</v></c>'
        return shared(value) if isinstance(value, str) else f"<c><v>{value}</v></c>"

    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    header: list[object] = ["claim", "member", "hcpcs", "dos", "units", "charge"]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        with book.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(f'<worksheet xmlns="{main}"><sheetData>'.encode())
            for row in itertools.chain([header], rows):
                sheet.write(("<row>" + "".join(cell(v) for v in row) + "</row>").encode())
            sheet.write(b"</sheetData></worksheet>")
        items = "".join(f"<si><t>{s}</t></si>" for s in strings)
        book.writestr("xl/sharedStrings.xml", f'<sst xmlns="{main}">{items}</sst>')
        book.writestr(
            "xl/styles.xml",
            f'<styleSheet xmlns="{main}"><cellXfs count="2"><xf numFmtId="0"/>'
            '<xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>',
        )
        relations = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        book.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{main}" xmlns:r="{relations}"><sheets>'
            '<sheet name="Claims" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{relations}/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>',
        )


def run_validate(db: Path, claims_file: Path, out: Path) -> tuple[float, float, float]:
    """Wall time, CPU time and peak RSS (MiB) of one `tracker validate` process."""
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    command = [
        sys.executable, "-m", "tracker", "--db", f"sqlite:///{db}", "validate", str(claims_file),
        "--code-column", "hcpcs", "--date-column", "dos", "--output", str(out),
    ]  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *command],
        env=os.environ | {"PYTHONPATH": path},
        capture_output=True,
        text=True,
        check=True,
    )
    elapsed, maxrss, cpu, code = done.stdout.split()
    if int(code) != 0:
        raise SystemExit(f"bench: {' '.join(command)} failed (exit {code}):\n{done.stderr}")
    rss = int(maxrss) * (1 if sys.platform == "darwin" else 1024)
    return float(elapsed), float(cpu), rss / 2**20


def measure(db: Path, files: list[Path], repeat: int) -> list[tuple[str, int, float, float, float]]:
    found = []
    for path in files:
        rows = int(path.stem.rsplit("-", 1)[1])
        runs = [run_validate(db, path, path.with_suffix(".out.csv")) for _ in range(repeat)]
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        found.append((path.name, rows, wall, cpu, max(r[2] for r in runs)))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the big file")
    parser.add_argument("--repeat", type=int, default=3, help="runs per file (median)")
    parser.add_argument("--xlsx", action="store_true", help="also time xlsx workbooks")
    parser.add_argument("--tmp", type=Path, default=None, help="scratch folder")
    parser.add_argument("--cms", type=Path, default=CMS_DIR, help="the real release ZIPs")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.tmp, prefix="bench-validate-") as scratch:
        folder = Path(scratch)
        db = folder / "bench.db"
        codes = store_codes(db, args.cms)
        files = []
        for size in (args.rows // 10, args.rows):
            files.append(folder / f"claims-{size}.csv")
            write_csv(files[-1], claims(codes, size))
            if args.xlsx:
                files.append(folder / f"claims-{size}.xlsx")
                write_xlsx(files[-1], claims(codes, size))
        found = measure(db, files, args.repeat)
    print(f"tracker validate, one CLI process each, median of {args.repeat} "
          f"({len(codes):,} stored codes)")  # fmt: skip
    print(f"{'file':<22}{'rows':>11}{'wall':>9}{'cpu':>9}{'rows/s':>11}{'peak RSS':>11}")
    for name, n, wall, cpu, rss in found:
        print(f"{name:<22}{n:>11,}{wall:>8.2f}s{cpu:>8.2f}s{n / wall:>11,.0f}{rss:>8.1f} MiB")
    big = next(wall for name, n, wall, *_ in found if n == args.rows and name.endswith(".csv"))
    ok = args.rows < 1_000_000 or big < MAX_S
    verdict = "PASS" if ok else "FAIL"
    print(f"{verdict}: {args.rows:,}-row CSV in {big:.2f} s (target: 1,000,000 in < {MAX_S:g} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
