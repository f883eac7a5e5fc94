"""Provider bounce/complaint webhooks over real HTTP feed the suppression list."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from newsletter.audience.subscribers import SubscriberStore
from newsletter.config import Config
from newsletter.store import open_store
from tests.web_support import site

SECRET = "hook-secret-123"


@pytest.fixture
def store(config: Config) -> Iterator[SubscriberStore]:
    with open_store(config) as db:
        yield SubscriberStore(db)


def _client(
    config: Config, store: SubscriberStore, serve: Callable[[Any], str], secret: str | None
) -> httpx.Client:
    return site(config, store, serve, webhook_secret=secret)


def test_bounce_and_complaint_webhooks_suppress(
    config: Config, store: SubscriberStore, serve_app: Callable[[Any], str]
) -> None:
    store.add("gone@example.org")
    store.add("angry@example.org")
    with _client(config, store, serve_app, SECRET) as site:
        bounce = {"RecordType": "Bounce", "Type": "HardBounce", "Email": "gone@example.org",
                  "Description": "mailbox does not exist"}  # fmt: skip
        r = site.post("/webhooks/postmark", params={"token": SECRET}, json=bounce)
        assert r.status_code == 200
        assert r.json() == {"applied": 1, "ignored": 0, "rejected": 0, "errors": []}
        events = [{"email": "angry@example.org", "event": "spamreport"},
                  {"email": "x@example.org", "event": "delivered"}]  # fmt: skip
        r = site.post("/webhooks/sendgrid", auth=("hooks", SECRET), json=events)
        assert r.status_code == 200
        assert r.json() == {"applied": 1, "ignored": 1, "rejected": 0, "errors": []}
        # wrong secret: refused, nothing changes
        r = site.post(
            "/webhooks/postmark", params={"token": "nope"}, json=bounce | {"Email": "z@example.org"}
        )
        assert r.status_code == 401
        assert (
            site.post("/webhooks/postmark", params={"token": SECRET}, content=b"{").status_code
            == 400
        )
    assert store.get("gone@example.org").status == "bounced"
    assert store.get("angry@example.org").status == "complained"
    assert store.is_suppressed("gone@example.org") and store.is_suppressed("angry@example.org")
    assert not store.is_suppressed("z@example.org")


def test_a_resend_bounce_to_an_address_sent_with_the_readers_name_suppresses_it(
    config: Config, store: SubscriberStore, serve_app: Callable[[Any], str]
) -> None:
    # Resend echoes the "to" it was sent, and the issue goes to "Name <address>": the
    # event was rejected as "not a valid email address" and the reader stayed listed
    store.add("gone@example.org", name="Zoë O'Brien, PhD")
    bounce = {
        "type": "email.bounced",
        "data": {
            "to": ['"Zoë O\'Brien, PhD" <gone@example.org>'],
            "bounce": {"type": "Permanent", "message": "mailbox does not exist"},
        },
    }
    with _client(config, store, serve_app, SECRET) as site:
        r = site.post("/webhooks/resend", params={"token": SECRET}, json=bounce)
    assert r.status_code == 200
    assert r.json() == {"applied": 1, "ignored": 0, "rejected": 0, "errors": []}
    assert store.get("gone@example.org").status == "bounced"
    assert store.is_suppressed("gone@example.org")


def test_webhooks_off_without_a_secret(
    config: Config, store: SubscriberStore, serve_app: Callable[[Any], str]
) -> None:
    with _client(config, store, serve_app, None) as site:
        r = site.post("/webhooks/postmark", json={"RecordType": "Bounce"})
        assert r.status_code == 404
