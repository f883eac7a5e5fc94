"""Bounce and complaint webhooks of the HTTP providers: authenticate, then parse.

Each parser is a pure function from the provider's documented webhook JSON to a list of
:class:`WebhookEvent` (address, ``bounce`` | ``complaint``, reason). Only events that must
suppress the address are returned: hard/permanent bounces, provider deactivations and spam
complaints. Soft bounces, deliveries, opens and clicks are ignored on purpose (soft bounces
are retried by the provider).

Authentication (:func:`read_webhook`): every provider may use the shared secret
``NEWSLETTER_WEBHOOK_SECRET`` in the webhook URL (``?token=…``) or as the basic-auth
password; Mailgun's own HMAC signature (signing key = the secret) and Resend's Svix
signature (``whsec_…`` secret) are accepted too. Comparisons are constant-time.

Routes (mounted by the web app) call ``read_webhook(name, body, headers=…, token=…,
secret=…)`` with the secret read at the web app's start-up, and answer 200 even for events
they ignore.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from newsletter.errors import WebhookError

Kind = Literal["bounce", "complaint"]


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    email: str
    kind: Kind
    reason: str
    provider: str


def _obj(payload: Any, what: str) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise WebhookError(f"{what} webhook: expected a JSON object")
    return payload


# ------------------------------------------------------------------------- parsers

#: Postmark bounce Types that mean the address is gone (Postmark deactivates it too).
POSTMARK_HARD = {"HardBounce", "BadEmailAddress", "ManuallyDeactivated", "SpamNotification"}


def parse_postmark(payload: Any) -> list[WebhookEvent]:
    """Postmark bounce / spam-complaint webhook (one record per call)."""
    p = _obj(payload, "Postmark")
    record, addr = p.get("RecordType"), str(p.get("Email") or "")
    if record == "SpamComplaint" and addr:
        return [WebhookEvent(addr, "complaint", "spam complaint", "postmark")]
    if record == "Bounce" and addr and (p.get("Type") in POSTMARK_HARD or p.get("Inactive")):
        reason = f"{p.get('Type')}: {p.get('Description') or p.get('Details') or ''}".strip()
        return [WebhookEvent(addr, "bounce", reason, "postmark")]
    return []


def parse_sendgrid(payload: Any) -> list[WebhookEvent]:
    """SendGrid Event Webhook (a JSON array of events)."""
    if not isinstance(payload, list):
        raise WebhookError("SendGrid webhook: expected a JSON array of events")
    out: list[WebhookEvent] = []
    for e in payload:
        if not isinstance(e, dict) or not e.get("email"):
            continue
        addr, event = str(e["email"]), e.get("event")
        reason = str(e.get("reason") or e.get("status") or event)
        if event == "bounce" and e.get("type", "bounce") == "bounce":
            out.append(WebhookEvent(addr, "bounce", reason, "sendgrid"))
        elif event == "spamreport":
            out.append(WebhookEvent(addr, "complaint", "spam report", "sendgrid"))
        elif event == "dropped" and reason in ("Bounced Address", "Invalid"):
            out.append(WebhookEvent(addr, "bounce", reason, "sendgrid"))
        elif event == "dropped" and reason == "Spam Reporting Address":
            out.append(WebhookEvent(addr, "complaint", reason, "sendgrid"))
    return out


def parse_mailgun(payload: Any) -> list[WebhookEvent]:
    """Mailgun webhook (``event-data``: ``failed`` with severity permanent, ``complained``)."""
    data = _obj(_obj(payload, "Mailgun").get("event-data"), "Mailgun event-data")
    addr, event = str(data.get("recipient") or ""), data.get("event")
    if not addr:
        return []
    if event == "complained":
        return [WebhookEvent(addr, "complaint", "spam complaint", "mailgun")]
    if event == "failed" and data.get("severity") == "permanent":
        status = data.get("delivery-status") or {}
        text = status.get("description") or status.get("message") or data.get("reason", "")
        reason = f"{status.get('code', '')} {text}"
        return [WebhookEvent(addr, "bounce", reason.strip(), "mailgun")]
    return []


def parse_resend(payload: Any) -> list[WebhookEvent]:
    """Resend webhook (``email.bounced`` permanent bounces, ``email.complained``)."""
    p = _obj(payload, "Resend")
    data = _obj(p.get("data"), "Resend data")
    to = data.get("to") or []
    addrs = [str(a) for a in (to if isinstance(to, list) else [to]) if a]
    if p.get("type") == "email.complained":
        return [WebhookEvent(a, "complaint", "spam complaint", "resend") for a in addrs]
    if p.get("type") == "email.bounced":
        bounce = data.get("bounce") or {}
        if str(bounce.get("type", "Permanent")).lower() != "permanent":
            return []
        reason = str(bounce.get("message") or "bounced")
        return [WebhookEvent(a, "bounce", reason, "resend") for a in addrs]
    return []


PARSERS: dict[str, Callable[[Any], list[WebhookEvent]]] = {
    "postmark": parse_postmark,
    "sendgrid": parse_sendgrid,
    "mailgun": parse_mailgun,
    "resend": parse_resend,
}

# ------------------------------------------------------------------ authentication


def shared_secret_ok(provided: str | None, secret: str) -> bool:
    """Constant-time check of a shared secret (query token or basic-auth password)."""
    return bool(provided) and hmac.compare_digest(str(provided).encode(), secret.encode())


def basic_auth_password(authorization: str | None) -> str | None:
    """The password of an ``Authorization: Basic …`` header, if any."""
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[2] or None


def mailgun_signature_ok(
    payload: Any, signing_key: str, *, now: datetime, max_age: float = 900
) -> bool:
    """Mailgun: HMAC-SHA256(signing key, timestamp + token) == signature, and fresh."""
    sig = payload.get("signature") if isinstance(payload, dict) else None
    if not isinstance(sig, dict):
        return False
    ts, token, given = (
        str(sig.get("timestamp", "")),
        str(sig.get("token", "")),
        sig.get("signature"),
    )
    if not (ts.isdigit() and token and isinstance(given, str)):
        return False
    if abs(now.timestamp() - int(ts)) > max_age:
        return False
    want = hmac.new(signing_key.encode(), (ts + token).encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(want, given)


def svix_signature_ok(
    headers: Mapping[str, str], body: bytes, secret: str, *, now: datetime, max_age: float = 300
) -> bool:
    """Resend (Svix): base64 HMAC-SHA256 over ``id.timestamp.body`` with the whsec_ key."""
    h = {k.lower(): v for k, v in headers.items()}
    msg_id, ts, sigs = h.get("svix-id"), h.get("svix-timestamp"), h.get("svix-signature")
    if not (msg_id and ts and sigs and ts.isdigit()):
        return False
    if abs(now.timestamp() - int(ts)) > max_age:
        return False
    try:
        key = base64.b64decode(secret.removeprefix("whsec_"))
    except binascii.Error:
        return False
    mac = hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    want = base64.b64encode(mac).decode()
    return any(
        hmac.compare_digest(want, s.partition(",")[2]) for s in sigs.split() if s.startswith("v1,")
    )


def read_webhook(
    provider: str,
    body: bytes,
    *,
    headers: Mapping[str, str],
    secret: str,
    now: datetime,
    token: str | None = None,
) -> list[WebhookEvent]:
    """Authenticate one webhook request, then parse it; WebhookError when either fails.

    ``now`` judges the freshness of signed timestamps (Mailgun, Svix)."""
    if provider not in PARSERS:
        raise WebhookError(f"no webhook parser for provider {provider!r}")
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise WebhookError(f"{provider} webhook: body is not JSON") from None
    lower = {k.lower(): v for k, v in headers.items()}
    ok = shared_secret_ok(token, secret) or shared_secret_ok(
        basic_auth_password(lower.get("authorization")), secret
    )
    if not ok and provider == "mailgun":
        ok = mailgun_signature_ok(payload, secret, now=now)
    if not ok and provider == "resend":
        ok = svix_signature_ok(lower, body, secret, now=now)
    if not ok:
        raise WebhookError(f"{provider} webhook: missing or wrong secret/signature")
    return PARSERS[provider](payload)
