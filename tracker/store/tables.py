"""The tables, as SQLAlchemy Core: the one definition of the schema. The migrations must
arrive at it and a new database is made from it (``tests/test_migrations.py``; a SQLite file
from its DDL, ``migrations/sqlite.sql``). Imported only to create or migrate a schema: the
store's statements are SQL (``tracker.store.sql``), and callers get frozen domain values.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

metadata = MetaData()

# Every time is UTC, TIMESTAMP WITH TIME ZONE on PostgreSQL (SQLite hands back naive ones).
_TIME = DateTime(timezone=True)


def _id() -> Column[int]:
    return Column("id", Integer, primary_key=True)


# One release: its identity and its records, as a packed list of record version ids.
release = Table(
    "release",
    metadata,
    _id(),
    Column("code_set", String, nullable=False, index=True),
    Column("label", String, nullable=False),
    Column("base_label", String, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("kind", String, nullable=False),
    Column("effective", Date, nullable=False),
    Column("source_name", String, nullable=False),
    Column("sha256", String, nullable=False),
    Column("content_digest", String, nullable=False, index=True),
    Column("codes", Integer, nullable=False),
    Column("imported_at", _TIME, nullable=False),
    Column("released", Date),  # CPT: when the AMA released the file (--released)
    # False: imported by a check whose report is still to be written
    Column("reported", Boolean, nullable=False),
    Column("members", LargeBinary, nullable=False),
    UniqueConstraint("code_set", "label"),
)

# A field on which a release's text and workbook copies disagree (``CopyDisagreement``). A table
# beside the release, not a blob on it: a release holds a handful (January 2026 about 120),
# `tracker releases` counts them per release in one query, a diff loads only those of the two
# releases it compares, and removing a release deletes its rows.
copy_disagreement = Table(
    "copy_disagreement",
    metadata,
    _id(),
    Column("release_id", Integer, ForeignKey("release.id"), nullable=False, index=True),
    Column("code", String, nullable=False),
    Column("field", String, nullable=False),  # a layout field name, or "code" (in one copy only)
    Column("text", String, nullable=False),  # what the text copy says, as JSON (repeated: a list)
    Column("workbook", String, nullable=False),  # what the workbook copy says, as JSON
)

# One distinct version of a code's record, shared by every release that holds it.
record_version = Table(
    "record_version",
    metadata,
    _id(),
    Column("code", String, nullable=False, index=True),
    Column("digest", String, nullable=False, unique=True),
    Column("data", String, nullable=False),
)

# ETag / Last-Modified remembered per URL, for conditional GETs.
http_validator = Table(
    "http_validator",
    metadata,
    Column("url", String, primary_key=True),
    Column("etag", String),
    Column("last_modified", String),
    Column("sha256", String, nullable=False),
)

# The run ledger: one row per check, scheduled or by hand, and per release removed.
run = Table(
    "run",
    metadata,
    _id(),
    Column("started_at", _TIME, nullable=False),
    Column("finished_at", _TIME),
    Column("trigger", String, nullable=False),  # "manual" | "schedule"
    Column("outcome", String, nullable=False),  # "running" | "ok" | "failed"
    Column("releases_found", Integer, nullable=False),
    Column("imported", String, nullable=False),  # labels, comma-separated
    Column("reports", String, nullable=False),  # report paths, one per line
    Column("emails_sent", Integer, nullable=False),
    Column("error", String, nullable=False),
    # "check", or "remove" (`tracker remove`); the server default fills the rows of older runs.
    Column("kind", String, nullable=False, server_default="check"),
    Column("note", String, nullable=False, server_default=""),  # what a removal did
)

# Emails are stored before they are sent; a failed send is retried on the next run.
outbox = Table(
    "outbox",
    metadata,
    _id(),
    # What the email is about: the same key is never queued twice.
    Column("key", String, nullable=False, unique=True),
    Column("created_at", _TIME, nullable=False),
    Column("subject", String, nullable=False),
    Column("message", LargeBinary, nullable=False),
    Column("sent_at", _TIME),
    Column("attempts", Integer, nullable=False),
    Column("last_error", String, nullable=False),
)

# One version of a watchlist (`tracker watch add NAME FILE`). Re-adding a name adds a version;
# the older versions stay, so `tracker watch list` can say when the list changed and from which
# file. Only the newest version's codes are kept (``watchlist_entry``): no command reads an
# older one's.
watchlist = Table(
    "watchlist",
    metadata,
    _id(),
    Column("name", String, nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("loaded_at", _TIME, nullable=False),
    Column("source", String, nullable=False),  # the file's name
    Column("sha256", String, nullable=False),  # of the file's bytes
    # Of the list it holds (``WatchFile.digest``): an unchanged re-add.
    Column("content_digest", String, nullable=False),
    Column("code_column", String, nullable=False),
    Column("other_columns", String, nullable=False),  # the other columns' headers, JSON list
    Column("codes", Integer, nullable=False),  # distinct codes
    Column("rows", Integer, nullable=False),  # rows holding a code
    UniqueConstraint("name", "version"),
)

# One row of a watchlist's newest version: a code and the file's other columns.
watchlist_entry = Table(
    "watchlist_entry",
    metadata,
    _id(),
    Column("watchlist_id", Integer, ForeignKey("watchlist.id"), nullable=False, index=True),
    Column("row", Integer, nullable=False),  # its row number in the file
    Column("code", String, nullable=False),
    Column("other_columns", String, nullable=False),  # the row's other columns, JSON object
)
