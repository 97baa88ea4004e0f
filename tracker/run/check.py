"""`tracker check`: one idempotent cycle. Find releases, fetch what is new, import, diff, report.

``run_check`` is the whole cycle on one screen; each step below it does one thing and collects
failures instead of stopping, so one bad release does not hold back the others.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import requests

from tracker.config import Config
from tracker.errors import ConfigError, TrackerError
from tracker.guard import Guard
from tracker.hcpcs.read import read_release
from tracker.query import stored_diff
from tracker.records import Diff, ParsedRelease
from tracker.report.publish import write_reports
from tracker.report.render import summary_line
from tracker.sources.discover import Candidate, LocalCandidate, discover, scan_directory
from tracker.sources.download import Progress, ValidatorStore, download, validate_zip
from tracker.sources.http import make_session
from tracker.store import ImportResult, Store, StoredRelease

log = logging.getLogger(__name__)

DEFAULT_LISTING = "https://www.cms.gov/medicare/coding-billing/healthcare-common-procedure-system/quarterly-update"
DEFAULT_USER_AGENT = "tracker/0.1 (HCPCS release watcher)"
_MB = 1_000_000
# A file in the drop folder that changed this recently may still be being copied onto the
# share: read half-way, it would look like a release that lost its last codes.
SETTLE_SECONDS = 60


@dataclass(frozen=True)
class SourceSettings:
    """The ``[source]`` table: where releases are found and how they are fetched."""

    listing_urls: tuple[str, ...] = (DEFAULT_LISTING,)
    directory: Path | None = None
    allowed_hosts: tuple[str, ...] = ()  # empty: the listing pages' own hosts
    user_agent: str = DEFAULT_USER_AGENT
    timeouts: tuple[float, float] = (10, 60)
    retries: int = 3
    backoff_seconds: float = 1.0
    max_retry_after_seconds: float = 120
    max_download_mb: int = 100
    max_unpacked_mb: int = 500

    @classmethod
    def from_config(cls, table: Mapping[str, Any], source: object = None) -> SourceSettings:
        where = f"{source}: [source]" if source else "[source]"
        parsers: dict[str, Callable[[Any], Any]] = {
            "listing_urls": lambda v: tuple(_urls(v)),
            "directory": _folder,
            "allowed_hosts": lambda v: tuple(_strings(v)),
            "user_agent": _text,
            "timeouts": _pair,
            "retries": lambda v: int(_number(v, whole=True)),
            "backoff_seconds": _number,
            "max_retry_after_seconds": _number,
            "max_download_mb": lambda v: int(_number(v, whole=True, low=1)),
            "max_unpacked_mb": lambda v: int(_number(v, whole=True, low=1)),
        }
        values = {}
        for key, value in table.items():
            if key not in parsers:
                known = ", ".join(sorted(parsers))
                raise ConfigError(f"{where} unknown key {key!r}; known: {known}")
            try:
                values[key] = parsers[key](value)
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"{where} {key}: {exc}") from None
        settings = cls(**values)
        if not settings.listing_urls and settings.directory is None:
            raise ConfigError(f"{where} names no source: set listing_urls or directory")
        return settings

    def hosts(self) -> tuple[str, ...]:
        if self.allowed_hosts:
            return self.allowed_hosts
        return tuple(sorted({urlsplit(u).hostname or "" for u in self.listing_urls} - {""}))

    def session(self) -> requests.Session:
        return make_session(
            self.user_agent,
            retries=self.retries,
            backoff=self.backoff_seconds,
            max_retry_after=self.max_retry_after_seconds,
        )


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"expected a list of strings, got {value!r}")
    return list(value)


def _urls(value: object) -> list[str]:
    urls = _strings(value)
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{url!r} is not an http(s) URL")
    return urls


def _text(value: object, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not empty and not value.strip()):
        raise TypeError(f"expected a text value, got {value!r}")
    return value


def _folder(value: object) -> Path | None:
    text = _text(value, empty=True)
    return Path(text) if text else None


def _number(value: object, *, whole: bool = False, low: float = 0) -> float:
    """A finite number of at least ``low``; whole when asked (1.5 MB is not silently 1)."""
    kinds = (int,) if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not math.isfinite(value):
        raise TypeError(f"expected a {'whole ' if whole else ''}number, got {value!r}")
    if value < low:
        raise ValueError(f"expected a number of at least {low}, got {value!r}")
    return float(value)


def _pair(value: object) -> tuple[float, float]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = [value, value]
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise TypeError(f"timeouts must be [connect, read] seconds, got {value!r}")
    connect, read = (_number(v) for v in value)
    if connect <= 0 or read <= 0:
        raise ValueError(f"timeouts must be above 0 seconds, got {value!r}")
    return (connect, read)


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
            source=SourceSettings.from_config(config.table("source"), config.path),
            raw_dir=config.data_dir / "raw",
            reports_dir=config.reports_dir,
            report_since=config.report_since,
            guard=config.guard,
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
) -> CheckResult:
    """Discover, download what is new or changed, import in effective-date order, diff each
    new release against its predecessor, write the reports."""
    failures: list[str] = []
    candidates, local = _discover(session, settings.source, failures)
    fetched = _fetch(store, session, settings, candidates, progress, failures)
    fetched += _scan(store, local, settings, failures, now=now)
    parsed = _read(fetched, settings.source.max_unpacked_mb * _MB, failures)
    imported = _import(store, parsed, settings.guard, failures)
    # This run's imports, and any that a run stopped half-way left unreported.
    pending = store.unreported()
    diffs = [d for r in pending if (d := _diff_to_predecessor(store, r)) is not None]
    reported = [d for d in diffs if _reportable(d, settings.report_since)]
    reports = [p for d in reported for p in _write(d, settings.reports_dir)]
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
    validators: ValidatorStore = store
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
                max_bytes=settings.source.max_download_mb * _MB,
                timeout=settings.source.timeouts,
                progress=progress(name),
            )
            if store.has_source(result.sha256):
                log.info("%s: unchanged (%s)", c.url, result.status.replace("_", " "))
                continue
            validate_zip(
                result.path, source=c.url, max_unpacked=settings.source.max_unpacked_mb * _MB
            )
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
            sha256 = hashlib.sha256(c.path.read_bytes()).hexdigest()
            if store.has_source(sha256):
                continue
            if c.path.suffix.lower() == ".zip":
                validate_zip(
                    c.path, source=str(c.path), max_unpacked=settings.source.max_unpacked_mb * _MB
                )
        except OSError as exc:
            failures.append(f"{c.path}: cannot read file ({exc.strerror})")
            continue
        except TrackerError as exc:
            failures.append(str(exc))
            continue
        fetched.append(Fetched(c.path, c.path.name, str(c.path), sha256))
    return fetched


def _read(
    fetched: Sequence[Fetched], max_unpacked: int, failures: list[str]
) -> list[ParsedRelease]:
    parsed = []
    for f in fetched:
        try:
            parsed.append(
                read_release(
                    f.path,
                    label=f.label,
                    effective=f.effective,
                    name=f.name,
                    source=f.origin,
                    max_unpacked=max_unpacked,
                )
            )
        except TrackerError as exc:
            failures.append(str(exc))
    return parsed


def _import(
    store: Store, parsed: Sequence[ParsedRelease], guard: Guard, failures: list[str]
) -> list[ImportResult]:
    results = []
    for p in sorted(parsed, key=lambda p: (p.effective, p.kind != "annual")):
        try:
            results.append(store.add_release(p, guard=guard, reported=False))
        except TrackerError as exc:
            failures.append(str(exc))
    return results


def _diff_to_predecessor(store: Store, release: StoredRelease) -> Diff | None:
    before = store.predecessor(release.info)
    if before is None:
        return None
    return stored_diff(store, before.info.label, release.info.label)


def _write(diff: Diff, directory: Path) -> list[Path]:
    try:
        return write_reports(diff, directory)
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
