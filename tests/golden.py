"""Golden files: compare output with tests/golden/NAME; `UPDATE_GOLDEN=1 pytest` rewrites them
(then read the diff in git before committing: a golden file is a reviewed expectation)."""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"


def assert_golden(name: str, actual: str | bytes) -> None:
    path = GOLDEN / name
    data = actual.encode("utf-8") if isinstance(actual, str) else actual
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    assert path.exists(), f"golden file {path} missing: run with UPDATE_GOLDEN=1 and review it"
    assert data == path.read_bytes(), f"output differs from {path}"
