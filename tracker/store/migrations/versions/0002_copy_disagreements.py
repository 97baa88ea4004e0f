"""Copy disagreements kept with each release; removals in the run ledger.

- ``copy_disagreement``: one row per code and field on which a release ZIP's text and workbook
  copies disagree (values as JSON: a repeated field is a list), deleted with its release.
- ``run.kind`` ("check" | "remove") and ``run.note``: `tracker remove` is recorded in the run
  ledger; the runs before this revision were all checks.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "copy_disagreement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("field", sa.String(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("workbook", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["release_id"], ["release.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_copy_disagreement_release_id", "copy_disagreement", ["release_id"])
    op.add_column("run", sa.Column("kind", sa.String(), nullable=False, server_default="check"))
    op.add_column("run", sa.Column("note", sa.String(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("run") as batch:
        batch.drop_column("note")
        batch.drop_column("kind")
    op.drop_index("ix_copy_disagreement_release_id", table_name="copy_disagreement")
    op.drop_table("copy_disagreement")
