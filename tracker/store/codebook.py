"""Record versions read by code or in bulk, for the questions asked of a code's whole life
(successors, validity on a date, every code valid on a date): ``tracker.query.registry`` turns them
into each code's record release by release.

Functions of a ``Store``, each one transaction, kept apart from ``releases`` so that the
catalog's own queries stay as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from tracker.records import Record
from tracker.store.sql import chunks, in_list
from tracker.store.versions import record_from_json, unpack

if TYPE_CHECKING:
    from tracker.store import Store


def release_members(store: Store, code_set: str) -> dict[str, frozenset[int]]:
    """The record versions each release of a code set holds, by label (one query)."""
    query = "SELECT label, members FROM release WHERE code_set = :code_set"
    with store.transaction() as sql:
        rows = sql.rows(query, {"code_set": code_set})
        return {label: frozenset(unpack(members)) for label, members in rows}


def versions_of_codes(store: Store, codes: Iterable[str]) -> dict[str, dict[int, Record]]:
    """Every stored version of each of these codes, by code, then by version id (codes with
    none left out)."""
    found: dict[str, dict[int, Record]] = {}
    with store.transaction() as sql:
        for chunk in chunks(sorted(set(codes))):
            listed, params = in_list("code", chunk)
            query = f"SELECT id, code, data FROM record_version WHERE code IN {listed}"
            for id_, code, data in sql.rows(query, params):
                found.setdefault(code, {})[id_] = record_from_json(data)
    return found


def versions_by_id(store: Store, ids: frozenset[int]) -> dict[str, dict[int, Record]]:
    """These versions, by code, then by version id. All rows are read in one pass (a
    release's members are most of the table) and only these are decoded."""
    found: dict[str, dict[int, Record]] = {}
    with store.transaction() as sql:
        for id_, code, data in sql.rows("SELECT id, code, data FROM record_version"):
            if id_ in ids:
                found.setdefault(code, {})[id_] = record_from_json(data)
    return found


def codes_by_id(store: Store, ids: Iterable[int]) -> Mapping[int, str]:
    """The code each of these versions is of, without decoding the records."""
    found: dict[int, str] = {}
    with store.transaction() as sql:
        for chunk in chunks(sorted(set(ids))):
            listed, params = in_list("id", chunk)
            query = f"SELECT id, code FROM record_version WHERE id IN {listed}"
            found.update({id_: code for id_, code in sql.rows(query, params)})
    return found
