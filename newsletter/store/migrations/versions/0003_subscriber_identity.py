"""Subscriber ids are never reused; links bound to a per-row key; pending sign-up requests.

* SQLite: the table is rebuilt with ``AUTOINCREMENT`` (rows, ids and the index kept), so an
  erased row's id is never handed out again; PostgreSQL: the serial id becomes an identity
  column. On both, the next id is above every id the list or the send ledger has seen.
* ``link_key``: a random value per row (existing rows get one here), carried by every
  unsubscribe and preferences link, so the links die with the row. ``legacy_links`` marks
  the rows that exist now: links signed before keys existed may still reach them (and no
  row made later).
* ``signup_key`` / ``signup_at`` / ``signup_ip`` / ``signup_name`` / ``signup_text``: an open
  web sign-up request, applied to the record only when its emailed link is confirmed.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)

#: The columns of revision 0002, in order (copied as they are).
_OLD = (
    "id, email, email_key, name, status, categories, metros, seniority, paused, consent_at, "
    "consent_source, consent_ip, consent_text, status_reason, created_at, updated_at, "
    "confirmed_at, status_changed_at"
)
_NEW_COLUMNS = (
    ("signup_key", sa.String(32)),
    ("signup_at", _TS),
    ("signup_ip", sa.String(64)),
    ("signup_name", sa.String(200)),
    ("signup_text", sa.Text()),
)


def _subscribers_0003(name: str) -> sa.Table:
    return sa.Table(
        name,
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
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
        sa.Column("link_key", sa.String(32), nullable=False),
        sa.Column("legacy_links", sa.Boolean, nullable=False),
        *(sa.Column(n, t, nullable=True) for n, t in _NEW_COLUMNS),
        sa.PrimaryKeyConstraint("id", name="pk_subscribers"),
        sa.UniqueConstraint("email_key", name="uq_subscribers_email_key"),
        sa.CheckConstraint(
            "status IN ('pending', 'active', 'unsubscribed', 'bounced', 'complained')",
            name="ck_subscribers_status",
        ),
        sa.CheckConstraint(
            "consent_source IN ('cli', 'import', 'web')", name="ck_subscribers_consent_source"
        ),
        sqlite_autoincrement=True,
    )


def _highest_id_seen() -> int:
    """The highest subscriber id the list or the send ledger has ever held (0 when none)."""
    bind = op.get_bind()
    return int(
        bind.execute(
            sa.text(
                "SELECT max(m) FROM (SELECT coalesce(max(id), 0) AS m FROM subscribers "
                "UNION ALL SELECT coalesce(max(subscriber_id), 0) FROM sends) AS seen"
            )
        ).scalar()
        or 0
    )


def _upgrade_sqlite() -> None:
    highest = _highest_id_seen()
    new = _subscribers_0003("_subscribers_0003")
    new.create(op.get_bind())
    op.execute(
        f"INSERT INTO _subscribers_0003 ({_OLD}, link_key, legacy_links) "
        f"SELECT {_OLD}, lower(hex(randomblob(16))), 1 FROM subscribers"
    )
    op.drop_index("ix_subscribers_status", table_name="subscribers")
    op.drop_table("subscribers")
    op.rename_table("_subscribers_0003", "subscribers")
    op.create_index("ix_subscribers_status", "subscribers", ["status"])
    op.execute("DELETE FROM sqlite_sequence WHERE name IN ('subscribers', '_subscribers_0003')")
    op.execute(f"INSERT INTO sqlite_sequence (name, seq) VALUES ('subscribers', {highest})")


def _upgrade_postgresql() -> None:
    highest = _highest_id_seen()
    op.add_column("subscribers", sa.Column("link_key", sa.String(32), nullable=True))
    op.add_column("subscribers", sa.Column("legacy_links", sa.Boolean, nullable=True))
    for name, type_ in _NEW_COLUMNS:
        op.add_column("subscribers", sa.Column(name, type_, nullable=True))
    op.execute(
        "UPDATE subscribers SET link_key = replace(gen_random_uuid()::text, '-', ''), "
        "legacy_links = true"
    )
    op.alter_column("subscribers", "link_key", nullable=False)
    op.alter_column("subscribers", "legacy_links", nullable=False)
    op.execute("ALTER TABLE subscribers ALTER COLUMN id DROP DEFAULT")
    op.execute("DROP SEQUENCE IF EXISTS subscribers_id_seq")
    op.execute("ALTER TABLE subscribers ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY")
    if highest:
        op.execute(f"SELECT setval(pg_get_serial_sequence('subscribers', 'id'), {highest})")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _upgrade_sqlite()
    else:
        _upgrade_postgresql()


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        with op.batch_alter_table("subscribers", recreate="always") as batch:
            for name in ("link_key", "legacy_links", *(n for n, _t in _NEW_COLUMNS)):
                batch.drop_column(name)
        return
    for name in ("link_key", "legacy_links", *(n for n, _t in _NEW_COLUMNS)):
        op.drop_column("subscribers", name)
    found = bind.execute(sa.text("SELECT coalesce(max(id), 0) FROM subscribers")).scalar()
    highest = int(found or 0)
    op.execute("ALTER TABLE subscribers ALTER COLUMN id DROP IDENTITY")
    op.execute(f"CREATE SEQUENCE subscribers_id_seq OWNED BY subscribers.id START {highest + 1}")
    op.execute("ALTER TABLE subscribers ALTER COLUMN id SET DEFAULT nextval('subscribers_id_seq')")
