"""The send path with a batch HTTP provider (Postmark over httpx.MockTransport): one call per
batch, per-recipient results in a 200 recorded in the ledger, inactive recipients suppressed."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from newsletter.audience.subscribers import SubscriberStore
from newsletter.audience.tokens import TokenSigner
from newsletter.config import Secrets, parse_config
from newsletter.delivery import Backoff, RateLimiter, get_sender
from newsletter.delivery.base import Sender
from newsletter.delivery.models import SendStatus
from newsletter.errors import DeliveryError, ProviderError
from newsletter.send.ledger import SendLedger
from newsletter.send.service import link_signer, prepare_issue, send_issue
from newsletter.store import open_store
from newsletter.util.clock import FixedClock
from tests.conftest import NOW
from tests.delivery_support import content, message
from tests.http_support import start_uvicorn
from tests.send_support import WEEK, add_subscribers, send_config


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLETTER_POSTMARK_TOKEN", "pm-token")
    monkeypatch.setenv("NEWSLETTER_SECRET_KEY", "http-test-secret")


def test_postmark_batch_send_records_each_recipient(tmp_path: Path) -> None:
    calls: list[list[dict[str, Any]]] = []

    def postmark(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)
        calls.append(sent)
        out = []
        for i, m in enumerate(sent):
            if "cy" in m["To"]:
                out.append({"ErrorCode": 406, "Message": "recipient marked as inactive"})
            else:
                out.append({"ErrorCode": 0, "Message": "OK", "MessageID": f"pm-{len(calls)}-{i}"})
        return httpx.Response(200, json=out)

    config = send_config(tmp_path, provider="postmark", concurrency=1)
    add_subscribers(config, 7)
    prepared = prepare_issue(config, WEEK)

    def factory() -> Sender[Any, Any]:
        return get_sender(
            config.delivery,
            Secrets.from_env(),
            client=httpx.Client(transport=httpx.MockTransport(postmark)),
            backoff=Backoff(sleep=lambda _s: None),
            limiter=RateLimiter(None),
        )

    with open_store(config) as db:
        store = SubscriberStore(db)
        signer, _dev = link_signer(config, Secrets.from_env(), "send")
        recipients = store.active_recipients(signer, config.newsletter.base_url)
        report = send_issue(config, prepared, store, recipients, sender_factory=factory)
        assert (report.sent, report.complete) == (5, True)
        assert len(calls) == 1 and len(calls[0]) == 7  # one batch call
        rows = {str(r["email"]): r for r in SendLedger(db).rows(prepared.issue_key)}
        assert rows["ann0@example.org"]["provider_message_id"] == "pm-1-0"
        assert rows["cy2@example.org"]["status"] == "failed"
        assert "inactive" in str(rows["cy2@example.org"]["last_error"])
        assert store.get("cy5@example.org").status == "bounced"
        # each payload carries the ledger's Message-ID (Postmark metadata)
        sent_ids = {m["Metadata"]["message_id"] for m in calls[0]}
        assert sent_ids == {r["message_id"] for r in rows.values()}
        again = send_issue(config, prepared, store, recipients, sender_factory=factory)
        assert again.already_sent and len(calls) == 1


class ScriptedProvider:
    """A loopback HTTP server answering every request with one fixed status, JSON body and
    headers."""

    def __init__(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.status, self.body = status, body
        self.headers = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        self.requests = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        self.requests += 1
        await send(
            {
                "type": "http.response.start",
                "status": self.status,
                "headers": [(b"content-type", b"application/json"), *self.headers],
            }
        )
        await send({"type": "http.response.body", "body": self.body})


class RateLimitedProvider(ScriptedProvider):
    """Answers every request like a rate-limited Mailgun account: 429 with a Retry-After
    HTTP date an hour after the test's clock."""

    def __init__(self, retry_at: datetime) -> None:
        retry_after = format_datetime(retry_at, usegmt=True)
        super().__init__(429, b'{"message": "slow down"}', {"Retry-After": retry_after})


