"""Watchlists: an organisation's own codes (`tracker watch add NAME FILE`).

- ``watchlist``: one row per version of a named list (re-adding a name adds a version): when
  it was loaded, from which file, which columns, how many codes. Every version is kept.
- ``watchlist_entry``: the newest version's rows, each a code and the file's other columns
  (as a JSON object).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "watchlist",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("content_digest", sa.String(), nullable=False),
        sa.Column("code_column", sa.String(), nullable=False),
        sa.Column("other_columns", sa.String(), nullable=False),
        sa.Column("codes", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", "version"),
    )
    op.create_index("ix_watchlist_name", "watchlist", ["name"])
    op.create_table(
        "watchlist_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("watchlist_id", sa.Integer(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("other_columns", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["watchlist_id"], ["watchlist.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_watchlist_entry_watchlist_id", "watchlist_entry", ["watchlist_id"])


def downgrade() -> None:
    op.drop_index("ix_watchlist_entry_watchlist_id", table_name="watchlist_entry")
    op.drop_table("watchlist_entry")
    op.drop_index("ix_watchlist_name", table_name="watchlist")
    op.drop_table("watchlist")
