"""What replaces an ended code: CMS's own cross-references, and codes added with the same
description. Pure: records in, successors out.

CMS's cross-reference fields (XREF1..5, layout field 15) are "an explicit reference crosswalking
a deleted code or a code that is not valid for Medicare to a valid current code (or range of
codes)". They are rare (12 of the 487 codes that ended between 2020 and 2026-Q1), so the usual
pattern fills part of the gap: a temporary code (C9055) is replaced by a permanent one (J1632)
with the same descriptor. Those are listed too, marked ``"inferred"``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from tracker.reconcile import cms_date
from tracker.records import Record, Successor

CMS = "cms"  # read from the ended code's own cross-reference fields
INFERRED = "inferred"  # an added code with an identical long or short description
ACTIVE, ENDED, UNKNOWN = "active", "ended", "unknown"
# P7001's cross-reference is the word "CPT": "see the CPT code set", not a code with a status.
SEE_CPT = "CPT"
# Descriptions compared for an inferred successor, each with its own kind.
DESCRIPTIONS = ("long_description", "short_description")
# A range wider than this is not spelt out code by code (its two ends are listed instead).
MAX_RANGE = 1000


@dataclass(frozen=True)
class Lineage:
    """What successors are looked up in (build it with ``lineage``)."""

    newest: Mapping[str, Record]  # the newest release, by code: each successor's status
    last: Mapping[str, Record]  # the last known record of every stored code: chains, age-outs
    # (description kind, key) -> codes added over the span with that description
    added: Mapping[tuple[str, str], tuple[str, ...]]
    candidates: Mapping[str, Record]  # the records of those codes, by code: their dates

    def inferred(self, ended: Record) -> tuple[str, ...]:
        """The added codes with the same long or short description as ``ended`` that came
        after it (``follows``), by code."""
        keys = _keys(ended)
        found = {c for k in keys for c in self.added.get(k, ()) if c != ended.code}
        return tuple(sorted(c for c in found if follows(self.candidates[c], ended)))


def follows(candidate: Record, ended: Record) -> bool:
    """Whether a code with the same description can have replaced ``ended``: added after it
    was, and not ended before it or with it. A short description is cut at 28 characters, so codes
    added together share one and ran side by side (G9995 with G0031, G0034, ...; M1030 "with"
    and M1031 "no" clinical indications), and one that ended before it, or with it, came
    before or beside it (C9154 ended 2023-12-31, J0576 2024-03-31; M1053 "leg pain" ended with
    G9941 "back pain"). Without a date to compare: kept."""
    added, before = cms_date(candidate.text("add_dt")), cms_date(ended.text("add_dt"))
    if added is not None and before is not None and added <= before:
        return False
    ends, ended_on = cms_date(candidate.text("term_dt")), cms_date(ended.text("term_dt"))
    return ends is None or ended_on is None or ends > ended_on


def lineage(
    newest: Mapping[str, Record], last_records: Mapping[str, Record], added: Iterable[Record]
) -> Lineage:
    """``added`` are the codes added over the same span as the ended codes (the diff's
    "added" category); ``last_records`` the last known record of every code."""
    index: dict[tuple[str, str], list[str]] = {}
    candidates: dict[str, Record] = {}
    for record in added:
        candidates[record.code] = record
        for key in _keys(record):
            index.setdefault(key, []).append(record.code)
    found = {k: tuple(sorted(v)) for k, v in index.items()}
    return Lineage(newest, last_records, found, candidates)


def successors_of(record: Record, known: Lineage) -> tuple[Successor, ...]:
    """The successors of the code whose last record this is: CMS's first, in CMS's order,
    then the inferred ones by code; each ended successor followed to the end of its chain."""
    return _follow(record, known, (record.code,))[0]


def cms_successors(record: Record) -> tuple[str, ...]:
    """The codes the record's cross-reference fields name, ranges spelt out."""
    return tuple(code for code, _ in _references(record))


def inferred_successors(ended: Record, added: Iterable[Record]) -> tuple[str, ...]:
    """The added codes with the same long or short description as ``ended``, by code (for
    many ended codes, build the ``lineage`` once and ask its ``inferred``)."""
    return lineage({}, {}, added).inferred(ended)


def status_of(code: str, known: Lineage) -> tuple[str, date | None]:
    """A code's status in the newest release, and its termination date when ended."""
    record = known.newest.get(code)
    if record is not None:
        terminated = cms_date(record.text("term_dt"))
        return (ENDED, terminated) if terminated else (ACTIVE, None)
    # CMS drops a code from its files about four years after terminating it (an age-out):
    # it is still known to have ended, on the date its last record gives.
    record = known.last.get(code)
    terminated = cms_date(record.text("term_dt")) if record is not None else None
    return (ENDED, terminated) if terminated else (UNKNOWN, None)


