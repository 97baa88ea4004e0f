"""The plain-language legend (tracker.hcpcs.legend), and its conformance to CMS's record layouts.

The conformance tests read the layouts from the ZIPs in ../shared/cms (skipped when absent) and
parse their "CODES :" blocks, the ASC group's edit rules and the appendix tables, so that a
transcription error in legend.py is caught.
"""

from __future__ import annotations

import functools
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.conftest import shared_cms
from tracker.hcpcs import layout
from tracker.hcpcs.legend import (
    ACTION_CODES,
    ACTION_SHORT,
    COVERAGE_CODES,
    FIELD_LEGEND,
    VALUE_TABLES,
    FieldLegend,
    ValueRow,
    action_legend,
    field_label,
    field_legend,
    field_meaning,
    value_meaning,
    value_rows,
)

# --- the legend on its own -----------------------------------------------------------------


def test_every_layout_field_has_a_label_title_and_meaning() -> None:
    assert tuple(f.name for f in FIELD_LEGEND) == layout.FIELD_NAMES
    for f in FIELD_LEGEND:
        assert f.label and f.title and f.meaning, f.name
        assert f.meaning.endswith("."), f.name
        assert field_label(f.name) == f.label
        assert field_meaning(f.name) == f.meaning
    assert len({f.label for f in FIELD_LEGEND}) == len(FIELD_LEGEND)
    assert len({f.number for f in FIELD_LEGEND}) == len(FIELD_LEGEND)


def test_field_labels() -> None:
    got = {name: field_label(name) for name in layout.FIELD_NAMES}
    assert got == {
        "code": "HCPCS code",
        "seq_num": "Sequence number",
        "rec_id": "Record type",
        "long_description": "Long description",
        "short_description": "Short description",
        "price": "Pricing indicator",
        "mult_pi": "Multiple pricing indicator",
        "cim": "Coverage Issues Manual reference",
        "mcm": "Medicare Carriers Manual reference",
        "statute": "Statute reference",
        "labcert": "Lab certification category",
        "xref": "Cross reference",
        "cov": "Medicare coverage",
        "asc_grp": "ASC payment group",
        "asc_dt": "ASC payment group effective date",
        "opps": "Outpatient (MOG) payment group",
        "opps_pi": "Outpatient (MOG) payment policy indicator",
        "opps_dt": "Outpatient (MOG) payment group effective date",
        "procnote": "Processing note",
        "betos": "BETOS category",
        "tos": "Type of service",
        "anest_bu": "Anesthesia base units",
        "add_dt": "Add date",
        "act_eff_dt": "Action effective date",
        "term_dt": "Termination date",
        "action_cd": "Action code",
    }


def test_field_legend_whole_values() -> None:
    assert field_legend("term_dt") == FieldLegend(
        name="term_dt",
        number=29,
        label="Termination date",
        title="HCPCS Termination Date",
        meaning="The last date for which a procedure or modifier code may be used by Medicare "
        "providers.",
    )
    assert field_meaning("xref") == (
        "An explicit reference crosswalking a deleted code or a code that is not valid for "
        "Medicare to a valid current code (or range of codes); up to 5."
    )
    assert field_meaning("mult_pi") == (
        "Code used to identify instances where a procedure could be priced under multiple "
        "methodologies."
    )


def test_unknown_field_is_a_key_error_naming_it() -> None:
    with pytest.raises(KeyError, match="no HCPCS layout field named 'MULT_PI'"):
        field_label("MULT_PI")
    with pytest.raises(KeyError, match="'nope'"):
        value_meaning("nope", "A")


