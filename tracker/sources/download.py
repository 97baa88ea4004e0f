"""Download a release ZIP into the content-addressed raw store, and check it before import.

The raw store (``<data>/raw/<sha256>.zip``) keeps exactly the bytes CMS published, as evidence.
CMS re-posts corrected files at the same URL (January 2026 was re-posted on 2026-01-12), so a
URL is remembered with its ETag / Last-Modified and an unchanged file costs a 304 and no body.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import os
import tempfile
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal, Protocol
from urllib.parse import urljoin, urlsplit

import requests

from tracker.errors import FetchError, InputError
from tracker.hcpcs.container import not_a_zip, open_zip, pick_data_member
from tracker.records import Validators
from tracker.sources.http import DEFAULT_TIMEOUT, Timeout, get, network_error, status_error

# (bytes_done, total or None when the server sends no Content-Length). The last call of a
# download always has bytes_done == total (total set to the bytes received when it was unknown).
Progress = Callable[[int, int | None], None]

MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


class ValidatorStore(Protocol):
    def get(self, url: str) -> Validators | None: ...

    def put(self, url: str, validators: Validators) -> None: ...


@dataclass(frozen=True)
class DownloadResult:
    url: str
    status: Literal["downloaded", "not_modified"]
    path: Path  # raw_dir / f"{sha256}.zip"
    sha256: str
    size: int


def download(
    session: requests.Session,
    url: str,
    *,
    raw_dir: Path,
    validators: ValidatorStore,
    allowed_hosts: Collection[str],
    max_bytes: int,
    timeout: Timeout = DEFAULT_TIMEOUT,
    progress: Progress | None = None,
) -> DownloadResult:
    """Fetch ``url`` into ``raw_dir/<sha256>.zip``, or learn by a 304 that it has not changed.

    Every hop of a redirect must be https (or loopback) on one of ``allowed_hosts``. Validators
    are stored only after the file is safely in place. A "downloaded" result may still hold the
    same bytes as an earlier one (a server without validators): compare ``sha256``.
    Raises FetchError for refused URLs, HTTP errors, oversize or truncated bodies.
    """
    raw_dir.mkdir(parents=True, exist_ok=True)
    stored = validators.get(url)
    if stored is not None and not raw_path(raw_dir, stored.sha256).is_file():
        stored = None  # the raw file was removed: a 304 would leave nothing to import
    response, final_url = _get_following_redirects(
        session, url, _conditional_headers(stored), allowed_hosts, timeout
    )
    with response:
        if response.status_code == 304:
            if stored is None:
                raise FetchError(f"{final_url}: HTTP 304 Not Modified to an unconditional GET")
            path = raw_path(raw_dir, stored.sha256)
            return DownloadResult(url, "not_modified", path, stored.sha256, path.stat().st_size)
        if response.status_code != 200:
            raise status_error(final_url, response)
        sha256, size = _store_body(response, final_url, raw_dir, max_bytes, timeout, progress)
    validators.put(
        url,
        Validators(response.headers.get("ETag"), response.headers.get("Last-Modified"), sha256),
    )
    return DownloadResult(url, "downloaded", raw_path(raw_dir, sha256), sha256, size)


def raw_path(raw_dir: Path, sha256: str) -> Path:
    return raw_dir / f"{sha256}.zip"


def check_url(url: str, allowed_hosts: Collection[str]) -> None:
    """Refuse a URL that is not https (loopback excepted) or not on an allowed host."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    allowed = {h.strip().lower() for h in allowed_hosts}
    if host not in allowed:
        shown = ", ".join(sorted(allowed)) or "none"
        raise FetchError(
            f"{url}: host {host or '(none)'!r} is not in [source] allowed_hosts ({shown}); "
            "add it there if CMS really moved its files"
        )
    if parts.scheme != "https" and not (parts.scheme == "http" and is_loopback(host)):
        raise FetchError(
            f"{url}: only https downloads are allowed (plain http only on the loopback "
            "interface); fix the URL in [source] listing_urls"
        )


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _conditional_headers(stored: Validators | None) -> dict[str, str]:
    # Ask for the bytes as stored: a gzip-encoded body would not match its Content-Length.
    headers = {"Accept-Encoding": "identity"}
    if stored is not None:
        if stored.etag:
            headers["If-None-Match"] = stored.etag
        if stored.last_modified:
            headers["If-Modified-Since"] = stored.last_modified
    return headers


def _get_following_redirects(
    session: requests.Session,
    url: str,
    headers: Mapping[str, str],
    allowed_hosts: Collection[str],
    timeout: Timeout,
) -> tuple[requests.Response, str]:
    """Follow redirects by hand so that each hop is checked before it is requested."""
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        check_url(current, allowed_hosts)
        response = get(
            session, current, timeout=timeout, headers=headers, stream=True, allow_redirects=False
        )
        if response.status_code not in _REDIRECTS:
            return response, current
        location = response.headers.get("Location", "")
        response.close()
        if not location:
            raise FetchError(f"{current}: HTTP {response.status_code} redirect without Location")
        current = urljoin(current, location)
    raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects; check the URL in a browser")


