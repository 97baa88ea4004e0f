"""Record versions: each distinct version of a code's record is stored once, keyed by a digest
of its content, and a release is its list of version ids, packed into one compressed blob."""

from __future__ import annotations

import hashlib
import json
import zlib
from array import array
from collections.abc import Iterable, Mapping, Sequence

from tracker.hcpcs.layout import NOT_COMPARED
from tracker.records import Record, Value
from tracker.store.sql import Sql, chunks, in_list

# Built once (json.dumps builds one per call; a release takes two per record), and without
# the check for circular references, which plain records cannot hold: the same JSON.
_CANONICAL = json.JSONEncoder(
    sort_keys=True, ensure_ascii=False, separators=(",", ":"), check_circular=False
).encode
_CONTENT = json.JSONEncoder(sort_keys=True, ensure_ascii=False, check_circular=False).encode
# In the canonical JSON of ``record_digest`` a field's key appears as ``"term_dt":`` only
# where it is a key (a quote inside a value is escaped), so the text says whether the field
# holds a date. "_" is a LIKE wildcard: escaped.
_TERMINATED = (
    "data LIKE '%\"term/_dt\":\"%' ESCAPE '/' AND data NOT LIKE '%\"term/_dt\":\"\"%' ESCAPE '/'"
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


def version_ids(sql: Sql, records: Sequence[Record]) -> list[int]:
    """The version ids of these records, storing the versions not seen before."""
    # Each record's canonical JSON and digest, computed once for the whole release.
    versions = {d: (r.code, data) for r in records for data, d in [record_digest(r)]}
    known = _ids_for_digests(sql, list(versions))
    new = [
        {"code": code, "digest": digest, "data": data}
        for digest, (code, data) in versions.items()
        if digest not in known
    ]
    if new:
        sql.run_many(
            "INSERT INTO record_version (code, digest, data) VALUES (:code, :digest, :data)", new
        )
        known.update(_ids_for_digests(sql, [n["digest"] for n in new]))
    return [known[d] for d in versions]


def _ids_for_digests(sql: Sql, digests: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in chunks(digests):
        listed, params = in_list("d", chunk)
        query = f"SELECT digest, id FROM record_version WHERE digest IN {listed}"
        found.update((digest, id_) for digest, id_ in sql.rows(query, params))
    return found


def records_by_ids(sql: Sql, ids: Iterable[int]) -> dict[str, Record]:
    """The records these version ids name, by code."""
    records: dict[str, Record] = {}
    for chunk in chunks(sorted(ids)):
        listed, params = in_list("id", chunk)
        for (data,) in sql.rows(f"SELECT data FROM record_version WHERE id IN {listed}", params):
            record = record_from_json(data)
            records[record.code] = record
    return records


def live_codes(sql: Sql, ids: Sequence[int]) -> frozenset[str]:
    """The codes of these versions that carry no termination date (``term_dt``), asked of the
    database, not by decoding every record (see ``_TERMINATED``)."""
    codes: set[str] = set()
    for chunk in chunks(ids):
        listed, params = in_list("id", chunk)
        query = f"SELECT code FROM record_version WHERE id IN {listed} AND NOT ({_TERMINATED})"
        codes.update(sql.values(query, params))
    return frozenset(codes)


def codes_of(sql: Sql, ids: Sequence[int]) -> frozenset[str]:
    """The codes these versions are of (a release's codes, without decoding its records)."""
    codes: set[str] = set()
    for chunk in chunks(ids):
        listed, params = in_list("id", chunk)
        codes.update(sql.values(f"SELECT code FROM record_version WHERE id IN {listed}", params))
    return frozenset(codes)


def delete_versions(sql: Sql, ids: Iterable[int]) -> int:
    """Delete these versions (ones no release holds any more); how many went."""
    wanted = sorted(ids)
    for chunk in chunks(wanted):
        listed, params = in_list("id", chunk)
        sql.run(f"DELETE FROM record_version WHERE id IN {listed}", params)
    return len(wanted)


def versions_of(sql: Sql, code: str) -> Mapping[int, Record]:
    """Every stored version of one code's record, by version id."""
    rows = sql.rows("SELECT id, data FROM record_version WHERE code = :code", {"code": code})
    return {id_: record_from_json(data) for id_, data in rows}
