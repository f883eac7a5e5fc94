"""One contract, every sender: memory, file, SMTP (loopback aiosmtpd) and each HTTP API
(MockTransport answering like the provider)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import httpx
import pytest

from newsletter.config import Secrets, parse_config
from newsletter.delivery import SendStatus, get_sender
from newsletter.delivery.base import Backoff, RateLimiter, Sender
from newsletter.delivery.memory import MemorySender
from tests.delivery_support import Handler, content, form_fields, message, smtp_server
from tests.send_support import parse


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
Received = Callable[[], list[str]]


def _addresses(request: httpx.Request) -> list[str]:
    """The recipient addresses one provider request carries, as the provider reads them."""
    path = request.url.path
    if path in ("/email/batch", "/emails/batch"):  # Postmark, Resend: one entry per message
        key = "To" if path == "/email/batch" else "to"
        entries = [m[key] for m in json.loads(request.content)]
        return [e if isinstance(e, str) else e[0] for e in entries]
    if path == "/v3/mail/send":  # SendGrid: one personalization per recipient
        ps = json.loads(request.content)["personalizations"]
        return [p["to"][0]["email"] for p in ps]
    return form_fields(request)["to"]  # Mailgun: a form with its "to"


def _message_ids(request: httpx.Request) -> list[tuple[str, list[str]]]:
    """Each recipient of one provider request with every Message-ID header it would get, as
    the provider reads the payload."""
    path = request.url.path
    if path == "/email/batch":  # Postmark: Headers [{Name, Value}] per message
        return [
            (
                _bare(m["To"]),
                [h["Value"] for h in m["Headers"] if h["Name"].lower() == "message-id"],
            )
            for m in json.loads(request.content)
        ]
    if path == "/emails/batch":  # Resend: headers {name: value} per message
        return [
            (_bare(m["to"][0]), [v for k, v in m["headers"].items() if k.lower() == "message-id"])
            for m in json.loads(request.content)
        ]
    if path == "/v3/mail/send":  # SendGrid: per personalization (and none in common)
        body = json.loads(request.content)
        common = [v for k, v in body.get("headers", {}).items() if k.lower() == "message-id"]
        return [
            (
                p["to"][0]["email"],
                common + [v for k, v in p["headers"].items() if k.lower() == "message-id"],
            )
            for p in body["personalizations"]
        ]
    form = form_fields(request)  # Mailgun: h:Message-Id of the call's one "to"
    ids = [v for k, vs in form.items() if k.lower() == "h:message-id" for v in vs]
    return [(_bare(to), ids) for to in form["to"]]


def _bare(address: str) -> str:
    return parseaddr(address)[1]


@pytest.fixture(params=PROVIDERS)
def any_sender(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Sender[Any, Any], Received]]:
    """A sender of each kind, and a function listing the recipient addresses its backend
    has received so far (read from the backend itself: the outbox folder, the SMTP server,
    the HTTP requests, the memory outbox)."""
    name: str = request.param
    for var in ("POSTMARK_TOKEN", "SENDGRID_API_KEY", "MAILGUN_API_KEY", "RESEND_API_KEY"):
        monkeypatch.setenv(f"NEWSLETTER_{var}", "k")
    requests: list[httpx.Request] = []
    deps: dict[str, Any] = {"backoff": Backoff(sleep=lambda _s: None), "limiter": RateLimiter(None)}
    outbox = tmp_path / "out"
    raw: dict[str, Any] = {
        "provider": "file" if name == "memory" else name,
        "outbox_dir": str(outbox),
        "mailgun": {"domain": "mg.example.com"},
    }
    if name == "smtp":
        handler = Handler()
        with smtp_server(handler) as (host, port):
            raw["smtp"] = {"host": host, "port": port}
            settings = parse_config({"delivery": raw}).delivery
            with get_sender(settings, Secrets.from_env(), **deps) as s:
                yield s, lambda: [a for m in handler.received for a in m.rcpt_tos]
        return
    if name in ("postmark", "sendgrid", "mailgun", "resend"):

        def record(req: httpx.Request) -> httpx.Response:
            requests.append(req)
            return http_ok(req)

        deps["client"] = httpx.Client(transport=httpx.MockTransport(record))
    settings = parse_config({"delivery": raw}).delivery
    with get_sender(settings, Secrets.from_env(), provider=name, **deps) as s:
        if isinstance(s, MemorySender):
            yield s, lambda: [m.to.email for m, _data in s.outbox]
        elif name == "file":
            yield (
                s,
                lambda: [
                    _bare(str(parse(p.read_bytes())["To"])) for p in sorted(outbox.rglob("*.eml"))
                ],
            )
        else:
            yield s, lambda: [_bare(a) for r in requests for a in _addresses(r)]


def test_every_message_gets_one_result_in_order(
    any_sender: tuple[Sender[Any, Any], Received],
) -> None:
    s, received = any_sender
    c = content(rows=3)
    msgs = [message(i, c) for i in range(7)]
    results = s.send_batch(msgs)
    assert [r.message_id for r in results] == [m.message_id for m in msgs]
    assert [r.subscriber_id for r in results] == list(range(7))
    assert all(r.status is SendStatus.SENT and r.provider_message_id for r in results)
    assert all(r.attempts == 1 for r in results)
    # the backend got each message exactly once
    assert sorted(received()) == sorted(m.to.email for m in msgs)


def test_invalid_address_is_permanent_and_never_reaches_the_provider(
    any_sender: tuple[Sender[Any, Any], Received],
) -> None:
    s, received = any_sender
    results = s.send_batch([message(1, email="no-at-sign.example.org"), message(2)])
    assert results[0].status is SendStatus.PERMANENT
    assert results[1].status is SendStatus.SENT
    assert received() == [message(2).to.email]  # the valid one arrived, the invalid never did


@pytest.mark.parametrize("name", ["postmark", "sendgrid", "mailgun", "resend"])
def test_http_payload_carries_exactly_the_ledgers_message_id_per_recipient(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unknown outcome is resent with the ledger's Message-ID: the provider must be given
    it, one per recipient, or the resend is a new email nobody can dedupe."""
    for var in ("POSTMARK_TOKEN", "SENDGRID_API_KEY", "MAILGUN_API_KEY", "RESEND_API_KEY"):
        monkeypatch.setenv(f"NEWSLETTER_{var}", "k")
    requests: list[httpx.Request] = []

    def record(req: httpx.Request) -> httpx.Response:
        requests.append(req)
        return http_ok(req)

    raw = {"provider": name, "mailgun": {"domain": "mg.example.com"}}
    settings = parse_config({"delivery": raw}).delivery
    c = content(rows=2)
    msgs = [message(i, c) for i in range(5)]
    deps: dict[str, Any] = {
        "backoff": Backoff(sleep=lambda _s: None),
        "limiter": RateLimiter(None),
        "client": httpx.Client(transport=httpx.MockTransport(record)),
    }
    with get_sender(settings, Secrets.from_env(), **deps) as s:
        assert all(r.status is SendStatus.SENT for r in s.send_batch(msgs))
    got = sorted(pair for r in requests for pair in _message_ids(r))
    assert got == sorted((m.to.email, [m.message_id]) for m in msgs)


#: What each sender declares: messages per send_batch, provider calls per second.
DECLARED = {
    "memory": (500, None),
    "file": (500, None),
    "smtp": (100, None),
    "postmark": (500, None),
    "sendgrid": (1000, None),
    "mailgun": (1000, None),
    "resend": (100, 2.0),
}


def test_sender_declares_batch_size_and_rate(any_sender: tuple[Sender[Any, Any], Received]) -> None:
    s, _ = any_sender
    assert (s.batch_size, s.rate_per_second) == DECLARED[s.name]