def test_a_rate_limited_account_stops_the_run_on_the_sends_clock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An HTTP-date Retry-After is read on the send's clock (an hour here, whatever the wall
    clock says); an hour is beyond the longest wait, so the call is not retried early, and
    a rate-limited account stops the run: the rest stay queued for the next one."""
    monkeypatch.setenv("NEWSLETTER_MAILGUN_API_KEY", "mg-key")
    provider = RateLimitedProvider(NOW + timedelta(hours=1))
    server, thread, url = start_uvicorn(provider)
    try:
        config = send_config(
            tmp_path,
            provider="mailgun",
            concurrency=1,
            max_attempts=2,
            mailgun={"domain": "mg.example.com", "base_url": url},
        )
        add_subscribers(config, 5)
        prepared = prepare_issue(config, WEEK)
        clock = FixedClock(NOW)
        with open_store(config) as db:
            store = SubscriberStore(db, clock=clock)
            signer, _dev = link_signer(config, Secrets.from_env(), "send")
            recipients = store.active_recipients(signer, config.newsletter.base_url)
            report = send_issue(
                config, prepared, store, recipients, secrets=Secrets.from_env(), signer=signer
            )
            rows = SendLedger(db).rows(prepared.issue_key)
    finally:
        server.should_exit = True
        thread.join()
    assert provider.requests == 1  # given up at once, and no other message tried
    assert clock.now() == NOW  # nothing waited
    assert report.stopped is not None and "rate-limiting" in report.stopped
    assert "HTTP 429" in report.stopped and not report.complete
    statuses = sorted((str(r["status"]), bool(r["retryable"])) for r in rows)
    assert statuses == [("failed", True)] + [("queued", False)] * 4


def _send_to(
    tmp_path: Path, provider: str, answer: ScriptedProvider, **settings: Any
) -> tuple[Any, list[dict[str, Any]]]:
    """Send the week's issue to three subscribers through ``provider`` at ``answer``'s
    server: the report (or the error the send raised) and the ledger's rows."""
    server, thread, url = start_uvicorn(answer)
    try:
        config = send_config(
            tmp_path, provider=provider, concurrency=1, **{provider: {"base_url": url} | settings}
        )
        add_subscribers(config, 3)
        prepared = prepare_issue(config, WEEK)
        with open_store(config) as db:
            store = SubscriberStore(db, clock=FixedClock(NOW))
            signer, _dev = link_signer(config, Secrets.from_env(), "send")
            recipients = store.active_recipients(signer, config.newsletter.base_url)
            outcome: Any
            try:
                outcome = send_issue(
                    config, prepared, store, recipients, secrets=Secrets.from_env(), signer=signer
                )
            except DeliveryError as err:
                outcome = err
            rows = SendLedger(db).rows(prepared.issue_key)
    finally:
        server.should_exit = True
        thread.join()
    return outcome, rows


@pytest.mark.parametrize(
    "body",
    [
        b'{"errors": ["bad request"]}',
        b'{"errors": "bad request"}',
        b'{"errors": [{"field": "personalizations.7.to", "message": "invalid"}]}',
    ],
)
def test_a_sendgrid_400_whose_errors_name_no_recipient_of_the_request_stops_the_send(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: bytes
) -> None:
    """A 400 is about a recipient only when its errors point at this request's
    ``personalizations.N.to``; any other error list (strings, a string, an index the
    request does not have) refuses the whole request: the send stops with the provider's
    answer, nobody is marked sent, failed or bounced, and no call is repeated."""
    monkeypatch.setenv("NEWSLETTER_SENDGRID_API_KEY", "sg-key")
    answer = ScriptedProvider(400, body)
    outcome, rows = _send_to(tmp_path, "sendgrid", answer)
    assert isinstance(outcome, ProviderError), outcome
    assert "HTTP 400" in str(outcome) and "request refused" in str(outcome)
    assert outcome.body is not None and body.decode()[:20] in outcome.body
    assert answer.requests == 1
    assert sorted(str(r["status"]) for r in rows) == ["queued"] * 3


def test_resend_200_with_an_index_past_any_number_is_unknown_never_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 2xx means Resend may have queued the emails; an answer that cannot be read (here
    an error index of 1e400, which is no integer) leaves them unknown, to be resent with the
    same Message-ID and Idempotency-Key, instead of stopping the send unrecorded."""
    monkeypatch.setenv("NEWSLETTER_RESEND_API_KEY", "re-key")
    answer = ScriptedProvider(200, b'{"data": [], "errors": [{"index": 1e400}]}')
    outcome, rows = _send_to(tmp_path, "resend", answer)
    assert not isinstance(outcome, Exception), outcome
    assert outcome.unknown == 3 and not outcome.complete
    assert sorted(str(r["status"]) for r in rows) == ["unknown"] * 3


def test_a_200_whose_body_cannot_be_decoded_is_recorded_unknown_never_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 200 that says ``Content-Encoding: gzip`` over a body that is not gzip makes httpx
    raise DecodingError as it reads it: the provider may have taken the messages, so they
    are recorded unknown (sent again with the same Message-ID), and the send goes on."""
    monkeypatch.setenv("NEWSLETTER_RESEND_API_KEY", "re-key")
    answer = ScriptedProvider(200, b'{"data": []}', {"Content-Encoding": "gzip"})
    outcome, rows = _send_to(tmp_path, "resend", answer)
    assert not isinstance(outcome, Exception), outcome
    assert outcome.unknown == 3 and not outcome.complete
    assert sorted(str(r["status"]) for r in rows) == ["unknown"] * 3


