"""The same store code on a real PostgreSQL server (skipped with a reason where none exists)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from newsletter.audience.subscribers import SubscriberStore
from newsletter.audience.tokens import TokenSigner
from newsletter.audience.transfer import import_csv
from newsletter.config import DEV_SECRET_KEY
from newsletter.errors import SubscriberError
from newsletter.models import Preferences
from newsletter.store import metadata, open_database

pytestmark = pytest.mark.postgres


def _fresh(url: str, name: str) -> str:
    """A new empty database on the server, so tests do not share state."""
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.make_url(url).set(database=name).render_as_string(hide_password=False)


def test_migrations_and_subscriber_flow_on_postgres(postgres_url: str, tmp_path: Path) -> None:
    url = _fresh(postgres_url, "flow")
    errors: list[BaseException] = []

    def start() -> None:
        try:
            open_database(url).close()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(3)]  # concurrent starts
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with open_database(url) as db:
        with db.read() as conn:
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).all() == [
                ("0006",)
            ]
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        store = SubscriberStore(db)
        a = store.add("Pat@Example.com", preferences=Preferences(metros=("Austin",)))
        with pytest.raises(SubscriberError, match="already on the list"):
            store.add("PAT@example.com")
        assert store.get("pat@example.com").consent.at.tzinfo is not None
        csv_path = tmp_path / "l.csv"
        csv_path.write_text("email,name\nq@example.com,Q\npat@example.com,\nbad@\n", "utf-8")
        first = import_csv(store, csv_path)
        again = import_csv(store, csv_path)
        assert (first.added, len(first.invalid)) == (1, 1)
        assert (again.added, again.updated) == (0, 0)
        store.unsubscribe("q@example.com")
        assert store.is_suppressed("Q@example.com")
        recipients = store.active_recipients(TokenSigner(DEV_SECRET_KEY), "http://x")
        assert [(r.subscriber_id, r.preferences.metros) for r in recipients] == [
            (a.id, ("Austin",))
        ]
        store.remove("pat@example.com")
        assert store.find("pat@example.com") is None and store.is_suppressed("pat@example.com")


def test_exclusive_lock_holds_across_connections_on_postgres(postgres_url: str) -> None:
    url = _fresh(postgres_url, "lock")
    with open_database(url) as first, open_database(url) as second:
        with first.exclusive("send") as held:
            assert held
            with second.exclusive("send") as other:
                assert not other  # as a second process would see it
            with second.exclusive("another") as other:
                assert other
        with second.exclusive("send") as held:
            assert held  # released with the block


def test_webhook_nonces_are_claimed_once_across_threads_on_postgres(postgres_url: str) -> None:
    """Several server processes may share the database: of many concurrent claims of one
    signature exactly one wins, and stale ones are forgotten."""
    from datetime import UTC, datetime, timedelta

    from newsletter.delivery.webhooks import Nonce
    from newsletter.store.tables import webhook_nonces
    from newsletter.web.hooks import claim_nonce, release_nonce

    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    nonce = Nonce("mailgun", "tok-1", now + timedelta(minutes=15))
    with open_database(_fresh(postgres_url, "nonces")) as db:
        wins: list[bool] = []
        threads = [
            threading.Thread(target=lambda: wins.append(claim_nonce(db, nonce, now)))
            for _ in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(wins) == [False, False, False, True]
        release_nonce(db, nonce)  # a request that failed gives its claim back
        assert claim_nonce(db, nonce, now) is True
        later = now + timedelta(minutes=16)
        assert claim_nonce(db, Nonce("resend", "msg_1", later + timedelta(minutes=5)), later)
        with db.read() as conn:
            kept = conn.execute(sa.select(webhook_nonces.c.provider)).scalars().all()
        assert kept == ["resend"]  # tok-1 was stale and is gone
