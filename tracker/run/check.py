"""`tracker check`: one idempotent cycle. Find releases, fetch what is new, import, diff, report.

``run_check`` is the whole cycle on one screen; each step below it does one thing and collects
failures instead of stopping, so one bad release does not hold back the others.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import requests

from tracker.config import Config, SourceSettings
from tracker.errors import TrackerError
from tracker.guard import Guard
from tracker.order import incoming_order
from tracker.query import impacts_for, stored_diff
from tracker.records import Diff, ParsedRelease
from tracker.report.publish import write_reports
from tracker.report.text import summary_line
from tracker.run.fault import Fault, no_fault
from tracker.run.ingest import ReleaseFile, Storing, read_files, store_releases
from tracker.sources.discover import (
    Candidate,
    LocalCandidate,
    discover,
    keep_raw,
    scan_directory,
)
from tracker.sources.download import Progress, ValidatorStore, download, validate_zip
from tracker.sources.http import make_session
from tracker.store import ImportResult, Store, StoredRelease

log = logging.getLogger(__name__)

# A file in the drop folder that changed this recently may still be being copied onto the
# share: read half-way, it would look like a release that lost its last codes.
SETTLE_SECONDS = 60


def session_for(source: SourceSettings) -> requests.Session:
    """The HTTP session the ``[source]`` settings describe."""
    return make_session(
        source.user_agent,
        retries=source.retries,
        backoff=source.backoff_seconds,
        max_retry_after=source.max_retry_after_seconds,
    )


@dataclass(frozen=True)
class CheckSettings:
    source: SourceSettings
    raw_dir: Path
    reports_dir: Path
    report_since: date | None
    guard: Guard

    @classmethod
    def from_config(cls, config: Config) -> CheckSettings:
        return cls(
            source=config.source,
            raw_dir=config.data_dir / "raw",
            reports_dir=config.reports_dir,
            report_since=config.report_since,
            guard=config.guard.as_guard(),
        )


@dataclass(frozen=True)
class Fetched:
    """A release file on disk, ready to read: a download or a file from the folder."""

    path: Path
    name: str  # the file's real name (a download is kept as raw/<sha256>.zip)
    origin: str  # the URL or folder path, for messages
    sha256: str
    label: str | None = None
    effective: date | None = None
    downloaded: bool = False  # a body came over the network this run (not a 304)


@dataclass(frozen=True)
class CheckResult:
    found: int = 0
    downloaded: tuple[str, ...] = ()
    imported: tuple[ImportResult, ...] = ()
    diffs: tuple[Diff, ...] = ()
    reports: tuple[Path, ...] = ()
    failures: tuple[str, ...] = ()
    quiet_diffs: tuple[Diff, ...] = field(default=())  # before report_since: not reported
    unreported: tuple[str, ...] = ()  # labels to mark reported once the email is queued

    @property
    def ok(self) -> bool:
        return not self.failures


def run_check(
    store: Store,
    settings: CheckSettings,
    *,
    session: requests.Session,
    progress: Callable[[str], Progress | None] = lambda name: None,
    now: Callable[[], float] = time.time,
    run_id: int | None = None,
    fault: Fault = no_fault,
) -> CheckResult:
    """Discover, download what is new or changed, import each file on its own in the release
    order (``tracker.run.ingest``), diff each new release against its predecessor, write the
    reports. ``run_id``: the ledger entry that records what it does as it goes; ``fault``: a
    test's kill points (``tracker.run.fault``)."""
    failures: list[str] = []
    candidates, local = _discover(session, settings.source, failures)
    if run_id is not None:
        store.ledger.note(run_id, releases_found=len(candidates) + len(local))
    fetched = _fetch(store, session, settings, candidates, progress, failures)
    fetched += _scan(store, local, settings, failures, now=now)
    parsed = _read(fetched, settings.source.max_unpacked_bytes, failures)
    how = Storing(settings.guard, reported=False, run_id=run_id)
    imported = _import(store, parsed, how, failures, fault)
    fault("imported")
    # This run's imports, and any that a run stopped half-way left unreported.
    pending = store.catalog.unreported()
    diffs = [d for r in pending if (d := _diff_to_predecessor(store, r)) is not None]
    reported = [d for d in diffs if _reportable(d, settings.report_since)]
    reports = [p for d in reported for p in _write(store, d, settings.reports_dir)]
    if run_id is not None:
        store.ledger.note(run_id, reports=[str(p) for p in reports])
    fault("reported")
    return CheckResult(
        found=len(candidates) + len(local),
        downloaded=tuple(f.origin for f in fetched if f.downloaded),
        imported=tuple(r for r in imported if r.status == "imported"),
        diffs=tuple(reported),
        reports=tuple(reports),
        failures=tuple(failures),
        quiet_diffs=tuple(d for d in diffs if d not in reported),
        unreported=tuple(r.info.label for r in pending),
    )


