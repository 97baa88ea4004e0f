"""Golden files: compare output with tests/golden/NAME; `UPDATE_GOLDEN=1 pytest` rewrites them
(then read the diff in git before committing: a golden file is a reviewed expectation).

Every diff JSON the tests produce goes through ``valid_diff_json``: it must match the schema
shipped in the package (``tracker diff --schema``).
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from tracker.report.json import schema_text

GOLDEN = Path(__file__).parent / "golden"


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(schema_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


def valid_diff_json(text: str | bytes) -> Any:
    """The parsed diff JSON, after checking it against the shipped schema."""
    data = json.loads(text)
    _validator().validate(data)
    return data


def assert_golden(name: str, actual: str | bytes) -> None:
    path = GOLDEN / name
    data = actual.encode("utf-8") if isinstance(actual, str) else actual
    if name.endswith(".json"):
        valid_diff_json(data)
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    assert path.exists(), f"golden file {path} missing: run with UPDATE_GOLDEN=1 and review it"
    assert data == path.read_bytes(), f"output differs from {path}"
