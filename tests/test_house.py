"""House rules that a reviewer should not have to count: small functions, small classes."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "tracker"
MAX_FUNCTION_LINES = 60
MAX_CLASS_LINES = 200
# Named exceptions, each with its reason; keep this empty if you can.
EXCEPTIONS: dict[str, str] = {}


def _sizes() -> list[tuple[str, str, int]]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                assert node.end_lineno is not None
                kind = "class" if isinstance(node, ast.ClassDef) else "function"
                where = f"{path.relative_to(ROOT.parent)}:{node.name}"
                found.append((kind, where, node.end_lineno - node.lineno + 1))
    return found


def test_no_function_over_60_lines_and_no_class_over_200() -> None:
    limits = {"function": MAX_FUNCTION_LINES, "class": MAX_CLASS_LINES}
    too_big = [
        f"{kind} {where}: {lines} lines"
        for kind, where, lines in _sizes()
        if lines > limits[kind] and where not in EXCEPTIONS
    ]
    assert too_big == []