def test_value_meaning() -> None:
    assert value_meaning("cov", "M") == "Non-covered by Medicare"
    assert value_meaning("mult_pi", "A") == "Not applicable as HCPCS priced under one methodology"
    assert value_meaning("price", "51") == "Drugs"
    assert value_meaning("price", "21") == (
        "Clinical lab fee schedule: price subject to national limitation amount"
    )
    assert value_meaning("betos", "O1L") == "Lymphedema Compression Treatment Items (eff 1/1/2024)"
    assert value_meaning("betos", "M3") == "Emergency room visit"
    assert value_meaning("betos", "M3 ") == "Emergency room visit"  # fixed-width padding
    assert value_meaning("tos", "0") == (
        "Whole blood only eff 01/96, whole blood or packed red cells before 01/96"
    )
    assert value_meaning("labcert", "010") == "Histocompatibility testing"
    assert value_meaning("action_cd", "D") == "Discontinue procedure or modifier code"
    assert value_meaning("asc_grp", "YY") == (
        "Approved to be performed in an ambulatory surgical center (ASC)"
    )
    # A blank means something only for the ASC group ("BLANK = Not Approved For ASC").
    assert value_meaning("asc_grp", "") == "Not approved for ASC"
    assert value_meaning("cov", "") is None
    assert value_meaning("price", "0") is None  # CMS's codes are "00", not "0"
    assert value_meaning("betos", "ZZZ") is None
    assert value_meaning("code", "J1632") is None  # a field without a code table


def test_action_legend_is_one_line_naming_every_letter() -> None:
    assert action_legend() == (
        "Action codes: A added, B both administrative data and long description changed, "
        "C long description changed, D discontinued, F administrative data changed, "
        "N no maintenance, P payment changed, R reactivated, S short description changed, "
        "T BETOS or type of service changed."
    )


def test_action_codes_are_the_layout_modules_letters() -> None:
    # legend.py is now the home of the action letters; the lead switches layout.py's users.
    assert list(ACTION_CODES) == list(layout.ACTION_CODES) == list(ACTION_SHORT)


def test_value_tables_belong_to_layout_fields() -> None:
    assert set(VALUE_TABLES) <= set(layout.FIELD_NAMES)
    widths = {f.name: f.width for f in layout.FIELDS}
    for name, table in VALUE_TABLES.items():
        for value, meaning in table.items():
            assert meaning and meaning == meaning.strip(), (name, value)
            assert len(value) <= widths[name], (name, value)


def test_value_rows_for_one_field() -> None:
    assert value_rows(["cov"]) == (
        ValueRow("cov", "Medicare coverage", "C", "Carrier judgment"),
        ValueRow("cov", "Medicare coverage", "D", "Special coverage instructions apply"),
        ValueRow("cov", "Medicare coverage", "I", "Not payable by Medicare"),
        ValueRow("cov", "Medicare coverage", "M", "Non-covered by Medicare"),
        ValueRow("cov", "Medicare coverage", "S", "Non-covered by Medicare statute"),
    )
    assert tuple(r.value for r in value_rows(["cov"])) == tuple(COVERAGE_CODES)


def test_value_rows_cover_every_table_in_layout_order() -> None:
    rows = value_rows()
    assert len(rows) == sum(len(t) for t in VALUE_TABLES.values())
    assert list(dict.fromkeys(r.field for r in rows)) == [
        "rec_id", "price", "mult_pi", "labcert", "cov", "asc_grp", "opps", "opps_pi",
        "betos", "tos", "action_cd",
    ]  # fmt: skip
    assert Counter(r.field for r in rows)["tos"] == 34
    assert value_rows([]) == ()


# --- conformance to CMS's record layouts ---------------------------------------------------

LAYOUT_ZIPS = {
    "2017": "2017-Record-Layout.zip",
    "2018": "2018-HCPCS-Record-Layout-.zip",
    "2019": "2019-HCPCS-Record-Layout.zip",
    "2026": "january-2026-alpha-numeric-hcpcs-file.zip",
}
# Codes the 2026 layout lists and the 2017-2019 layouts do not (both effective 2024-01-01).
NEW_IN_2026 = {"price": {"40"}, "betos": {"O1L"}}
# Where a table is in the layout: a field's "CODES :" block by field number, or an appendix table.
APPENDIX = {"betos": "BETOS_TB", "tos": "CMS_TYPE_SRVC_TB"}
# CMS misspellings legend.py corrects (layout token -> legend token).
CORRECTED = {
    "effec": "eff",
    "prostrate": "prostate",
    "cardiovascualr": "cardiovascular",
    "opthamology": "ophthalmology",
    "intraitreal": "intravitreal",
}

