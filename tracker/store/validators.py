"""HTTP validators: the ETag / Last-Modified remembered per URL for conditional GETs, and the
file they gave (the ``ValidatorStore`` protocol of ``tracker.sources.download``)."""

from __future__ import annotations

from tracker.records import Validators
from tracker.store.database import Database


class HttpValidators:
    """Validators by URL."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def get(self, url: str) -> Validators | None:
        query = "SELECT etag, last_modified, sha256 FROM http_validator WHERE url = :url"
        with self._db.transaction() as sql:
            row = sql.first(query, {"url": url})
            return None if row is None else Validators(*row)

    def put(self, url: str, validators: Validators) -> None:
        values = {
            "url": url,
            "etag": validators.etag,
            "last_modified": validators.last_modified,
            "sha256": validators.sha256,
        }
        with self._db.transaction() as sql:
            updated = sql.run(
                "UPDATE http_validator SET etag = :etag, last_modified = :last_modified, "
                "sha256 = :sha256 WHERE url = :url",
                values,
            )
            if not updated:
                sql.run(
                    "INSERT INTO http_validator (url, etag, last_modified, sha256) "
                    "VALUES (:url, :etag, :last_modified, :sha256)",
                    values,
                )
