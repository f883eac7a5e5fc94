"""Webhook parsers map each provider's documented JSON; authentication is required."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta

import pytest

from newsletter.delivery.webhooks import (
    WebhookEvent,
    parse_mailgun,
    parse_postmark,
    parse_resend,
    parse_sendgrid,
    read_webhook,
)
from newsletter.errors import WebhookError
from tests.conftest import NOW

SECRET = "s3cret-webhook"


def test_postmark_hard_bounce_complaint_and_soft_bounce() -> None:
    hard = {
        "RecordType": "Bounce",
        "Type": "HardBounce",
        "TypeCode": 1,
        "Email": "a@x.org",
        "Description": "The server was unable to deliver your message",
        "Inactive": True,
    }
    soft = {
        "RecordType": "Bounce",
        "Type": "SoftBounce",
        "TypeCode": 4096,
        "Email": "b@x.org",
        "Inactive": False,
    }
    spam = {"RecordType": "SpamComplaint", "Type": "SpamComplaint", "Email": "c@x.org"}
    assert parse_postmark(hard) == [
        WebhookEvent(
            "a@x.org",
            "bounce",
            "HardBounce: The server was unable to deliver your message",
            "postmark",
        )
    ]
    assert parse_postmark(soft) == []
    assert parse_postmark(spam)[0].kind == "complaint"


def test_sendgrid_events() -> None:
    events = [
        {"email": "a@x.org", "event": "bounce", "type": "bounce", "reason": "550 5.1.1 unknown"},
        {"email": "b@x.org", "event": "bounce", "type": "blocked", "reason": "421 try later"},
        {"email": "c@x.org", "event": "spamreport"},
        {"email": "d@x.org", "event": "delivered"},
        {"email": "e@x.org", "event": "dropped", "reason": "Bounced Address"},
    ]
    got = parse_sendgrid(events)
    assert [(e.email, e.kind) for e in got] == [
        ("a@x.org", "bounce"),
        ("c@x.org", "complaint"),
        ("e@x.org", "bounce"),
    ]
    with pytest.raises(WebhookError):
        parse_sendgrid({"not": "a list"})


def test_mailgun_and_resend_events() -> None:
    failed = {
        "event-data": {
            "event": "failed",
            "severity": "permanent",
            "recipient": "a@x.org",
            "delivery-status": {"code": 550, "description": "No such mailbox"},
        }
    }
    temp = {"event-data": {"event": "failed", "severity": "temporary", "recipient": "b@x.org"}}
    comp = {"event-data": {"event": "complained", "recipient": "c@x.org"}}
    assert parse_mailgun(failed) == [
        WebhookEvent("a@x.org", "bounce", "550 No such mailbox", "mailgun")
    ]
    assert parse_mailgun(temp) == [] and parse_mailgun(comp)[0].kind == "complaint"
    bounced = {
        "type": "email.bounced",
        "data": {
            "to": ["d@x.org"],
            "bounce": {"type": "Permanent", "message": "mailbox does not exist"},
        },
    }
    transient = {
        "type": "email.bounced",
        "data": {"to": ["e@x.org"], "bounce": {"type": "Transient"}},
    }
    complained = {"type": "email.complained", "data": {"to": ["f@x.org"]}}
    assert parse_resend(bounced) == [
        WebhookEvent("d@x.org", "bounce", "mailbox does not exist", "resend")
    ]
    assert parse_resend(transient) == [] and parse_resend(complained)[0].kind == "complaint"


def test_shared_secret_is_required_and_compared() -> None:
    body = json.dumps({"RecordType": "SpamComplaint", "Email": "c@x.org"}).encode()
    assert read_webhook("postmark", body, headers={}, secret=SECRET, now=NOW, token=SECRET)
    basic = "Basic " + base64.b64encode(f"hook:{SECRET}".encode()).decode()
    assert read_webhook("postmark", body, headers={"Authorization": basic}, secret=SECRET, now=NOW)
    for token in (None, "", "wrong"):
        with pytest.raises(WebhookError, match="wrong secret"):
            read_webhook("postmark", body, headers={}, secret=SECRET, now=NOW, token=token)
    with pytest.raises(WebhookError, match="not JSON"):
        read_webhook("postmark", b"<xml/>", headers={}, secret=SECRET, now=NOW, token=SECRET)
    with pytest.raises(WebhookError, match="no webhook parser"):
        read_webhook("pigeon", body, headers={}, secret=SECRET, now=NOW, token=SECRET)


def test_mailgun_native_signature() -> None:
    ts, token = str(int(NOW.timestamp())), "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0"
    sig = hmac.new(SECRET.encode(), (ts + token).encode(), hashlib.sha256).hexdigest()
    payload = {
        "signature": {"timestamp": ts, "token": token, "signature": sig},
        "event-data": {"event": "complained", "recipient": "c@x.org"},
    }
    assert read_webhook("mailgun", json.dumps(payload).encode(), headers={}, secret=SECRET, now=NOW)
    late = NOW + timedelta(minutes=16)  # Mailgun signatures are fresh for 15 minutes
    with pytest.raises(WebhookError):
        read_webhook("mailgun", json.dumps(payload).encode(), headers={}, secret=SECRET, now=late)
    payload["signature"]["signature"] = "0" * 64  # type: ignore[index]
    with pytest.raises(WebhookError):
        read_webhook("mailgun", json.dumps(payload).encode(), headers={}, secret=SECRET, now=NOW)


def test_resend_svix_signature() -> None:
    secret = "whsec_" + base64.b64encode(b"resend-signing-key-0123456789").decode()
    body = json.dumps({"type": "email.complained", "data": {"to": ["f@x.org"]}}).encode()
    ts = str(int(NOW.timestamp()))
    mac = hmac.new(b"resend-signing-key-0123456789", f"msg_1.{ts}.".encode() + body, hashlib.sha256)
    headers = {
        "svix-id": "msg_1",
        "svix-timestamp": ts,
        "svix-signature": "v1,bogus v1," + base64.b64encode(mac.digest()).decode(),
    }
    assert (
        read_webhook("resend", body, headers=headers, secret=secret, now=NOW)[0].email == "f@x.org"
    )
    with pytest.raises(WebhookError):
        read_webhook("resend", body + b" ", headers=headers, secret=secret, now=NOW)
    late = NOW + timedelta(minutes=6)  # Svix timestamps are fresh for 5 minutes
    with pytest.raises(WebhookError):
        read_webhook("resend", body, headers=headers, secret=secret, now=late)


def test_odd_bodies_and_timestamps_are_refused_never_a_crash() -> None:
    from newsletter.delivery.webhooks import load_json, mailgun_signature_ok, svix_signature_ok

    with pytest.raises(WebhookError, match="body is not JSON"):
        load_json(b'{"a": ' + b"1" * 5000 + b"}", "mailgun")  # past Python's digit limit
    sig = {"signature": {"timestamp": "\u00b2", "token": "x", "signature": "y"}}
    assert mailgun_signature_ok(sig, "key", now=NOW) is False  # "²".isdigit() is True
    headers = {"svix-id": "m1", "svix-timestamp": "\u00b2", "svix-signature": "v1,x"}
    assert svix_signature_ok(headers, b"{}", "whsec_a2V5", now=NOW) is False
    # an event whose Type is a list is no hard bounce (and no TypeError)
    odd = {"RecordType": "Bounce", "Email": "a@example.com", "Type": ["HardBounce"]}
    assert parse_postmark(odd) == []
