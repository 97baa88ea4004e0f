"""Baseline: the schema of tracker 0.1.0, the last one made without migrations (create_all).

A database that tracker 0.1.0 made has these tables and no ``alembic_version``: it is stamped
0001 and upgraded from there. Constraints keep the names the database gave them then (none
here), so that the later revisions find them under the same names in both kinds of database.
Times are ``DateTime(timezone=True)``, as SQLModel (0.0.50, which tracker 0.1.0 ran on) maps
``datetime``: TIMESTAMP WITH TIME ZONE on PostgreSQL, DATETIME on SQLite.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    _release()
    _record_version()
    _http_validator()
    _run()
    _outbox()


def downgrade() -> None:
    for table in ("outbox", "run", "http_validator", "record_version", "release"):
        op.drop_table(table)


def _release() -> None:
    op.create_table(
        "release",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_set", sa.String(), nullable=False),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("base_label", sa.String(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("effective", sa.Date(), nullable=False),
        sa.Column("source_name", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("content_digest", sa.String(), nullable=False),
        sa.Column("codes", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released", sa.Date(), nullable=True),
        sa.Column("reported", sa.Boolean(), nullable=False),
        sa.Column("members", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_set", "label"),
    )
    op.create_index("ix_release_code_set", "release", ["code_set"])
    op.create_index("ix_release_content_digest", "release", ["content_digest"])


def _record_version() -> None:
    op.create_table(
        "record_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("digest", sa.String(), nullable=False),
        sa.Column("data", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest"),
    )
    op.create_index("ix_record_version_code", "record_version", ["code"])


def _http_validator() -> None:
    op.create_table(
        "http_validator",
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("etag", sa.String(), nullable=True),
        sa.Column("last_modified", sa.String(), nullable=True),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("url"),
    )


def _run() -> None:
    op.create_table(
        "run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("trigger", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("releases_found", sa.Integer(), nullable=False),
        sa.Column("imported", sa.String(), nullable=False),
        sa.Column("reports", sa.String(), nullable=False),
        sa.Column("emails_sent", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def _outbox() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("message", sa.LargeBinary(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
