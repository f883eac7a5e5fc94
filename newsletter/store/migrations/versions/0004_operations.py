"""Operations: run history, alert dedupe keys, approvals, subscriber status events.

* ``runs``: every weekly step (collect, ingest, signals, render, send) with its week, what
  started it, start and end, outcome, counts and the first line of its error.
* ``alerts``: one row per (condition of a week, channel), claimed before it is delivered, so
  each condition alerts once per week and a failed delivery can be tried again.
* ``approvals``: the editors' approval of an issue (digest of what they were shown, the
  single-use key of the approve link, the deadline, when and how it was approved).
* ``subscriber_events``: every change of a subscriber's status, with its time and no
  personal data; bounces, complaints and unsubscribes per issue are read from it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


# the vocabulary as of this revision (newsletter.models owns the current one)
_KINDS = ("collect", "ingest", "signals", "render", "send")
_OUTCOMES = ("running", "ok", "failed", "incomplete", "waiting")
_TRIGGERS = ("cli", "run-week", "schedule")


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, sa.Identity(), nullable=False),
        sa.Column("week", sa.Date, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("finished_at", _TS, nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
        sa.CheckConstraint(_in("kind", _KINDS), name="ck_runs_kind"),
        sa.CheckConstraint(_in("outcome", _OUTCOMES), name="ck_runs_outcome"),
        sa.CheckConstraint(_in("trigger", _TRIGGERS), name="ck_runs_trigger"),
    )
    op.create_index("ix_runs_week_kind", "runs", ["week", "kind"])
    op.create_index("ix_runs_started_at", "runs", ["started_at"])
    op.create_table(
        "alerts",
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("channel", sa.String(340), nullable=False),
        sa.Column("week", sa.Date, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("key", "channel", name="pk_alerts"),
        sa.CheckConstraint(_in("status", ("sending", "sent", "failed")), name="ck_alerts_status"),
    )
    op.create_index("ix_alerts_week", "alerts", ["week"])
    op.create_table(
        "approvals",
        sa.Column("issue_key", sa.String(16), nullable=False),
        sa.Column("week", sa.Date, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("link_key", sa.String(32), nullable=True),
        sa.Column("requested_at", _TS, nullable=False),
        sa.Column("deadline", _TS, nullable=False),
        sa.Column("previews", sa.Integer, nullable=False),
        sa.Column("approved_at", _TS, nullable=True),
        sa.Column("approved_via", sa.String(16), nullable=True),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("issue_key", name="pk_approvals"),
    )
    op.create_table(
        "subscriber_events",
        sa.Column("id", sa.Integer, sa.Identity(), nullable=False),
        sa.Column("subscriber_id", sa.Integer, nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_subscriber_events"),
    )
    op.create_index(
        "ix_subscriber_events_subscriber_id", "subscriber_events", ["subscriber_id", "at"]
    )
    op.create_index("ix_subscriber_events_at", "subscriber_events", ["at"])


def downgrade() -> None:
    op.drop_index("ix_subscriber_events_at", table_name="subscriber_events")
    op.drop_index("ix_subscriber_events_subscriber_id", table_name="subscriber_events")
    op.drop_table("subscriber_events")
    op.drop_table("approvals")
    op.drop_index("ix_alerts_week", table_name="alerts")
    op.drop_table("alerts")
    op.drop_index("ix_runs_started_at", table_name="runs")
    op.drop_index("ix_runs_week_kind", table_name="runs")
    op.drop_table("runs")
