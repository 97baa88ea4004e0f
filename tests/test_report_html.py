"""The HTML page (``--format html``, the email's HTML part) and the email's text part: the
sections in the order a reviewer acts on them, the caps, escaping, no external assets."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tests.golden import assert_golden
from tests.report_sample import CHANGES, cpt_diff, sample_diff, sample_impact
from tracker.records import Impact, WatchedChange
from tracker.report.digest import build_digest, headline, impact_headline
from tracker.report.html import render_email_text, render_html

MORE = "in the attachment"


class _Page(HTMLParser):
    """The page's text, its headings and the codes of its tables, as a reader sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.headings: list[str] = []
        self.codes: list[str] = []
        self.open: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("br", "meta"):  # void elements: no end tag
            self.open.append(tag)
        if tag in ("h2", "h3"):
            self._in, self.headings = "heading", [*self.headings, ""]
        elif tag == "td" and ("class", "code") in attrs:
            self._in, self.codes = "code", [*self.codes, ""]

    def handle_endtag(self, tag: str) -> None:
        assert self.open.pop() == tag, f"</{tag}> closes <{self.open[-1:]}>"
        self._in = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in == "heading":
            self.headings[-1] += data
        elif self._in == "code":
            self.codes[-1] += data


def parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page.split("<body>", 1)[1].rsplit("</body>", 1)[0])
    parser.close()
    assert parser.open == []
    return parser


def test_sections_in_reading_order() -> None:
    page = parse(render_html(sample_diff(), impacts=[sample_impact()]))
    assert page.headings == [
        "Your watchlists",
        "Cardiology & <Cath lab>",
        "Removed codes (1)",
        "Discontinued codes (2)",
        "Transient and retroactive additions (2)",
        "Changed codes (2)",
        "Reactivated codes (1)",
        "Added codes (1)",
        "Deleted codes (1)",
        "Claimed only (1)",
        "Legend",
    ]
    # The watchlist's codes first, then each section's, anomalies first within a section.
    assert page.codes == [
        "C9901", "G8442", "K0002",
        "A9991", "C9902", "C9901", "J9901", "J9902", "K0002", "G8442", "K0001", "J9903",
        "A9992", "L0001",
    ]  # fmt: skip


def test_each_section_is_capped_and_says_how_many_more() -> None:
    html = render_html(sample_diff(), impacts=[sample_impact()], max_codes=1, more_note=MORE)
    page = parse(html)
    assert page.codes == ["C9901", "A9991", "C9902", "J9901", "K0002", "K0001", "J9903", "A9992",
                          "L0001"]  # fmt: skip
    more = re.findall(r'<p class="more">([^<]*)</p>', html)
    # The watchlist, then discontinued, the unusual additions and changed: 1 listed of 2 or 3.
    assert more == ["2 more in the attachment"] + ["1 more in the attachment"] * 3
    text = render_email_text(sample_diff(), impacts=[sample_impact()], max_codes=1)
    assert text.count("  1 more not listed\n") == 3
    assert "  2 more not listed\n" in text


def test_everything_from_cms_is_escaped() -> None:
    html = render_html(sample_diff(), impacts=[sample_impact()])
    assert "<tray>" not in html and "<dose>" not in html and "<Cath lab>" not in html
    assert "Invented kit &amp; &lt;tray&gt; for &quot;tests&quot;" in html
    text = "".join(parse(html).text)
    assert 'Invented kit & <tray> for "tests"' in text
    assert "Cardiology & <Cath lab>" in text


def test_the_page_is_self_contained() -> None:
    html = render_html([sample_diff(), cpt_diff()], impacts=[sample_impact()])
    lowered = html.lower()
    for external in ("http", "src=", "href=", "<script", "<link", "url(", "@import"):
        assert external not in lowered
    assert html.startswith("<!DOCTYPE html>\n") and html.endswith("</html>\n")