_HEADER = re.compile(r"^  (\d+)\.\s+(.*?)(?:\s{2,}\S.*)?$")
_POSITIONS = re.compile(r"^\s+(\d+)\s+(\d+)\s+(\d+)\b")
_ENTRY = re.compile(r"^(\s*)([0-9A-Z]{1,3})\s*=\s*(\S.*)$")


@dataclass
class LayoutField:
    title: str
    start: int = 0
    end: int = 0
    body: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Layout:
    fields: dict[int, LayoutField]
    appendix: dict[str, dict[str, str]]


def _entries(lines: list[str]) -> dict[str, str]:
    """``CODE = text`` lines; a line indented deeper than its entry continues it, any other
    line (a group heading such as "Clinical Lab Fee Schedule") ends it."""
    out: dict[str, str] = {}
    last, indent = "", 0
    for line in lines:
        m = _ENTRY.match(line)
        if m:
            last, indent = m.group(2), len(m.group(1))
            out[last] = m.group(3).strip()
        elif last and line.strip() and len(line) - len(line.lstrip()) > indent:
            out[last] += " " + line.strip()
        elif line.strip():
            last = ""
    return out


def _parse_layout(text: str) -> Layout:
    body, _, appendix = text.partition("TABLE OF CODES APPENDIX")
    fields: dict[int, LayoutField] = {}
    current: LayoutField | None = None
    for line in body.expandtabs(8).splitlines():
        if m := _HEADER.match(line):
            current = fields[int(m.group(1))] = LayoutField(m.group(2))
        elif current is not None and not current.start and (m := _POSITIONS.match(line)):
            current.start, current.end = int(m.group(2)), int(m.group(3))
        elif current is not None:
            current.body.append(line.rstrip())
    lines = [line.rstrip() for line in appendix.expandtabs(8).splitlines()]
    starts = [i for i, line in enumerate(lines) if re.match(r"^ [A-Z_]+_TB\b", line)]
    tables = {
        lines[i].split()[0]: _entries(lines[i + 1 : j])
        for i, j in zip(starts, [*starts[1:], len(lines)], strict=True)
    }
    return Layout(fields, tables)


def _codes_block(f: LayoutField) -> dict[str, str] | None:
    """The field's "CODES :" block, up to its OCCURS line or the next field."""
    for i, line in enumerate(f.body):
        if re.match(r"^\s*CODES\s*:", line):
            block = []
            for rest in f.body[i + 1 :]:
                if "OCCURS MIN" in rest:
                    break
                block.append(rest)
            return _entries(block)
    return None


def _asc_edit_rules(f: LayoutField) -> dict[str, str]:
    """Field 17 lists its values as edit rules: ``CODE: YY`` and ``BLANK = ...``."""
    text = "\n".join(f.body)
    (code,) = re.findall(r"CODE:\s*(\S+)", text)
    (blank,) = re.findall(r"BLANK\s*=\s*(.+)", text)
    return {code: "", "": blank.strip()}


def _layout_tables(parsed: Layout) -> Iterator[tuple[str, dict[str, str]]]:
    numbers = {f.number: f.name for f in FIELD_LEGEND}
    for number, f in parsed.fields.items():
        codes = _codes_block(f)
        if codes is not None:
            yield numbers[number], codes
        if any("EDIT RULES" in line for line in f.body) and "CODE:" in "".join(f.body):
            yield numbers[number], _asc_edit_rules(f)
    for name, table in APPENDIX.items():
        yield name, parsed.appendix[table]


@functools.cache
def _read_layout(year: str) -> Layout:
    with zipfile.ZipFile(shared_cms() / LAYOUT_ZIPS[year]) as archive:
        (member,) = [n for n in archive.namelist() if n.endswith("recordlayout.txt")]
        return _parse_layout(archive.read(member).decode("ascii"))


