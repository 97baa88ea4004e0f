"""Downloading release ZIPs into the raw store, and checking them before import."""

from __future__ import annotations

import hashlib
import io
import logging
import zipfile
from pathlib import Path

import pytest
import requests
import responses
from responses import matchers

from tests.httpserver import LocalSite
from tracker.errors import FetchError, InputError
from tracker.records import Validators
from tracker.sources.download import (
    DownloadResult,
    check_url,
    download,
    is_loopback,
    log_progress,
    progress_for,
    terminal_progress,
    validate_zip,
)
from tracker.sources.http import make_session

CMS = "https://www.cms.gov"
ZIP_URL = f"{CMS}/files/zip/january-2026-alpha-numeric-hcpcs-file.zip"
ALLOWED = ("www.cms.gov",)
MB = 1_000_000
SHARED_CMS = Path(__file__).resolve().parents[2] / "shared" / "cms"
NOT_FOUND_PAGE = (Path(__file__).parent / "fixtures" / "pages" / "page-not-found.html").read_bytes()


class MemoryValidators:
    """The ValidatorStore protocol in a dict (the real one lives in the SQLite store)."""

    def __init__(self, initial: dict[str, Validators] | None = None) -> None:
        self.saved: dict[str, Validators] = dict(initial or {})

    def get(self, url: str) -> Validators | None:
        return self.saved.get(url)

    def put(self, url: str, validators: Validators) -> None:
        self.saved[url] = validators


def make_zip(members: dict[str, bytes] | None = None) -> bytes:
    """A small release ZIP with INVENTED content."""
    members = members or {"HCPC2026_JAN_ANWEB.txt": b"A0001 invented test record\r\n"}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def session() -> requests.Session:
    return make_session("tracker-tests/1.0", retries=2, backoff=0, sleep=lambda _: None)


@pytest.fixture
def raw_dir(tmp_path: Path) -> Path:
    return tmp_path / "raw"


def fetch(
    session: requests.Session,
    raw_dir: Path,
    store: MemoryValidators,
    url: str = ZIP_URL,
    *,
    allowed: tuple[str, ...] = ALLOWED,
    max_bytes: int = MB,
) -> DownloadResult:
    return download(
        session,
        url,
        raw_dir=raw_dir,
        validators=store,
        allowed_hosts=allowed,
        max_bytes=max_bytes,
        timeout=(1, 1),
    )


def fetch_error(
    session: requests.Session,
    raw_dir: Path,
    url: str = ZIP_URL,
    *,
    allowed: tuple[str, ...] = ALLOWED,
    max_bytes: int = MB,
) -> str:
    with pytest.raises(FetchError) as caught:
        fetch(session, raw_dir, MemoryValidators(), url, allowed=allowed, max_bytes=max_bytes)
    return str(caught.value)


# --- responses: the HTTP edge cases ---------------------------------------------------------------


@responses.activate
def test_200_streams_into_the_raw_store_and_remembers_validators(
    session: requests.Session, raw_dir: Path
) -> None:
    body = make_zip()
    headers = {"ETag": '"v1"', "Last-Modified": "Mon, 12 Jan 2026 13:05:00 GMT"}
    responses.get(ZIP_URL, body=body, headers=headers, auto_calculate_content_length=True)
    store = MemoryValidators()

    result = fetch(session, raw_dir, store)

    assert result == DownloadResult(
        ZIP_URL, "downloaded", raw_dir / f"{sha(body)}.zip", sha(body), len(body)
    )
    assert result.path.read_bytes() == body
    assert sorted(p.name for p in raw_dir.iterdir()) == [f"{sha(body)}.zip"]  # no temp left
    assert store.saved == {ZIP_URL: Validators('"v1"', "Mon, 12 Jan 2026 13:05:00 GMT", sha(body))}
    assert responses.calls[0].request.headers["Accept-Encoding"] == "identity"


@responses.activate
def test_304_returns_the_raw_file_already_held(session: requests.Session, raw_dir: Path) -> None:
    body = make_zip()
    raw_dir.mkdir()
    (raw_dir / f"{sha(body)}.zip").write_bytes(body)
    held = Validators('"v1"', "Mon, 12 Jan 2026 13:05:00 GMT", sha(body))
    store = MemoryValidators({ZIP_URL: held})
    responses.get(
        ZIP_URL,
        status=304,
        match=[
            matchers.header_matcher(
                {"If-None-Match": '"v1"', "If-Modified-Since": "Mon, 12 Jan 2026 13:05:00 GMT"}
            )
        ],
    )

    result = fetch(session, raw_dir, store)

    assert result == DownloadResult(
        ZIP_URL, "not_modified", raw_dir / f"{sha(body)}.zip", sha(body), len(body)
    )
    assert store.saved == {ZIP_URL: held}


