"""Find HCPCS release files: links on CMS's listing pages, or files dropped in a local folder.

``parse_listing`` and ``parse_detail_page`` are pure (HTML in, values out); ``discover`` fetches.
The page facts they rely on are in ``../shared/cms/PAGES.md``: a Drupal list of ``<li><a>``
entries, newest first; names singular or plural; "- Updated MM/DD/YYYY" suffixes; extra markup
between ``<li>`` and ``<a>``; and, late 2023 to mid 2024, an entry linking to a media page
``/media/NNNNNN`` that holds the ZIP link instead of the ZIP itself.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import requests
from bs4 import BeautifulSoup, Tag

from tracker.errors import FetchError
from tracker.hcpcs.identity import Identity, file_identity, identity_from_name
from tracker.sources.http import DEFAULT_TIMEOUT, Timeout, get, status_error

log = logging.getLogger(__name__)

# An HCPCS Level II data file says so: "Alpha-Numeric HCPCS File", "alpha-numeric-hcpcs-files.zip",
# "12anweb.zip" (2012-2014), "HCPC2026_JAN_ANWEB.txt".
_RELEASE = re.compile(r"alpha[\s_-]*numeric|anweb", re.IGNORECASE)
# Files CMS posts next to the data that are not releases: record layouts, NOC code lists, the
# Level II index, public-meeting agendas, and the change reports inside recent ZIPs.
_NOT_RELEASE = re.compile(
    r"layout|(?<![a-z])noc(?![a-z])|not[\s_-]*otherwise|index|meeting|correction|"
    r"trans(action)?[\s_-]*report|readme|proc[\s_-]*notes",
    re.IGNORECASE,
)
# A link to a page that holds the ZIP link: a Drupal media page (late 2023 to mid 2024), or an
# item page of the pre-2021 annual list (".../Alpha-Numeric-HCPCS-Items/2020-Alpha-Numeric-...").
_DETAIL_PAGE = re.compile(r"/media/\d+/?$|-Items/[^/]+/?$", re.IGNORECASE)
_LOCAL_SUFFIXES = (".zip", ".txt", ".xlsx")


@dataclass(frozen=True)
class Candidate:
    """A release file a listing page links to."""

    url: str  # the ZIP (after following a media page)
    label: str  # "2026" or "2026-Q1"
    effective: date
    kind: str  # "annual" | "quarterly"
    title: str  # the link's title or text, as CMS wrote it
    listing_url: str  # the page it was found on


@dataclass(frozen=True)
class LocalCandidate:
    """A release file found in the ``[source] directory`` folder."""

    path: Path
    label: str
    effective: date
    kind: str


def discover(
    session: requests.Session,
    listing_url: str,
    *,
    timeout: Timeout = DEFAULT_TIMEOUT,
    on_error: Callable[[FetchError], None] | None = None,
) -> list[Candidate]:
    """The release files ``listing_url`` links to, in page order (newest first on CMS's pages).

    Raises FetchError when the page cannot be fetched or holds no release link. An entry whose
    media page fails is passed to ``on_error`` and left out, when that is given, so that one
    bad entry does not hide the other releases on the page; without it, it raises.
    """
    html, page_url = fetch_page(session, listing_url, timeout=timeout)
    # Links resolve against where the page really is (CMS redirects its old URLs), but each
    # candidate names the configured URL, which is what the user knows.
    found = [replace(c, listing_url=listing_url) for c in parse_listing(html, page_url)]
    if not found:
        raise FetchError(f"{listing_url}: {_no_links_problem(html, 'release link')}")
    resolved = []
    for c in found:
        try:
            resolved.append(
                resolve_detail_page(session, c, timeout=timeout) if is_detail_page(c.url) else c
            )
        except FetchError as exc:
            if on_error is None:
                raise
            on_error(exc)
    return _unique(resolved)


def parse_listing(html: str, base_url: str) -> list[Candidate]:
    """Every HCPCS release link on a listing page, in page order, one per URL.

    A link counts when it points to a ``.zip`` or to a media/item page, and its title, text or
    URL names an alpha-numeric HCPCS file and a year. Label, date and ``title`` come from the
    first of title, text and URL file name that names a year (CMS's titles are the most
    reliable, URLs the least). Fragments are dropped from URLs; queries are kept.
    """
    soup = BeautifulSoup(html, "html.parser")
    base = _base_href(soup, base_url)
    found: list[Candidate] = []
    for anchor in _anchors(soup):
        url = urldefrag(urljoin(base, str(anchor["href"]).strip())).url
        path = urlsplit(url).path
        if not (path.lower().endswith(".zip") or _DETAIL_PAGE.search(path)):
            continue
        title, text = _clean(anchor.get("title")), _clean(anchor.get_text(" "))
        name = unquote(path.rsplit("/", 1)[-1])
        if not _is_release(title, text, name):
            continue
        named = _first_named(title, text, name)
        if named is None:
            continue
        source, identity = named
        found.append(
            Candidate(
                url=url,
                label=identity.label,
                effective=identity.effective,
                kind=identity.kind,
                title=source,
                listing_url=base_url,
            )
        )
    return _unique(found)


def is_detail_page(url: str) -> bool:
    """Whether a candidate URL is a media/item page to open rather than the ZIP itself."""
    return bool(_DETAIL_PAGE.search(urlsplit(url).path))


def parse_detail_page(html: str, base_url: str) -> str | None:
    """The ZIP link on a media or item page: the first ``.zip`` link that is not a layout, NOC
    or other side file. None when there is none."""
    soup = BeautifulSoup(html, "html.parser")
    base = _base_href(soup, base_url)
    for anchor in _anchors(soup):
        url = urldefrag(urljoin(base, str(anchor["href"]).strip())).url
        path = urlsplit(url).path
        if not path.lower().endswith(".zip"):
            continue
        names = (_clean(anchor.get("title")), _clean(anchor.get_text(" ")), unquote(path))
        if not any(_NOT_RELEASE.search(n) for n in names):
            return url
    return None


def resolve_detail_page(
    session: requests.Session, candidate: Candidate, *, timeout: Timeout = DEFAULT_TIMEOUT
) -> Candidate:
    """The candidate with its media/item page URL replaced by the ZIP link that page holds.

    The label stays the one from the listing entry: the media page's link is often just "ZIP".
    """
    html, page_url = fetch_page(session, candidate.url, timeout=timeout)
    zip_url = parse_detail_page(html, page_url)
    if zip_url is None:
        raise FetchError(f"{candidate.url}: {_no_links_problem(html, 'ZIP link')}")
    return replace(candidate, url=zip_url)


def fetch_page(
    session: requests.Session, url: str, *, timeout: Timeout = DEFAULT_TIMEOUT
) -> tuple[str, str]:
    """The text of an HTML page and its URL after redirects; FetchError for anything but 200."""
    response = get(session, url, timeout=timeout)
    with response:
        if response.status_code != 200:
            raise status_error(url, response)
        # CMS serves UTF-8 but does not always say so; requests would then guess ISO-8859-1.
        if response.encoding is None or response.encoding.lower() == "iso-8859-1":
            response.encoding = response.apparent_encoding or "utf-8"
        return response.text, response.url or url


def scan_directory(folder: Path) -> list[LocalCandidate]:
    """Release files in a local folder (a share where someone drops CMS's files by hand).

    Takes ``*.zip``, ``*ANWEB*.txt`` and ``*.xlsx`` files, not recursively, sorted by name,
    skipping side files (layouts, NOC lists, change reports) and Office lock files. The release
    comes from the one rule every file goes by (``identity.release_identity``): the file name,
    or for a ZIP with a bare name its ANWEB member's name; a member naming another release is
    warned about. A file that names no year is skipped with a warning saying to rename it.
    """
    if not folder.is_dir():
        raise FetchError(
            f"{folder}: [source] directory is not a folder; create it or fix the setting"
        )
    found: list[LocalCandidate] = []
    for path in sorted(folder.iterdir()):
        if not _is_local_release(path):
            continue
        named = file_identity(path)
        if named is None:
            log.warning(
                "%s: the name says no release year; rename it like "
                "'january-2026-alpha-numeric-hcpcs-file.zip' to have it imported",
                path,
            )
            continue
        if named.warning:
            log.warning("%s: %s", path, named.warning)
        identity = named.identity
        found.append(LocalCandidate(path, identity.label, identity.effective, identity.kind))
    return found


def keep_raw(path: Path, raw_dir: Path) -> tuple[Path, str]:
    """Copy a drop-folder file into the raw store as ``<raw_dir>/<sha256><suffix>``, as a
    download is kept (``download.raw_path``: the same name for a ZIP), unless it is there
    already; return the copy and its SHA-256. The copy is what is read and kept as evidence:
    the folder's file may be replaced or deleted later. OSError: the file cannot be read;
    FetchError: the copy cannot be written."""
    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    kept = raw_dir / f"{sha256}{path.suffix.lower()}"
    if kept.is_file():
        return kept, sha256
    try:
        raw_dir.mkdir(parents=True, exist_ok=True)
        # Written beside, then renamed: a copy cut short never stands under the final name.
        handle, temporary = tempfile.mkstemp(dir=raw_dir, prefix=".part-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, kept)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise FetchError(f"{raw_dir}: cannot keep a copy of {path} ({exc.strerror})") from None
    return kept, sha256


def _is_local_release(path: Path) -> bool:
    name = path.name
    if name.startswith((".", "~$")) or not path.is_file():
        return False
    suffix = path.suffix.lower()
    if suffix not in _LOCAL_SUFFIXES or _NOT_RELEASE.search(name):
        return False
    return suffix != ".txt" or "anweb" in name.lower()


def _anchors(soup: BeautifulSoup) -> Iterator[Tag]:
    for anchor in soup.find_all("a", href=True):
        if isinstance(anchor, Tag):
            yield anchor


def _base_href(soup: BeautifulSoup, page_url: str) -> str:
    base = soup.find("base", href=True)
    if isinstance(base, Tag):
        return urljoin(page_url, str(base["href"]))
    return page_url


def _clean(value: object) -> str:
    """One line of text: attribute values may be lists (bs4) and text spans many lines."""
    if value is None:
        return ""
    text = " ".join(value) if isinstance(value, list) else str(value)
    return " ".join(text.split())


def _is_release(title: str, text: str, name: str) -> bool:
    names = (title, text, name)
    return any(_RELEASE.search(n) for n in names) and not any(_NOT_RELEASE.search(n) for n in names)


def _first_named(*names: str) -> tuple[str, Identity] | None:
    """The first name that says which release it is, with what it says."""
    for name in names:
        identity = identity_from_name(name) if name else None
        if identity is not None:
            return name, identity
    return None


def _unique(candidates: Iterator[Candidate] | list[Candidate]) -> list[Candidate]:
    """First occurrence of each URL: CMS repeats the newest file in a banner above the list."""
    seen: set[str] = set()
    out: list[Candidate] = []
    for candidate in candidates:
        if candidate.url not in seen:
            seen.add(candidate.url)
            out.append(candidate)
    return out


def _no_links_problem(html: str, what: str) -> str:
    soup = BeautifulSoup(html, "html.parser")
    title = _clean(soup.title.get_text()) if soup.title else ""
    if "not found" in title.lower():
        return (
            f'answered with a "{title}" page: the page has moved; '
            "check [source] listing_urls against cms.gov"
        )
    return (
        f"no HCPCS {what} found on the page; CMS may have changed the page layout: "
        "open it in a browser and check [source] listing_urls"
    )
