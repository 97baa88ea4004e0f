"""A code's life, its record, and the codes valid on a date, for a terminal and for machines.
Pure: values in, text or JSON-ready values out."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from tracker.hcpcs.legend import FIELD_LEGEND, value_meaning
from tracker.life import CURRENT, DROPPED, Life, Shown, Standing
from tracker.records import Value
from tracker.report.csv import excel_cell
from tracker.report.json import change_json, release_json
from tracker.report.values import display, field_name, iso_or_null, shown_text, successors_text
from tracker.successors import successor_json
from tracker.validity import Known, Validity

CODES_COLUMNS = (
    "code", "short_description", "long_description", "added", "terminated", "release",
)  # fmt: skip


def standing_text(standing: Standing) -> str:
    """ "still current in 2026-Q1", "ended 2024-12-31 (in 2026-Q1)", "ends 2026-03-31 (in
    2026-Q1)", "ended 2017-12-31, dropped after 2020 (aged out)"."""
    newest, ended = standing.newest, standing.terminated
    if standing.status == CURRENT:
        return f"still current in {newest.label}"
    if standing.status == DROPPED:
        after = f"dropped after {standing.last_seen.label}"
        if ended is None:
            return f"{after} without a termination date (removed)"
        return f"ended {ended}, {after} (aged out)"
    # CMS announces a termination ahead: a date after the release took effect is still to come.
    verb = "ends" if ended is not None and ended >= newest.effective else "ended"
    return f"{verb} {ended} (in {newest.label})"


def standing_json(standing: Standing) -> dict[str, Any]:
    return {
        "status": standing.status,
        "text": standing_text(standing),
        "newest": standing.newest.label,
        "terminated": iso_or_null(standing.terminated),
        "last_seen": standing.last_seen.label,
    }


def history_json(life: Life) -> dict[str, Any]:
    """`tracker history CODE --json`: where the code stands, its first appearance, its
    successors, then one entry per release in which it appeared, changed or went."""
    first = life.entries[0]
    return {
        "code": life.code,
        "status": standing_json(life.standing),
        "first_seen": {
            "release": first.release.info.label,
            "effective": first.release.info.effective.isoformat(),
            "added": iso_or_null(first.change.added),
        },
        "successors": [successor_json(s) for s in life.successors],
        "entries": [
            {"release": e.release.info.label, "code_set": e.release.info.code_set,
             "effective": e.release.info.effective.isoformat(),
             "previous": e.previous.info.label if e.previous else None}
            | change_json(e.change)
            for e in life.entries
        ],
    }  # fmt: skip


def render_show(shown: Shown) -> str:
    """The record with plain-language field names, after whether it was valid on the date."""
    record, v = shown.record, shown.validity
    lines = [
        f"{record.code}  {record.text('long_description')}",
        f"on {v.on}: {v.reason}",
        f"record: {_record_source(shown)}",
        f"status: {standing_text(shown.standing)}",
    ]
    if shown.successors:
        lines.append(f"successors: {successors_text(shown.successors)}")
    lines.append("")
    lines += [
        f"{field_name(f.name)}: {_value_line(f.name, record.get(f.name))}" for f in FIELD_LEGEND
    ]
    return "\n".join(lines) + "\n"


def show_json(shown: Shown) -> dict[str, Any]:
    return {
        "code": shown.record.code,
        # How the record was chosen (latest, release, known_in) and the release it is from.
        "record": {"chosen": shown.source, "release": release_json(shown.release)},
        "validity": validity_json(shown.validity),
        "status": standing_json(shown.standing),
        "successors": [successor_json(s) for s in shown.successors],
        "fields": [_field_json(f.name, f.label, shown.record.get(f.name)) for f in FIELD_LEGEND],
    }


def validity_json(v: Validity) -> dict[str, Any]:
    return {
        "on": iso_or_null(v.on),
        "status": v.status,
        "reason": v.reason,
        "added": iso_or_null(v.added),
        "terminated": iso_or_null(v.terminated),
        "release": v.release,
    }


def codes_json(known: Iterable[Known]) -> list[dict[str, Any]]:
    """`tracker codes --format json`: one object per code (a date it lacks is null)."""
    return [
        {
            "code": k.record.code,
            "short_description": k.record.text("short_description"),
            "long_description": k.record.text("long_description"),
            "added": iso_or_null(k.added),
            "terminated": iso_or_null(k.terminated),
            "release": k.release,
        }
        for k in known
    ]


def render_codes_csv(known: Iterable[Known]) -> str:
    """UTF-8 with a BOM, CRLF, cells Excel keeps as text (as the diff's CSV)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CODES_COLUMNS)
    for row in codes_json(known):
        cells = (row[c] or "" for c in CODES_COLUMNS)
        writer.writerow(excel_cell(cell, force_text=i == 0) for i, cell in enumerate(cells))
    return out.getvalue()


def _record_source(shown: Shown) -> str:
    where = f"{shown.release.label} (effective {shown.release.effective})"
    if shown.source == "release":
        return f"as in {where}"
    if shown.source == "known_in":
        return f"the latest known in {shown.standing.newest.label}, from {where}"
    return f"the latest stored, from {where}"


def _value_line(field: str, value: Value) -> str:
    text = shown_text(field, value) or "-"
    meanings = _meanings(field, value)
    if not meanings:
        return text
    if isinstance(value, str):  # one value: its meaning alone
        return f"{text} ({meanings[value]})"
    return f"{text} ({'; '.join(f'{k}: {m}' for k, m in meanings.items())})"


def _meanings(field: str, value: Value) -> dict[str, str]:
    """What each coded value means (the blank ASC group too), by value."""
    items = (value,) if isinstance(value, str) else value
    found = {item: value_meaning(field, item) for item in items or ("",)}
    return {item: meaning for item, meaning in found.items() if meaning is not None}


def _field_json(field: str, label: str, value: Value) -> dict[str, Any]:
    shown = display(field, value)
    return {
        "field": field,
        "label": label,
        "value": shown if isinstance(shown, str) else list(shown),
        "meanings": _meanings(field, value),
    }
