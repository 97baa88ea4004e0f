"""HTTP validators: the ETag / Last-Modified remembered per URL for conditional GETs, and the
file they gave (the ``ValidatorStore`` protocol of ``tracker.sources.download``)."""

from __future__ import annotations

from sqlalchemy import insert, select, update

from tracker.records import Validators
from tracker.store.database import Database
from tracker.store.tables import http_validator

_ROW = http_validator.c


class HttpValidators:
    """Validators by URL."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def get(self, url: str) -> Validators | None:
        query = select(_ROW.etag, _ROW.last_modified, _ROW.sha256).where(_ROW.url == url)
        with self._db.transaction() as conn:
            row = conn.execute(query).first()
            return None if row is None else Validators(*row)

    def put(self, url: str, validators: Validators) -> None:
        values = {
            "etag": validators.etag,
            "last_modified": validators.last_modified,
            "sha256": validators.sha256,
        }
        with self._db.transaction() as conn:
            if not conn.execute(
                update(http_validator).where(_ROW.url == url).values(values)
            ).rowcount:
                conn.execute(insert(http_validator).values(url=url, **values))