@responses.activate
def test_a_removed_raw_file_is_fetched_again_without_validators(
    session: requests.Session, raw_dir: Path
) -> None:
    body = make_zip()
    store = MemoryValidators({ZIP_URL: Validators('"v1"', None, sha(body))})
    responses.get(ZIP_URL, body=body, headers={"ETag": '"v1"'})

    result = fetch(session, raw_dir, store)

    assert result.status == "downloaded"
    assert "If-None-Match" not in responses.calls[0].request.headers


@responses.activate
def test_503_then_200_is_retried(session: requests.Session, raw_dir: Path) -> None:
    body = make_zip()
    responses.get(ZIP_URL, status=503)
    responses.get(ZIP_URL, body=body)

    result = fetch(session, raw_dir, MemoryValidators())

    assert (result.status, result.sha256) == ("downloaded", sha(body))
    assert [getattr(c.response, "status_code", None) for c in responses.calls] == [503, 200]


@responses.activate
def test_timeout(session: requests.Session, raw_dir: Path) -> None:
    responses.get(ZIP_URL, body=requests.exceptions.ConnectTimeout("connect timed out"))

    assert fetch_error(session, raw_dir) == (
        f"{ZIP_URL}: timed out (connect 1 s, read 1 s): CMS is slow or unreachable; try again "
        "later or raise [source] timeouts"
    )


@responses.activate
def test_403(session: requests.Session, raw_dir: Path) -> None:
    responses.get(ZIP_URL, status=403, body=b"<html><title>Access Denied</title></html>")

    assert fetch_error(session, raw_dir) == (
        f"{ZIP_URL}: HTTP 403 Forbidden: CMS sometimes refuses automated clients; try again "
        "later, or download the file in a browser and set [source] directory"
    )


@responses.activate
def test_html_instead_of_a_zip_downloads_then_fails_validation(
    session: requests.Session, raw_dir: Path
) -> None:
    # CMS answers a wrong file URL with its "Page Not Found" page and status 200.
    responses.get(ZIP_URL, body=NOT_FOUND_PAGE, content_type="text/html")
    result = fetch(session, raw_dir, MemoryValidators())

    with pytest.raises(InputError) as caught:
        validate_zip(result.path, source=ZIP_URL, max_unpacked=MB)

    assert str(caught.value) == (
        f"{ZIP_URL}: is an HTML page, not a ZIP (CMS answers a wrong URL with a Page Not Found "
        "page)"
    )


@responses.activate
def test_redirect_to_a_host_not_allowed_is_refused_before_it_is_requested(
    session: requests.Session, raw_dir: Path
) -> None:
    responses.get(ZIP_URL, status=302, headers={"Location": "https://downloads.example.net/a.zip"})

    assert fetch_error(session, raw_dir) == (
        "https://downloads.example.net/a.zip: host 'downloads.example.net' is not in "
        "[source] allowed_hosts (www.cms.gov); add it there if CMS really moved its files"
    )
    assert len(responses.calls) == 1


@responses.activate
def test_redirect_to_http_is_refused(session: requests.Session, raw_dir: Path) -> None:
    responses.get(ZIP_URL, status=301, headers={"Location": "http://www.cms.gov/a.zip"})

    assert fetch_error(session, raw_dir) == (
        "http://www.cms.gov/a.zip: only https downloads are allowed (plain http only on the "
        "loopback interface); fix the URL in [source] listing_urls"
    )


@responses.activate
def test_redirects_within_allowed_hosts_are_followed_and_validators_kept_per_first_url(
    session: requests.Session, raw_dir: Path
) -> None:
    body = make_zip()
    old = f"{CMS}/Medicare/Coding/HCPCSReleaseCodeSets/Downloads/2026-Alpha-Numeric-HCPCS-File.zip"
    responses.get(old, status=301, headers={"Location": "/files/zip/2026-file.zip"})
    responses.get(f"{CMS}/files/zip/2026-file.zip", status=302, headers={"Location": ZIP_URL})
    responses.get(ZIP_URL, body=body, headers={"ETag": '"v1"'})
    store = MemoryValidators()

    result = fetch(session, raw_dir, store, old)

    assert result == DownloadResult(
        old, "downloaded", raw_dir / f"{sha(body)}.zip", sha(body), len(body)
    )
    assert store.saved == {old: Validators('"v1"', None, sha(body))}


