"""Sending across processes and hosts: claimable ledger rows.

* ``sends.claimed_by`` / ``sends.claimed_until``: the worker holding a row and until when
  its lease runs; ``sends.attempt_run``: the coordinator run that last attempted the row.
* ``issues.run_id``: the coordinator's current run; ``issues.digest`` / ``issues.key_check``:
  what a worker on another host compares its own rendering and signing key with.
* ``ix_sends_to_send``: the rows still to send, in subscriber order (partial);
  ``ix_sends_claimed``: the rows held by a worker (partial, few at a time).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
# as of this revision (newsletter.store.tables.TO_SEND owns the current one)
_TO_SEND = "(status IN ('queued', 'unknown') OR (status = 'failed' AND retryable))"
_CLAIMED = "claimed_by IS NOT NULL"


def upgrade() -> None:
    op.add_column("sends", sa.Column("claimed_by", sa.String(64), nullable=True))
    op.add_column("sends", sa.Column("claimed_until", _TS, nullable=True))
    op.add_column("sends", sa.Column("attempt_run", sa.String(32), nullable=True))
    op.add_column("issues", sa.Column("run_id", sa.String(32), nullable=True))
    op.add_column("issues", sa.Column("digest", sa.String(64), nullable=True))
    op.add_column("issues", sa.Column("key_check", sa.String(64), nullable=True))
    op.create_index(
        "ix_sends_to_send",
        "sends",
        ["issue_key", "subscriber_id"],
        sqlite_where=sa.text(_TO_SEND),
        postgresql_where=sa.text(_TO_SEND),
    )
    op.create_index(
        "ix_sends_claimed",
        "sends",
        ["issue_key", "claimed_by"],
        sqlite_where=sa.text(_CLAIMED),
        postgresql_where=sa.text(_CLAIMED),
    )


def downgrade() -> None:
    op.drop_index("ix_sends_claimed", table_name="sends")
    op.drop_index("ix_sends_to_send", table_name="sends")
    with op.batch_alter_table("issues") as batch:
        for name in ("key_check", "digest", "run_id"):
            batch.drop_column(name)
    with op.batch_alter_table("sends") as batch:
        for name in ("attempt_run", "claimed_until", "claimed_by"):
            batch.drop_column(name)