def _store_body(
    response: requests.Response,
    url: str,
    raw_dir: Path,
    max_bytes: int,
    timeout: Timeout,
    progress: Progress | None,
) -> tuple[str, int]:
    """Stream the body into a temp file in raw_dir, then move it to <sha256>.zip."""
    expected = _content_length(response)
    if expected is not None and expected > max_bytes:
        raise FetchError(
            f"{url}: the file is {expected} bytes, over the cap of {max_bytes} "
            "([source] max_download_mb); raise the cap if CMS's files really grew"
        )
    fd, tmp_name = tempfile.mkstemp(dir=raw_dir, prefix=".download-", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            if progress:
                progress(0, expected)
            received, sha256 = _copy(response, out, url, expected, max_bytes, timeout, progress)
            out.flush()
            os.fsync(out.fileno())
        if expected is not None and received != expected:
            raise _truncated(url, received, expected)
        if progress:
            progress(received, received)
        # Same name for the same bytes: replacing an existing copy changes nothing.
        os.replace(tmp, raw_path(raw_dir, sha256))
    finally:
        tmp.unlink(missing_ok=True)
    return sha256, received


def _copy(
    response: requests.Response,
    out: IO[bytes],
    url: str,
    expected: int | None,
    max_bytes: int,
    timeout: Timeout,
    progress: Progress | None,
) -> tuple[int, str]:
    """Copy the body to ``out``: (bytes received, their sha256)."""
    digest = hashlib.sha256()
    received = 0
    try:
        for chunk in response.iter_content(_CHUNK):
            received += len(chunk)
            if received > max_bytes:
                raise FetchError(
                    f"{url}: the file is over the cap of {max_bytes} bytes "
                    "([source] max_download_mb); raise the cap if CMS's files really grew"
                )
            out.write(chunk)
            digest.update(chunk)
            if progress:
                progress(received, expected)
    except requests.exceptions.ChunkedEncodingError as exc:
        # urllib3 enforces Content-Length: a connection closed early surfaces here, with the
        # last partial read counted by the raw response, not yet by us.
        if expected is not None:
            raise _truncated(url, max(received, _raw_bytes_read(response)), expected) from exc
        raise network_error(url, exc, timeout) from exc
    except requests.RequestException as exc:
        raise network_error(url, exc, timeout) from exc
    return received, digest.hexdigest()


def _raw_bytes_read(response: requests.Response) -> int:
    try:
        return int(response.raw.tell())
    except (AttributeError, OSError, TypeError, ValueError):
        return 0


def _content_length(response: requests.Response) -> int | None:
    # With a Content-Encoding the header counts encoded bytes, not the file's.
    if response.headers.get("Content-Encoding", "identity").lower() != "identity":
        return None
    value = response.headers.get("Content-Length", "")
    return int(value) if value.strip().isdigit() else None


def _truncated(url: str, received: int, expected: int) -> FetchError:
    return FetchError(
        f"{url}: truncated: got {received} of {expected} bytes; the connection dropped, "
        "the next check will download it again"
    )


# --- validation -----------------------------------------------------------------------------


def validate_zip(path: Path, *, source: str, max_unpacked: int) -> None:
    """Check a downloaded file before anyone unpacks it; InputError(source, problem) if not OK.

    It must be a ZIP (CMS answers a wrong URL with an HTML "Page Not Found" page and status
    200), with safe member names, at most ``max_unpacked`` bytes unpacked, and an ``*ANWEB*``
    data member (.txt or .xlsx): the same rules the reader applies (``tracker.hcpcs.read``).
    """
    with path.open("rb") as handle:
        head = handle.read(1024)
    if not head.startswith(b"PK"):
        raise InputError(source, not_a_zip(head))
    with open_zip(source, path, max_unpacked=max_unpacked) as archive:
        pick_data_member(source, archive.namelist())


# --- progress -------------------------------------------------------------------------------


def terminal_progress(stream: IO[str], *, name: str = "download", width: int = 30) -> Progress:
    """A one-line bar redrawn in place with carriage returns, for an interactive terminal."""
    last: list[str] = [""]

    def draw(done: int, total: int | None) -> None:
        if total:
            filled = width * done // total
            line = (
                f"\r{name} [{'#' * filled}{' ' * (width - filled)}] "
                f"{100 * done // total:3d}% {_mb(done)}/{_mb(total)} MB"
            )
        else:
            line = f"\r{name} {_mb(done)} MB"
        if line == last[0]:
            return  # redraw only when the text changes: one write per percent, not per chunk
        last[0] = line
        stream.write(line)
        if total is not None and done == total and done > 0:
            stream.write("\n")
        stream.flush()

    return draw


def log_progress(logger: logging.Logger, *, name: str = "download") -> Progress:
    """Only a start and a finish line, for logs of scheduled runs."""
    state = {"started": False, "finished": False}

    def report(done: int, total: int | None) -> None:
        if not state["started"]:
            state["started"] = True
            size = f"{total} bytes" if total is not None else "size unknown"
            logger.info("%s: downloading (%s)", name, size)
        elif not state["finished"] and total is not None and done == total:
            state["finished"] = True
            logger.info("%s: downloaded %d bytes", name, done)

    return report


def progress_for(stream: IO[str], logger: logging.Logger, *, name: str) -> Progress:
    """A bar when ``stream`` is a terminal, start/finish log lines otherwise."""
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        return terminal_progress(stream, name=name)
    return log_progress(logger, name=name)


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f}"
