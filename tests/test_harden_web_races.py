"""Requests that race another writer for the same address (and one the columns' widths
refuse), on a real PostgreSQL server behind the real app (uvicorn on loopback). PostgreSQL
lets two transactions both find no row for an address and both insert one; the second
insert waits for the first transaction and then fails on the unique key. Each race test
holds such a first insert open in its own transaction, sends the request, lets it wait on
that insert, then commits: the request must still get its ordinary answer (it was a 500
with a UniqueViolation traceback in the log)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from newsletter.audience.subscribers import (
    Consent,
    SubscriberStore,
    email_hash,
    link_url,
    new_row,
)
from newsletter.config import Config
from newsletter.models import Preferences
from newsletter.store import open_database, subscribers, suppressions
from tests.test_store_postgres import _fresh
from tests.web_support import SIGNER, Site, site

pytestmark = pytest.mark.postgres

SECRET = "race-secret"


@pytest.fixture
def race_db(postgres_url: str, request: pytest.FixtureRequest) -> Iterator[str]:
    yield _fresh(postgres_url, f"race_{request.node.name[-40:].lower()}")


def _waiting_on_a_lock(engine: sa.Engine) -> bool:
    with engine.connect() as conn:
        n = conn.scalar(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
        )
    return bool(n)


def _racing(url: str, first: sa.Insert, request: Callable[[], httpx.Response]) -> httpx.Response:
    """``request``'s response, sent while another transaction holds ``first`` uncommitted;
    that transaction commits once the request's own insert waits on it."""
    engine = sa.create_engine(url)
    answers: list[httpx.Response] = []
    try:
        with engine.connect() as conn, conn.begin():
            conn.execute(first)
            thread = threading.Thread(target=lambda: answers.append(request()))
            thread.start()
            for _ in range(1000):  # a hang guard while the request reaches its insert
                if _waiting_on_a_lock(engine):
                    break
                time.sleep(0.01)
            else:
                pytest.fail("the request never waited on the held insert")
        thread.join(timeout=30)
    finally:
        engine.dispose()
    assert answers, "the request did not finish"
    return answers[0]


@contextmanager
def _site(
    config: Config, url: str, serve_app: Callable[[Any], str]
) -> Iterator[tuple[Site, SubscriberStore]]:
    with open_database(url) as db:
        store = SubscriberStore(db)
        with site(config, store, serve_app, webhook_secret=SECRET) as c:
            yield c, store


def test_two_sign_ups_of_one_new_address_at_once_both_answered(
    config: Config, race_db: str, serve_app: Callable[[Any], str]
) -> None:
    with _site(config, race_db, serve_app) as (c, store):
        now = store.clock.now()
        other = new_row(
            "race@example.com",
            name=None,
            status="pending",
            preferences=Preferences(),
            consent=Consent(at=now, source="web"),
            now=now,
        )
        r = _racing(
            race_db,
            sa.insert(subscribers).values(other),
            lambda: c.post("/subscribe", data={"email": "race@example.com", "consent": "yes"}),
        )
        assert r.status_code == 200, r.text
        assert "Check your inbox" in r.text
        assert [s.email for s in store.list_all()] == ["race@example.com"]


def test_a_bounce_webhook_racing_another_suppression_of_the_address_is_applied(
    config: Config, race_db: str, serve_app: Callable[[Any], str]
) -> None:
    with _site(config, race_db, serve_app) as (c, store):
        address = "gone@example.org"
        held = sa.insert(suppressions).values(
            email_hash=email_hash(address),
            reason="bounced",
            detail="another webhook",
            created_at=store.clock.now(),
        )
        bounce = {"RecordType": "Bounce", "Type": "HardBounce", "Email": address}
        r = _racing(
            race_db,
            held,
            lambda: c.post("/webhooks/postmark", params={"token": SECRET}, json=bounce),
        )
        assert r.status_code == 200, r.text
        assert r.json()["applied"] == 1
        assert store.is_suppressed(address)


def test_a_one_click_unsubscribe_racing_a_bounce_of_the_address_unsubscribes(
    config: Config, race_db: str, serve_app: Callable[[Any], str]
) -> None:
    with _site(config, race_db, serve_app) as (c, store):
        sub = store.add("reader@example.com")
        held = sa.insert(suppressions).values(
            email_hash=email_hash(sub.email),
            reason="bounced",
            detail="a bounce recorded at the same moment",
            created_at=store.clock.now(),
        )
        path = link_url("", SIGNER, "unsubscribe", sub)
        r = _racing(
            race_db,
            held,
            lambda: c.post(
                path,
                content=b"List-Unsubscribe=One-Click",
                headers={"content-type": "application/x-www-form-urlencoded"},
            ),
        )
        assert r.status_code == 200, r.text
        assert store.get("reader@example.com").status == "unsubscribed"
        assert store.is_suppressed("reader@example.com")


def test_a_sign_up_whose_proxy_names_a_long_client_is_answered(
    config: Config, race_db: str, serve_app: Callable[[Any], str]
) -> None:
    """PostgreSQL keeps the consent's client address in 64 characters: a longer
    X-Forwarded-For entry failed the insert (a 500). The store cuts it as an import does."""
    with _site(config, race_db, serve_app) as (c, store):
        form = {"email": "proxied@example.com", "consent": "yes"}
        r = c.post("/subscribe", data=form, headers={"X-Forwarded-For": "x" * 100})
        assert r.status_code == 200, r.text
        assert store.get("proxied@example.com").consent.ip == "x" * 64
