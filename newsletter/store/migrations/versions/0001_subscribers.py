"""Subscribers and the suppression list.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "subscribers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("email_key", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("categories", sa.JSON, nullable=False),
        sa.Column("metros", sa.JSON, nullable=False),
        sa.Column("seniority", sa.JSON, nullable=False),
        sa.Column("paused", sa.Boolean, nullable=False),
        sa.Column("consent_at", _TS, nullable=False),
        sa.Column("consent_source", sa.String(16), nullable=False),
        sa.Column("consent_ip", sa.String(64), nullable=True),
        sa.Column("consent_text", sa.Text, nullable=True),
        sa.Column("status_reason", sa.Text, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("confirmed_at", _TS, nullable=True),
        sa.Column("status_changed_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_subscribers"),
        sa.UniqueConstraint("email_key", name="uq_subscribers_email_key"),
        sa.CheckConstraint(
            "status IN ('pending', 'active', 'unsubscribed', 'bounced', 'complained')",
            name="ck_subscribers_status",
        ),
        sa.CheckConstraint(
            "consent_source IN ('cli', 'import', 'web')", name="ck_subscribers_consent_source"
        ),
    )
    op.create_index("ix_subscribers_status", "subscribers", ["status"])
    op.create_table(
        "suppressions",
        sa.Column("email_hash", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("email_hash", name="pk_suppressions"),
        sa.CheckConstraint(
            "reason IN ('unsubscribed', 'bounced', 'complained', 'erased', 'manual')",
            name="ck_suppressions_reason",
        ),
    )


def downgrade() -> None:
    op.drop_table("suppressions")
    op.drop_index("ix_subscribers_status", table_name="subscribers")
    op.drop_table("subscribers")
