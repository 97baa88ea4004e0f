"""A diff as JSON for machines. Pure."""

from __future__ import annotations

import json
from importlib import resources
from json.encoder import encode_basestring
from typing import Any

from tracker.records import Change, Claim, Diff, ReleaseInfo, Value
from tracker.report.values import display, iso_or_null
from tracker.successors import successor_json


def release_json(info: ReleaseInfo) -> dict[str, Any]:
    return {
        "label": info.label,
        "code_set": info.code_set,
        "kind": info.kind,
        "effective": info.effective.isoformat(),
        "revision": info.revision,
        "source": info.source_name,
        "sha256": info.sha256,
    }


def change_json(change: Change) -> dict[str, Any]:
    item: dict[str, Any] = {"code": change.code, "category": change.category}
    item["reason"] = change.reason  # null but for a deleted code: one type per field
    item["action"] = change.action
    item["description"] = change.description
    item["fields"] = [
        {"field": f.field, "old": _json_value(f.field, f.old), "new": _json_value(f.field, f.new)}
        for f in change.fields
    ]
    item["added"] = iso_or_null(change.added)
    item["action_effective"] = iso_or_null(change.action_effective)
    item["terminated"] = iso_or_null(change.terminated)
    item["explanation"] = change.explanation
    item["successors"] = [successor_json(s) for s in change.successors]
    item["copies_disagree"] = [
        {
            "field": d.field,
            "text": _json_value(d.field, d.text),
            "workbook": _json_value(d.field, d.workbook),
        }
        for d in change.copies_disagree
    ]
    return item


def claim_json(claim: Claim) -> dict[str, Any]:
    return {
        "code": claim.code,
        "action": claim.action,
        "action_effective": iso_or_null(claim.action_effective),
    }


def _json_value(field: str, value: Value) -> str | list[str]:
    shown = display(field, value)
    return shown if isinstance(shown, str) else list(shown)


def diff_json(diff: Diff) -> dict[str, Any]:
    return {
        "old": release_json(diff.old),
        "new": release_json(diff.new),
        "summary": dict(diff.summary),
        "explanations": dict(diff.explanations),
        "changes": [change_json(c) for c in diff.changes],
        "claimed_only": [claim_json(c) for c in diff.claimed_only],
    }


def schema_text() -> str:
    """The JSON Schema of ``diff_json`` (shipped in the package as diff.schema.json)."""
    return resources.files("tracker.report").joinpath("diff.schema.json").read_text("utf-8")


def render_json(diff: Diff) -> str:
    return indented(diff_json(diff)) + "\n"


def indented(value: Any, indent: str = "") -> str:
    """``json.dumps(value, indent=2, ensure_ascii=False)``, the same text (dict keys are
    text), written here because with ``indent`` the standard library encodes in pure Python,
    resuming a chain of generators for every piece (the 2020 to 2026-Q1 diff: 25 ms of 45).
    Strings are still escaped by its C ``encode_basestring``, other leaves by ``json.dumps``."""
    if isinstance(value, str):
        return encode_basestring(value)
    if value is None:
        return "null"
    inner = indent + "  "
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{encode_basestring(k)}: {indented(v, inner)}" for k, v in value.items()]
        return "{\n" + inner + f",\n{inner}".join(items) + "\n" + indent + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        items = [indented(v, inner) for v in value]
        return "[\n" + inner + f",\n{inner}".join(items) + "\n" + indent + "]"
    return json.dumps(value)  # a number or a boolean
