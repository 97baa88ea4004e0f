"""How a field's value is shown in every report: dates as ISO, repeated fields as lists."""

from __future__ import annotations

from datetime import date

from tracker.hcpcs.layout import FIELDS
from tracker.hcpcs.legend import FIELD_LEGEND
from tracker.reconcile import cms_date
from tracker.records import CopyDisagreement, Successor, Value

_LABELS = {f.name: f.label for f in FIELD_LEGEND}

# The layout's 8-character date fields (CCYYMMDD). A value that is not a date is shown as CMS
# wrote it: the 2018 file has six-character ASC dates ("170401") on five codes.
DATE_FIELDS = frozenset({"add_dt", "act_eff_dt", "term_dt", "asc_dt", "opps_dt"})
# Fields CMS repeats (PRICE1..4, XREF1..5, ...): always a list, also when blank.
REPEATED = frozenset(f.name for f in FIELDS if f.occurs > 1)


def display(field: str, value: Value) -> Value:
    """The value as reports show it: ISO for a CMS date, the rest unchanged."""
    if field in DATE_FIELDS and isinstance(value, str):
        day = cms_date(value)
        return day.isoformat() if day is not None else value
    if field in REPEATED and value == "":
        return ()  # a record holds only fields with a value: a blank one reads ""
    return value


def iso(day: date | None) -> str:
    """A date as ISO text for a cell or a line; "" for none."""
    return day.isoformat() if day is not None else ""


def iso_or_null(day: date | None) -> str | None:
    """A date as ISO text for JSON; null for none."""
    return day.isoformat() if day is not None else None


def value_text(value: Value) -> str:
    """One line of text: a repeated field's values joined by commas, without the blank
    occurrences CMS pads it with at the end (PRICE1..4, XREF1..5)."""
    if isinstance(value, str):
        return value
    items = list(value)
    while items and not items[-1]:
        items.pop()
    return ", ".join(items)


def shown_text(field: str, value: Value) -> str:
    return value_text(display(field, value))


def field_label(field: str) -> str:
    """A field's plain-language name: the legend's for a layout field; for CPT's descriptor
    kinds (not in the HCPCS layout), the raw name in words."""
    return _LABELS.get(field) or field.replace("_", " ").capitalize()


def field_name(field: str) -> str:
    """The plain-language name with the raw one beside it: "Termination date (term_dt)"."""
    return f"{field_label(field)} ({field})"


# How successors share one line of text. Each is shown with its long description, and of the
# 29,142 records of the four real releases 22,577 have commas in theirs ("Injection,
# chloroprocaine hydrochloride, per 1 mg") and 2,446 semicolons ("Sensor; invasive ..."), so the
# ", " and "; " that once joined successors would cut one description in two. None holds "|",
# "->" or braces: " | " separates successors, " -> " leads from an ended one to its own, and
# braces group those when there are several (else they would read as siblings of it).
SUCCESSOR_SEPARATOR = " | "


def successor_text(successor: Successor) -> str:
    """What replaces a code, as every report shows it: its code, source, status and add date,
    then what it is: "J2401 (inferred, active, from 2023-01-01): Injection, chloroprocaine
    hydrochloride, per 1 mg" (J2400 was "per 30 ml": the unit differs). An ended one leads
    to its own: "Q0090 (cms, ended 2013-12-31, ...): ... -> J7301 (cms, active, ...): ..."."""
    if successor.status is None:  # the word "CPT": see the CPT code set
        head = f"{successor.code} ({successor.source}: see CPT)"
    else:
        status = successor.status
        if successor.terminated is not None:
            status = f"ended {successor.terminated.isoformat()}"
        since = f", from {successor.added.isoformat()}" if successor.added else ""
        head = f"{successor.code} ({successor.source}, {status}{since})"
    if successor.range:
        head += f" [from range {successor.range}]"
    if successor.description:
        head += f": {successor.description}"
    if successor.next:
        after = successors_text(successor.next)
        head += f" -> {after}" if len(successor.next) == 1 else f" -> {{{after}}}"
    return head


def successors_text(successors: tuple[Successor, ...]) -> str:
    """Each successor's ``successor_text``, joined by SUCCESSOR_SEPARATOR."""
    return SUCCESSOR_SEPARATOR.join(successor_text(s) for s in successors)


def disagreement_text(disagreement: CopyDisagreement) -> str:
    """ "price: text '51' / workbook '51, 11'"."""
    text = shown_text(disagreement.field, disagreement.text)
    book = shown_text(disagreement.field, disagreement.workbook)
    return f"{disagreement.field}: text {text!r} / workbook {book!r}"