def _discover(
    session: requests.Session, source: SourceSettings, failures: list[str]
) -> tuple[list[Candidate], list[LocalCandidate]]:
    candidates: dict[str, Candidate] = {}
    for url in source.listing_urls:
        try:
            found = discover(
                session, url, timeout=source.timeouts, on_error=lambda e: failures.append(str(e))
            )
            for candidate in found:
                candidates.setdefault(candidate.url, candidate)
        except TrackerError as exc:
            failures.append(str(exc))
    local: list[LocalCandidate] = []
    if source.directory is not None:
        try:
            local = scan_directory(source.directory)
        except TrackerError as exc:
            failures.append(str(exc))
    return list(candidates.values()), local


def _fetch(
    store: Store,
    session: requests.Session,
    settings: CheckSettings,
    candidates: Sequence[Candidate],
    progress: Callable[[str], Progress | None],
    failures: list[str],
) -> list[Fetched]:
    validators: ValidatorStore = store.validators
    fetched = []
    for c in sorted(candidates, key=lambda c: c.effective):
        name = PurePosixPath(urlsplit(c.url).path).name
        try:
            result = download(
                session,
                c.url,
                raw_dir=settings.raw_dir,
                validators=validators,
                allowed_hosts=settings.source.hosts(),
                max_bytes=settings.source.max_download_bytes,
                timeout=settings.source.timeouts,
                progress=progress(name),
            )
            if store.catalog.has_source(result.sha256):
                log.info("%s: unchanged (%s)", c.url, result.status.replace("_", " "))
                continue
            validate_zip(result.path, source=c.url, max_unpacked=settings.source.max_unpacked_bytes)
        except TrackerError as exc:
            failures.append(str(exc))
            continue
        fetched.append(
            Fetched(
                result.path,
                name,
                c.url,
                result.sha256,
                c.label,
                c.effective,
                downloaded=result.status == "downloaded",
            )
        )
    return fetched


def _scan(
    store: Store,
    local: Sequence[LocalCandidate],
    settings: CheckSettings,
    failures: list[str],
    *,
    now: Callable[[], float],
) -> list[Fetched]:
    fetched = []
    for c in local:
        try:
            if now() - c.path.stat().st_mtime < SETTLE_SECONDS:
                log.info(
                    "%s: changed in the last minute, still being copied? left for the next run",
                    c.path,
                )
                continue
            # Kept in the raw store like a download, and read from there.
            kept, sha256 = keep_raw(c.path, settings.raw_dir)
            if store.catalog.has_source(sha256):
                continue
            if c.path.suffix.lower() == ".zip":
                validate_zip(
                    kept, source=str(c.path), max_unpacked=settings.source.max_unpacked_bytes
                )
        except OSError as exc:
            failures.append(f"{c.path}: cannot read file ({exc.strerror})")
            continue
        except TrackerError as exc:
            failures.append(str(exc))
            continue
        # The label the scan gave it: the one rule downloads and imports go by too.
        fetched.append(Fetched(kept, c.path.name, str(c.path), sha256, c.label, c.effective))
    return fetched


def _read(
    fetched: Sequence[Fetched], max_unpacked: int, failures: list[str]
) -> list[ParsedRelease]:
    files = [ReleaseFile(f.path, f.label, f.effective, f.name, f.origin) for f in fetched]
    return read_files(files, max_unpacked=max_unpacked, policy="each", failures=failures)


def _import(
    store: Store, parsed: Sequence[ParsedRelease], how: Storing, failures: list[str], fault: Fault
) -> list[ImportResult]:
    """Each release in its own transaction, in the release order (as ``store_releases`` under
    ``policy="each"``), one at a time so that the fault hook hears each commit."""
    done = []
    for release in sorted(parsed, key=incoming_order):
        for result in store_releases(store, [release], how, policy="each", failures=failures):
            done.append(result)
            fault(f"stored:{result.release.info.label}")
    return done


def _diff_to_predecessor(store: Store, release: StoredRelease) -> Diff | None:
    before = store.catalog.predecessor(release.info)
    if before is None:
        return None
    return stored_diff(store, before.info.label, release.info.label)


def _write(store: Store, diff: Diff, directory: Path) -> list[Path]:
    try:
        return write_reports(diff, directory, impacts=impacts_for(store, diff))
    except OSError as exc:
        # The release stays unreported: the next run writes its report once this is fixed.
        raise TrackerError(f"{directory}: cannot write reports ({exc.strerror})") from None


def _reportable(diff: Diff, since: date | None) -> bool:
    # A first run takes in the whole history on the page, but only recent releases are
    # reported, so a new install does not flood anyone.
    return since is None or diff.new.effective >= since


def render_summary(result: CheckResult) -> str:
    """What a person (or a cron mail) reads after a check."""
    lines = [f"Checked {result.found} release file(s); downloaded {len(result.downloaded)}."]
    for r in result.imported:
        info = r.release.info
        lines.append(f"imported {info.label} ({info.source_name}): {r.release.codes} codes")
    lines += [summary_line(d) for d in result.diffs]
    lines += [f"not reported (effective before report_since): {summary_line(d)}"
              for d in result.quiet_diffs]  # fmt: skip
    lines += [f"report: {p}" for p in result.reports]
    if not result.imported and not result.failures:
        lines.append("Nothing new: nothing imported, no report written.")
    lines += [f"FAILED: {f}" for f in result.failures]
    return "\n".join(lines) + "\n"
