"""Provider contracts: each HTTP provider against httpx.MockTransport speaking its API.

Every fake asserts the documented request shape (path, auth, batch size, body fields) and
answers with the documented response shapes: success, per-recipient errors in a 200,
429 with Retry-After, 5xx, and account-level refusals.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import pytest

from newsletter.config import Secrets, parse_config
from newsletter.delivery import SendStatus, get_sender
from newsletter.delivery.base import Backoff, RateLimiter, Sender
from newsletter.delivery.models import OutgoingMessage, new_message_id
from newsletter.errors import ProviderError, SecretMissingError
from newsletter.util.http import retry_after_seconds
from tests.delivery_support import content, form_fields, message

Handler = Callable[[httpx.Request], httpx.Response]
KEYS = {
    "NEWSLETTER_POSTMARK_TOKEN": "pm-token",
    "NEWSLETTER_SENDGRID_API_KEY": "sg-key",
    "NEWSLETTER_MAILGUN_API_KEY": "mg-key",
    "NEWSLETTER_RESEND_API_KEY": "re-key",
}


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in KEYS.items():
        monkeypatch.setenv(k, v)


class Fake:
    """Records requests and answers with a scripted list of handlers (last one repeats)."""

    def __init__(self, *handlers: Handler) -> None:
        self.handlers = list(handlers)
        self.requests: list[httpx.Request] = []
        self.waits: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        h = self.handlers.pop(0) if len(self.handlers) > 1 else self.handlers[0]
        return h(request)

    def sender(self, provider: str, max_attempts: int = 4, **settings: Any) -> Sender[Any, Any]:
        cfg = parse_config(
            {"delivery": {"provider": provider, "max_attempts": max_attempts, provider: settings}}
        )
        return get_sender(
            cfg.delivery,
            Secrets.from_env(),
            client=httpx.Client(transport=httpx.MockTransport(self)),
            backoff=Backoff(sleep=self.waits.append),
            limiter=RateLimiter(None),
        )

    def body(self, i: int = -1) -> Any:
        return json.loads(self.requests[i].content)


def msgs(n: int, **kw: Any) -> list[OutgoingMessage]:
    c = content(rows=5)
    return [message(i, c, **kw) for i in range(n)]


# ---------------------------------------------------------------- Postmark


def postmark_ok(request: httpx.Request) -> httpx.Response:
    sent = json.loads(request.content)
    return httpx.Response(
        200,
        json=[
            {
                "ErrorCode": 0,
                "Message": "OK",
                "MessageID": f"pm-{i}",
                "To": m["To"],
                "SubmittedAt": "2026-11-23T07:30:00Z",
            }
            for i, m in enumerate(sent)
        ],
    )


def test_postmark_batches_500_with_token_and_full_payload() -> None:
    fake = Fake(postmark_ok)
    s = fake.sender("postmark", message_stream="broadcast")
    batches = list(s.send(msgs(1200)))
    assert [len(b) for b in batches] == [500, 500, 200]
    assert all(r.status is SendStatus.SENT for b in batches for r in b)
    assert batches[0][3].provider_message_id == "pm-3"
    req = fake.requests[0]
    assert req.url == "https://api.postmarkapp.com/email/batch"
    assert req.headers["X-Postmark-Server-Token"] == "pm-token"
    first = fake.body(0)[0]
    assert first["From"] == "AI Jobs Weekly <issues@example.com>"
    assert first["To"] == "Reader One <reader0@example.org>"
    assert first["MessageStream"] == "broadcast" and first["ReplyTo"] == "editor@example.com"
    headers = {h["Name"]: h["Value"] for h in first["Headers"]}
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Unsubscribe"].startswith("<https://news.example.com/u/0.")
    assert "https://news.example.com/u/0." in first["HtmlBody"]
    assert "https://news.example.com/u/0." in first["TextBody"]
    assert first["TrackOpens"] is False


def test_postmark_and_resend_spliced_json_bodies_equal_the_filled_in_message() -> None:
    tricky = [
        message(1, merge={"preferences_url": 'https://x/p?a="1"&b=<2> é \\ \t'}),
        message(2, name='Zoë "Z" O\'Brien'),
    ]
    fake = Fake(postmark_ok)
    fake.sender("postmark").send_batch(tricky)
    for m, item in zip(tricky, fake.body(0), strict=True):
        assert item["HtmlBody"] == m.html and item["TextBody"] == m.text
    fake = Fake(resend_ok)
    fake.sender("resend").send_batch(tricky)
    for m, item in zip(tricky, fake.body(0), strict=True):
        assert item["html"] == m.html and item["text"] == m.text
        assert fake.requests[0].headers["Content-Type"] == "application/json"


def test_postmark_per_message_errors_in_a_200() -> None:
    def mixed(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)
        out = []
        for i, m in enumerate(sent):
            if m["To"].endswith("<reader1@example.org>"):
                out.append(
                    {
                        "ErrorCode": 406,
                        "Message": "You tried to send to a recipient "
                        "that has been marked as inactive.",
                    }
                )
            elif m["To"].endswith("<reader2@example.org>"):
                out.append({"ErrorCode": 300, "Message": "Invalid 'To' address"})
            else:
                out.append({"ErrorCode": 0, "Message": "OK", "MessageID": f"id-{i}"})
        return httpx.Response(200, json=out)

    fake = Fake(mixed)
    r = fake.sender("postmark").send_batch(msgs(4))
    assert [x.status for x in r] == [
        SendStatus.SENT,
        SendStatus.PERMANENT,
        SendStatus.PERMANENT,
        SendStatus.SENT,
    ]
    assert "inactive" in r[1].reason and "invalid address" in r[2].reason
    assert len(fake.requests) == 1  # permanent errors are not retried


def postmark_checks_metadata(request: httpx.Request) -> httpx.Response:
    """Postmark's answer to Metadata over its limits (10 fields, names of 20 characters,
    values of 80): ErrorCode 300 for that message, in a 200."""
    out = []
    for i, m in enumerate(json.loads(request.content)):
        meta = m.get("Metadata", {})
        if len(meta) > 10 or any(len(k) > 20 or len(v) > 80 for k, v in meta.items()):
            out.append(
                {
                    "ErrorCode": 300,
                    "Message": "Invalid metadata content. Field names are limited to 20 "
                    "characters and field values are limited to 80 characters in length.",
                }
            )
        else:
            out.append({"ErrorCode": 0, "Message": "OK", "MessageID": f"id-{i}"})
    return httpx.Response(200, json=out)


def test_postmark_metadata_stays_within_its_limits_on_a_long_sending_domain() -> None:
    domain = "newsletter.jobs.a-rather-long-company-name.example.org"
    long_id = new_message_id(domain)
    assert len(long_id) > 80
    fake = Fake(postmark_checks_metadata)
    results = fake.sender("postmark").send_batch([message(1, message_id=long_id)])
    assert [r.status for r in results] == [SendStatus.SENT]
    [item] = fake.body(0)
    headers = {h["Name"]: h["Value"] for h in item["Headers"]}
    assert headers["Message-ID"] == long_id  # the header still carries it
    assert item["Metadata"] == {"issue_key": "2026-W48", "subscriber_id": "1"}


@pytest.mark.parametrize(
    "answer",
    [b"<html>OK</html>", b"[]", b'[{"ErrorCode": "x"}, {}, {"ErrorCode": [1]}]'],
)
def test_postmark_200_without_readable_results_is_unknown_never_a_stop(answer: bytes) -> None:
    """The provider took the batch (a 200) but its answer does not say what went out: each
    message is unknown (like a timeout after the request), and the send goes on."""
    fake = Fake(lambda _request: httpx.Response(200, content=answer))
    r = fake.sender("postmark").send_batch(msgs(3))
    assert [x.status for x in r] == [SendStatus.UNKNOWN] * 3
    assert all("Postmark answered 200" in x.reason for x in r)


@pytest.mark.parametrize("provider", ["mailgun", "resend"])
@pytest.mark.parametrize(
    "answer",
    [
        b"<html>OK</html>",
        b"\xff\xfe",
        b"[]",
        b'{"data": [{"id": "re-0"}]}',  # fewer ids than emails (Resend)
        b'{"data": "x", "errors": [{"no": 1}]}',
    ],
)
def test_mailgun_and_resend_200_with_an_unreadable_body_is_unknown_never_a_stop(
    provider: str, answer: bytes
) -> None:
    """A 200 means the provider took the call; an answer we cannot read does not say what
    went out, so each message is unknown (resent with its Message-ID), never a refusal that
    fails the issue and mails everyone again."""
    fake = Fake(lambda _request: httpx.Response(200, content=answer))
    s = fake.sender(provider, max_attempts=2, domain="mg.example.com")
    r = s.send_batch(msgs(3))
    if provider == "mailgun" and answer.startswith(b'{"data"'):  # a readable object: sent
        assert [x.status for x in r] == [SendStatus.SENT] * 3
        return
    assert [x.status for x in r] == [SendStatus.UNKNOWN] * 3
    assert all("answered 200 with an unreadable body" in x.reason for x in r)
    if provider == "resend":  # retried under the same Idempotency-Key
        keys = {q.headers["Idempotency-Key"] for q in fake.requests}
        assert len(fake.requests) == 2 and len(keys) == 1


def test_postmark_429_with_retry_after_then_success_and_5xx_retry() -> None:
    fake = Fake(
        lambda _r: httpx.Response(429, headers={"Retry-After": "7"}, json={"ErrorCode": 429}),
        lambda _r: httpx.Response(503, text="unavailable"),
        postmark_ok,
    )
    r = fake.sender("postmark").send_batch(msgs(3))
    assert all(x.status is SendStatus.SENT and x.attempts == 3 for x in r)
    assert len(fake.requests) == 3
    assert fake.waits[0] >= 7  # Retry-After honoured
    assert fake.waits[1] < 7


@pytest.mark.parametrize("provider", ["postmark", "sendgrid", "mailgun", "resend"])
def test_a_408_request_timeout_is_retried_never_a_stop(provider: str) -> None:
    """408: the server (or a proxy in front of it) gave up waiting for the request, so it
    was not processed and may be repeated (RFC 9110): it stopped the whole send as a
    refusal of the account."""
    ok = {"postmark": postmark_ok, "resend": resend_ok}.get(
        provider, lambda _r: httpx.Response(202 if provider == "sendgrid" else 200, json={})
    )
    fake = Fake(lambda _r: httpx.Response(408, text="Request Timeout"), ok)
    settings = {"domain": "mg.example.com"} if provider == "mailgun" else {}
    r = fake.sender(provider, **settings).send_batch(msgs(1))
    assert [(x.status, x.attempts) for x in r] == [(SendStatus.SENT, 2)]


def test_a_retry_after_beyond_the_longest_wait_ends_the_calls_attempts() -> None:
    """Retry-After: 3600 is not retried after 15 minutes: the call ends retryable at once,
    marked rate limited (the send stops on it), and nothing waited."""
    fake = Fake(lambda _r: httpx.Response(429, headers={"Retry-After": "3600"}, json={}))
    s = fake.sender("postmark")
    r = s.send_batch(msgs(2))
    assert [x.status for x in r] == [SendStatus.RETRYABLE] * 2
    assert r[0].retry_after == 3600 and len(fake.requests) == 1 and fake.waits == []
    assert s.rate_limited is not None and "HTTP 429" in s.rate_limited
    fake = Fake(
        lambda _r: httpx.Response(429, headers={"Retry-After": "600"}, json={}), postmark_ok
    )
    s = fake.sender("postmark")
    assert all(x.status is SendStatus.SENT for x in s.send_batch(msgs(2)))
    assert fake.waits == [600] and s.rate_limited is None  # within the limit: waited in full


def test_stop_during_retries_ends_the_backoff_and_starts_no_new_attempt() -> None:
    """SIGTERM (the send's stop event) while a call is being retried: the backoff wait on the
    real clock returns at once and no further attempt is made; the messages stay retryable."""
    stop = threading.Event()

    def unavailable(_r: httpx.Request) -> httpx.Response:
        stop.set()  # the signal arrives while the call is in flight
        return httpx.Response(503, headers={"Retry-After": "600"}, text="unavailable")

    cfg = parse_config({"delivery": {"provider": "postmark", "max_attempts": 5}})
    s = get_sender(
        cfg.delivery,
        Secrets.from_env(),
        client=httpx.Client(transport=httpx.MockTransport(unavailable)),
        limiter=RateLimiter(None),
        stop=stop,
    )
    r = s.send_batch(msgs(2))
    assert [x.status for x in r] == [SendStatus.RETRYABLE] * 2
    assert r[0].attempts == 1


def test_postmark_gives_up_after_max_attempts_and_account_errors_stop() -> None:
    fake = Fake(lambda _r: httpx.Response(500, text="boom"))
    r = fake.sender("postmark", max_attempts=3).send_batch(msgs(2))
    assert all(x.status is SendStatus.RETRYABLE and "HTTP 500" in x.reason for x in r)
    assert len(fake.requests) == 3

    fake = Fake(lambda _r: httpx.Response(401, json={"ErrorCode": 10, "Message": "Bad token"}))
    with pytest.raises(ProviderError, match="HTTP 401"):
        fake.sender("postmark").send_batch(msgs(2))


def test_postmark_account_code_in_batch_keeps_sent_results() -> None:
    def partial(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json=[
                {"ErrorCode": 0, "Message": "OK", "MessageID": "a"},
                {"ErrorCode": 405, "Message": "Not allowed to send: out of credits"},
            ],
        )

    fake = Fake(partial)
    with pytest.raises(ProviderError, match="405") as exc:
        fake.sender("postmark").send_batch(msgs(2))
    assert [r.status for r in exc.value.results] == [SendStatus.SENT]


def test_connect_error_is_retried_and_read_timeout_is_unknown() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    fake = Fake(refuse, postmark_ok)
    assert all(x.status is SendStatus.SENT for x in fake.sender("postmark").send_batch(msgs(2)))

    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    fake = Fake(timeout)
    r = fake.sender("postmark").send_batch(msgs(2))
    assert {x.status for x in r} == {SendStatus.UNKNOWN}
    assert len(fake.requests) == 1  # no idempotency key: never resent blindly


# ---------------------------------------------------------------- SendGrid


def sendgrid_ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(202, headers={"X-Message-Id": "sg-batch-1"})


def test_sendgrid_one_body_with_personalizations_and_substitutions() -> None:
    fake = Fake(sendgrid_ok)
    batches = list(fake.sender("sendgrid").send(msgs(1500)))
    assert [len(b) for b in batches] == [1000, 500]
    assert all(r.provider_message_id == "sg-batch-1" for b in batches for r in b)
    req = fake.requests[0]
    assert req.url == "https://api.sendgrid.com/v3/mail/send"
    assert req.headers["Authorization"] == "Bearer sg-key"
    body = fake.body(0)
    assert len(body["personalizations"]) == 1000
    p = body["personalizations"][1]
    assert p["to"] == [{"email": "reader1@example.org", "name": "Reader One"}]
    assert p["headers"]["List-Unsubscribe"].startswith("<https://news.example.com/u/1.")
    assert p["substitutions"]["%%preferences_url%%"].endswith("p/1?a=1&b=2")
    assert p["substitutions"]["%%preferences_url__html%%"].endswith("p/1?a=1&amp;b=2")
    assert body["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = body["content"]
    assert text["type"] == "text/plain" and "%%unsubscribe_url%%" in text["value"]
    assert html["type"] == "text/html" and "%%unsubscribe_url__html%%" in html["value"]
    assert body["tracking_settings"]["open_tracking"] == {"enable": False}


def test_sendgrid_invalid_recipient_400_marks_it_and_resends_the_rest() -> None:
    def bad_second(request: httpx.Request) -> httpx.Response:
        ps = json.loads(request.content)["personalizations"]
        for i, p in enumerate(ps):
            if p["to"][0]["email"] == "reader1@example.org":
                return httpx.Response(
                    400,
                    json={
                        "errors": [
                            {
                                "message": "Does not contain a valid address.",
                                "field": f"personalizations.{i}.to.0.email",
                                "help": None,
                            }
                        ]
                    },
                )
        return httpx.Response(202, headers={"X-Message-Id": "ok"})

    fake = Fake(bad_second)
    r = fake.sender("sendgrid").send_batch(msgs(3))
    assert [x.status for x in r] == [SendStatus.SENT, SendStatus.PERMANENT, SendStatus.SENT]
    assert "valid address" in r[1].reason
    assert len(fake.body(-1)["personalizations"]) == 2


def test_sendgrid_groups_variants_and_duplicate_addresses_into_separate_requests() -> None:
    a, b = content(rows=2, subject="A"), content(rows=3, subject="B")
    batch = [
        message(1, a),
        message(2, b),
        message(3, a),
        message(4, a, email="reader1@example.org"),
    ]
    fake = Fake(sendgrid_ok)
    fake.sender("sendgrid").send_batch(batch)
    sizes = sorted(len(json.loads(r.content)["personalizations"]) for r in fake.requests)
    assert sizes == [1, 1, 2]


def test_sendgrid_429_and_other_400() -> None:
    fake = Fake(
        lambda _r: httpx.Response(429, headers={"Retry-After": "3"}, json={"errors": []}),
        sendgrid_ok,
    )
    assert all(x.status is SendStatus.SENT for x in fake.sender("sendgrid").send_batch(msgs(2)))
    assert fake.waits[0] >= 3
    fake = Fake(
        lambda _r: httpx.Response(
            400,
            json={
                "errors": [
                    {
                        "message": "The from address does not match a verified Sender Identity.",
                        "field": "from",
                    }
                ]
            },
        )
    )
    with pytest.raises(ProviderError, match="400"):
        fake.sender("sendgrid").send_batch(msgs(2))


# ---------------------------------------------------------------- Mailgun


def test_mailgun_one_filled_in_form_per_message_with_its_message_id_and_basic_auth() -> None:
    fake = Fake(
        lambda _r: httpx.Response(
            200, json={"id": "<mg1@mg.example.com>", "message": "Queued. Thank you."}
        )
    )
    s = fake.sender("mailgun", domain="mg.example.com")
    sent = msgs(3)
    r = s.send_batch(sent)
    assert all(
        x.status is SendStatus.SENT and x.provider_message_id == "<mg1@mg.example.com>" for x in r
    )
    assert s.per_call() == 1 and len(fake.requests) == 3  # one call per message
    req = fake.requests[1]
    assert req.url == "https://api.mailgun.net/v3/mg.example.com/messages"
    assert req.headers["Authorization"] == "Basic " + base64.b64encode(b"api:mg-key").decode()
    assert req.headers["Content-Type"].startswith("multipart/form-data")  # bodies as they are
    form = form_fields(req)
    assert form["to"] == ["Reader One <reader1@example.org>"]
    assert form["h:Message-Id"] == [sent[1].message_id]
    assert form["v:message_id"] == [sent[1].message_id] and form["v:subscriber_id"] == ["1"]
    assert form["h:List-Unsubscribe"] == [sent[1].list_unsubscribe]
    assert form["h:List-Unsubscribe-Post"] == ["List-Unsubscribe=One-Click"]
    assert form["html"] == [sent[1].html] and form["text"] == [sent[1].text]
    assert "%recipient" not in req.content.decode() and "%%" not in form["html"][0]
    assert b"=3D" not in req.content and b"%3D" not in req.content  # not escaped
    assert form["o:tracking"] == ["no"]


def test_mailgun_429_then_ok_and_400_stops() -> None:
    fake = Fake(
        lambda _r: httpx.Response(429, headers={"Retry-After": "2"}, json={"message": "slow"}),
        lambda _r: httpx.Response(200, json={"id": "<x@y>", "message": "Queued. Thank you."}),
    )
    r = fake.sender("mailgun", domain="mg.example.com").send_batch(msgs(2))
    assert all(x.status is SendStatus.SENT for x in r) and fake.waits[0] >= 2
    fake = Fake(lambda _r: httpx.Response(400, json={"message": "from parameter is missing"}))
    with pytest.raises(ProviderError, match="400"):
        fake.sender("mailgun", domain="mg.example.com").send_batch(msgs(1))


# ---------------------------------------------------------------- Resend


def resend_ok(request: httpx.Request) -> httpx.Response:
    n = len(json.loads(request.content))
    return httpx.Response(200, json={"data": [{"id": f"re-{i}"} for i in range(n)]})


def test_resend_batches_100_with_idempotency_key_and_rate_limit() -> None:
    fake = Fake(resend_ok)
    clock = [0.0]
    cfg = parse_config({"delivery": {"provider": "resend"}})
    s = get_sender(
        cfg.delivery,
        Secrets.from_env(),
        client=httpx.Client(transport=httpx.MockTransport(fake)),
        backoff=Backoff(sleep=fake.waits.append),
        limiter=RateLimiter(2.0, clock=lambda: clock[0], sleep=fake.waits.append),
    )
    batches = list(s.send(msgs(250)))
    assert [len(b) for b in batches] == [100, 100, 50]
    assert fake.waits == [0.5, 1.0]  # 2 requests/s, spaced evenly
    keys = [r.headers["Idempotency-Key"] for r in fake.requests]
    assert len(set(keys)) == 3 and all(k.startswith("2026-W48/") and len(k) <= 256 for k in keys)
    req = fake.requests[0]
    assert req.url == "https://api.resend.com/emails/batch"
    assert req.headers["Authorization"] == "Bearer re-key"
    assert req.headers["x-batch-validation"] == "permissive"
    first = fake.body(0)[0]
    assert first["to"] == ["Reader One <reader0@example.org>"]
    assert first["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert first["reply_to"] == ["editor@example.com"]


def test_resend_retries_timeouts_and_5xx_with_the_same_key() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    fake = Fake(
        timeout,
        lambda _r: httpx.Response(500, json={"name": "internal_server_error"}),
        lambda _r: httpx.Response(409, json={"name": "concurrent_idempotent_requests"}),
        resend_ok,
    )
    r = fake.sender("resend", max_attempts=5).send_batch(msgs(3))
    assert all(x.status is SendStatus.SENT for x in r)
    assert len({q.headers["Idempotency-Key"] for q in fake.requests}) == 1
    assert len(fake.requests) == 4


def test_resend_permissive_errors_by_index_and_quota_stop() -> None:
    fake = Fake(
        lambda _r: httpx.Response(
            200,
            json={
                "data": [{"id": "re-a"}, {"id": "re-c"}],
                "errors": [{"index": 1, "message": "Invalid `to` field."}],
            },
        )
    )
    r = fake.sender("resend").send_batch(msgs(3))
    assert [x.status for x in r] == [SendStatus.SENT, SendStatus.PERMANENT, SendStatus.SENT]
    assert [x.provider_message_id for x in r] == ["re-a", None, "re-c"]

    fake = Fake(
        lambda _r: httpx.Response(429, json={"name": "daily_quota_exceeded", "message": "quota"})
    )
    with pytest.raises(ProviderError, match="daily_quota_exceeded"):
        fake.sender("resend").send_batch(msgs(1))
    assert len(fake.requests) == 1


# ---------------------------------------------------------------- shared


def test_retry_after_parses_seconds_and_http_dates() -> None:
    import datetime as dt

    now = dt.datetime(2026, 11, 23, 7, 30, tzinfo=dt.UTC)
    assert retry_after_seconds(httpx.Headers({"Retry-After": "12"}), now) == 12.0
    h = httpx.Headers({"Retry-After": "Mon, 23 Nov 2026 07:30:30 GMT"})
    assert retry_after_seconds(h, now) == 30.0
    assert retry_after_seconds(httpx.Headers({"ratelimit-reset": "1"}), now) == 1.0
    assert retry_after_seconds(httpx.Headers({}), now) is None


def test_missing_api_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSLETTER_RESEND_API_KEY")
    with pytest.raises(SecretMissingError, match="NEWSLETTER_RESEND_API_KEY"):
        Fake(resend_ok).sender("resend")


@pytest.mark.parametrize(
    ("provider", "answer"),
    [
        ("postmark", [{"ErrorCode": 0, "Message": "OK", "MessageID": None}]),
        ("resend", {"data": [{"id": None}]}),
        ("mailgun", {"id": None, "message": "Queued. Thank you."}),
        ("postmark", [{"ErrorCode": 0, "Message": "OK", "MessageID": {"odd": 1}}]),
    ],
)
def test_an_accepted_message_without_a_readable_id_has_none_not_the_text_none(
    provider: str, answer: object
) -> None:
    """A provider accepting a message with a null (or an object for an) id: the message is
    sent, with no provider id, never the id 'None' or a JSON text."""
    fake = Fake(lambda _request: httpx.Response(200, json=answer))
    [r] = fake.sender(provider, domain="mg.example.com").send_batch(msgs(1))
    assert r.status is SendStatus.SENT and r.provider_message_id is None


def test_a_provider_id_is_kept_as_one_plain_line() -> None:
    messy = "<abc\n123@mg.example.com>\u200b" + "x" * 300
    fake = Fake(lambda _request: httpx.Response(200, json={"id": messy, "message": "Queued."}))
    [r] = fake.sender("mailgun", domain="mg.example.com").send_batch(msgs(1))
    assert r.provider_message_id is not None
    assert r.provider_message_id.startswith("<abc 123@mg.example.com>xxx")
    assert len(r.provider_message_id) == 200


class _Loopback(BaseHTTPRequestHandler):
    """A real HTTP server's answers: a 200 that says gzip and is not (httpx cannot decode
    it), and a proxy that refuses every tunnel."""

    seen: ClassVar[list[str]] = []
    status: ClassVar[int] = 200

    def do_POST(self) -> None:
        self.seen.append("POST")
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b'[{"ErrorCode": 0, "MessageID": "not gzip"}]'
        self.send_response(self.status)
        self.send_header("Retry-After", "7")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_CONNECT(self) -> None:
        self.seen.append("CONNECT")
        self.send_response(407)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def loopback() -> Iterator[str]:
    _Loopback.seen = []
    _Loopback.status = 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Loopback)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def _real_sender(provider: str, client: httpx.Client, base_url: str) -> Sender[Any, Any]:
    own = {"base_url": base_url, **({"domain": "mg.example.com"} if provider == "mailgun" else {})}
    cfg = parse_config({"delivery": {"provider": provider, "max_attempts": 3, provider: own}})
    return get_sender(
        cfg.delivery,
        Secrets.from_env(),
        client=client,
        backoff=Backoff(sleep=lambda _s: None),
        limiter=RateLimiter(None),
    )


@pytest.mark.parametrize("provider", ["postmark", "sendgrid", "mailgun", "resend"])
def test_a_2xx_whose_body_cannot_be_decoded_is_unknown_not_a_raw_error(
    loopback: str, provider: str
) -> None:
    with httpx.Client() as client:
        results = _real_sender(provider, client, loopback).send_batch(msgs(2))
    assert {r.status for r in results} == {SendStatus.UNKNOWN}
    assert all("unreadable answer" in (r.reason or "") for r in results)
    assert _Loopback.seen == ["POST"] * len(_Loopback.seen) and _Loopback.seen  # never resent


@pytest.mark.parametrize("provider", ["postmark", "sendgrid", "mailgun", "resend"])
def test_an_error_status_whose_body_cannot_be_decoded_is_mapped_by_its_status(
    loopback: str, provider: str
) -> None:
    _Loopback.status = 422  # refused: nothing was sent, and sending again will not help
    with httpx.Client() as client, pytest.raises(ProviderError) as refused:
        _real_sender(provider, client, loopback).send_batch(msgs(2))
    assert refused.value.status == 422 and not refused.value.results
    assert _Loopback.seen == ["POST"]
    _Loopback.seen, _Loopback.status = [], 503  # unavailable: nothing was sent, retry
    with httpx.Client() as client:
        sender = _real_sender(provider, client, loopback)
        waits: list[float] = []
        sender.backoff = Backoff(sleep=waits.append)
        results = sender.send_batch(msgs(2))
    assert {r.status for r in results} == {SendStatus.RETRYABLE}
    assert all("HTTP 503" in (r.reason or "") for r in results)
    calls = 2 if provider == "mailgun" else 1  # Mailgun: one call per message
    assert _Loopback.seen == ["POST"] * 3 * calls and min(waits) >= 7  # Retry-After kept


def test_a_proxy_that_refuses_the_tunnel_is_retryable_not_a_raw_error(loopback: str) -> None:
    with httpx.Client(proxy=loopback) as client:
        results = _real_sender("postmark", client, "https://api.postmark.test").send_batch(msgs(2))
    assert {r.status for r in results} == {SendStatus.RETRYABLE}
    assert _Loopback.seen == ["CONNECT"] * 3  # nothing was sent: every attempt tried again
