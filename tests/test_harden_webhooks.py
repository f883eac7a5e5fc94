"""Issue 11, items 2 and 3: provider webhooks on a real uvicorn server. The secret is checked
before the body is read, the body is capped while it streams, deep JSON is refused, and every
event of a batch is handled on its own."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from newsletter.audience.subscribers import SubscriberStore
from newsletter.config import Config
from newsletter.store import open_store
from newsletter.util.clock import FixedClock
from tests.conftest import NOW
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


def test_each_error_names_the_event_of_the_batch_it_is_about(
    hooks: httpx.Client, store: SubscriberStore
) -> None:
    """An invalid address was numbered among the suppressing events only, so after a
    malformed record the answer named two different records "event 2"."""
    batch = [
        {"email": "first@example.org", "event": "bounce"},
        7,
        {"email": "x@example.org", "event": "delivered"},
        {"email": "not an address", "event": "spamreport"},
        {"email": "fifth@example.org", "event": "bounce"},
    ]
    r = hooks.post(f"/webhooks/sendgrid?token={SECRET}", json=batch)
    assert r.status_code == 200
    assert r.json() == {
        "applied": 2,
        "ignored": 1,
        "rejected": 2,
        "errors": [
            "event 2: SendGrid event: expected a JSON object",
            "event 4: complaint: not a valid email address",
        ],
    }
    assert store.is_suppressed("first@example.org") and store.is_suppressed("fifth@example.org")


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


# ---- signatures are good for one request (Mailgun's HMAC does not cover the event data) ----


@pytest.fixture
def timed(
    config: Config, clock: FixedClock, serve_app: Callable[[Any], str]
) -> Iterator[tuple[httpx.Client, SubscriberStore]]:
    """The webhooks served over a store whose clock stands at NOW (signatures made at NOW
    are fresh), with that store."""
    with open_store(config) as db:
        store = SubscriberStore(db, clock=clock)
        with site(config, store, serve_app, webhook_secret=SECRET) as client:
            yield client, store


def _mailgun_signature(token: str, at: datetime = NOW) -> dict[str, str]:
    ts = str(int(at.timestamp()))
    mac = hmac.new(SECRET.encode(), (ts + token).encode(), hashlib.sha256).hexdigest()
    return {"timestamp": ts, "token": token, "signature": mac}


def test_a_mailgun_signature_is_not_replayed_with_other_recipients(
    timed: tuple[httpx.Client, SubscriberStore], clock: FixedClock
) -> None:
    hooks, store = timed
    for who in ("r2", "r3", "r4"):
        store.add(f"{who}@example.org")
    sig = _mailgun_signature("abc123token")
    genuine = {"signature": sig, "event-data": {"event": "failed", "severity": "permanent",
                                                "recipient": "r2@example.org"}}  # fmt: skip
    r = hooks.post("/webhooks/mailgun", json=genuine)
    assert r.status_code == 200 and r.json()["applied"] == 1
    # the captured signature block, re-posted with other victims, still fresh
    clock.advance(60)
    for victim in ("r3@example.org", "r4@example.org"):
        forged = {"signature": sig, "event-data": {"event": "complained", "recipient": victim}}
        r = hooks.post("/webhooks/mailgun", json=forged)
        assert r.status_code == 200
        assert r.json()["applied"] == 0 and r.json()["duplicate"] is True
        assert store.get(victim).status == "active"
    # the provider's retry of the genuine request applies nothing twice, and a new token works
    assert hooks.post("/webhooks/mailgun", json=genuine).json()["duplicate"] is True
    fresh = {"signature": _mailgun_signature("another-token", clock.now()),
             "event-data": {"event": "complained", "recipient": "r3@example.org"}}  # fmt: skip
    assert hooks.post("/webhooks/mailgun", json=fresh).json()["applied"] == 1
    assert store.get("r3@example.org").status == "complained"
    assert store.get("r4@example.org").status == "active"


def test_used_nonces_are_shared_by_server_processes_and_forgotten_when_stale(
    timed: tuple[httpx.Client, SubscriberStore],
    clock: FixedClock,
    config: Config,
    serve_app: Callable[[Any], str],
) -> None:
    from newsletter.store.tables import webhook_nonces

    hooks, store = timed
    store.add("x@example.org")

    def held() -> int:
        with store.db.read() as conn:
            return int(conn.scalar(sa.select(sa.func.count()).select_from(webhook_nonces)) or 0)

    event = {"event-data": {"event": "complained", "recipient": "x@example.org"}}
    replay = {"signature": _mailgun_signature("t1")} | event
    assert hooks.post("/webhooks/mailgun", json=replay).json()["applied"] == 1
    assert held() == 1
    # another server on the same database (its own engine and connections) refuses it too
    with open_store(config) as db2:
        other_store = SubscriberStore(db2, clock=clock)
        with site(config, other_store, serve_app, webhook_secret=SECRET) as other:
            r = other.post("/webhooks/mailgun", json=replay)
            assert r.json()["duplicate"] is True
    # once t1's signature is stale it is refused as such and forgotten
    clock.advance(timedelta(minutes=16))
    assert hooks.post("/webhooks/mailgun", json=replay).status_code == 401
    later = {"signature": _mailgun_signature("t2", clock.now())} | event
    assert hooks.post("/webhooks/mailgun", json=later).status_code == 200
    assert held() == 1  # t2 only


def test_a_svix_message_id_is_applied_once(
    config: Config, clock: FixedClock, serve_app: Callable[[Any], str]
) -> None:
    key = b"resend-signing-key-0123456789"
    secret = "whsec_" + base64.b64encode(key).decode()
    body = json.dumps({"type": "email.complained", "data": {"to": ["f@example.org"]}}).encode()

    def headers(msg_id: str) -> dict[str, str]:
        ts = str(int(clock.now().timestamp()))
        mac = hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
        return {"svix-id": msg_id, "svix-timestamp": ts,
                "svix-signature": "v1," + base64.b64encode(mac).decode()}  # fmt: skip

    with open_store(config) as db:
        store = SubscriberStore(db, clock=clock)
        store.add("f@example.org")
        with site(config, store, serve_app, webhook_secret=secret) as hooks:
            first = headers("msg_1")
            assert (
                hooks.post("/webhooks/resend", content=body, headers=first).json()["applied"] == 1
            )
            store.resubscribe("f@example.org", "asked to come back")
            clock.advance(30)
            # the same signed request again, within its 5 minutes: nothing applied
            r = hooks.post("/webhooks/resend", content=body, headers=first)
            assert r.status_code == 200 and r.json()["duplicate"] is True
            # Svix re-signs a retry with a new timestamp but keeps the message id
            r = hooks.post("/webhooks/resend", content=body, headers=headers("msg_1"))
            assert r.json()["duplicate"] is True
            assert store.get("f@example.org").status == "active"
            # a new message is applied
            r = hooks.post("/webhooks/resend", content=body, headers=headers("msg_2"))
            assert r.json()["applied"] == 1
            assert store.get("f@example.org").status == "complained"


def test_a_signature_or_token_that_is_not_ascii_is_refused_not_a_server_error(
    timed: tuple[httpx.Client, SubscriberStore], config: Config, serve_app: Callable[[Any], str]
) -> None:
    """Anyone may post a signature: one with a letter beyond ASCII (``hmac.compare_digest``
    refuses to compare such text) or a token holding a lone surrogate (a JSON ``"\\ud800"``,
    which has no UTF-8 bytes to sign) is a wrong signature (401), never a 500."""
    hooks, store = timed
    store.add("n@example.org")
    event = {"event-data": {"event": "complained", "recipient": "n@example.org"}}
    ts = str(int(NOW.timestamp()))
    for sig in (
        {"timestamp": ts, "token": "t", "signature": "\u00e9" * 64},
        {"timestamp": ts, "token": "\ud800", "signature": "0" * 64},
    ):
        body = json.dumps({"signature": sig} | event).encode()
        r = hooks.post("/webhooks/mailgun", content=body)
        assert r.status_code == 401, r.text
    key = base64.b64encode(b"resend-signing-key").decode()
    with site(config, store, serve_app, webhook_secret=f"whsec_{key}") as resend:
        head = {"svix-id": "msg_1", "svix-timestamp": ts, "svix-signature": b"v1,\xe9"}
        r = resend.post("/webhooks/resend", content=b"{}", headers=head)
        assert r.status_code == 401, r.text
    assert store.get("n@example.org").status == "active"