def test_long_values_are_whole_with_the_changed_words_marked() -> None:
    html = render_html(sample_diff())
    assert "not <del>performed,</del> reason not given" in html
    assert "not <ins>performed at the time of the encounter,</ins> reason not given" in html
    text = render_email_text(sample_diff())
    assert (
        "         Long description (long_description):\n"
        "           old: Documentation of patient's current medications & <dose> not performed,"
        " reason not given (invented text for a test)\n"
        "           new: Documentation of patient's current medications & <dose> not performed at"
        " the time of the encounter, reason not given (invented text for a test)\n"
    ) in text
    assert "         Pricing indicator (price): 51 -> 11\n" in text


def test_text_and_html_list_the_same_codes_in_the_same_order() -> None:
    diffs, impacts = [sample_diff(), cpt_diff()], [sample_impact()]
    for cap in (None, 1, 0):
        html = render_html(diffs, impacts=impacts, max_codes=cap, more_note=MORE)
        text = render_email_text(diffs, impacts=impacts, max_codes=cap, more_note=MORE)
        listed = re.findall(r"^  ([A-Z0-9]{5}) ", text, re.MULTILINE)
        assert listed == parse(html).codes
        assert re.findall(r"\d+ more in the attachment", text) == re.findall(
            r"\d+ more in the attachment", html
        )


def test_golden_html_and_email_text() -> None:
    diffs = [sample_diff(), cpt_diff()]
    impacts = [sample_impact()]
    assert_golden("report_sample.html", render_html(sample_diff(), impacts=impacts))
    assert_golden("report_sample.txt", render_email_text(sample_diff(), impacts=impacts))
    html = render_html(diffs, impacts=impacts, max_codes=1, more_note=MORE)
    assert_golden("report_two_diffs_capped.html", html)
    text = render_email_text(diffs, impacts=impacts, max_codes=1, more_note=MORE)
    assert_golden("report_two_diffs_capped.txt", text)


def test_a_diff_without_changes() -> None:
    empty = sample_diff().__class__(sample_diff().old, sample_diff().new, ())
    assert "<p>No changes.</p>" in render_html(empty)
    assert render_email_text(empty) == (
        "HCPCS 2025 -> 2026-Q1\n"
        "=====================\n"
        "2025 (effective 2025-01-01, 2025-anweb.zip) -> "
        "2026-Q1 (effective 2026-01-01, 2026-q1-anweb.zip)\n"
        "Counts: 0 added, 0 deleted, 0 discontinued, 0 reactivated, 0 changed\n"
        "\n"
        "No changes.\n"
    )


def test_impact_headline() -> None:
    assert impact_headline(sample_impact()) == (
        "3 of your 412 codes changed: 1 discontinued (successors J1632, J7168), 2 changed; "
        "1 in no stored release"
    )
    by_code = {c.code: c for c in CHANGES}
    mixed = Impact(
        "Supplies",
        20,
        tuple(WatchedChange(by_code[c], {}) for c in ("A9991", "C9901", "C9902", "J9903")),
    )
    # The same words as `tracker impact` (tracker.impact.impact_line), in every report.
    assert impact_headline(mixed) == (
        "4 of your 20 codes changed: 1 added, 1 deleted, 2 discontinued (successors J1632, J7168)"
    )
    assert impact_headline(Impact("Empty", 7, ())) == "none of your 7 codes changed"


def test_digest_sections_and_headline() -> None:
    digest = build_digest([sample_diff(), cpt_diff()], [sample_impact()], max_codes=2)
    assert [[(s.key, s.total, s.omitted) for s in p.sections] for p in digest.parts] == [
        [("removed", 1, 0), ("discontinued", 2, 0), ("unusual_added", 2, 0), ("changed", 2, 0),
         ("reactivated", 1, 0), ("added", 1, 0), ("deleted", 1, 0), ("claimed_only", 1, 0)],
        [("changed", 1, 0), ("added", 1, 0), ("deleted", 1, 0)],
    ]  # fmt: skip
    # A CPT code leaves the code set without a termination date: no anomaly.
    assert digest.parts[1].sections[2].note == "No longer in the code set."
    assert headline(digest) == (
        "3 watched codes changed; 1 removed, 2 discontinued, 2 transient or retroactive, "
        "3 changed, 1 reactivated, 2 added, 2 deleted, 1 claimed only"
    )
    assert headline(build_digest([])) == "no changes"