@responses.activate
def test_a_redirect_loop_stops(session: requests.Session, raw_dir: Path) -> None:
    responses.get(ZIP_URL, status=302, headers={"Location": ZIP_URL})

    assert fetch_error(session, raw_dir) == (
        f"{ZIP_URL}: more than 5 redirects; check the URL in a browser"
    )
    assert len(responses.calls) == 6


@responses.activate
def test_body_shorter_than_its_content_length(session: requests.Session, raw_dir: Path) -> None:
    responses.get(ZIP_URL, body=b"PK" + b"x" * 58, headers={"Content-Length": "100"})

    assert fetch_error(session, raw_dir) == (
        f"{ZIP_URL}: truncated: got 60 of 100 bytes; the connection dropped, the next check "
        "will download it again"
    )
    assert list(raw_dir.iterdir()) == []


@responses.activate
def test_content_length_over_the_cap_is_refused_before_reading(
    session: requests.Session, raw_dir: Path
) -> None:
    responses.get(ZIP_URL, body=b"x" * 2000, auto_calculate_content_length=True)

    assert fetch_error(session, raw_dir, max_bytes=1000) == (
        f"{ZIP_URL}: the file is 2000 bytes, over the cap of 1000 ([source] max_download_mb); "
        "raise the cap if CMS's files really grew"
    )


@responses.activate
def test_a_body_without_content_length_is_capped_while_streaming(
    session: requests.Session, raw_dir: Path
) -> None:
    responses.get(ZIP_URL, body=b"x" * 200_000)

    assert fetch_error(session, raw_dir, max_bytes=100_000) == (
        f"{ZIP_URL}: the file is over the cap of 100000 bytes ([source] max_download_mb); "
        "raise the cap if CMS's files really grew"
    )
    assert list(raw_dir.iterdir()) == []


def test_plain_http_off_loopback_is_refused_without_a_request(
    session: requests.Session, raw_dir: Path
) -> None:
    # No responses mock and no server: any request would fail differently.
    assert fetch_error(session, raw_dir, "http://www.cms.gov/a.zip") == (
        "http://www.cms.gov/a.zip: only https downloads are allowed (plain http only on the "
        "loopback interface); fix the URL in [source] listing_urls"
    )


def test_check_url_and_loopback() -> None:
    check_url("https://WWW.CMS.GOV/files/zip/a.zip", ["www.cms.gov"])
    check_url("http://127.0.0.1:8080/a.zip", ["127.0.0.1"])
    check_url("http://[::1]:8080/a.zip", ["::1"])
    check_url("http://localhost/a.zip", ["localhost"])
    assert [is_loopback(h) for h in ("127.0.0.1", "127.8.9.10", "::1", "[::1]", "LOCALHOST")] == [
        True
    ] * 5
    assert [is_loopback(h) for h in ("10.0.0.1", "www.cms.gov", "localhost.evil.com", "")] == [
        False
    ] * 4
    with pytest.raises(FetchError):
        check_url("http://127.0.0.1/a.zip", ["www.cms.gov"])  # loopback is exempt from https only


# --- a real server on 127.0.0.1 -------------------------------------------------------------------


def test_end_to_end_200_then_304_then_a_repost_with_new_content(tmp_path: Path) -> None:
    session = make_session("tracker-tests/1.0", retries=0, backoff=0)
    raw_dir = tmp_path / "raw"
    store = MemoryValidators()
    first = make_zip({"HCPC2026_JAN_ANWEB.txt": b"A0001 first posting\r\n"})
    second = make_zip({"HCPC2026_JAN_ANWEB_01122026.txt": b"A0001 corrected posting\r\n"})
    path = "/files/zip/january-2026-alpha-numeric-hcpcs-file.zip"

    with LocalSite() as site:
        url = site.url(path)

        def get() -> DownloadResult:
            return download(
                session,
                url,
                raw_dir=raw_dir,
                validators=store,
                allowed_hosts=[site.host],
                max_bytes=MB,
                timeout=(2, 2),
            )

        site.put(path, first)
        downloaded = get()
        unchanged = get()
        site.put(path, second)  # CMS re-posts at the same URL
        reposted = get()
        requests_seen = site.requests

    assert downloaded == DownloadResult(
        url, "downloaded", raw_dir / f"{sha(first)}.zip", sha(first), len(first)
    )
    assert unchanged == DownloadResult(
        url, "not_modified", raw_dir / f"{sha(first)}.zip", sha(first), len(first)
    )
    assert reposted == DownloadResult(
        url, "downloaded", raw_dir / f"{sha(second)}.zip", sha(second), len(second)
    )
    assert sorted(p.name for p in raw_dir.iterdir()) == sorted(
        [f"{sha(first)}.zip", f"{sha(second)}.zip"]
    )
    assert store.saved[url].sha256 == sha(second)
    first_etag = f'"{sha(first)[:16]}"'
    assert [(h.get("if-none-match"), h["user-agent"]) for _, _, h in requests_seen] == [
        (None, "tracker-tests/1.0"),
        (first_etag, "tracker-tests/1.0"),
        (first_etag, "tracker-tests/1.0"),
    ]
    for result in (downloaded, reposted):
        validate_zip(result.path, source=url, max_unpacked=MB)


