"""Postmark: ``POST /email/batch``, up to 500 messages and 50 MB, per-message results in a 200.

Postmark answers 200 even when some messages failed; each entry of the response (in input
order) has an ``ErrorCode``: 0 sent, 406 inactive recipient (suppressed by Postmark: we
suppress too); account-level codes stop the send. 300 ("invalid email request") is about
the recipient only when its message names the ``'To'`` field (``Error parsing 'To':
Illegal email address``, ``Invalid 'To' address``): that one is permanent and suppressed.
Any other 300 refuses what every reader of the batch gets alike (``Invalid 'From'
address: ... is not a verified sender signature``, a header, a body): the send stops like
on an account code, and no reader is failed or suppressed for it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import httpx

from newsletter.delivery.http._base import (
    HttpCall,
    HttpSender,
    JsonSplicer,
    body_json,
    json_array,
    provider_id,
)
from newsletter.delivery.models import OutgoingMessage, SendResult, SendStatus

#: Per-message ErrorCodes that are the recipient's problem (never retry, suppress); 300
#: only when its message names the recipient's field (:data:`TO_FIELD`).
PERMANENT_CODES = {300: "invalid address", 406: "inactive recipient (Postmark suppression)"}
#: ErrorCode 300 ("invalid email request") for every kind of invalid field.
INVALID_REQUEST = 300
#: How Postmark names the recipient's field in a 300's message.
TO_FIELD = re.compile(r"'To'", re.IGNORECASE)
#: Largest request body of one batch call: Postmark takes "up to 500 messages per API
#: call, and up to 50 MB payload size" (read as 50,000,000 bytes, the smaller reading). A
#: 100 KB issue is some 115 KB of JSON a message, so 500 of them take two calls.
MAX_BATCH_BYTES = 50_000_000
#: Account/sender problems: retrying or bouncing the recipient would be wrong.
ACCOUNT_CODES = {10, 400, 401, 405, 412, 413}
#: Longest Metadata value Postmark takes ("field values are limited to 80 characters"; a
#: longer one refuses the message with ErrorCode 300, which stops the send). The
#: Message-ID on a sending domain of some 35 characters or more is longer.
METADATA_VALUE_MAX = 80


def metadata(m: OutgoingMessage) -> dict[str, str]:
    """The message's Metadata (field names of at most 20 characters): a value longer than
    :data:`METADATA_VALUE_MAX` is left out (the Message-ID is in the headers anyway),
    never cut to a different value."""
    values = {
        "issue_key": m.issue_key,
        "subscriber_id": str(m.subscriber_id),
        "message_id": m.message_id,
    }
    return {k: v for k, v in values.items() if len(v) <= METADATA_VALUE_MAX}


class PostmarkSender(HttpSender):
    name = "postmark"
    secret_name = "postmark_token"
    default_base_url = "https://api.postmarkapp.com"
    batch_size = 500
    rate_per_second = None  # not published; 429 is honoured

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.splicer = JsonSplicer()

    def auth_headers(self) -> dict[str, str]:
        return {"X-Postmark-Server-Token": self.api_key}

    def payload(self, m: OutgoingMessage) -> dict[str, Any]:
        """Every field but the bodies (HtmlBody and TextBody are spliced in)."""
        # the ledger's Message-ID: a resend of an unknown outcome is the same email
        headers = [{"Name": "Message-ID", "Value": m.message_id}] + [
            {"Name": k, "Value": v}
            for k, v in m.list_headers() + list(m.headers)
            if k not in ("Reply-To", "Message-ID")
        ]
        out: dict[str, Any] = {
            "From": m.sender.formatted(),
            "To": m.to.formatted(),
            "Subject": m.subject,
            "Headers": headers,
            "TrackOpens": False,
            "TrackLinks": "None",
            "Metadata": metadata(m),
        }
        if m.reply_to:
            out["ReplyTo"] = m.reply_to
        if self.settings.message_stream:
            out["MessageStream"] = self.settings.message_stream
        return out

    def build_calls(self, messages: Sequence[OutgoingMessage]) -> list[HttpCall]:
        """One call per :data:`MAX_BATCH_BYTES` of JSON (500 issues of 100 KB are more)."""
        calls: list[HttpCall] = []
        group: list[OutgoingMessage] = []
        items: list[bytes] = []
        size = 1  # "[" and "]", and a "," before each item but the first
        for m in messages:
            item = self.splicer.message(
                self.payload(m), m, html_key="HtmlBody", text_key="TextBody"
            )
            if group and size + len(item) + 1 > MAX_BATCH_BYTES:
                calls.append(HttpCall(tuple(group), "/email/batch", content=json_array(items)))
                group, items, size = [], [], 1
            group.append(m)
            items.append(item)
            size += len(item) + 1
        if group:
            calls.append(HttpCall(tuple(group), "/email/batch", content=json_array(items)))
        return calls

    def parse(self, call: HttpCall, response: httpx.Response) -> list[SendResult]:
        body = body_json(response)
        if response.status_code != 200:
            raise self.fail(response, "batch refused")
        readable = isinstance(body, list) and len(body) == len(call.messages)
        if not readable:  # accepted, but which message went out is unknown: like a timeout
            why = "Postmark answered 200 without one result per message"
            return [SendResult.of(m, SendStatus.UNKNOWN, reason=why) for m in call.messages]
        results: list[SendResult] = []
        fatal: str | None = None
        for m, entry in zip(call.messages, body, strict=True):
            code = _error_code(entry)
            text = str(entry.get("Message", "")) if isinstance(entry, dict) else ""
            if code is None:
                why = f"Postmark answered 200 with an unreadable result: {str(entry)[:80]}"
                results.append(SendResult.of(m, SendStatus.UNKNOWN, reason=why))
            elif code == 0:
                pid = provider_id(entry.get("MessageID"))
                results.append(SendResult.of(m, SendStatus.SENT, provider_message_id=pid))
            elif code == INVALID_REQUEST and not TO_FIELD.search(text):
                fatal = f"ErrorCode {code} (not about the recipient): {text}"
            elif code in PERMANENT_CODES:
                reason = f"Postmark {code} {PERMANENT_CODES[code]}: {text}"
                results.append(SendResult.of(m, SendStatus.PERMANENT, reason=reason))
            elif code in ACCOUNT_CODES:
                fatal = f"ErrorCode {code}: {text}"
            else:
                reason = f"Postmark {code}: {text}"
                results.append(SendResult.of(m, SendStatus.RETRYABLE, reason=reason))
        if fatal:
            err = self.fail(response, fatal)
            err.results = tuple(results)
            raise err
        return results


def _error_code(entry: object) -> int | None:
    """The ErrorCode of one result of a batch, or None when it has none that is a number."""
    code = entry.get("ErrorCode") if isinstance(entry, dict) else None
    if isinstance(code, bool) or not isinstance(code, int | str):
        return None
    try:
        return int(code)
    except ValueError:
        return None
