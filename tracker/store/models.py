"""The tables. ORM models stay inside ``tracker.store``: callers get frozen domain values."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel


class ReleaseRow(SQLModel, table=True):
    """One release: its identity and its records, as a packed list of record version ids."""

    __tablename__ = "release"
    __table_args__ = (UniqueConstraint("code_set", "label"),)

    id: int | None = Field(default=None, primary_key=True)
    code_set: str = Field(index=True)
    label: str
    base_label: str
    revision: int
    kind: str
    effective: date
    source_name: str
    sha256: str
    content_digest: str = Field(index=True)
    codes: int
    imported_at: datetime
    released: date | None = None  # CPT: when the AMA released the file (--released)
    reported: bool = True  # False: imported by a check whose report is still to be written
    members: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class DisagreementRow(SQLModel, table=True):
    """A field on which a release's text and workbook copies disagree (``CopyDisagreement``).

    A table beside the release, not a blob on it: a release holds a handful of these (January
    2026 about 120), `tracker releases` counts them per release in one query, a diff loads only
    those of the two releases it compares, and removing a release deletes its rows.
    """

    __tablename__ = "copy_disagreement"

    id: int | None = Field(default=None, primary_key=True)
    release_id: int = Field(foreign_key="release.id", index=True)
    code: str
    field: str  # a layout field name, or "code" for a code in one copy only
    text: str  # what the text copy says, as JSON (a repeated field is a list)
    workbook: str  # what the workbook copy says, as JSON


class VersionRow(SQLModel, table=True):
    """One distinct version of a code's record, shared by every release that holds it."""

    __tablename__ = "record_version"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True)
    digest: str = Field(unique=True)
    data: str


class ValidatorRow(SQLModel, table=True):
    """ETag / Last-Modified remembered per URL, for conditional GETs."""

    __tablename__ = "http_validator"

    url: str = Field(primary_key=True)
    etag: str | None = None
    last_modified: str | None = None
    sha256: str


class RunRow(SQLModel, table=True):
    """The run ledger: one row per check, scheduled or by hand, and per release removed."""

    __tablename__ = "run"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime
    finished_at: datetime | None = None
    trigger: str  # "manual" | "schedule"
    outcome: str  # "running" | "ok" | "failed"
    releases_found: int = 0
    imported: str = ""  # labels, comma-separated
    reports: str = ""  # report paths, one per line
    emails_sent: int = 0
    error: str = ""
    # "check", or "remove" (`tracker remove`); the server default fills the rows of older runs.
    kind: str = Field(default="check", sa_column_kwargs={"server_default": "check"})
    note: str = Field(default="", sa_column_kwargs={"server_default": ""})  # what a removal did


class OutboxRow(SQLModel, table=True):
    """Emails are stored before they are sent; a failed send is retried on the next run."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)  # what the email is about: the same key is never queued twice
    created_at: datetime
    subject: str
    message: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sent_at: datetime | None = None
    attempts: int = 0
    last_error: str = ""


class WatchlistRow(SQLModel, table=True):
    """One version of a watchlist (``tracker watch add NAME FILE``).

    Re-adding a name adds a version; the older versions stay here, so `tracker watch list` can
    say when the list changed and from which file. Only the newest version's codes are kept
    (``WatchEntryRow``): no command reads an older one's.
    """

    __tablename__ = "watchlist"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    version: int
    loaded_at: datetime
    source: str  # the file's name
    sha256: str  # of the file's bytes
    content_digest: str  # of the list it holds (``WatchFile.digest``): an unchanged re-add
    code_column: str
    other_columns: str  # the other columns' headers, as a JSON list
    codes: int  # distinct codes
    rows: int  # rows holding a code


class WatchEntryRow(SQLModel, table=True):
    """One row of a watchlist's newest version: a code and the file's other columns."""

    __tablename__ = "watchlist_entry"

    id: int | None = Field(default=None, primary_key=True)
    watchlist_id: int = Field(foreign_key="watchlist.id", index=True)
    row: int  # its row number in the file
    code: str
    other_columns: str  # the row's other columns, as a JSON object