def successor_json(successor: Successor) -> dict[str, object]:
    """The JSON the reports give per successor; ``ends`` names where each chain ends."""
    return {
        "code": successor.code,
        "description": successor.description,
        "source": successor.source,
        "status": successor.status,
        "terminated": successor.terminated.isoformat() if successor.terminated else None,
        "added": successor.added.isoformat() if successor.added else None,
        "range": successor.range,
        "ends": list(successor.ends),
        "next": [successor_json(s) for s in successor.next],
        "cycle": list(successor.cycle),
    }


def _follow(
    record: Record, known: Lineage, path: tuple[str, ...]
) -> tuple[tuple[Successor, ...], tuple[str, ...]]:
    """The record's successors, and those left out because they are already on the path
    (J3358 and Q9989 cross-reference each other in the real files)."""
    found: list[Successor] = []
    cycle: list[str] = []
    cms = _references(record)
    named = {code for code, _ in cms}
    direct = [(code, CMS, span) for code, span in cms]
    direct += [(code, INFERRED, None) for code in known.inferred(record) if code not in named]
    for code, source, span in direct:
        if code in path:
            cycle.append(code)
        else:
            found.append(_successor(code, source, span, known, path))
    return tuple(found), tuple(dict.fromkeys(cycle))


def _successor(
    code: str, source: str, span: str | None, known: Lineage, path: tuple[str, ...]
) -> Successor:
    if code == SEE_CPT:
        return Successor(code, source, None, None, span)
    status, terminated = status_of(code, known)
    record = known.newest.get(code) or known.last.get(code)
    if record is None:  # never stored (a CPT code): no add date, no description
        return Successor(code, source, status, terminated, span)
    after, cycle = _follow(record, known, (*path, code)) if status == ENDED else ((), ())
    added, description = cms_date(record.text("add_dt")), record.text("long_description")
    return Successor(
        code, source, status, terminated, span, after, cycle, added=added, description=description
    )


def _keys(record: Record) -> tuple[tuple[str, str], ...]:
    """The descriptions compared, with all white space removed and case kept.

    CMS edits white space alone between releases (G6003: "area,single" became "area, single";
    G9510's short description "Remis12m" became "Remis 12m"), and writes one dose both ways
    (C9055 "brexanolone, 1mg" was replaced by J1632 "brexanolone, 1 mg"), so only removing it
    matches those; folding runs of it does not. No case-only edit appears between any two
    of the real releases, so case is kept.
    """
    keys = ((name, "".join(record.text(name).split())) for name in DESCRIPTIONS)
    return tuple((name, key) for name, key in keys if key)


# How the cross-reference fields are read. Every cross-reference in the four real releases
# (599 records) is one 5-character code (HCPCS J1556, CPT 55880 or 0377T), a modifier (QM) or
# the word "CPT", one per occurrence; two occurrences side by side are two codes, not a range
# (E0970 -> K0037, K0042 are two footrest parts, not the six codes K0037..K0042). CMS has no
# range marker in its layout, yet says XREF may name a "range of codes", so a range is read
# where one is written: "A4216-A4218" in one cell (the workbook copy has no width limit), the
# same run over the 5-character occurrences of the text copy ("A4216", "-A421", "8"), or the
# occurrences "A4216", "-" (or "THRU" / "TO"), "A4218". Anything else is kept as written.
_REFERENCE = re.compile(
    r"(?P<first>[A-Z0-9]{5})\s*(?:-|THRU\b|TO\b)\s*(?P<last>[A-Z0-9]{5})"
    r"|(?P<code>[A-Z0-9]{5}|CPT(?![A-Z0-9])|[A-Z0-9]{2}(?![A-Z0-9]))"
    r"|(?P<other>\S+)"
)
_PARTS = re.compile(r"([A-Z]*)([0-9]+)([A-Z]*)")


def _references(record: Record) -> tuple[tuple[str, str | None], ...]:
    """Each code named, with the range it came from (None for a single code)."""
    value = record.get("xref")
    items = (value,) if isinstance(value, str) else value
    # The field as the text copy holds it: each occurrence padded to its 5 characters.
    text = "".join(item.strip().ljust(5) for item in items)
    found: dict[str, str | None] = {}
    for match in _REFERENCE.finditer(text):
        if match["first"]:
            span = f"{match['first']}-{match['last']}"
            for code in _spell_out(match["first"], match["last"]):
                found.setdefault(code, span)
        else:
            found.setdefault(match["code"] or match["other"], None)
    return tuple(found.items())


def _spell_out(first: str, last: str) -> tuple[str, ...]:
    """A4216..A4218 as A4216, A4217, A4218; only the two ends when the codes differ other
    than in their digits (prefix, suffix or digit count) or the range is implausibly wide."""
    a, b = _PARTS.fullmatch(first), _PARTS.fullmatch(last)
    if a is None or b is None or (a[1], a[3], len(a[2])) != (b[1], b[3], len(b[2])):
        return (first, last)
    low, high = int(a[2]), int(b[2])
    if not 0 <= high - low <= MAX_RANGE:
        return (first, last)
    return tuple(f"{a[1]}{n:0{len(a[2])}d}{a[3]}" for n in range(low, high + 1))
