"""Record versions: each distinct version of a code's record is stored once, keyed by a digest
of its content, and a release is its list of version ids, packed into one compressed blob."""

from __future__ import annotations

import hashlib
import json
import zlib
from array import array
from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import Connection, bindparam, delete, insert, select

from tracker.hcpcs.layout import NOT_COMPARED
from tracker.records import Record, Value
from tracker.store.tables import record_version

_CHUNK = 500  # rows per IN (...) query: well under SQLite's and PostgreSQL's parameter limits

# Built once (json.dumps builds one per call; a release takes two per record), and without
# the check for circular references, which plain records cannot hold: the same JSON.
_CANONICAL = json.JSONEncoder(
    sort_keys=True, ensure_ascii=False, separators=(",", ":"), check_circular=False
).encode
_CONTENT = json.JSONEncoder(sort_keys=True, ensure_ascii=False, check_circular=False).encode
_VERSION = record_version.c
_DATA = select(_VERSION.data).where(_VERSION.id.in_(bindparam("ids", expanding=True)))
_DIGESTS = select(_VERSION.digest, _VERSION.id).where(
    _VERSION.digest.in_(bindparam("digests", expanding=True))
)


def record_digest(record: Record) -> tuple[str, str]:
    """Canonical JSON of a record and its digest: the key that shares versions."""
    data = _CANONICAL({"code": record.code, "fields": _dict(record.fields)})
    # 128 bits of SHA-256 is ample to tell record versions apart and halves the index.
    return data, hashlib.sha256(data.encode()).hexdigest()[:32]


def content_digest(records: Iterable[Record]) -> str:
    """What a release says, whatever file it came in: its records without the fields CMS
    resets on its own (a re-post that moves only those is the same release)."""
    lines = sorted(
        _CONTENT([r.code, {k: v for k, v in r.fields.items() if k not in NOT_COMPARED}])
        for r in records
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def record_from_json(data: str) -> Record:
    raw = json.loads(data)
    fields: dict[str, Value] = {
        k: tuple(v) if type(v) is list else v for k, v in raw["fields"].items()
    }
    return Record(raw["code"], fields)


def _dict(fields: Mapping[str, Value]) -> dict[str, Value]:
    return fields if type(fields) is dict else dict(fields)  # JSON encodes dicts only


def pack(ids: Iterable[int]) -> bytes:
    return zlib.compress(array("q", sorted(ids)).tobytes())


def unpack(blob: bytes) -> list[int]:
    ids = array("q")
    ids.frombytes(zlib.decompress(blob))
    return ids.tolist()


def version_ids(connection: Connection, records: Sequence[Record]) -> list[int]:
    """The version ids of these records, storing the versions not seen before."""
    # Each record's canonical JSON and digest, computed once for the whole release.
    versions = {d: (r.code, data) for r in records for data, d in [record_digest(r)]}
    known = _ids_for_digests(connection, list(versions))
    new = [
        {"code": code, "digest": digest, "data": data}
        for digest, (code, data) in versions.items()
        if digest not in known
    ]
    if new and connection.dialect.insert_executemany_returning:
        # One round trip per 1,000 rows that hands back the ids (SQLite 3.35+, PostgreSQL).
        inserted = insert(record_version).returning(_VERSION.digest, _VERSION.id)
        rows = connection.execute(inserted, new)
        known.update((digest, id_) for digest, id_ in rows if id_ is not None)
    elif new:
        connection.execute(insert(record_version), new)
        known.update(_ids_for_digests(connection, [n["digest"] for n in new]))
    return [known[d] for d in versions]


def _ids_for_digests(connection: Connection, digests: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i in range(0, len(digests), _CHUNK):
        rows = connection.execute(_DIGESTS, {"digests": digests[i : i + _CHUNK]})
        found.update((digest, id_) for digest, id_ in rows if id_ is not None)
    return found


def records_by_ids(connection: Connection, ids: Iterable[int]) -> dict[str, Record]:
    """The records these version ids name, by code."""
    wanted = sorted(ids)
    records: dict[str, Record] = {}
    for i in range(0, len(wanted), _CHUNK):
        rows = connection.execute(_DATA, {"ids": wanted[i : i + _CHUNK]})
        for (data,) in rows:
            record = record_from_json(data)
            records[record.code] = record
    return records


def live_codes(connection: Connection, ids: Sequence[int]) -> frozenset[str]:
    """The codes of these versions that carry no termination date (``term_dt``).

    Asked of the database, not by decoding every record: in the canonical JSON of
    ``record_digest`` a field's key appears as ``"term_dt":`` only where it is a key (a quote
    inside a value is escaped), so the text says whether the field holds a date.
    """
    data = _VERSION.data
    terminated = data.contains('"term_dt":"', autoescape=True) & ~data.contains(
        '"term_dt":""', autoescape=True
    )
    codes: set[str] = set()
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        query = select(_VERSION.code).where(_VERSION.id.in_(chunk), ~terminated)
        codes.update(connection.execute(query).scalars())
    return frozenset(codes)


def codes_of(connection: Connection, ids: Sequence[int]) -> frozenset[str]:
    """The codes these versions are of (a release's codes, without decoding its records)."""
    codes: set[str] = set()
    for i in range(0, len(ids), _CHUNK):
        query = select(_VERSION.code).where(_VERSION.id.in_(ids[i : i + _CHUNK]))
        codes.update(connection.execute(query).scalars())
    return frozenset(codes)


def delete_versions(connection: Connection, ids: Iterable[int]) -> int:
    """Delete these versions (ones no release holds any more); how many went."""
    wanted = sorted(ids)
    for i in range(0, len(wanted), _CHUNK):
        connection.execute(delete(record_version).where(_VERSION.id.in_(wanted[i : i + _CHUNK])))
    return len(wanted)


def versions_of(connection: Connection, code: str) -> Mapping[int, Record]:
    """Every stored version of one code's record, by version id."""
    rows = connection.execute(select(_VERSION.id, _VERSION.data).where(_VERSION.code == code))
    return {id_: record_from_json(data) for id_, data in rows}