FROM_REFUSED = "Invalid `from` field: 'issues@news.example.com' is not a verified sender."
PM_FROM_REFUSED = {
    "ErrorCode": 300,
    "Message": "Invalid 'From' address: 'issues@news.example.com' is not a verified "
    "sender signature.",
}


@pytest.mark.parametrize(
    ("provider", "answer", "sent"),
    [
        ("postmark", [PM_FROM_REFUSED] * 3, 0),
        (
            "postmark",
            [{"ErrorCode": 0, "Message": "OK", "MessageID": "pm-0"}, *[PM_FROM_REFUSED] * 2],
            1,
        ),
        (
            "resend",
            {"data": [], "errors": [{"index": i, "message": FROM_REFUSED} for i in range(3)]},
            0,
        ),
        (
            "resend",
            {
                "data": [{"id": "re-0"}],
                "errors": [{"index": i, "message": FROM_REFUSED} for i in (1, 2)],
            },
            1,
        ),
    ],
)
def test_a_per_message_error_about_the_sender_stops_the_send_and_bounces_no_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, provider: str, answer: Any, sent: int
) -> None:
    """A batch answer's per-message error names the field it refuses (Postmark's ErrorCode
    300, Resend's permissive ``errors``); one about the ``From`` (an unverified sender,
    Postmark's own example) refuses what every reader gets: the send stops with it, what was
    accepted is recorded sent, and no reader is failed or suppressed (they were all marked
    bounced, batch after batch, for the sender's mistake)."""
    monkeypatch.setenv("NEWSLETTER_RESEND_API_KEY", "re-key")
    outcome, rows = _send_to(tmp_path, provider, ScriptedProvider(200, json.dumps(answer).encode()))
    assert isinstance(outcome, ProviderError), outcome
    assert "not a verified sender" in str(outcome)
    assert [str(r["status"]) for r in rows] == ["sent"] * sent + ["queued"] * (3 - sent)
    with open_store(send_config(tmp_path)) as db:
        assert {s.status for s in SubscriberStore(db).list_all()} == {"active"}


async def _body(receive: Any) -> bytes:
    """The whole body of an ASGI request."""
    chunks = []
    while True:
        event = await receive()
        chunks.append(event.get("body", b""))
        if not event.get("more_body"):
            return b"".join(chunks)


