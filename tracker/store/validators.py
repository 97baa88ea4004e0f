"""HTTP validators: the ETag / Last-Modified remembered per URL for conditional GETs, and the
file they gave (the ``ValidatorStore`` protocol of ``tracker.sources.download``)."""

from __future__ import annotations

from tracker.records import Validators
from tracker.store.database import Database
from tracker.store.models import ValidatorRow


class HttpValidators:
    """Validators by URL."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def get(self, url: str) -> Validators | None:
        with self._db.session() as session:
            row = session.get(ValidatorRow, url)
            return None if row is None else Validators(row.etag, row.last_modified, row.sha256)

    def put(self, url: str, validators: Validators) -> None:
        with self._db.session() as session:
            session.merge(
                ValidatorRow(
                    url=url,
                    etag=validators.etag,
                    last_modified=validators.last_modified,
                    sha256=validators.sha256,
                )
            )