def test_last_modified_alone_gives_a_304(tmp_path: Path) -> None:
    session = make_session("tracker-tests/1.0", retries=0, backoff=0)
    store = MemoryValidators()
    with LocalSite() as site:
        site.put("/a.zip", make_zip(), etag=False)
        first, second = (
            download(
                session,
                site.url("/a.zip"),
                raw_dir=tmp_path,
                validators=store,
                allowed_hosts=[site.host],
                max_bytes=MB,
            )
            for _ in range(2)
        )

    assert store.saved[site.url("/a.zip")].etag is None
    assert (first.status, second.status, second.sha256) == (
        "downloaded",
        "not_modified",
        first.sha256,
    )


def test_retry_after_is_honoured_with_an_injected_sleep(tmp_path: Path) -> None:
    slept: list[float] = []
    session = make_session("tracker-tests/1.0", retries=3, backoff=0, sleep=slept.append)
    with LocalSite() as site:
        site.put("/a.zip", make_zip())
        site.fail("/a.zip", 503, headers={"Retry-After": "7"})
        site.fail("/a.zip", 429, headers={"Retry-After": "2"})
        site.fail("/a.zip", 503, headers={"Retry-After": "soon"})  # malformed: plain backoff
        result = download(
            session,
            site.url("/a.zip"),
            raw_dir=tmp_path,
            validators=MemoryValidators(),
            allowed_hosts=[site.host],
            max_bytes=MB,
        )

    assert result.status == "downloaded"
    assert slept == [7.0, 2.0]  # backoff 0 sleeps not at all after the malformed one


def test_backoff_grows_between_retries_without_retry_after(tmp_path: Path) -> None:
    slept: list[float] = []
    session = make_session("tracker-tests/1.0", retries=3, backoff=1.5, sleep=slept.append)
    with LocalSite() as site:
        site.put("/a.zip", make_zip())
        site.fail("/a.zip", 502, times=3)
        result = download(
            session,
            site.url("/a.zip"),
            raw_dir=tmp_path,
            validators=MemoryValidators(),
            allowed_hosts=[site.host],
            max_bytes=MB,
        )

    assert result.status == "downloaded"
    assert slept == [3.0, 6.0]  # urllib3: none after the first error, then factor * 2**(n-1)


def test_a_retry_after_longer_than_the_ceiling_is_not_waited_for(tmp_path: Path) -> None:
    slept: list[float] = []
    session = make_session(
        "tracker-tests/1.0", retries=3, backoff=0, max_retry_after=60, sleep=slept.append
    )
    with LocalSite() as site:
        site.put("/a.zip", make_zip())
        site.fail("/a.zip", 503, headers={"Retry-After": "3600"})
        with pytest.raises(FetchError) as caught:
            download(
                session,
                site.url("/a.zip"),
                raw_dir=tmp_path,
                validators=MemoryValidators(),
                allowed_hosts=[site.host],
                max_bytes=MB,
            )
        url = site.url("/a.zip")
        seen = len(site.requests)

    assert str(caught.value) == (
        f"{url}: HTTP 503 Service Unavailable, Retry-After 3600: CMS is down or overloaded; "
        "the next scheduled check will try again"
    )
    assert (slept, seen) == ([], 1)


