"""Record versions read by code or in bulk, for the questions asked of a code's whole life
(successors, validity on a date, every code valid on a date): ``tracker.query.registry`` turns them
into each code's record release by release.

Functions of a ``Store``, each one transaction, kept apart from ``releases`` so that the
catalog's own queries stay as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from sqlmodel import col, select

from tracker.records import Record
from tracker.store.models import ReleaseRow, VersionRow
from tracker.store.versions import record_from_json, unpack

if TYPE_CHECKING:
    from tracker.store import Store

_CHUNK = 500  # values per IN (...) query: well under SQLite's and PostgreSQL's limits


def release_members(store: Store, code_set: str) -> dict[str, frozenset[int]]:
    """The record versions each release of a code set holds, by label (one query)."""
    query = select(ReleaseRow.label, ReleaseRow.members).where(ReleaseRow.code_set == code_set)
    with store.session() as session:
        return {label: frozenset(unpack(members)) for label, members in session.exec(query)}


def versions_of_codes(store: Store, codes: Iterable[str]) -> dict[str, dict[int, Record]]:
    """Every stored version of each of these codes, by code, then by version id (codes with
    none left out)."""
    wanted = sorted(set(codes))
    found: dict[str, dict[int, Record]] = {}
    with store.session() as session:
        for i in range(0, len(wanted), _CHUNK):
            rows = session.exec(
                select(VersionRow.id, VersionRow.code, VersionRow.data).where(
                    col(VersionRow.code).in_(wanted[i : i + _CHUNK])
                )
            )
            for id_, code, data in rows:
                if id_ is not None:
                    found.setdefault(code, {})[id_] = record_from_json(data)
    return found


def versions_by_id(store: Store, ids: frozenset[int]) -> dict[str, dict[int, Record]]:
    """These versions, by code, then by version id. All rows are read in one pass (a
    release's members are most of the table) and only these are decoded."""
    found: dict[str, dict[int, Record]] = {}
    with store.session() as session:
        for id_, code, data in session.exec(
            select(VersionRow.id, VersionRow.code, VersionRow.data)
        ):
            if id_ in ids:
                found.setdefault(code, {})[id_] = record_from_json(data)
    return found


def codes_by_id(store: Store, ids: Iterable[int]) -> Mapping[int, str]:
    """The code each of these versions is of, without decoding the records."""
    wanted = sorted(set(ids))
    found: dict[int, str] = {}
    with store.session() as session:
        for i in range(0, len(wanted), _CHUNK):
            rows = session.exec(
                select(VersionRow.id, VersionRow.code).where(
                    col(VersionRow.id).in_(wanted[i : i + _CHUNK])
                )
            )
            found.update({id_: code for id_, code in rows if id_ is not None})
    return found
