"""Successors of ended codes: fixtures in the ANWEB format for every rule, then conformance
on the real releases in ../shared/cms."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

import pytest

from tests.anweb import anweb_text
from tests.cms_reports import RELEASE_ZIPS
from tests.conftest import shared_cms
from tracker.config import SourceSettings
from tracker.diff import diff_releases
from tracker.hcpcs.read import read_release
from tracker.records import HCPCS, Record, ReleaseInfo, Successor, Value
from tracker.report.values import successors_text
from tracker.successors import (
    DESCRIPTIONS,
    Lineage,
    cms_successors,
    inferred_successors,
    lineage,
    status_of,
    successor_json,
    successors_of,
)

# The [source] max_unpacked_mb default: the reader takes its cap from the config.
UNPACKED = SourceSettings().max_unpacked_bytes

Rows = Sequence[tuple[str, Mapping[str, Value]]]
LATER = "20240101"  # an add date after the others' (20100101)


def _fields(
    long: str = "",
    short: str = "",
    term: str = "",
    xref: tuple[str, ...] = (),
    added: str = "20100101",
) -> dict[str, Value]:
    fields: dict[str, Value] = {"long_description": long or "Some item", "add_dt": added}
    fields["short_description"] = short or "Some item"
    fields.update({"term_dt": term} if term else {})
    fields.update({"xref": xref} if xref else {})
    return fields


def _read(folder: Path, label: str, rows: Rows) -> dict[str, Record]:
    path = folder / f"{label}.txt"
    path.write_bytes(anweb_text(rows))
    effective = date(int(label), 1, 1)
    return {
        r.code: r
        for r in read_release(path, label=label, effective=effective, max_unpacked=UNPACKED).records
    }


# An older release: Q9911 ended and aged out of the newest file; J9911 replaced it.
OLDER: Rows = [
    ("Q9911", _fields("Older item", term="20181231", xref=("J9911",))),
    ("Q9912", _fields("Removed item")),  # gone without a termination date
]
NEWEST: Rows = [
    # a single code, a modifier, a CPT code, the word CPT
    ("C9901", _fields("Drug one", term="20251231", xref=("J9901",))),
    ("J9901", _fields("Drug one, permanent")),
    ("ZA", _fields("Modifier a", term="20251231", xref=("ZB",))),
    ("ZB", _fields("Modifier b")),
    ("C9902", _fields("Procedure two", term="20251231", xref=("99999",))),
    ("P9901", _fields("Lab test", term="20251231", xref=("CPT",))),
    # ranges, and a list that is no range
    ("R0001", _fields("Range a", term="20251231", xref=("A4216", "-", "A4218"))),
    ("R0002", _fields("Range b", term="20251231", xref=("A4216", "-A421", "8"))),
    ("R0003", _fields("Range c", term="20251231", xref=("A4216", "THRU", "A4218"))),
    ("R0004", _fields("Two parts", term="20251231", xref=("K0037", "K0042"))),
    ("R0005", _fields("Cpt range", term="20251231", xref=("0377T", "-", "0379T"))),
    ("R0006", _fields("Mixed range", term="20251231", xref=("A4216", "-", "B4218"))),
    ("R0007", _fields("Blank occurrence", term="20251231", xref=("A4216", "", "A4217"))),
    ("A4216", _fields("Supply 1")),
    ("A4217", _fields("Supply 2", term="20241231")),
    # chains: C9910 -> Q9910 (ended) -> J9910; C9911 -> Q9911 (aged out) -> J9911
    ("C9910", _fields("Chain start", term="20231231", xref=("Q9910",))),
    ("Q9910", _fields("Chain middle", term="20241231", xref=("J9910",))),
    ("J9910", _fields("Chain end")),
    ("C9911", _fields("Aged chain", term="20171231", xref=("Q9911",))),
    ("J9911", _fields("Aged chain end")),
    ("C9912", _fields("Points at removed", term="20231231", xref=("Q9912",))),
    # cycles: C9920 <-> Q9920; C9921 -> Q9921 -> Q9922 -> Q9921
    ("C9920", _fields("Cycle a", term="20231231", xref=("Q9920",))),
    ("Q9920", _fields("Cycle b", term="20241231", xref=("C9920",))),
    ("C9921", _fields("Loop start", term="20231231", xref=("Q9921",))),
    ("Q9921", _fields("Loop one", term="20241231", xref=("Q9922",))),
    ("Q9922", _fields("Loop two", term="20241231", xref=("Q9921",))),
    # inferred: the same long description but for white space, the same short description,
    # the same description but for case (no match), and one CMS names too; each added later
    ("C9930", _fields("Injection, examplumab, 1mg", "Inj examplumab")),
    ("J9930", _fields("Injection, examplumab,  1 mg", "Inj., examplumab, 1 mg", added=LATER)),
    ("C9931", _fields("Injection, otherumab, per 30 ml", "Otherumab injection")),
    ("J9931", _fields("Injection, otherumab, per 1 mg", "Otherumab injection", added=LATER)),
    ("C9932", _fields("INJECTION, CASEUMAB", "CASEUMAB INJ")),
    ("J9932", _fields("Injection, caseumab", "Caseumab inj", added=LATER)),
    ("C9933", _fields("Injection, bothumab", "Bothumab", xref=("J9933",))),
    ("J9933", _fields("Injection, bothumab", "Bothumab", added=LATER)),
    # not inferred: a code added with it (a short description shared by siblings, cut at 28
    # characters), and codes that ended before it or with it (they came before or beside it)
    ("C9940", _fields("Patients with indications", "Pt w ind", term="20251231")),
    ("M9940", _fields("Patients without indications", "Pt w ind")),
    ("C9941", _fields("Injection, laterumab", "Laterumab", term="20251231")),
    ("M9941", _fields("Injection, laterumab", "Laterumab", term="20241231", added=LATER)),
    ("M9942", _fields("Injection, laterumab", "Laterumab", term="20251231", added=LATER)),
]
ADDED = ("J9930", "J9931", "J9932", "J9933", "M9940", "M9941", "M9942")


@pytest.fixture(scope="module")
def known(tmp_path_factory: pytest.TempPathFactory) -> Lineage:
    folder = tmp_path_factory.mktemp("successors")
    older, newest = _read(folder, "2019", OLDER), _read(folder, "2026", NEWEST)
    return lineage(newest, {**older, **newest}, [newest[code] for code in ADDED])


def _of(code: str, known: Lineage) -> tuple[Successor, ...]:
    return successors_of(known.last[code], known)


def test_a_single_code(known: Lineage) -> None:
    assert _of("C9901", known) == (Successor("J9901", "cms", "active", None),)


def test_a_modifier(known: Lineage) -> None:
    assert _of("ZA", known) == (Successor("ZB", "cms", "active", None),)


def test_a_cpt_code_is_unknown_to_a_hcpcs_store(known: Lineage) -> None:
    assert _of("C9902", known) == (Successor("99999", "cms", "unknown", None),)


def test_the_word_cpt_has_no_status(known: Lineage) -> None:
    (see_cpt,) = _of("P9901", known)
    assert see_cpt == Successor("CPT", "cms", None, None)
    assert successor_json(see_cpt) == {
        "code": "CPT", "description": "", "source": "cms", "status": None, "terminated": None,
        "added": None, "range": None, "ends": ["CPT"], "next": [], "cycle": [],
    }  # fmt: skip
    assert successors_text((see_cpt,)) == "CPT (cms: see CPT)"


@pytest.mark.parametrize("code", ["R0001", "R0002", "R0003"])
def test_a_range_is_spelt_out(known: Lineage, code: str) -> None:
    assert _of(code, known) == (
        Successor("A4216", "cms", "active", None, "A4216-A4218"),
        Successor("A4217", "cms", "ended", date(2024, 12, 31), "A4216-A4218"),
        Successor("A4218", "cms", "unknown", None, "A4216-A4218"),
    )


def test_range_forms_read_from_the_fields() -> None:
    def xref(*items: str) -> tuple[str, ...]:
        return cms_successors(Record("X0001", {"xref": items}))

    assert xref("A4216-A4218") == ("A4216", "A4217", "A4218")  # one workbook cell
    assert xref("A4216 TO A4218") == ("A4216", "A4217", "A4218")
    assert xref("0377T", "-", "0379T") == ("0377T", "0378T", "0379T")
    assert xref("A4216", "-", "B4218") == ("A4216", "B4218")  # not one series: its two ends
    assert xref("A0001", "-", "A9999") == ("A0001", "A9999")  # implausibly wide
    assert xref("K0037", "K0042") == ("K0037", "K0042")  # side by side: a list, not a range
    assert xref("J1556") == ("J1556",)
    assert xref("QM") == ("QM",)
    assert xref("CPT") == ("CPT",)
    assert xref("J15") == ("J15",)  # kept as written
    assert cms_successors(Record("X0001", {})) == ()


def test_two_occurrences_are_two_codes(known: Lineage) -> None:
    assert _of("R0004", known) == (
        Successor("K0037", "cms", "unknown", None),
        Successor("K0042", "cms", "unknown", None),
    )
    assert cms_successors(known.last["R0005"]) == ("0377T", "0378T", "0379T")
    assert cms_successors(known.last["R0006"]) == ("A4216", "B4218")
    assert cms_successors(known.last["R0007"]) == ("A4216", "A4217")


def test_a_chain_is_followed_to_its_end(known: Lineage) -> None:
    (middle,) = _of("C9910", known)
    end = Successor("J9910", "cms", "active", None)
    assert middle == Successor("Q9910", "cms", "ended", date(2024, 12, 31), next=(end,))
    assert middle.ends == ("J9910",)
    assert successor_json(middle) == {
        "code": "Q9910", "description": "Chain middle", "source": "cms", "status": "ended",
        "terminated": "2024-12-31", "added": "2010-01-01", "range": None, "ends": ["J9910"],
        "cycle": [],
        "next": [{
            "code": "J9910", "description": "Chain end", "source": "cms", "status": "active",
            "terminated": None, "added": "2010-01-01", "range": None, "ends": ["J9910"],
            "next": [], "cycle": [],
        }],
    }  # fmt: skip
    assert successors_text((middle,)) == (
        "Q9910 (cms, ended 2024-12-31, from 2010-01-01): Chain middle -> "
        "J9910 (cms, active, from 2010-01-01): Chain end"
    )


def test_a_chain_through_an_aged_out_code(known: Lineage) -> None:
    end = Successor("J9911", "cms", "active", None)
    assert _of("C9911", known) == (
        Successor("Q9911", "cms", "ended", date(2018, 12, 31), next=(end,)),
    )


def test_a_code_gone_without_termination_is_unknown(known: Lineage) -> None:
    assert _of("C9912", known) == (Successor("Q9912", "cms", "unknown", None),)


def test_a_cycle_stops_where_it_loops(known: Lineage) -> None:
    (back,) = _of("C9920", known)
    assert back == Successor("Q9920", "cms", "ended", date(2024, 12, 31), cycle=("C9920",))
    assert back.ends == ("Q9920",)
    loop_two = Successor("Q9922", "cms", "ended", date(2024, 12, 31), cycle=("Q9921",))
    assert _of("C9921", known) == (
        Successor("Q9921", "cms", "ended", date(2024, 12, 31), next=(loop_two,)),
    )


def test_each_successor_carries_its_own_long_description(known: Lineage) -> None:
    """From the record its status and add date come from (the newest, else the last: Q9911
    aged out); "" for a code no stored release holds (a CPT code) and for the word CPT. Not
    compared (as ``added``), so it is asserted apart, in the JSON and the text."""
    (j9931,) = _of("C9931", known)  # inferred by its short description: per 30 ml, per 1 mg
    assert successor_json(j9931) == {
        "code": "J9931", "description": "Injection, otherumab, per 1 mg", "source": "inferred",
        "status": "active", "terminated": None, "added": "2024-01-01", "range": None,
        "ends": ["J9931"], "next": [], "cycle": [],
    }  # fmt: skip
    assert successors_text(_of("C9931", known)) == (
        "J9931 (inferred, active, from 2024-01-01): Injection, otherumab, per 1 mg"
    )
    (q9911,) = _of("C9911", known)
    assert [(s.code, s.description) for s in (q9911, *q9911.next)] == [
        ("Q9911", "Older item"), ("J9911", "Aged chain end"),
    ]  # fmt: skip
    assert [s.description for s in (*_of("C9902", known), *_of("P9901", known))] == ["", ""]
    assert successors_text(_of("R0001", known)) == (
        "A4216 (cms, active, from 2010-01-01) [from range A4216-A4218]: Supply 1 | "
        "A4217 (cms, ended 2024-12-31, from 2010-01-01) [from range A4216-A4218]: Supply 2 | "
        "A4218 (cms, unknown) [from range A4216-A4218]"
    )


def test_successors_text_keeps_descriptions_apart() -> None:
    """Descriptions hold commas and semicolons, so successors are separated by " | ", and an
    ended one's several successors are grouped in braces (not read as siblings of it)."""
    one = Successor("J0001", "cms", "active", None, added=date(2020, 1, 1),
                    description="Sensor; invasive, disposable, 1 unit")  # fmt: skip
    two = Successor("J0002", "inferred", "active", None, description="Injection, drug, per 1 mg")
    ended = Successor("Q0001", "cms", "ended", date(2019, 12, 31), next=(one, two),
                      description="Injection, drug, per 30 ml")  # fmt: skip
    assert successors_text((ended, Successor("55880", "cms", "unknown", None))) == (
        "Q0001 (cms, ended 2019-12-31): Injection, drug, per 30 ml -> "
        "{J0001 (cms, active, from 2020-01-01): Sensor; invasive, disposable, 1 unit | "
        "J0002 (inferred, active): Injection, drug, per 1 mg} | 55880 (cms, unknown)"
    )


