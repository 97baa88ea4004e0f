"""Alembic's environment for tracker's migrations.

Run by ``tracker.store.migrations``, which hands it an open connection inside a transaction it
commits itself (``config.attributes["connection"]``): the whole upgrade is one transaction.
"""

from __future__ import annotations

from alembic import context

from tracker.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "tracker's migrations run through tracker (`tracker db upgrade`), which passes the "
        "connection; there is no alembic.ini"
    )
context.configure(
    connection=connection,
    target_metadata=metadata,  # for autogenerate, when writing a new revision
    # SQLite alters a table by copying it: a new revision's ALTERs are rendered that way.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
