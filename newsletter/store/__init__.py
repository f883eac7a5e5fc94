"""The subscriber store: SQLAlchemy tables, engine setup and packaged Alembic migrations."""

from newsletter.store.engine import Database, create_engine, migrate, open_database, open_store
from newsletter.store.tables import (
    STATUSES,
    metadata,
    sends,
    subscriber_events,
    subscribers,
    suppressions,
)

__all__ = [
    "STATUSES",
    "Database",
    "create_engine",
    "metadata",
    "migrate",
    "open_database",
    "open_store",
    "sends",
    "subscriber_events",
    "subscribers",
    "suppressions",
]