def test_inferred_by_long_description_despite_white_space(known: Lineage) -> None:
    assert _of("C9930", known) == (Successor("J9930", "inferred", "active", None),)


def test_inferred_by_short_description(known: Lineage) -> None:
    assert _of("C9931", known) == (Successor("J9931", "inferred", "active", None),)


def test_case_differences_are_not_the_same_description(known: Lineage) -> None:
    assert _of("C9932", known) == ()


def test_not_inferred_from_a_code_added_with_it_or_ended_before_or_with_it(
    known: Lineage,
) -> None:
    assert _of("C9940", known) == ()  # M9940 came the same day: a sibling
    assert _of("C9941", known) == ()  # M9941 ended first, M9942 with it


def test_a_code_named_by_cms_and_inferred_is_listed_once_as_cms(known: Lineage) -> None:
    assert _of("C9933", known) == (Successor("J9933", "cms", "active", None),)
    assert inferred_successors(known.last["C9933"], [known.last["J9933"]]) == ("J9933",)


def test_inferred_successors_ignore_the_code_itself_and_empty_descriptions() -> None:
    ended = Record("C0001", {"long_description": "Same"})
    added = [Record("C0001", {"long_description": "Same"}), Record("J0002", {})]
    assert inferred_successors(ended, added) == ()


