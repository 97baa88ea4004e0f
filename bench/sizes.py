"""Module, function and class sizes of a package: the figures behind issue 8's house rules
(no function over 60 lines, no class over 200; tests/test_house.py enforces them).

    python bench/sizes.py [FOLDER]      (default: tracker)
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path


def main(folder: Path) -> None:
    modules = sorted(folder.rglob("*.py"))
    lines = {path: len(path.read_text().splitlines()) for path in modules}
    print(f"{len(modules)} modules, {sum(lines.values()):,} lines")
    biggest: dict[str, tuple[int, str]] = {}
    for path in modules:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                kind = "class" if isinstance(node, ast.ClassDef) else "function"
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > biggest.get(kind, (0, ""))[0]:
                    biggest[kind] = (size, f"{path.relative_to(folder.parent)}:{node.name}")
    for kind, (size, where) in sorted(biggest.items()):
        print(f"largest {kind}: {where}, {size} lines")
    top = sorted(lines.items(), key=lambda item: -item[1])[:5]
    print("largest modules: " + ", ".join(f"{p.relative_to(folder)} {n}" for p, n in top))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("tracker"))
