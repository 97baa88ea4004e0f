"""Record versions read by code or in bulk, for the questions asked of a code's whole life
(successors, validity on a date, every code valid on a date): ``tracker.query.registry`` turns them
into each code's record release by release.

Functions of a ``Store``, each one transaction, kept apart from ``releases`` so that the
catalog's own queries stay as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from sqlalchemy import select

from tracker.records import Record
from tracker.store.tables import record_version, release
from tracker.store.versions import record_from_json, unpack

if TYPE_CHECKING:
    from tracker.store import Store

_CHUNK = 500  # values per IN (...) query: well under SQLite's and PostgreSQL's limits
_VERSION = record_version.c


def release_members(store: Store, code_set: str) -> dict[str, frozenset[int]]:
    """The record versions each release of a code set holds, by label (one query)."""
    query = select(release.c.label, release.c.members).where(release.c.code_set == code_set)
    with store.transaction() as conn:
        return {label: frozenset(unpack(members)) for label, members in conn.execute(query)}


def versions_of_codes(store: Store, codes: Iterable[str]) -> dict[str, dict[int, Record]]:
    """Every stored version of each of these codes, by code, then by version id (codes with
    none left out)."""
    wanted = sorted(set(codes))
    found: dict[str, dict[int, Record]] = {}
    with store.transaction() as conn:
        for i in range(0, len(wanted), _CHUNK):
            rows = conn.execute(
                select(_VERSION.id, _VERSION.code, _VERSION.data).where(
                    _VERSION.code.in_(wanted[i : i + _CHUNK])
                )
            )
            for id_, code, data in rows:
                found.setdefault(code, {})[id_] = record_from_json(data)
    return found


def versions_by_id(store: Store, ids: frozenset[int]) -> dict[str, dict[int, Record]]:
    """These versions, by code, then by version id. All rows are read in one pass (a
    release's members are most of the table) and only these are decoded."""
    found: dict[str, dict[int, Record]] = {}
    with store.transaction() as conn:
        for id_, code, data in conn.execute(select(_VERSION.id, _VERSION.code, _VERSION.data)):
            if id_ in ids:
                found.setdefault(code, {})[id_] = record_from_json(data)
    return found


def codes_by_id(store: Store, ids: Iterable[int]) -> Mapping[int, str]:
    """The code each of these versions is of, without decoding the records."""
    wanted = sorted(set(ids))
    found: dict[int, str] = {}
    with store.transaction() as conn:
        for i in range(0, len(wanted), _CHUNK):
            rows = conn.execute(
                select(_VERSION.id, _VERSION.code).where(_VERSION.id.in_(wanted[i : i + _CHUNK]))
            )
            found.update({id_: code for id_, code in rows})
    return found