@pytest.fixture(params=list(LAYOUT_ZIPS))
def layout_year(request: pytest.FixtureRequest) -> tuple[str, Layout]:
    year: str = request.param
    return year, _read_layout(year)


def _tokens(text: str) -> list[str]:
    return [CORRECTED.get(t, t) for t in re.findall(r"[a-z0-9]+", text.lower())]


def _said_by(layout_text: str, legend_text: str) -> bool:
    """Every word of CMS's text is in the legend's, in order (the legend may add a heading
    and tidy capitalisation and punctuation, but drops nothing)."""
    words = iter(_tokens(legend_text))
    return all(token in words for token in _tokens(layout_text))


def test_field_titles_and_positions_match_layout(layout_year: tuple[str, Layout]) -> None:
    _, parsed = layout_year
    positions = {f.name: (f.start, f.end) for f in layout.FIELDS}
    for f in FIELD_LEGEND:
        got = parsed.fields[f.number]
        assert (got.title, got.start, got.end) == (f.title, *positions[f.name]), f.name


def test_every_layout_code_table_is_in_the_legend(layout_year: tuple[str, Layout]) -> None:
    _, parsed = layout_year
    assert sorted(name for name, _ in _layout_tables(parsed)) == sorted(VALUE_TABLES)


def test_code_tables_match_layout(layout_year: tuple[str, Layout]) -> None:
    year, parsed = layout_year
    for name, codes in _layout_tables(parsed):
        legend = VALUE_TABLES[name]
        expected = set(legend) - (NEW_IN_2026.get(name, set()) if year != "2026" else set())
        assert set(codes) == expected, (year, name)
        # Same order, except that 2017-2019 list BETOS P7A..P9B before the I, T, D and O codes.
        if year == "2026" or name != "betos":
            assert list(codes) == [c for c in legend if c in codes], (year, name)
        wrong = {c: (text, legend[c]) for c, text in codes.items() if not _said_by(text, legend[c])}
        assert wrong == {}, (year, name)


def test_layout_2026_wording_of_a_few_values() -> None:
    parsed = _read_layout("2026")
    assert _codes_block(parsed.fields[16]) == {
        "C": "Carrier judgment",
        "D": "Special coverage instructions apply",
        "I": "Not payable by Medicare",
        "M": "Non-covered by Medicare",
        "S": "Non-covered by Medicare statute",
    }
    assert _asc_edit_rules(parsed.fields[17]) == {"YY": "", "": "Not Approved For ASC"}
    assert parsed.appendix["BETOS_TB"]["I4A"] == (
        "Imaging/procedure - heart including cardiac catheterization"
    )
    pricing = _codes_block(parsed.fields[9])
    assert pricing is not None
    assert pricing["00"] == (
        "Service not separately priced by part B (e.G., services not covered, bundled, used "
        "by part a only, etc.)"
    )


def test_every_value_in_the_january_2026_release_has_a_meaning() -> None:
    # Sliced here by layout.FIELDS rather than through the reader, so this checks the legend only.
    with zipfile.ZipFile(shared_cms() / LAYOUT_ZIPS["2026"]) as archive:
        (member,) = [n for n in archive.namelist() if "ANWEB" in n and n.endswith(".txt")]
        lines = archive.read(member).decode("cp1252").splitlines()
    first_lines = [line for line in lines if line[5:10].isdigit() and line[10:11] in ("3", "7")]
    seen: Counter[str] = Counter()
    unknown: Counter[tuple[str, str]] = Counter()
    for line in first_lines:
        for f in layout.FIELDS:
            if f.name not in VALUE_TABLES:
                continue
            for i in range(f.occurs):
                value = line[f.start - 1 + i * f.width : f.end + i * f.width].strip()
                seen[f.name] += bool(value)
                if value and value_meaning(f.name, value) is None:
                    unknown[f.name, value] += 1
    assert len(first_lines) == 9006
    assert unknown == Counter()
    assert seen["betos"] == 9006 - 383  # the 383 blank ones are the modifiers (record id 7)
