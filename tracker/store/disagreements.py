"""Copy disagreements: where a release's text and workbook copies disagree, kept with it.

CMS puts one release in its ZIP twice (fixed-width text and workbook) and the two do not always
say the same (January 2026: C9248's PRICE3). Records are stored from the text; each field on
which the workbook says something else is a row here, so that every diff involving the code
can show both.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select

from tracker.records import CopyDisagreement, Value
from tracker.store.tables import copy_disagreement

_ROW = copy_disagreement.c


def add_disagreements(
    connection: Connection, release_id: int, items: Iterable[CopyDisagreement]
) -> None:
    rows = [
        {"release_id": release_id, "code": d.code, "field": d.field,
         "text": _dump(d.text), "workbook": _dump(d.workbook)}
        for d in items
    ]  # fmt: skip
    if rows:
        connection.execute(insert(copy_disagreement), rows)


def disagreements_of(connection: Connection, release_id: int) -> tuple[CopyDisagreement, ...]:
    """A release's disagreements, by code, in the order they were found (layout order)."""
    rows = connection.execute(
        select(copy_disagreement).where(_ROW.release_id == release_id).order_by(_ROW.code, _ROW.id)
    )
    return tuple(_value(r) for r in rows)


def disagreements_on(connection: Connection, code: str) -> dict[int, tuple[CopyDisagreement, ...]]:
    """One code's disagreements in every release that has any, by release id."""
    rows = connection.execute(
        select(copy_disagreement).where(_ROW.code == code).order_by(_ROW.release_id, _ROW.id)
    )
    found: dict[int, list[CopyDisagreement]] = {}
    for r in rows:
        found.setdefault(r.release_id, []).append(_value(r))
    return {release_id: tuple(items) for release_id, items in found.items()}


def codes_disagreeing(connection: Connection) -> dict[int, int]:
    """How many codes the copies disagree on, by release id (releases with none left out)."""
    query = select(_ROW.release_id, func.count(func.distinct(_ROW.code))).group_by(_ROW.release_id)
    return {release_id: count for release_id, count in connection.execute(query)}


def delete_disagreements(connection: Connection, release_id: int) -> None:
    connection.execute(delete(copy_disagreement).where(_ROW.release_id == release_id))


def _value(row: Row[Any]) -> CopyDisagreement:
    return CopyDisagreement(row.code, row.field, _load(row.text), _load(row.workbook))


def _dump(value: Value) -> str:
    return json.dumps(value if isinstance(value, str) else list(value), ensure_ascii=False)


def _load(data: str) -> Value:
    value: str | Sequence[str] = json.loads(data)
    return value if isinstance(value, str) else tuple(value)
