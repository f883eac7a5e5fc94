"""Bounce and complaint webhooks of the HTTP providers: authenticate, then parse, event by event.

Authentication comes first and, wherever the provider allows it, before the body is read:
:func:`check_head` looks only at the query string and the headers. Every provider may use
the shared secret ``NEWSLETTER_WEBHOOK_SECRET`` as ``?token=…`` or as the basic-auth
password; Resend's Svix signature needs its three headers (with a fresh timestamp) before
the body is read and is verified over the body afterwards (:func:`check_body`); Mailgun's
HMAC signature travels inside the JSON body, so such a request is read (up to the caller's
size cap) and then checked. Comparisons are constant-time.

A provider signature is good for one request: :func:`check_body` returns its
:class:`Nonce` (Mailgun's token, Svix's message id) with the moment its timestamp goes
stale, and the caller refuses a nonce it has seen before (the web route keeps them in the
database: ``newsletter.web.hooks``). Mailgun's HMAC covers only its timestamp and token, so
without that a captured signature block could be posted again with any event data.

The body is JSON nested at most :data:`MAX_DEPTH` deep (:func:`load_json`). Each provider's
payload is split into records (:data:`RECORDS`: one for Postmark, Mailgun and Resend, an
array for SendGrid) and each record is parsed on its own (:data:`PARSERS`), so a malformed
record is rejected with its reason while the others are applied (:func:`parse_events`).
Only events that must suppress the address are returned: hard/permanent bounces, provider
deactivations and spam complaints. Soft bounces, deliveries, opens and clicks are ignored
on purpose (soft bounces are retried by the provider). Required fields of the wrong type
reject the record; descriptive fields of the wrong type are left out of the reason.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from typing import Any, Literal

from newsletter.errors import WebhookAuthError, WebhookError
from newsletter.util.http import basic_credentials

Kind = Literal["bounce", "complaint"]
#: Deepest JSON nesting accepted (provider payloads nest 4 levels at most).
MAX_DEPTH = 32
#: Most records handled from one request.
MAX_RECORDS = 10_000
#: How far a Mailgun signature's timestamp may be from now (Mailgun's own advice: 15 minutes).
MAILGUN_MAX_AGE = 900.0
#: How far a Svix (Resend) timestamp may be from now (Svix's libraries: 5 minutes).
SVIX_MAX_AGE = 300.0


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    email: str
    kind: Kind
    reason: str
    provider: str
    #: The number of the request's record it came from (1 for a single-record payload), as
    #: the answer's errors count them.
    record: int = 1


@dataclass
class WebhookBatch:
    """The suppressing events of one request, and what was left out: records that carry
    no suppressing event (``ignored``) and malformed ones with their reasons (``rejected``)."""

    events: list[WebhookEvent] = field(default_factory=list)
    ignored: int = 0
    rejected: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Nonce:
    """What makes one signed webhook request unique (Mailgun's ``token``, Svix's
    ``svix-id``), and the last instant its signature is fresh: it must be refused again
    until then, and may be forgotten after."""

    provider: str
    value: str
    expires: datetime

    @property
    def key(self) -> str:
        """SHA-256 of provider and value: fixed length, and nothing the provider sent."""
        return hashlib.sha256(_utf8(f"{self.provider}\0{self.value}")).hexdigest()


def _obj(payload: Any, what: str) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise WebhookError(f"{what}: expected a JSON object")
    return payload


def _address(value: Any, what: str) -> str:
    """A required address field: a non-empty string ('' when absent); an address given as
    the message was addressed, ``Name <address>`` (Resend echoes the ``to`` it was sent,
    with the reader's name), is its address."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise WebhookError(f"{what} is not a string")
    text = value.strip()
    if text.endswith(">") and "<" in text:
        return parseaddr(text)[1].strip() or text
    return text


def _text(*values: Any) -> str:
    """The first descriptive value that is text or a number ('' when none is)."""
    for v in values:
        if isinstance(v, str | int | float) and not isinstance(v, bool) and str(v).strip():
            return str(v).strip()
    return ""


# ------------------------------------------------------------------------- parsers

#: Postmark bounce Types that mean the address is gone (Postmark deactivates it too).
POSTMARK_HARD = {"HardBounce", "BadEmailAddress", "ManuallyDeactivated", "SpamNotification"}


def parse_postmark(payload: Any) -> list[WebhookEvent]:
    """Postmark bounce / spam-complaint webhook (one record per call)."""
    p = _obj(payload, "Postmark webhook")
    record, addr = p.get("RecordType"), _address(p.get("Email"), "Email")
    if record == "SpamComplaint" and addr:
        return [WebhookEvent(addr, "complaint", "spam complaint", "postmark")]
    if (
        record == "Bounce"
        and addr
        and (_text(p.get("Type")) in POSTMARK_HARD or p.get("Inactive") is True)
    ):
        detail = _text(p.get("Description"), p.get("Details"))
        reason = f"{_text(p.get('Type')) or 'Bounce'}: {detail}".strip(": ")
        return [WebhookEvent(addr, "bounce", reason, "postmark")]
    return []


def sendgrid_records(payload: Any) -> list[Any]:
    if not isinstance(payload, list):
        raise WebhookError("SendGrid webhook: expected a JSON array of events")
    return payload


def parse_sendgrid_event(e: Any) -> list[WebhookEvent]:
    """One event of a SendGrid Event Webhook batch."""
    e = _obj(e, "SendGrid event")
    addr, event = _address(e.get("email"), "email"), e.get("event")
    if not addr:
        return []
    reason = _text(e.get("reason"), e.get("status"), event) or "bounce"
    if event == "bounce" and e.get("type", "bounce") == "bounce":
        return [WebhookEvent(addr, "bounce", reason, "sendgrid")]
    if event == "spamreport":
        return [WebhookEvent(addr, "complaint", "spam report", "sendgrid")]
    if event == "dropped" and reason in ("Bounced Address", "Invalid"):
        return [WebhookEvent(addr, "bounce", reason, "sendgrid")]
    if event == "dropped" and reason == "Spam Reporting Address":
        return [WebhookEvent(addr, "complaint", reason, "sendgrid")]
    return []


def parse_sendgrid(payload: Any) -> list[WebhookEvent]:
    """SendGrid Event Webhook (a JSON array of events); non-object entries are skipped."""
    return [
        ev
        for e in sendgrid_records(payload)
        if isinstance(e, dict)
        for ev in parse_sendgrid_event(e)
    ]


def parse_mailgun(payload: Any) -> list[WebhookEvent]:
    """Mailgun webhook (``event-data``: ``failed`` with severity permanent, ``complained``)."""
    data = _obj(_obj(payload, "Mailgun webhook").get("event-data"), "Mailgun event-data")
    addr, event = _address(data.get("recipient"), "recipient"), data.get("event")
    if not addr:
        return []
    if event == "complained":
        return [WebhookEvent(addr, "complaint", "spam complaint", "mailgun")]
    if event == "failed" and data.get("severity") == "permanent":
        status = data.get("delivery-status")
        status = status if isinstance(status, dict) else {}
        text = _text(status.get("description"), status.get("message"), data.get("reason"))
        reason = f"{_text(status.get('code'))} {text}".strip() or "permanent failure"
        return [WebhookEvent(addr, "bounce", reason, "mailgun")]
    return []


def parse_resend(payload: Any) -> list[WebhookEvent]:
    """Resend webhook (``email.bounced`` permanent bounces, ``email.complained``)."""
    p = _obj(payload, "Resend webhook")
    kind = p.get("type")
    if kind not in ("email.bounced", "email.complained"):
        return []
    data = _obj(p.get("data"), "Resend data")
    to = data.get("to") or []
    if not isinstance(to, list | str):
        raise WebhookError("Resend data.to is not an address or a list of addresses")
    addrs = [
        a for a in (_address(x, "data.to") for x in (to if isinstance(to, list) else [to])) if a
    ]
    if kind == "email.complained":
        return [WebhookEvent(a, "complaint", "spam complaint", "resend") for a in addrs]
    bounce = data.get("bounce", {})
    if not isinstance(bounce, dict):
        raise WebhookError("Resend data.bounce is not an object")
    if _text(bounce.get("type")).lower() not in ("", "permanent"):
        return []
    reason = _text(bounce.get("message")) or "bounced"
    return [WebhookEvent(a, "bounce", reason, "resend") for a in addrs]


#: A provider's payload as its list of records.
RECORDS: dict[str, Callable[[Any], list[Any]]] = {
    "postmark": lambda p: [p],
    "sendgrid": sendgrid_records,
    "mailgun": lambda p: [p],
    "resend": lambda p: [p],
}
#: One record of a provider's payload as its suppressing events (WebhookError if malformed).
PARSERS: dict[str, Callable[[Any], list[WebhookEvent]]] = {
    "postmark": parse_postmark,
    "sendgrid": parse_sendgrid_event,
    "mailgun": parse_mailgun,
    "resend": parse_resend,
}


def parse_events(provider: str, payload: Any) -> WebhookBatch:
    """Every record of ``payload`` parsed on its own: a malformed one is rejected with its
    reason, the others are kept. WebhookError only when the payload as a whole is not the
    provider's shape (e.g. SendGrid's array is an object)."""
    records = RECORDS[provider](payload)
    if len(records) > MAX_RECORDS:
        raise WebhookError(f"{provider} webhook: more than {MAX_RECORDS} events in one request")
    batch = WebhookBatch()
    for i, record in enumerate(records, start=1):
        try:
            events = PARSERS[provider](record)
        except WebhookError as exc:
            batch.rejected.append(f"event {i}: {exc}")
            continue
        if events:
            batch.events.extend(replace(e, record=i) for e in events)
        else:
            batch.ignored += 1
    return batch


def _seconds(ts: str) -> bool:
    """Whether ``ts`` is a Unix time in ASCII digits (``"²"`` is a digit to ``isdigit`` and
    no number to ``int``)."""
    return ts.isascii() and ts.isdigit() and len(ts) < 16


def load_json(body: bytes, provider: str) -> Any:
    """The JSON body, nested at most :data:`MAX_DEPTH` deep; WebhookError otherwise."""
    try:
        payload = json.loads(body)
    except ValueError:  # not JSON, not UTF-8, or a number past Python's digit limit
        raise WebhookError(f"{provider} webhook: body is not JSON") from None
    except RecursionError:
        raise WebhookError(f"{provider} webhook: JSON nested more than {MAX_DEPTH} deep") from None
    stack: list[tuple[Any, int]] = [(payload, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise WebhookError(f"{provider} webhook: JSON nested more than {MAX_DEPTH} deep")
            children = value.values() if isinstance(value, dict) else value
            stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return payload


# ------------------------------------------------------------------ authentication


def _utf8(text: str) -> bytes:
    """``text`` as UTF-8, a lone surrogate (a JSON ``"\\ud800"``) kept as its three bytes:
    text an attacker sends is signed or compared, never a UnicodeEncodeError."""
    return text.encode("utf-8", "surrogatepass")


def _same(want: str, given: str) -> bool:
    """Constant-time equality of a computed signature and a given one, whatever the given
    text holds (``hmac.compare_digest`` refuses to compare text beyond ASCII)."""
    return hmac.compare_digest(_utf8(want), _utf8(given))


def shared_secret_ok(provided: str | None, secret: str) -> bool:
    """Constant-time check of a shared secret (query token or basic-auth password)."""
    return bool(provided) and _same(secret, str(provided))


def basic_auth_password(authorization: str | None) -> str | None:
    """The password of an ``Authorization: Basic …`` header, if any."""
    credentials = basic_credentials(authorization)
    return (credentials[1] or None) if credentials else None


def mailgun_nonce(payload: Any, max_age: float = MAILGUN_MAX_AGE) -> Nonce:
    """The nonce of a Mailgun request whose signature :func:`mailgun_signature_ok` passed."""
    sig = payload["signature"]
    expires = datetime.fromtimestamp(int(sig["timestamp"]), tz=UTC) + timedelta(seconds=max_age)
    return Nonce("mailgun", str(sig["token"]), expires)


def svix_nonce(headers: Mapping[str, str], max_age: float = SVIX_MAX_AGE) -> Nonce:
    """The nonce of a Svix request whose signature :func:`svix_signature_ok` passed."""
    h = {k.lower(): v for k, v in headers.items()}
    ts = datetime.fromtimestamp(int(h["svix-timestamp"]), tz=UTC)
    return Nonce("resend", h["svix-id"], ts + timedelta(seconds=max_age))


def mailgun_signature_ok(
    payload: Any, signing_key: str, *, now: datetime, max_age: float = MAILGUN_MAX_AGE
) -> bool:
    """Mailgun: HMAC-SHA256(signing key, timestamp + token) == signature, and fresh.

    The event data is not signed: the caller must also refuse a token it has seen
    (:func:`mailgun_nonce`)."""
    sig = payload.get("signature") if isinstance(payload, dict) else None
    if not isinstance(sig, dict):
        return False
    ts, token, given = (
        str(sig.get("timestamp", "")),
        str(sig.get("token", "")),
        sig.get("signature"),
    )
    if not (_seconds(ts) and token and isinstance(given, str)):
        return False
    if abs(now.timestamp() - int(ts)) > max_age:
        return False
    want = hmac.new(signing_key.encode(), _utf8(ts + token), hashlib.sha256).hexdigest()
    return _same(want, given)


def _svix_fresh(h: Mapping[str, str], now: datetime, max_age: float) -> bool:
    ts = h.get("svix-timestamp", "")
    return (
        bool(h.get("svix-id") and h.get("svix-signature"))
        and _seconds(ts)
        and abs(now.timestamp() - int(ts)) <= max_age
    )


def svix_signature_ok(
    headers: Mapping[str, str],
    body: bytes,
    secret: str,
    *,
    now: datetime,
    max_age: float = SVIX_MAX_AGE,
) -> bool:
    """Resend (Svix): base64 HMAC-SHA256 over ``id.timestamp.body`` with the whsec_ key."""
    h = {k.lower(): v for k, v in headers.items()}
    if not _svix_fresh(h, now, max_age):
        return False
    try:
        key = base64.b64decode(secret.removeprefix("whsec_"))
    except binascii.Error:
        return False
    msg = _utf8(f"{h['svix-id']}.{h['svix-timestamp']}.") + body
    want = base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()
    return any(
        _same(want, s.partition(",")[2]) for s in h["svix-signature"].split() if s.startswith("v1,")
    )


Head = Literal["authenticated", "check-body"]


def check_head(
    provider: str,
    headers: Mapping[str, str],
    *,
    secret: str,
    now: datetime,
    token: str | None = None,
) -> Head:
    """Authenticate a request from its query token and headers alone, before its body.

    ``authenticated``: the shared secret was given. ``check-body``: a provider signature
    that covers the body may still authenticate it (Mailgun's in-body HMAC; Resend's Svix
    headers, present and fresh): read the body under the size cap, then :func:`check_body`.
    Raises WebhookAuthError when nothing can authenticate the request.
    """
    if provider not in PARSERS:
        raise WebhookError(f"no webhook parser for provider {provider!r}")
    lower = {k.lower(): v for k, v in headers.items()}
    if shared_secret_ok(token, secret) or shared_secret_ok(
        basic_auth_password(lower.get("authorization")), secret
    ):
        return "authenticated"
    if provider == "mailgun" or (provider == "resend" and _svix_fresh(lower, now, SVIX_MAX_AGE)):
        return "check-body"
    raise WebhookAuthError(f"{provider} webhook: missing or wrong secret/signature")


def check_body(
    provider: str,
    payload: Any,
    body: bytes,
    headers: Mapping[str, str],
    *,
    secret: str,
    now: datetime,
) -> Nonce:
    """The second half of a ``check-body`` authentication: the request's :class:`Nonce`,
    which the caller must refuse when it has seen it before; WebhookAuthError when the
    signature fails."""
    if provider == "mailgun" and mailgun_signature_ok(payload, secret, now=now):
        return mailgun_nonce(payload)
    if provider == "resend" and svix_signature_ok(headers, body, secret, now=now):
        return svix_nonce(headers)
    raise WebhookAuthError(f"{provider} webhook: missing or wrong secret/signature")


def read_webhook(
    provider: str,
    body: bytes,
    *,
    headers: Mapping[str, str],
    secret: str,
    now: datetime,
    token: str | None = None,
) -> list[WebhookEvent]:
    """Authenticate one webhook request whose body is at hand, then parse it strictly:
    WebhookError when authentication, the JSON or any record fails. (The web route
    authenticates before reading and keeps the good records of a batch: see
    :func:`check_head` and :func:`parse_events`.)

    ``now`` judges the freshness of signed timestamps (Mailgun, Svix). This keeps no record
    of nonces, so it does not refuse a replayed signature: the web route does."""
    head = check_head(provider, headers, secret=secret, now=now, token=token)
    payload = load_json(body, provider)
    if head == "check-body":
        check_body(provider, payload, body, headers, secret=secret, now=now)
    batch = parse_events(provider, payload)
    if batch.rejected:
        raise WebhookError(f"{provider} webhook: {batch.rejected[0]}")
    return batch.events
