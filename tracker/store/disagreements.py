"""Copy disagreements: where a release's text and workbook copies disagree, kept with it.

CMS puts one release in its ZIP twice (fixed-width text and workbook) and the two do not always
say the same (January 2026: C9248's PRICE3). Records are stored from the text; each field on
which the workbook says something else is a row here, so that every diff involving the code
can show both.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from tracker.records import CopyDisagreement, Value
from tracker.store.sql import Row, Sql

_COLUMNS = 'code, field, "text", workbook'


def add_disagreements(sql: Sql, release_id: int, items: Iterable[CopyDisagreement]) -> None:
    rows = [
        {"release_id": release_id, "code": d.code, "field": d.field,
         "text": _dump(d.text), "workbook": _dump(d.workbook)}
        for d in items
    ]  # fmt: skip
    if rows:
        sql.run_many(
            f"INSERT INTO copy_disagreement (release_id, {_COLUMNS}) "
            "VALUES (:release_id, :code, :field, :text, :workbook)",
            rows,
        )


def disagreements_of(sql: Sql, release_id: int) -> tuple[CopyDisagreement, ...]:
    """A release's disagreements, by code, in the order they were found (layout order)."""
    rows = sql.rows(
        f"SELECT {_COLUMNS} FROM copy_disagreement WHERE release_id = :id ORDER BY code, id",
        {"id": release_id},
    )
    return tuple(_value(r) for r in rows)


def disagreements_on(sql: Sql, code: str) -> dict[int, tuple[CopyDisagreement, ...]]:
    """One code's disagreements in every release that has any, by release id."""
    rows = sql.rows(
        f"SELECT release_id, {_COLUMNS} FROM copy_disagreement WHERE code = :code "
        "ORDER BY release_id, id",
        {"code": code},
    )
    found: dict[int, list[CopyDisagreement]] = {}
    for release_id, *rest in rows:
        found.setdefault(release_id, []).append(_value(tuple(rest)))
    return {release_id: tuple(items) for release_id, items in found.items()}


def codes_disagreeing(sql: Sql) -> dict[int, int]:
    """How many codes the copies disagree on, by release id (releases with none left out)."""
    query = "SELECT release_id, COUNT(DISTINCT code) FROM copy_disagreement GROUP BY release_id"
    return {release_id: count for release_id, count in sql.rows(query)}


def delete_disagreements(sql: Sql, release_id: int) -> None:
    sql.run("DELETE FROM copy_disagreement WHERE release_id = :id", {"id": release_id})


def _value(row: Row) -> CopyDisagreement:
    code, field, text, workbook = row
    return CopyDisagreement(code, field, _load(text), _load(workbook))


def _dump(value: Value) -> str:
    return json.dumps(value if isinstance(value, str) else list(value), ensure_ascii=False)


def _load(data: str) -> Value:
    value: str | Sequence[str] = json.loads(data)
    return value if isinstance(value, str) else tuple(value)
