"""One contract, every sender: memory, file, SMTP (loopback aiosmtpd) and each HTTP API
(MockTransport answering like the provider)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from newsletter.config import Secrets, parse_config
from newsletter.delivery import SendStatus, get_sender
from newsletter.delivery.base import Backoff, RateLimiter, Sender
from tests.delivery_support import Handler, content, message, smtp_server


def http_ok(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path == "/email/batch":
        n = len(json.loads(request.content))
        return httpx.Response(
            200, json=[{"ErrorCode": 0, "Message": "OK", "MessageID": f"p{i}"} for i in range(n)]
        )
    if path == "/emails/batch":
        n = len(json.loads(request.content))
        return httpx.Response(200, json={"data": [{"id": f"r{i}"} for i in range(n)]})
    if path == "/v3/mail/send":
        return httpx.Response(202, headers={"X-Message-Id": "sg"})
    return httpx.Response(200, json={"id": "<mg@x>", "message": "Queued. Thank you."})


PROVIDERS = ["memory", "file", "smtp", "postmark", "sendgrid", "mailgun", "resend"]


@pytest.fixture(params=PROVIDERS)
def any_sender(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Sender[Any, Any], list[Any]]]:
    """A sender of each kind plus a list where its backend records what it got."""
    name: str = request.param
    for var in ("POSTMARK_TOKEN", "SENDGRID_API_KEY", "MAILGUN_API_KEY", "RESEND_API_KEY"):
        monkeypatch.setenv(f"NEWSLETTER_{var}", "k")
    seen: list[Any] = []
    deps: dict[str, Any] = {"backoff": Backoff(sleep=lambda _s: None), "limiter": RateLimiter(None)}
    raw: dict[str, Any] = {
        "provider": "file" if name == "memory" else name,
        "outbox_dir": str(tmp_path / "out"),
        "mailgun": {"domain": "mg.example.com"},
    }
    if name == "smtp":
        handler = Handler()
        with smtp_server(handler) as (host, port):
            raw["smtp"] = {"host": host, "port": port}
            with get_sender(
                parse_config({"delivery": raw}).delivery, Secrets.from_env(), **deps
            ) as s:
                yield s, handler.received
        return
    if name in ("postmark", "sendgrid", "mailgun", "resend"):

        def record(req: httpx.Request) -> httpx.Response:
            seen.append(req)
            return http_ok(req)

        deps["client"] = httpx.Client(transport=httpx.MockTransport(record))
    with get_sender(
        parse_config({"delivery": raw}).delivery, Secrets.from_env(), provider=name, **deps
    ) as s:
        if name == "memory":
            seen = s.calls  # type: ignore[attr-defined]
        yield s, seen


def test_every_message_gets_one_result_in_order(
    any_sender: tuple[Sender[Any, Any], list[Any]],
) -> None:
    s, seen = any_sender
    c = content(rows=3)
    msgs = [message(i, c) for i in range(7)]
    results = s.send_batch(msgs)
    assert [r.message_id for r in results] == [m.message_id for m in msgs]
    assert [r.subscriber_id for r in results] == list(range(7))
    assert all(r.status is SendStatus.SENT and r.provider_message_id for r in results)
    assert all(r.attempts == 1 for r in results)
    if s.name == "smtp":
        assert len(seen) == 7


def test_invalid_address_is_permanent_and_never_reaches_the_provider(
    any_sender: tuple[Sender[Any, Any], list[Any]],
) -> None:
    s, seen = any_sender
    results = s.send_batch([message(1, email="no-at-sign.example.org")])
    assert results[0].status is SendStatus.PERMANENT
    assert seen == []


def test_sender_declares_batch_size_and_rate(
    any_sender: tuple[Sender[Any, Any], list[Any]],
) -> None:
    s, _ = any_sender
    limits = {"postmark": 500, "sendgrid": 1000, "mailgun": 1000, "resend": 100}
    assert s.batch_size == limits.get(s.name, s.batch_size) and s.batch_size >= 1
    assert s.rate_per_second == (2.0 if s.name == "resend" else None)
