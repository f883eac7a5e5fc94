"""Resend: ``POST /emails/batch``, up to 100 emails, 2 requests/s, ``Idempotency-Key``.

Batches use permissive validation (``x-batch-validation: permissive``): valid emails are
queued and invalid ones come back by index in ``errors``: one whose error names the ``to``
field is permanent (and suppressed); any other (the ``from``, a header, the subject) is
about what every email carries alike, so the send stops with it (the accepted ones are
recorded sent, the refused ones stay to send) and no reader is suppressed for it. A 2xx
whose body cannot be read leaves the whole call ``unknown``. The idempotency key is derived
from the request's body (which holds the Message-IDs), so a retry of the same batch (after
a 5xx, a 409 ``concurrent_idempotent_requests`` or a timeout) reuses it and Resend never
sends twice; that is why ``unknown`` outcomes are retried here. A later run's request for
the same emails carries links signed anew, so it has a key of its own (Resend would refuse
the old key with another body); those emails go out again with their Message-IDs.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

import httpx

from newsletter.delivery.base import CallFailed
from newsletter.delivery.http._base import (
    HttpCall,
    HttpSender,
    JsonSplicer,
    body_json,
    json_array,
    provider_id,
    short_body,
)
from newsletter.delivery.models import OutgoingMessage, SendResult, SendStatus

QUOTA_ERRORS = {"daily_quota_exceeded", "monthly_quota_exceeded"}
#: How Resend names the recipient's field in a validation error ("Invalid `to` field").
TO_FIELD = re.compile(r"[`'\"]to[`'\"]", re.IGNORECASE)


def idempotency_key(messages: Sequence[OutgoingMessage], body: bytes) -> str:
    """Stable per request: issue key + hash of the body sent (<= 256 chars). The body holds
    each email's Message-ID; hashing all of it, not the ids alone, gives a later run's
    request for the same emails a key of its own when it differs (links signed anew,
    a changed name): Resend refuses a key it has seen with another payload (409
    ``invalid_idempotent_request``) for 24 hours, which stopped every run of that day."""
    return f"{messages[0].issue_key}/{hashlib.sha256(body).hexdigest()[:40]}"


class ResendSender(HttpSender):
    name = "resend"
    secret_name = "resend_api_key"
    default_base_url = "https://api.resend.com"
    batch_size = 100
    rate_per_second = 2.0
    retry_unknown = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.splicer = JsonSplicer()

    def payload(self, m: OutgoingMessage) -> dict[str, Any]:
        """Every field but the bodies (html and text are spliced in)."""
        out: dict[str, Any] = {
            "from": m.sender.formatted(),
            "to": [m.to.formatted()],
            "subject": m.subject,
            "headers": {
                "Message-ID": m.message_id,  # the ledger's: a resend is the same email
                **{
                    k: v
                    for k, v in m.list_headers() + list(m.headers)
                    if k not in ("Reply-To", "Message-ID")
                },
            },
            "tags": [{"name": "issue", "value": m.issue_key}],
        }
        if m.reply_to:
            out["reply_to"] = [m.reply_to]
        return out

    def build_calls(self, messages: Sequence[OutgoingMessage]) -> list[HttpCall]:
        if not messages:
            return []
        body = json_array(
            self.splicer.message(self.payload(m), m, html_key="html", text_key="text")
            for m in messages
        )
        return [
            HttpCall(
                tuple(messages),
                "/emails/batch",
                content=body,
                headers={
                    "Idempotency-Key": idempotency_key(messages, body),
                    "x-batch-validation": "permissive",
                },
            )
        ]

    def refuse(self, resp: httpx.Response) -> None:
        body = body_json(resp)
        name = body.get("name") if isinstance(body, dict) else None
        if resp.status_code == 429 and name in QUOTA_ERRORS:
            raise self.fail(resp, f"{name}: stop for now and resume later")
        if resp.status_code == 409:
            if name == "concurrent_idempotent_requests":
                raise CallFailed(SendStatus.RETRYABLE, f"HTTP 409 {name}", retry_after=1.0)
            raise self.fail(resp, f"idempotency conflict: {short_body(resp)}")

    def parse(self, call: HttpCall, response: httpx.Response) -> list[SendResult]:
        body = body_json(response)
        if not 200 <= response.status_code < 300:
            raise self.fail(response, "batch refused")
        readable = _readable(body, len(call.messages))
        if readable is None:  # accepted, but which email went out is unknown: like a timeout
            # (the whole call, so that its retry carries the same Idempotency-Key)
            why = f"Resend answered {response.status_code} with an unreadable body"
            return [SendResult.of(m, SendStatus.UNKNOWN, reason=why) for m in call.messages]
        errors, accepted = readable
        ids = iter(accepted)
        results = []
        refused: str | None = None
        for i, m in enumerate(call.messages):
            if i in errors and not TO_FIELD.search(errors[i]):
                refused = refused or errors[i]  # what every email of the batch carries alike
            elif i in errors:
                reason = f"Resend validation: {errors[i]}"
                results.append(SendResult.of(m, SendStatus.PERMANENT, reason=reason))
            else:
                pid = provider_id(next(ids))
                results.append(SendResult.of(m, SendStatus.SENT, provider_message_id=pid))
        if refused is not None:
            err = self.fail(response, f"validation error not about the recipient: {refused}")
            err.results = tuple(results)
            raise err
        return results


def _readable(body: object, n: int) -> tuple[dict[int, str], list[object]] | None:
    """The per-index validation errors and the ids of an answer to a batch of ``n``, or None
    when the body is not one (not JSON, not an object, entries of the wrong shape, an id
    missing for an accepted email)."""
    if not isinstance(body, dict):
        return None
    errors, data = body.get("errors") or [], body.get("data") or []
    if not isinstance(errors, list) or not isinstance(data, list):
        return None
    try:
        by_index = {int(e["index"]): str(e.get("message", "")) for e in errors}
        ids = [d["id"] for d in data]
    except (TypeError, KeyError, ValueError, AttributeError, OverflowError):  # index 1e400
        return None
    if len(ids) < n - len(by_index.keys() & set(range(n))):
        return None
    return by_index, ids