def test_statuses(known: Lineage) -> None:
    assert status_of("J9901", known) == ("active", None)
    assert status_of("A4217", known) == ("ended", date(2024, 12, 31))
    assert status_of("Q9911", known) == ("ended", date(2018, 12, 31))  # aged out
    assert status_of("Q9912", known) == ("unknown", None)  # gone, never terminated
    assert status_of("Z9999", known) == ("unknown", None)  # never stored


# Conformance on the real releases.


@pytest.fixture(scope="module")
def real() -> dict[str, dict[str, Record]]:
    folder = shared_cms()
    return {
        name: {r.code: r for r in read_release(folder / name, max_unpacked=UNPACKED).records}
        for name in RELEASE_ZIPS
    }


def _info(label: str, effective: date) -> ReleaseInfo:
    return ReleaseInfo(HCPCS, label, effective, 1, f"{label}.zip", label)


def test_real_successors_2020_to_2026_q1(real: dict[str, dict[str, Record]]) -> None:
    """The issue's figures: 487 codes ended, 12 with a cross-reference, 28 with an added code
    of the same description, 27 of those without a cross-reference, 39 in all. One of the 28
    ended with its namesake (G9904 and G0028, 2022-12-31): they ran side by side, so 38 have
    successors."""
    old, new = real[RELEASE_ZIPS[2]], real[RELEASE_ZIPS[3]]
    diff = diff_releases(
        _info("2020", date(2020, 1, 1)), old, _info("2026-Q1", date(2026, 1, 1)), new
    )
    ended = [c.code for c in diff.changes if c.category in ("deleted", "discontinued")]
    added = [new[c.code] for c in diff.changes if c.category == "added"]
    last = {code: r for records in real.values() for code, r in records.items()}
    assert len(ended) == 487
    known = lineage(new, last, added)
    with_xref = {c for c in ended if cms_successors(last[c])}
    with_same = {c for c in ended if _namesakes(last[c], added)}
    assert (len(with_xref), len(with_same), len(with_same - with_xref)) == (12, 28, 27)
    assert len(with_xref | with_same) == 39
    assert {c for c in with_same if not known.inferred(last[c])} == {"G9904"}
    found = {c: successors_of(last[c], known) for c in ended}
    assert sum(1 for s in found.values() if s) == 38
    assert found["C9055"] == (Successor("J1632", "cms", "active", None),)  # also same long
    assert found["C9132"] == (Successor("J7168", "inferred", "active", None),)
    assert found["J2400"] == (Successor("J2401", "inferred", "active", None),)  # short
    assert found["C9747"] == (Successor("55880", "cms", "unknown", None),)
    assert found["C9745"] == (
        Successor("69705", "cms", "unknown", None),
        Successor("69706", "cms", "unknown", None),
    )
    assert found["G9904"] == ()
    # Each with what it is: the unit can differ from the ended code's. J2400 was "per 30 ml".
    assert last["J2400"].text("long_description") == (
        "Injection, chloroprocaine hydrochloride, per 30 ml"
    )
    assert [successor_json(s) for s in found["J2400"]] == [{
        "code": "J2401", "description": "Injection, chloroprocaine hydrochloride, per 1 mg",
        "source": "inferred", "status": "active", "terminated": None, "added": "2023-01-01",
        "range": None, "ends": ["J2401"], "next": [], "cycle": [],
    }]  # fmt: skip
    assert successors_text(found["J2400"]) == (
        "J2401 (inferred, active, from 2023-01-01): "
        "Injection, chloroprocaine hydrochloride, per 1 mg"
    )
    # C9087, added and ended in between (transient), was "..., (auromedics), 10 mg".
    assert successors_text(successors_of(last["C9087"], known)) == (
        "J9071 (inferred, active, from 2022-04-01): Injection, cyclophosphamide (auromedics), 5 mg"
    )


