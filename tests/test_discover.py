"""Finding release links on CMS's listing pages (hand-written in tests/fixtures/pages)."""

from __future__ import annotations

import logging
import zipfile
from datetime import date
from pathlib import Path

import pytest
import requests
import responses

from tests.httpserver import LocalSite
from tracker.errors import FetchError
from tracker.sources.discover import (
    Candidate,
    LocalCandidate,
    discover,
    is_detail_page,
    parse_detail_page,
    parse_listing,
    scan_directory,
)
from tracker.sources.http import make_session

PAGES = Path(__file__).parent / "fixtures" / "pages"
CMS = "https://www.cms.gov"
LISTING = f"{CMS}/medicare/coding-billing/healthcare-common-procedure-system/quarterly-update"
OLD_LISTING = f"{CMS}/Medicare/Coding/HCPCSReleaseCodeSets/Alpha-Numeric-HCPCS"
OLD_DOWNLOADS = f"{CMS}/Medicare/Coding/HCPCSReleaseCodeSets/Downloads"


def page(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


def quarter(url: str, label: str, effective: date, title: str, listing: str = LISTING) -> Candidate:
    return Candidate(url, label, effective, "quarterly", title, listing)


def annual(url: str, label: str, title: str, listing: str = LISTING) -> Candidate:
    return Candidate(url, label, date(int(label), 1, 1), "annual", title, listing)


@pytest.fixture
def session() -> requests.Session:
    return make_session("tracker-tests/1.0", retries=2, backoff=0, sleep=lambda _: None)


# --- parse_listing: one test per PAGES.md variant ---------------------------------------------


def test_current_page_singular_plural_updated_suffix_banner_and_side_files() -> None:
    # The banner repeats January 2026 (kept once); record layout, NOC ZIP, index PDF and the
    # public-meetings page are not releases; title attributes win over "(ZIP) - Updated ..." text.
    assert parse_listing(page("quarterly-update-2026.html"), LISTING) == [
        quarter(
            f"{CMS}/files/zip/january-2026-alpha-numeric-hcpcs-file.zip",
            "2026-Q1",
            date(2026, 1, 1),
            "January 2026 Alpha-Numeric HCPCS File",
        ),
        annual(
            f"{CMS}/files/zip/2026-alpha-numeric-hcpcs-file.zip",
            "2026",
            "2026 Alpha-Numeric HCPCS File",
        ),
        quarter(
            f"{CMS}/files/zip/october-2025-alpha-numeric-hcpcs-files.zip",
            "2025-Q4",
            date(2025, 10, 1),
            "October 2025 Alpha-Numeric HCPCS Files",
        ),
        quarter(
            f"{CMS}/files/zip/july-2025-alpha-numeric-hcpcs-file.zip",
            "2025-Q3",
            date(2025, 7, 1),
            "July 2025 Alpha-Numeric HCPCS File",
        ),
        quarter(
            f"{CMS}/files/zip/april-2025-alpha-numeric-hcpcs-files.zip",
            "2025-Q2",
            date(2025, 4, 1),
            "April 2025 Alpha-Numeric HCPCS Files",
        ),
    ]


def test_media_page_entry_is_listed_with_its_media_url() -> None:
    assert parse_listing(page("quarterly-update-2024-media.html"), LISTING) == [
        quarter(
            f"{CMS}/media/123456",
            "2024-Q2",
            date(2024, 4, 1),
            "April 2024 Alpha-Numeric HCPCS File",
        ),
        quarter(
            f"{CMS}/files/zip/january-2024-alpha-numeric-hcpcs-files.zip",
            "2024-Q1",
            date(2024, 1, 1),
            "January 2024 Alpha-Numeric HCPCS Files",
        ),
        annual(
            f"{CMS}/files/zip/2024-alpha-numeric-hcpcs-file.zip",
            "2024",
            "2024 Alpha-Numeric HCPCS File",
        ),
        quarter(
            f"{CMS}/files/zip/october-2023-alpha-numeric-hcpcs-file.zip",
            "2023-Q4",
            date(2023, 10, 1),
            "October 2023 Alpha-Numeric HCPCS File",
        ),
    ]


def test_extra_markup_moved_title_nested_text_and_useless_title_attributes() -> None:
    # title="Download file" names no year, so the link text decides; the fragment is dropped.
    assert parse_listing(page("quarterly-update-markup.html"), LISTING) == [
        quarter(
            f"{CMS}/files/zip/october-2026-alpha-numeric-hcpcs-files.zip",
            "2026-Q4",
            date(2026, 10, 1),
            "October 2026 Alpha-Numeric HCPCS Files (ZIP) - Updated 09/10/2026",
        ),
        quarter(
            f"{CMS}/files/zip/july-2026-alpha-numeric-hcpcs-file.zip",
            "2026-Q3",
            date(2026, 7, 1),
            "July 2026 Alpha-Numeric HCPCS File",
        ),
        quarter(
            f"{CMS}/files/zip/april-2026-alpha-numeric-hcpcs-file.zip?download=1",
            "2026-Q2",
            date(2026, 4, 1),
            "April 2026 Alpha-Numeric HCPCS File",
        ),
    ]


def test_old_annual_list_item_pages_and_urls_naming_the_year() -> None:
    # Link texts "[ZIP, 7MB]" and "Download" name no year: the URL's file name does.
    assert parse_listing(page("alpha-numeric-hcpcs-old.html"), OLD_LISTING) == [
        annual(
            f"{CMS}/Medicare/Coding/HCPCSReleaseCodeSets/Alpha-Numeric-HCPCS-Items/"
            "2020-Alpha-Numeric-HCPCS-File",
            "2020",
            "2020 Alpha-Numeric HCPCS File",
            OLD_LISTING,
        ),
        annual(
            f"{OLD_DOWNLOADS}/2019-Alpha-Numeric-HCPCS-File.zip",
            "2019",
            "2019-Alpha-Numeric-HCPCS-File.zip",
            OLD_LISTING,
        ),
        annual(f"{OLD_DOWNLOADS}/14anweb.zip", "2014", "14anweb.zip", OLD_LISTING),
        annual(f"{OLD_DOWNLOADS}/12anweb.zip", "2012", "12anweb.zip", OLD_LISTING),
    ]


@pytest.mark.parametrize("name", ["redesigned-no-links.html", "page-not-found.html"])
def test_pages_without_release_links_parse_to_nothing(name: str) -> None:
    assert parse_listing(page(name), LISTING) == []


def test_base_href_is_honoured() -> None:
    html = (
        '<html><head><base href="https://www.cms.gov/files/zip/"></head><body>'
        '<a href="2026-alpha-numeric-hcpcs-file.zip">2026 Alpha-Numeric HCPCS File</a>'
        "</body></html>"
    )
    assert parse_listing(html, LISTING) == [
        annual(
            f"{CMS}/files/zip/2026-alpha-numeric-hcpcs-file.zip",
            "2026",
            "2026 Alpha-Numeric HCPCS File",
        )
    ]


def test_parse_detail_page_takes_the_data_zip_not_the_record_layout() -> None:
    media = page("media-123456.html")
    item = page("item-2020.html")
    assert parse_detail_page(media, f"{CMS}/media/123456") == (
        f"{CMS}/files/zip/april-2024-alpha-numeric-hcpcs-file.zip"
    )
    assert parse_detail_page(item, f"{OLD_LISTING}-Items/2020-Alpha-Numeric-HCPCS-File") == (
        f"{OLD_DOWNLOADS}/2020-Alpha-Numeric-HCPCS-File.zip"
    )
    assert parse_detail_page(page("page-not-found.html"), f"{CMS}/media/1") is None


def test_is_detail_page() -> None:
    assert [
        is_detail_page(url)
        for url in (
            f"{CMS}/media/123456",
            f"{OLD_LISTING}-Items/2020-Alpha-Numeric-HCPCS-File",
            f"{CMS}/files/zip/2026-alpha-numeric-hcpcs-file.zip",
            f"{CMS}/media",
        )
    ] == [True, True, False, False]


# --- discover: fetching, media pages, errors ----------------------------------------------------


@responses.activate
def test_discover_follows_the_media_page_to_its_zip(session: requests.Session) -> None:
    responses.get(LISTING, body=page("quarterly-update-2024-media.html"))
    responses.get(f"{CMS}/media/123456", body=page("media-123456.html"))

    found = discover(session, LISTING, timeout=(1, 1))

    assert found[0] == quarter(
        f"{CMS}/files/zip/april-2024-alpha-numeric-hcpcs-file.zip",
        "2024-Q2",
        date(2024, 4, 1),
        "April 2024 Alpha-Numeric HCPCS File",
    )
    assert found[1:] == parse_listing(page("quarterly-update-2024-media.html"), LISTING)[1:]


@responses.activate
def test_discover_sends_the_user_agent(session: requests.Session) -> None:
    responses.get(LISTING, body=page("quarterly-update-2026.html"))

    discover(session, LISTING, timeout=(1, 1))

    assert responses.calls[0].request.headers["User-Agent"] == "tracker-tests/1.0"


@responses.activate
def test_a_page_without_release_links_is_a_layout_error(session: requests.Session) -> None:
    responses.get(LISTING, body=page("redesigned-no-links.html"))

    with pytest.raises(FetchError) as caught:
        discover(session, LISTING, timeout=(1, 1))

    assert str(caught.value) == (
        f"{LISTING}: no HCPCS release link found on the page; CMS may have changed the page "
        "layout: open it in a browser and check [source] listing_urls"
    )


@responses.activate
def test_a_page_not_found_answered_with_200_says_so(session: requests.Session) -> None:
    responses.get(LISTING, body=page("page-not-found.html"))

    with pytest.raises(FetchError) as caught:
        discover(session, LISTING, timeout=(1, 1))

    assert str(caught.value) == (
        f'{LISTING}: answered with a "Page Not Found | CMS" page: the page has moved; '
        "check [source] listing_urls against cms.gov"
    )


@responses.activate
def test_a_media_page_without_a_zip_link_is_a_layout_error(session: requests.Session) -> None:
    responses.get(LISTING, body=page("quarterly-update-2024-media.html"))
    responses.get(f"{CMS}/media/123456", body=page("redesigned-no-links.html"))

    with pytest.raises(FetchError) as caught:
        discover(session, LISTING, timeout=(1, 1))

    assert str(caught.value) == (
        f"{CMS}/media/123456: no HCPCS ZIP link found on the page; CMS may have changed the "
        "page layout: open it in a browser and check [source] listing_urls"
    )


@responses.activate
def test_403_on_the_listing_page_suggests_a_directory_source(session: requests.Session) -> None:
    responses.get(LISTING, status=403, body="<html><title>Access Denied</title></html>")

    with pytest.raises(FetchError) as caught:
        discover(session, LISTING, timeout=(1, 1))

    assert str(caught.value) == (
        f"{LISTING}: HTTP 403 Forbidden: CMS sometimes refuses automated clients; try again "
        "later, or download the file in a browser and set [source] directory"
    )


@responses.activate
def test_404_on_the_listing_page(session: requests.Session) -> None:
    responses.get(LISTING, status=404, body=page("page-not-found.html"))

    with pytest.raises(FetchError) as caught:
        discover(session, LISTING, timeout=(1, 1))

    assert str(caught.value) == (
        f"{LISTING}: HTTP 404 Not Found: the page or file has moved; check [source] "
        "listing_urls against cms.gov"
    )


@responses.activate
def test_503_on_every_try_names_the_status_after_retries(session: requests.Session) -> None:
    responses.get(LISTING, status=503)

    with pytest.raises(FetchError) as caught:
        discover(session, LISTING, timeout=(1, 1))

    assert str(caught.value) == (
        f"{LISTING}: HTTP 503 Service Unavailable: CMS is down or overloaded; "
        "the next scheduled check will try again"
    )
    assert len(responses.calls) == 3  # the first try and 2 retries


@responses.activate
def test_a_timeout_names_the_limits(session: requests.Session) -> None:
    responses.get(LISTING, body=requests.exceptions.ReadTimeout("read timed out"))

    with pytest.raises(FetchError) as caught:
        discover(session, LISTING, timeout=(3, 7))

    assert str(caught.value) == (
        f"{LISTING}: timed out (connect 3 s, read 7 s): CMS is slow or unreachable; try again "
        "later or raise [source] timeouts"
    )


def test_connection_refused_after_retries(session: requests.Session) -> None:
    # A port that was just free: nothing listens there.
    with LocalSite() as site:
        url = site.url("/quarterly-update")
    with pytest.raises(FetchError) as caught:
        discover(session, url, timeout=(1, 1))

    message = str(caught.value)
    assert message.startswith(f"{url}: cannot connect (")
    assert message.endswith(
        "): check the network, DNS or proxy settings; the next scheduled check will try again"
    )
    assert "\n" not in message


def test_discover_against_a_real_server_following_a_moved_page() -> None:
    session = make_session("tracker-tests/1.0", retries=0, backoff=0)
    with LocalSite() as site:
        site.redirect("/old-list", "/new/list", status=301)
        site.put("/new/list", page("quarterly-update-2024-media.html"), content_type="text/html")
        site.put("/media/123456", page("media-123456.html"), content_type="text/html")

        found = discover(session, site.url("/old-list"), timeout=(2, 2))

        assert [(c.url, c.label) for c in found] == [
            (site.url("/files/zip/april-2024-alpha-numeric-hcpcs-file.zip"), "2024-Q2"),
            (site.url("/files/zip/january-2024-alpha-numeric-hcpcs-files.zip"), "2024-Q1"),
            (site.url("/files/zip/2024-alpha-numeric-hcpcs-file.zip"), "2024"),
            (site.url("/files/zip/october-2023-alpha-numeric-hcpcs-file.zip"), "2023-Q4"),
        ]
        assert [path for _, path, _ in site.requests] == ["/old-list", "/new/list", "/media/123456"]
    assert {c.listing_url for c in found} == {site.url("/old-list")}


def test_relative_links_resolve_against_the_page_a_redirect_led_to() -> None:
    session = make_session("tracker-tests/1.0", retries=0, backoff=0)
    with LocalSite() as site:
        site.redirect("/Alpha-Numeric-HCPCS", "/Medicare/HCPCS/Alpha-Numeric-HCPCS", status=301)
        site.put("/Medicare/HCPCS/Alpha-Numeric-HCPCS", page("alpha-numeric-hcpcs-old.html"))
        # The item page link is an absolute path, the ZIP links are relative ("Downloads/...").
        site.put(
            "/Medicare/Coding/HCPCSReleaseCodeSets/Alpha-Numeric-HCPCS-Items/"
            "2020-Alpha-Numeric-HCPCS-File",
            page("item-2020.html"),
        )

        found = discover(session, site.url("/Alpha-Numeric-HCPCS"), timeout=(2, 2))

        assert [c.url for c in found] == [
            site.url(
                "/Medicare/Coding/HCPCSReleaseCodeSets/Downloads/2020-Alpha-Numeric-HCPCS-File.zip"
            ),
            site.url("/Medicare/HCPCS/Downloads/2019-Alpha-Numeric-HCPCS-File.zip"),
            site.url("/Medicare/HCPCS/Downloads/14anweb.zip"),
            site.url("/Medicare/HCPCS/Downloads/12anweb.zip"),
        ]


# --- scan_directory -------------------------------------------------------------------------------


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_scan_directory_takes_release_files_and_skips_side_files(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for name in (
        "january-2026-alpha-numeric-hcpcs-file.zip",
        "HCPC2025_OCT_ANWEB_v2.txt",
        "HCPC2025_JUL_ANWEB.xlsx",
        "HCPC2026_JAN_ANWEB_Corrections_01122026.xlsx",  # a change report, not data
        "HCPC2026_JAN_ANWEB_Transaction Report_12292025.xlsx",
        "NOC codes_JAN2026.xlsx",
        "HCPC2026_recordlayout.txt",
        "proc_notes_JAN2026.txt",
        "notes-2026.txt",  # a .txt that is not ANWEB
        "~$HCPC2025_JUL_ANWEB.xlsx",  # Excel's lock file
        ".partial-2026.zip",
        "2026-announcement.pdf",
        "hcpcs.xlsx",  # names no year: skipped with a warning
    ):
        (tmp_path / name).write_bytes(b"x")
    _zip(tmp_path / "download (3).zip", {"HCPC2024_APR_ANWEB.txt": b"x"})
    (tmp_path / "old-2019.zip").mkdir()  # a folder, not a file

    with caplog.at_level(logging.WARNING, logger="tracker.sources.discover"):
        found = scan_directory(tmp_path)

    assert found == [
        LocalCandidate(
            tmp_path / "HCPC2025_JUL_ANWEB.xlsx", "2025-Q3", date(2025, 7, 1), "quarterly"
        ),
        LocalCandidate(
            tmp_path / "HCPC2025_OCT_ANWEB_v2.txt", "2025-Q4", date(2025, 10, 1), "quarterly"
        ),
        LocalCandidate(tmp_path / "download (3).zip", "2024-Q2", date(2024, 4, 1), "quarterly"),
        LocalCandidate(
            tmp_path / "january-2026-alpha-numeric-hcpcs-file.zip",
            "2026-Q1",
            date(2026, 1, 1),
            "quarterly",
        ),
    ]
    assert caplog.messages == [
        f"{tmp_path / 'hcpcs.xlsx'}: the name says no release year; rename it like "
        "'january-2026-alpha-numeric-hcpcs-file.zip' to have it imported"
    ]


def test_scan_directory_of_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FetchError) as caught:
        scan_directory(tmp_path / "nope")

    assert str(caught.value) == (
        f"{tmp_path / 'nope'}: [source] directory is not a folder; create it or fix the setting"
    )
