"""The database schema, declared once with SQLAlchemy Core (migration 0001 creates it).

``subscribers`` holds one row per person: the normalized address, a lower-cased key that makes
addresses unique case-insensitively, the status, preferences, pause flag and the consent record
(when, how, from which IP, and the wording shown). ``suppressions`` holds SHA-256 digests of
addresses that must never be mailed again; it keeps no address in clear, so it survives a GDPR
erasure without holding personal data.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

STATUSES = ("pending", "active", "unsubscribed", "bounced", "complained")
CONSENT_SOURCES = ("cli", "import", "web")
SUPPRESSION_REASONS = ("unsubscribed", "bounced", "complained", "erased", "manual")

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(sa.TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite stores naive text)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: dt.datetime | None, dialect: sa.Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: sa.Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


subscribers = sa.Table(
    "subscribers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("email_key", sa.String(320), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("categories", sa.JSON, nullable=False),
    sa.Column("metros", sa.JSON, nullable=False),
    sa.Column("seniority", sa.JSON, nullable=False),
    sa.Column("paused", sa.Boolean, nullable=False, default=False),
    sa.Column("consent_at", UtcDateTime(), nullable=False),
    sa.Column("consent_source", sa.String(16), nullable=False),
    sa.Column("consent_ip", sa.String(64), nullable=True),
    sa.Column("consent_text", sa.Text, nullable=True),
    sa.Column("status_reason", sa.Text, nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("confirmed_at", UtcDateTime(), nullable=True),
    sa.Column("status_changed_at", UtcDateTime(), nullable=False),
    sa.CheckConstraint(_in("status", STATUSES), name="status"),
    sa.CheckConstraint(_in("consent_source", CONSENT_SOURCES), name="consent_source"),
)
sa.Index(None, subscribers.c.status)

suppressions = sa.Table(
    "suppressions",
    metadata,
    sa.Column("email_hash", sa.String(64), primary_key=True),
    sa.Column("reason", sa.String(16), nullable=False),
    sa.Column("detail", sa.Text, nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.CheckConstraint(_in("reason", SUPPRESSION_REASONS), name="reason"),
)