def _namesakes(ended: Record, added: Sequence[Record]) -> list[str]:
    """The added codes with the same long or short description, white space aside, whatever
    their dates (the issue's count)."""

    def keys(record: Record) -> set[tuple[str, str]]:
        texts = ((n, "".join(record.text(n).split())) for n in DESCRIPTIONS)
        return {(n, t) for n, t in texts if t}

    mine = keys(ended)
    return [r.code for r in added if r.code != ended.code and keys(r) & mine]


def test_real_successors_from_2017(real: dict[str, dict[str, Record]]) -> None:
    newest = real[RELEASE_ZIPS[3]]
    last = {code: r for records in real.values() for code, r in records.items()}
    known = lineage(newest, last, [])
    c9130 = real[RELEASE_ZIPS[0]]["C9130"]
    assert (c9130.text("term_dt"), "C9130" in newest) == ("20131231", False)
    assert successors_of(c9130, known) == (Successor("J1556", "cms", "active", None),)
    assert successors_of(last["AM"], known) == (Successor("QM", "cms", "active", None),)
    assert successors_of(last["C9735"], known) == (Successor("0377T", "cms", "unknown", None),)
    assert successors_of(last["P7001"], known) == (Successor("CPT", "cms", None, None),)
    # Chains: C9136 -> Q9975 (ended 2015) -> J7205; J0694 -> Q0090 (aged out) -> J7301.
    j7205 = Successor("J7205", "cms", "active", None)
    assert successors_of(last["C9136"], known) == (
        Successor("Q9975", "cms", "ended", date(2015, 12, 31), next=(j7205,)),
    )
    j7301 = Successor("J7301", "cms", "active", None)
    assert successors_of(last["J0694"], known) == (
        Successor("Q0090", "cms", "ended", date(2013, 12, 31), next=(j7301,)),
    )
    # A real cycle: J3358 and Q9989 cross-reference each other.
    assert successors_of(last["J3358"], known) == (
        Successor("Q9989", "cms", "ended", date(2017, 12, 31), cycle=("J3358",)),
    )
