"""Alembic environment: always run programmatically by newsletter.store.migrate.

The caller passes an open connection (already inside a locked transaction) through
``config.attributes["connection"]``; this file never reads a URL or an ini file.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from newsletter.store.tables import metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("newsletter migrations run only through newsletter.store.migrate")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
