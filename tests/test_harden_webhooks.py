"""Issue 11, items 2 and 3: provider webhooks on a real uvicorn server. The secret is checked
before the body is read, the body is capped while it streams, deep JSON is refused, and every
event of a batch is handled on its own."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from newsletter.audience.subscribers import SubscriberStore
from newsletter.config import Config
from newsletter.store import open_store
from tests.web_support import site

SECRET = "hook-secret-456"


@pytest.fixture
def store(config: Config) -> Iterator[SubscriberStore]:
    with open_store(config) as db:
        yield SubscriberStore(db)


@pytest.fixture
def hooks(
    config: Config, store: SubscriberStore, serve_app: Callable[[Any], str]
) -> Iterator[httpx.Client]:
    with site(config, store, serve_app, webhook_secret=SECRET) as client:
        yield client


def _head_only(base_url: str, target: str, extra: str = "") -> str:
    """Send only the request head announcing a 200 MB body; the status line that comes back.

    A server that reads the body before checking the secret never answers (the socket
    timeout is a hang guard, not a timing assertion)."""
    host, port = httpx.URL(base_url).host, httpx.URL(base_url).port
    head = (
        f"POST {target} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {200 * 1024 * 1024}\r\n{extra}\r\n"
    )
    with socket.create_connection((host, port or 80), timeout=30) as s:
        s.sendall(head.encode())
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.split(b"\r\n", 1)[0].decode()


def test_the_secret_is_checked_before_the_body_is_read(hooks: httpx.Client) -> None:
    base = str(hooks.base_url)
    assert " 401 " in _head_only(base, "/webhooks/sendgrid")
    assert " 401 " in _head_only(base, "/webhooks/postmark?token=wrong")
    # authenticated, but announcing more than the cap: refused at once, unread
    assert " 413 " in _head_only(base, f"/webhooks/postmark?token={SECRET}")


def test_the_body_cap_holds_while_streaming(hooks: httpx.Client, store: SubscriberStore) -> None:
    events = [{"email": f"p{i}@example.org", "event": "bounce", "reason": "x" * 1000}
              for i in range(2000)]  # fmt: skip
    body = json.dumps(events).encode()
    assert len(body) > 1_000_000

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server must count
        for i in range(0, len(body), 65536):
            yield body[i : i + 65536]

    try:
        r = hooks.post(f"/webhooks/sendgrid?token={SECRET}", content=chunks())
        assert r.status_code == 413
    except (httpx.WriteError, httpx.RemoteProtocolError):
        pass  # the server hung up on the rest of the body: also a refusal
    assert store.find("p0@example.org") is None


def test_deeply_nested_json_is_a_clear_400(hooks: httpx.Client) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    r = hooks.post(f"/webhooks/sendgrid?token={SECRET}", content=deep)
    assert r.status_code == 400
    assert "nested" in r.json()["error"]


def test_one_bad_event_never_loses_the_rest_of_the_batch(
    hooks: httpx.Client, store: SubscriberStore
) -> None:
    for who in ("first", "third"):
        store.add(f"{who}@example.org")
    batch = [
        {"email": "first@example.org", "event": "bounce", "reason": "550 no such user"},
        {"email": "not an address", "event": "bounce", "reason": "550"},
        {"email": "third@example.org", "event": "spamreport"},
        {"email": "x@example.org", "event": "delivered"},
    ]
    r = hooks.post(f"/webhooks/sendgrid?token={SECRET}", json=batch)
    assert r.status_code == 200
    assert r.json()["applied"] == 2 and r.json()["rejected"] == 1
    assert store.get("first@example.org").status == "bounced"
    assert store.get("third@example.org").status == "complained"


@pytest.mark.parametrize(
    ("provider", "payload"),
    [
        ("mailgun", {"event-data": {"event": "failed", "severity": "permanent",
                                    "recipient": "m@example.org", "delivery-status": "oops"}}),
        ("mailgun", {"event-data": ["not", "an", "object"]}),
        ("resend", {"type": "email.bounced", "data": {"to": ["r@example.org"], "bounce": "x"}}),
        ("resend", {"type": "email.complained", "data": {"to": {"a": 1}}}),
        ("postmark", {"RecordType": "Bounce", "Type": "HardBounce", "Email": {"a": 1}}),
        ("postmark", {"RecordType": "Bounce", "Type": "HardBounce", "Email": 12,
                      "Description": ["x"]}),
        ("sendgrid", [{"email": ["a@example.org"], "event": "bounce"}, 7, None]),
    ],
)  # fmt: skip
def test_malformed_fields_are_rejected_events_not_server_errors(
    hooks: httpx.Client, provider: str, payload: Any
) -> None:
    r = hooks.post(f"/webhooks/{provider}?token={SECRET}", json=payload)
    assert r.status_code < 500, r.text
    if r.status_code == 200:
        body = r.json()
        assert {"applied", "rejected", "ignored"} <= body.keys()
