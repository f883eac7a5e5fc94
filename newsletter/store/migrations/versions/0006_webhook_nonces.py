"""Provider webhook signatures already used: ``webhook_nonces``.

Mailgun's HMAC covers only its timestamp and token, not the event data, so a captured
signature block could be posted again with other recipients while its timestamp is fresh;
Svix (Resend) signs the body but may be replayed as it is. Each signed request's token
(Mailgun) or message id (Svix) is kept here, as a SHA-256 digest, until its signature goes
stale (``expires_at``), and a second request with it applies nothing.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "webhook_nonces",
        sa.Column("nonce_hash", sa.String(64), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("nonce_hash", name="pk_webhook_nonces"),
    )
    op.create_index("ix_webhook_nonces_expires_at", "webhook_nonces", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_webhook_nonces_expires_at", table_name="webhook_nonces")
    op.drop_table("webhook_nonces")