async def _answer(send: Any, status: int, body: bytes) -> None:
    """An ASGI JSON response."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


class PostmarkLimits:
    """A loopback Postmark batch endpoint that keeps its documented limits: more than 500
    messages or a body over 50 MB is refused as a whole (413), else each message is sent."""

    LIMIT = 50_000_000

    def __init__(self) -> None:
        self.sizes: list[int] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = await _body(receive)
        self.sizes.append(len(body))
        if len(body) > self.LIMIT:
            status, answer = 413, {"ErrorCode": 413, "Message": "Request too large"}
        else:
            sent = json.loads(body)
            status = 413 if len(sent) > 500 else 200
            answer = [{"ErrorCode": 0, "Message": "OK", "MessageID": f"pm-{i}"} for i in sent]
        await _answer(send, status, json.dumps(answer).encode())


def test_a_postmark_batch_of_500_large_issues_is_split_under_the_50_mb_payload_limit() -> None:
    """Postmark takes at most 50 MB a batch call; 500 issues of ~105 KB of HTML (within
    ``max_html_bytes``) are some 55 MB of JSON, which went out as one call, was refused as a
    whole, and stopped the send every week. Now they go in as few calls as fit."""
    big = content(rows=1000)
    assert 100_000 < len(big.html.encode()) < 110_000
    messages = [message(i, big) for i in range(500)]
    provider = PostmarkLimits()
    server, thread, url = start_uvicorn(provider)
    try:
        cfg = parse_config({"delivery": {"provider": "postmark", "postmark": {"base_url": url}}})
        with get_sender(
            cfg.delivery,
            Secrets.from_env(),
            backoff=Backoff(sleep=lambda _s: None),
            limiter=RateLimiter(None),
        ) as sender:
            results = sender.send_batch(messages)
    finally:
        server.should_exit = True
        thread.join()
    assert [r.status for r in results] == [SendStatus.SENT] * 500
    assert len(provider.sizes) == 2 and max(provider.sizes) <= PostmarkLimits.LIMIT
    assert sum(provider.sizes) > PostmarkLimits.LIMIT


class ResendIdempotency:
    """A loopback Resend batch endpoint that keeps Idempotency-Keys as Resend does: a key
    seen again with the same body replays its answer, with another body is refused (409
    ``invalid_idempotent_request``). Its first answer is a 200 it garbles: the emails were
    queued, and the sender cannot tell."""

    def __init__(self) -> None:
        self.keys: dict[str, tuple[bytes, int, bytes]] = {}
        self.queued: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = await _body(receive)
        key = dict(scope["headers"])[b"idempotency-key"].decode()
        if key in self.keys and self.keys[key][0] != body:
            status, answer = 409, b'{"name": "invalid_idempotent_request", "message": "no"}'
        elif key in self.keys:
            status, answer = self.keys[key][1:]
        else:
            emails = json.loads(body)
            self.queued += [e["headers"]["Message-ID"] for e in emails]
            ids = [{"id": f"re-{len(self.queued)}-{i}"} for i in range(len(emails))]
            status, answer = 200, b"<html>" if not self.keys else json.dumps({"data": ids}).encode()
            self.keys[key] = (body, status, answer)
        await _answer(send, status, answer)


def test_a_resend_batch_left_unknown_goes_out_on_the_next_run_under_a_key_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch Resend took but whose answer was lost is left unknown; the next run (an hour
    later: its links are signed anew) sends the same emails with the same Message-IDs. Its
    Idempotency-Key was made of the Message-IDs alone, so Resend saw a key it knew with
    another body and refused it (409 invalid_idempotent_request): the send stopped on every
    run for the key's 24 hours. The key now follows the body, so the next run goes through."""
    monkeypatch.setenv("NEWSLETTER_RESEND_API_KEY", "re-key")
    provider = ResendIdempotency()
    server, thread, url = start_uvicorn(provider)
    try:
        config = send_config(
            tmp_path, provider="resend", concurrency=1, max_attempts=1, resend={"base_url": url}
        )
        add_subscribers(config, 3)
        prepared = prepare_issue(config, WEEK)
        reports = []
        for when in (NOW, NOW + timedelta(hours=1)):
            clock = FixedClock(when)
            with open_store(config) as db:
                store = SubscriberStore(db, clock=clock)
                signer = TokenSigner("http-test-secret", clock=clock)
                recipients = store.active_recipients(signer, config.newsletter.base_url)
                reports.append(
                    send_issue(
                        config,
                        prepared,
                        store,
                        recipients,
                        secrets=Secrets.from_env(),
                        signer=signer,
                    )
                )
                rows = SendLedger(db).rows(prepared.issue_key)
    finally:
        server.should_exit = True
        thread.join()
    assert reports[0].unknown == 3
    assert reports[1].sent == 3 and reports[1].complete
    assert [str(r["status"]) for r in rows] == ["sent"] * 3
    assert sorted(provider.queued) == sorted(2 * [str(r["message_id"]) for r in rows])


class MailgunRefusingOne(ScriptedProvider):
    """A loopback Mailgun that takes every message but those to ``refused``, whose
    address its own validator will not take (a 400 about the ``'to'`` parameter)."""

    def __init__(self, refused: str) -> None:
        super().__init__(200, b"")
        self.refused = refused.encode()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = await _body(receive)
        self.requests += 1
        if self.refused in body:
            said = "'to' parameter is not a valid address. please check documentation"
            await _answer(send, 400, json.dumps({"message": said}).encode())
        else:
            answer = {"id": f"<{self.requests}@mg.example.com>", "message": "Queued. Thank you."}
            await _answer(send, 200, json.dumps(answer).encode())


def test_a_mailgun_400_about_one_address_fails_that_reader_and_the_others_go_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mailgun sends one message a call, so its 400 "'to' parameter is not a valid address"
    is about that reader alone (its validator is not ours). It stopped the whole send, on
    every run, at that reader; now that reader is failed (and suppressed) and the others go
    out."""
    monkeypatch.setenv("NEWSLETTER_MAILGUN_API_KEY", "mg-key")
    answer = MailgunRefusingOne("bo1@example.org")
    outcome, rows = _send_to(tmp_path, "mailgun", answer, domain="mg.example.com")
    assert not isinstance(outcome, Exception), outcome
    assert (outcome.sent, outcome.complete) == (2, True)
    assert [str(r["status"]) for r in rows] == ["sent", "failed", "sent"]
    assert "'to' parameter is not a valid address" in str(rows[1]["last_error"])
    with open_store(send_config(tmp_path)) as db:
        assert SubscriberStore(db).get("bo1@example.org").status == "bounced"
