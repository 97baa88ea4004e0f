"""The report formats: CSV per field and per code, filters, word diffs, values shown alike."""

from __future__ import annotations

import csv
import io
import json
import re
import textwrap
from datetime import date
from pathlib import Path

from tracker.diff import diff_releases, select
from tracker.records import HCPCS, Claim, Diff, Record, ReleaseInfo
from tracker.report.csv import CSV_COLUMNS, PER_CODE_COLUMNS, read_cell, render_csv
from tracker.report.json import indented
from tracker.report.text import render_text, word_diff

OLD = ReleaseInfo(HCPCS, "2026", date(2026, 1, 1), 1, "a.txt", "a")
NEW = ReleaseInfo(HCPCS, "2026-Q2", date(2026, 4, 1), 1, "b.txt", "b", "quarterly")
README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def rec(code: str, **fields: str | tuple[str, ...]) -> Record:
    return Record(code, {"code": code, "long_description": f"Invented {code}", **fields})


def _diff() -> Diff:
    old = {"J1601": rec("J1601", price=("51",)), "A0001": rec("A0001", term_dt="20201231")}
    new = {
        "J1601": rec("J1601", price=("51", "57"), mult_pi="D", action_cd="P"),
        "J2001": rec("J2001", add_dt="20260401", action_cd="A"),
        "00100": Record("00100", {"code": "00100", "long_description": "Invented zero"}),
    }
    return diff_releases(OLD, old, NEW, new)


def _read(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    return [{k: read_cell(v) for k, v in row.items()} for row in reader]


def test_csv_per_field_and_per_code() -> None:
    diff = _diff()
    per_field = _read(render_csv(diff))
    per_code = _read(render_csv(diff, per="code"))
    assert tuple(per_field[0]) == CSV_COLUMNS
    assert [(r["code"], r["field"], r["old_value"], r["new_value"]) for r in per_field] == [
        ("00100", "", "", ""),
        ("A0001", "", "", ""),
        ("J1601", "price", "51", "51, 57"),
        ("J1601", "mult_pi", "", "D"),
        ("J2001", "", "", ""),
    ]
    assert tuple(per_code[0]) == PER_CODE_COLUMNS
    assert [(r["code"], r["category"], r["changed_fields"]) for r in per_code] == [
        ("00100", "added", ""),
        ("A0001", "deleted", ""),
        ("J1601", "changed",
         "Pricing indicator (price): 51 -> 51, 57; Multiple pricing indicator (mult_pi):  -> D"),
        ("J2001", "added", ""),
    ]  # fmt: skip
    assert per_code[3]["added"] == "2026-04-01"
    assert {r["old_effective"] for r in per_code} == {"2026-01-01"}


def test_the_readme_shows_how_to_read_a_report_with_the_csv_module(tmp_path: Path) -> None:
    (block,) = re.findall(r"```python\n( *import csv\n.*?)```", README, re.DOTALL)
    block = textwrap.dedent(block)
    path = tmp_path / "report.csv"
    path.write_text(render_csv(_diff()), encoding="utf-8", newline="")
    namespace: dict[str, object] = {"path": path}
    exec(block, namespace)
    rows = namespace["rows"]
    assert isinstance(rows, list)
    assert [(r["code"], r["new_release"]) for r in rows][:2] == [
        ("00100", "2026-Q2"),
        ("A0001", "2026-Q2"),
    ]


def test_select_by_category_and_code_prefix() -> None:
    diff = _diff()
    assert [c.code for c in select(diff, categories=["added"]).changes] == ["00100", "J2001"]
    assert [c.code for c in select(diff, codes=["j1", "J20"]).changes] == ["J1601", "J2001"]
    narrowed = select(diff, categories=["changed"], codes=["J"])
    assert (narrowed.summary["changed"], narrowed.summary["added"]) == (1, 0)
    assert narrowed.explanations == {"agrees": 1}
    claimed = Diff(OLD, NEW, (), {}, {}, (Claim("J0001", "P", date(2026, 2, 1)),))
    assert select(claimed, codes=["J"]).claimed_only == claimed.claimed_only
    assert select(claimed, categories=["added"]).claimed_only == ()


def test_word_diff_marks_what_went_and_what_came() -> None:
    assert word_diff("a b c d", "a x c d e") == "a [-b-] {+x+} c d {+e+}"


def test_a_long_change_is_never_cut_so_that_old_and_new_look_alike() -> None:
    head = "Diabetic patient with most recent hemoglobin a1c level greater than 9.0%"
    old = {"G8442": rec("G8442", long_description=head)}
    new = {"G8442": rec("G8442", long_description=head + " at the time of the encounter")}
    text = render_text(diff_releases(OLD, old, NEW, new))
    assert "{+at the time of the encounter+}" in text


def test_the_real_2018_to_2020_text_never_shows_a_change_that_reads_the_same() -> None:
    from tests.conftest import shared_cms
    from tracker.config import SourceSettings
    from tracker.hcpcs.read import read_release

    cap = SourceSettings().max_unpacked_bytes
    old, new = (
        read_release(shared_cms() / f"{year}-Alpha-Numeric-HCPCS-File.zip", max_unpacked=cap)
        for year in (2018, 2020)
    )
    diff = diff_releases(
        ReleaseInfo(HCPCS, "2018", old.effective, 1, "a", "a"),
        {r.code: r for r in old.records},
        ReleaseInfo(HCPCS, "2020", new.effective, 1, "b", "b"),
        {r.code: r for r in new.records},
    )
    side_by_side = re.compile(r"^      [^:]+: ('.*') -> ('.*')$")
    shown = 0
    for line in render_text(diff).splitlines():
        if match := side_by_side.match(line):
            assert match.group(1) != match.group(2), line
            shown += 1
        elif line.startswith("      ") and "(" in line and "):" in line:
            assert "[-" in line or "{+" in line, line  # a word diff marks what changed
            shown += 1
    assert shown == sum(len(c.fields) for c in diff.changes)


def test_the_json_report_is_written_as_json_dumps_with_indent_2_writes_it() -> None:
    value = {
        "empty": {},
        "none": [],
        "texts": ["plain", 'quote " and \\ backslash', "tab\tnewline\n\x01", "é ü 中 \u2028 😀"],
        "scalars": [None, True, False, 0, -12, 1.5, 1e100],
        "nested": [{"a": [{"b": []}], "c": {"d": None}}, [[], [{}]]],
        "non ascii kéy": "x",
    }
    assert indented(value) == json.dumps(value, indent=2, ensure_ascii=False)
    assert indented([]) == "[]" and indented("x") == '"x"'