def test_a_short_body_from_a_real_server(tmp_path: Path) -> None:
    session = make_session("tracker-tests/1.0", retries=0, backoff=0)
    with LocalSite() as site:
        site.put("/a.zip", b"PK" + b"x" * 998, short_by=400)
        url = site.url("/a.zip")
        with pytest.raises(FetchError) as caught:
            download(
                session,
                url,
                raw_dir=tmp_path,
                validators=MemoryValidators(),
                allowed_hosts=[site.host],
                max_bytes=MB,
            )

    assert str(caught.value) == (
        f"{url}: truncated: got 600 of 1000 bytes; the connection dropped, the next check will "
        "download it again"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("stall", ["headers", "body"])
def test_a_read_timeout_from_a_real_server(tmp_path: Path, stall: str) -> None:
    # Before the headers urllib3 retries the read; once the body streams, nothing retries.
    session = make_session("tracker-tests/1.0", retries=1, backoff=0)
    with LocalSite() as site:
        site.put(
            "/a.zip",
            make_zip(),
            stall_headers=1.0 if stall == "headers" else 0,
            stall_body=1.0 if stall == "body" else 0,
        )
        url = site.url("/a.zip")
        with pytest.raises(FetchError) as caught:
            download(
                session,
                url,
                raw_dir=tmp_path,
                validators=MemoryValidators(),
                allowed_hosts=[site.host],
                max_bytes=MB,
                timeout=(1, 0.1),
            )
        seen = len(site.requests)

    assert str(caught.value) == (
        f"{url}: timed out (connect 1 s, read 0.1 s): CMS is slow or unreachable; try again "
        "later or raise [source] timeouts"
    )
    assert seen == (2 if stall == "headers" else 1)
    assert list(tmp_path.iterdir()) == []


def test_download_reports_progress(tmp_path: Path) -> None:
    session = make_session("tracker-tests/1.0", retries=0, backoff=0)
    calls: list[tuple[int, int | None]] = []
    body = make_zip({"HCPC2026_JAN_ANWEB.txt": bytes(range(256)) * 1000})
    with LocalSite() as site:
        site.put("/a.zip", body)
        download(
            session,
            site.url("/a.zip"),
            raw_dir=tmp_path,
            validators=MemoryValidators(),
            allowed_hosts=[site.host],
            max_bytes=MB,
            progress=lambda done, total: calls.append((done, total)),
        )

    size = len(body)
    assert calls[0] == (0, size)
    assert calls[-1] == (size, size)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert {total for _, total in calls} == {size}


# --- progress display -----------------------------------------------------------------------------


def test_terminal_progress_draws_in_place_and_ends_the_line() -> None:
    stream = io.StringIO()
    draw = terminal_progress(stream, name="2026-Q1", width=10)
    for done in (0, 500_000, 500_000, 1_000_000, 1_000_000):
        draw(done, 1_000_000)

    assert stream.getvalue() == (
        "\r2026-Q1 [          ]   0% 0.0/1.0 MB"
        "\r2026-Q1 [#####     ]  50% 0.5/1.0 MB"
        "\r2026-Q1 [##########] 100% 1.0/1.0 MB\n"
    )


def test_terminal_progress_without_a_size() -> None:
    stream = io.StringIO()
    draw = terminal_progress(stream, name="a.zip", width=4)
    for done, total in ((0, None), (2_500_000, None), (3_000_000, 3_000_000)):
        draw(done, total)

    assert stream.getvalue() == ("\ra.zip 0.0 MB\ra.zip 2.5 MB\ra.zip [####] 100% 3.0/3.0 MB\n")


def test_log_progress_logs_start_and_finish_only(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tracker.test")
    report = log_progress(logger, name="2026-Q1")
    with caplog.at_level(logging.INFO, logger="tracker.test"):
        for done in (0, 100, 200, 300, 300):
            report(done, 300)
        other = log_progress(logger, name="2025-Q4")
        other(0, None)
        other(50, None)
        other(80, 80)

    assert caplog.messages == [
        "2026-Q1: downloading (300 bytes)",
        "2026-Q1: downloaded 300 bytes",
        "2025-Q4: downloading (size unknown)",
        "2025-Q4: downloaded 80 bytes",
    ]


def test_progress_for_picks_the_bar_only_on_a_terminal(caplog: pytest.LogCaptureFixture) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty, plain = Tty(), io.StringIO()
    logger = logging.getLogger("tracker.test")
    with caplog.at_level(logging.INFO, logger="tracker.test"):
        progress_for(tty, logger, name="a")(0, 10)
        progress_for(plain, logger, name="b")(0, 10)

    assert (tty.getvalue(), plain.getvalue()) == (
        "\ra [                              ]   0% 0.0/0.0 MB",
        "",
    )
    assert caplog.messages == ["b: downloading (10 bytes)"]


# --- validate_zip ---------------------------------------------------------------------------------


def write(tmp_path: Path, data: bytes, name: str = "a.zip") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def invalid(path: Path, max_unpacked: int = MB) -> str:
    with pytest.raises(InputError) as caught:
        validate_zip(path, source="a.zip", max_unpacked=max_unpacked)
    assert caught.value.source == "a.zip"
    return caught.value.problem


@pytest.mark.parametrize(
    "members",
    [
        {"HCPC2026_JAN_ANWEB.txt": b"x"},
        {"HCPC2026_JAN_ANWEB_01122026.xlsx": b"x", "NOC codes_JAN2026.xlsx": b"x"},
        {"2020/HCPC2020_ANWEB_w_disclaimer.txt": b"x", "README.txt": b"x"},
    ],
)
def test_a_release_zip_is_valid(tmp_path: Path, members: dict[str, bytes]) -> None:
    validate_zip(write(tmp_path, make_zip(members)), source="a.zip", max_unpacked=MB)


@pytest.mark.parametrize(
    "name",
    [
        "/etc/cron.d/x",
        "../HCPC_ANWEB.txt",
        "data/../../x.txt",
        "C:\\x.txt",
        "c:/x.txt",
        "\\\\srv\\x",
    ],
)
def test_unsafe_member_names(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, make_zip({"HCPC2026_JAN_ANWEB.txt": b"x", name: b"x"}))

    assert invalid(path) == f"holds an unsafe member name {name!r}; refusing to unpack it"


def test_unpacked_size_cap(tmp_path: Path) -> None:
    # Deflate packs 5000 zero bytes into a few dozen: the declared sizes are what count.
    path = write(tmp_path, make_zip({"HCPC2026_JAN_ANWEB.txt": bytes(5000)}))

    assert invalid(path, max_unpacked=4999) == (
        "unpacks to 5000 bytes, over the cap of 4999; refusing to unpack it "
        "(raise [source] max_unpacked_mb if CMS's files really grew)"
    )


def test_no_anweb_data_member(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        make_zip(
            {
                "HCPC2026_JAN_ANWEB_Transaction Report_12292025.xlsx": b"x",
                "HCPC2026_recordlayout.txt": b"x",
            }
        ),
    )

    assert invalid(path) == (
        "holds no *ANWEB* data file (.txt or .xlsx), only: "
        "HCPC2026_JAN_ANWEB_Transaction Report_12292025.xlsx, HCPC2026_recordlayout.txt; "
        "is it the alpha-numeric HCPCS file?"
    )


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (
            b"\xef\xbb\xbf\r\n  <!DOCTYPE html><html><title>Page Not Found</title>",
            "is an HTML page, not a ZIP (CMS answers a wrong URL with a Page Not Found page)",
        ),
        (b"", "is empty, not a ZIP; download it again"),
        (
            b"%PDF-1.7 ...",
            "is not a ZIP (it starts with b'%PDF-1.7'); download it again or check the URL",
        ),
        (
            b"PK\x03\x04 cut short",
            "is not a readable ZIP (truncated or damaged download?); download it again",
        ),
    ],
)
def test_files_that_are_not_zips(tmp_path: Path, data: bytes, problem: str) -> None:
    assert invalid(write(tmp_path, data)) == problem


@pytest.mark.skipif(not SHARED_CMS.is_dir(), reason="real CMS files in ../shared/cms not present")
@pytest.mark.parametrize(
    "name",
    [
        "2017-Alpha-Numeric-HCPCS-File.zip",
        "2018-Alpha-Numeric-HCPCS-File.zip",
        "2020-Alpha-Numeric-HCPCS-File.zip",
        "january-2026-alpha-numeric-hcpcs-file.zip",
    ],
)
def test_real_cms_release_zips_are_valid(name: str) -> None:
    validate_zip(SHARED_CMS / name, source=name, max_unpacked=200 * MB)


@pytest.mark.skipif(not SHARED_CMS.is_dir(), reason="real CMS files in ../shared/cms not present")
def test_a_real_record_layout_zip_is_not_a_release() -> None:
    with pytest.raises(InputError) as caught:
        validate_zip(SHARED_CMS / "2017-Record-Layout.zip", source="layout", max_unpacked=MB)

    assert caught.value.problem == (
        "holds no *ANWEB* data file (.txt or .xlsx), only: HCPCS17_recordlayout.txt; "
        "is it the alpha-numeric HCPCS file?"
    )
