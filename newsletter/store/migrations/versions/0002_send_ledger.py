"""The send ledger: issues and per-subscriber sends.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "issues",
        sa.Column("issue_key", sa.String(16), nullable=False),
        sa.Column("week", sa.Date, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("recipients", sa.Integer, nullable=False),
        sa.Column("sent", sa.Integer, nullable=False),
        sa.Column("failed", sa.Integer, nullable=False),
        sa.Column("unknown", sa.Integer, nullable=False),
        sa.Column("skipped", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("frozen_at", _TS, nullable=True),
        sa.Column("finished_at", _TS, nullable=True),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("issue_key", name="pk_issues"),
        sa.CheckConstraint(
            "status IN ('building', 'sending', 'sent', 'failed')", name="ck_issues_status"
        ),
    )
    op.create_table(
        "sends",
        sa.Column("issue_key", sa.String(16), nullable=False),
        sa.Column("subscriber_id", sa.Integer, nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("retryable", sa.Boolean, nullable=False),
        sa.Column("provider", sa.String(32), nullable=True),
        sa.Column("provider_message_id", sa.Text, nullable=True),
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("issue_key", "subscriber_id", name="pk_sends"),
        sa.CheckConstraint(
            "status IN ('queued', 'sent', 'failed', 'unknown', 'skipped')",
            name="ck_sends_status",
        ),
    )
    op.create_index("ix_sends_issue_key", "sends", ["issue_key", "status"])


def downgrade() -> None:
    op.drop_index("ix_sends_issue_key", table_name="sends")
    op.drop_table("sends")
    op.drop_table("issues")
