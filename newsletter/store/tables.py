"""The database schema, declared once with SQLAlchemy Core (the migrations create it).

``subscribers`` holds one row per person: the normalized address, a lower-cased key that makes
addresses unique case-insensitively, the status, preferences, pause flag and the consent record
(when, how, from which IP, and the wording shown). Its id is never reused (AUTOINCREMENT on
SQLite, an identity column on PostgreSQL; migration 0003). ``link_key`` is a random value made
with the row: every unsubscribe and preferences link carries it, so the links die with the row.
The ``signup_*`` columns hold an open web sign-up request (its single-use confirm key, when,
from which IP, the name and the wording), applied to the record only when the emailed link is
confirmed; ``signup_at`` also dates the last sign-up email, to throttle them.
``suppressions`` holds SHA-256 digests of addresses that must never be mailed again; it keeps
no address in clear, so it survives a GDPR erasure without holding personal data.
``webhook_nonces`` holds the provider webhook signatures already used (migration 0006).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from newsletter.models import (
    CONSENT_SOURCES,
    RUN_KINDS,
    RUN_OUTCOMES,
    RUN_TRIGGERS,
    SUBSCRIBER_STATUSES,
    SUPPRESSION_REASONS,
)

#: The subscribers' vocabulary is owned by newsletter.models (CHECK constraints below).
STATUSES = SUBSCRIBER_STATUSES

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
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
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
    sa.Column("link_key", sa.String(32), nullable=False),
    #: The row existed before link keys (0003): links signed without a key may reach it.
    sa.Column("legacy_links", sa.Boolean, nullable=False, default=False),
    sa.Column("signup_key", sa.String(32), nullable=True),
    sa.Column("signup_at", UtcDateTime(), nullable=True),
    sa.Column("signup_ip", sa.String(64), nullable=True),
    sa.Column("signup_name", sa.String(200), nullable=True),
    sa.Column("signup_text", sa.Text, nullable=True),
    sa.CheckConstraint(_in("status", STATUSES), name="status"),
    sa.CheckConstraint(_in("consent_source", CONSENT_SOURCES), name="consent_source"),
    sqlite_autoincrement=True,
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

# ---- the send ledger (migrations 0002, 0005) ----------------------------------------------
ISSUE_STATUSES = ("building", "sending", "sent", "failed")
SEND_STATUSES = ("queued", "sent", "failed", "unknown", "skipped")

#: One row per issue (ISO week key, e.g. ``2026-W48``) and its counts.
issues = sa.Table(
    "issues",
    metadata,
    sa.Column("issue_key", sa.String(16), primary_key=True),
    sa.Column("week", sa.Date, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("recipients", sa.Integer, nullable=False, default=0),
    sa.Column("sent", sa.Integer, nullable=False, default=0),
    sa.Column("failed", sa.Integer, nullable=False, default=0),
    sa.Column("unknown", sa.Integer, nullable=False, default=0),
    sa.Column("skipped", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("frozen_at", UtcDateTime(), nullable=True),
    sa.Column("finished_at", UtcDateTime(), nullable=True),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    #: The coordinator's current run (migration 0005): rows it attempted are not claimed
    #: again before the next run, and workers see when a new run starts.
    sa.Column("run_id", sa.String(32), nullable=True),
    #: SHA-256 of the issue being sent and a check value of the link-signing key: a worker
    #: on another host sends only when its own rendering and key give the same values.
    sa.Column("digest", sa.String(64), nullable=True),
    sa.Column("key_check", sa.String(64), nullable=True),
    sa.CheckConstraint(_in("status", ISSUE_STATUSES), name="status"),
)

#: One row per (issue, subscriber): the Message-ID is stored before the first provider call.
sends = sa.Table(
    "sends",
    metadata,
    sa.Column("issue_key", sa.String(16), nullable=False),
    sa.Column("subscriber_id", sa.Integer, nullable=False),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    #: For ``failed`` rows: True when a later run may try again (retries exhausted).
    sa.Column("retryable", sa.Boolean, nullable=False, default=False),
    sa.Column("provider", sa.String(32), nullable=True),
    sa.Column("provider_message_id", sa.Text, nullable=True),
    sa.Column("message_id", sa.String(255), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    #: The worker holding the row (migration 0005): its token, and until when its lease runs
    #: (renewed by its heartbeat). Cleared when the row's outcome is recorded.
    sa.Column("claimed_by", sa.String(64), nullable=True),
    sa.Column("claimed_until", UtcDateTime(), nullable=True),
    #: The coordinator run that last attempted the row (``issues.run_id``).
    sa.Column("attempt_run", sa.String(32), nullable=True),
    sa.PrimaryKeyConstraint("issue_key", "subscriber_id"),
    sa.CheckConstraint(_in("status", SEND_STATUSES), name="status"),
)
sa.Index(None, sends.c.issue_key, sends.c.status)

#: The rows a run (re)sends: queued, unknown, and failed ones that may be retried. Literal
#: SQL (no bound values), so PostgreSQL matches it with the partial index below.
TO_SEND = "(status IN ('queued', 'unknown') OR (status = 'failed' AND retryable))"
#: Workers claim the rows to send in subscriber order; the claimed rows are few at a time.
sa.Index(
    "ix_sends_to_send",
    sends.c.issue_key,
    sends.c.subscriber_id,
    sqlite_where=sa.text(TO_SEND),
    postgresql_where=sa.text(TO_SEND),
)
sa.Index(
    "ix_sends_claimed",
    sends.c.issue_key,
    sends.c.claimed_by,
    sqlite_where=sa.text("claimed_by IS NOT NULL"),
    postgresql_where=sa.text("claimed_by IS NOT NULL"),
)

# ---- operations (migration 0004) -------------------------------------------------------------
#: Every weekly step (collect, ingest, signals, render, send) as it ran: when, how it ended,
#: its counts and the first line of its error. A row is written when the step starts
#: (``running``) and completed when it ends, so a killed step stays ``running``.
runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("week", sa.Date, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("trigger", sa.String(16), nullable=False),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("finished_at", UtcDateTime(), nullable=True),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("counts", sa.JSON, nullable=False),
    sa.Column("error", sa.Text, nullable=True),
    sa.CheckConstraint(_in("kind", RUN_KINDS), name="kind"),
    sa.CheckConstraint(_in("outcome", RUN_OUTCOMES), name="outcome"),
    sa.CheckConstraint(_in("trigger", RUN_TRIGGERS), name="trigger"),
)
sa.Index("ix_runs_week_kind", runs.c.week, runs.c.kind)
sa.Index("ix_runs_started_at", runs.c.started_at)

ALERT_STATUSES = ("sending", "sent", "failed")

#: One row per (condition of a week, channel: ``webhook`` or ``email:<editor>``): the
#: persisted dedupe key. A condition is claimed (``sending``) before it is delivered, so it
#: goes out once per week per channel; a failed delivery may be tried again.
alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("key", sa.String(120), nullable=False),
    sa.Column("channel", sa.String(340), nullable=False),
    sa.Column("week", sa.Date, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint("key", "channel"),
    sa.CheckConstraint(_in("status", ALERT_STATUSES), name="status"),
)
sa.Index("ix_alerts_week", alerts.c.week)

#: The editors' approval of an issue (``[schedule] approval = "required"``): the digest of
#: the issue they were shown, the single-use key of the approve link, its deadline.
approvals = sa.Table(
    "approvals",
    metadata,
    sa.Column("issue_key", sa.String(16), primary_key=True),
    sa.Column("week", sa.Date, nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("link_key", sa.String(32), nullable=True),
    sa.Column("requested_at", UtcDateTime(), nullable=False),
    sa.Column("deadline", UtcDateTime(), nullable=False),
    sa.Column("previews", sa.Integer, nullable=False, default=0),
    sa.Column("approved_at", UtcDateTime(), nullable=True),
    sa.Column("approved_via", sa.String(16), nullable=True),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

#: Every change of a subscriber's status, with the time it happened (the clock's) and no
#: personal data: the source of bounces, complaints and unsubscribes per issue (attributed
#: to the latest issue sent to the subscriber within 7 days) and of the list's history.
subscriber_events = sa.Table(
    "subscriber_events",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("subscriber_id", sa.Integer, nullable=False),
    sa.Column("from_status", sa.String(16), nullable=True),
    sa.Column("to_status", sa.String(16), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
)
sa.Index(
    "ix_subscriber_events_subscriber_id", subscriber_events.c.subscriber_id, subscriber_events.c.at
)
sa.Index("ix_subscriber_events_at", subscriber_events.c.at)

#: Provider webhook signatures already used (migration 0006): the SHA-256 digest of a Mailgun
#: token or a Svix (Resend) message id, kept until its signed timestamp is no longer fresh
#: (``expires_at``); a request bearing one again applies nothing (``newsletter.web.hooks``).
webhook_nonces = sa.Table(
    "webhook_nonces",
    metadata,
    sa.Column("nonce_hash", sa.String(64), primary_key=True),
    sa.Column("provider", sa.String(16), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
)
sa.Index("ix_webhook_nonces_expires_at", webhook_nonces.c.expires_at)
