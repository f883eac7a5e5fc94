"""Mailgun: ``POST /v3/{domain}/messages`` (multipart form data), one call per message.

Each message carries the ledger's Message-ID (``h:Message-Id``), so a resend of an unknown
outcome is the same email, which mail clients and providers dedupe. Mailgun's batch sending
(many ``to`` with ``recipient-variables``) cannot give each recipient its own Message-ID
(the variables fill the body, not such headers), so every call holds one recipient, with its
bodies, ``List-Unsubscribe`` and metadata filled in, and its outcome is recorded as soon as
the call returns. A 200 accepts the message (one whose body cannot be read is ``unknown``:
it may be queued). A 400 saying the ``'to'`` parameter is not a valid address refuses the
call's one recipient (Mailgun's validator is not ours): that reader fails (and is
suppressed) and the send goes on; any other 400 (the ``from``, a sandbox's authorized
recipients) stops the send. Bounces arrive by webhook. A 404 can be transient (new domains
propagate), so it is retried.

The form is multipart, the bodies parts of their own with their charset: percent-encoding
a 50 KB HTML body for a urlencoded form cost ~14 ms of CPU a message, more than the call.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence

import httpx

from newsletter.delivery.base import CallFailed
from newsletter.delivery.http._base import (
    HttpCall,
    HttpSender,
    body_json,
    provider_id,
    short_body,
)
from newsletter.delivery.models import OutgoingMessage, SendResult, SendStatus
from newsletter.errors import ConfigError

#: Mailgun's 400 for an address it will not take (``'to' parameter is not a valid
#: address. please check documentation``): about the call's one recipient.
TO_REFUSED = re.compile(r"'to' parameter", re.IGNORECASE)


class MailgunSender(HttpSender):
    name = "mailgun"
    secret_name = "mailgun_api_key"
    default_base_url = "https://api.mailgun.net"
    batch_size = 1000
    rate_per_second = None

    @classmethod
    def per_call(cls) -> int:
        """One message per call: only then does each carry its own Message-ID."""
        return 1

    def auth_headers(self) -> dict[str, str]:
        token = base64.b64encode(f"api:{self.api_key}".encode()).decode("ascii")
        return {"Authorization": f"Basic {token}"}

    @property
    def domain(self) -> str:
        if not self.settings.domain:
            raise ConfigError("delivery.mailgun.domain: the Mailgun sending domain is required")
        return self.settings.domain

    def form(self, m: OutgoingMessage) -> dict[str, str | list[str]]:
        """One message's form fields but its bodies (:meth:`bodies`), filled in: its own
        ``h:Message-Id`` and links."""
        data: dict[str, str | list[str]] = {
            "from": m.sender.formatted(),
            "to": [m.to.formatted()],
            "subject": m.subject,
            "h:Message-Id": m.message_id,
            "v:issue_key": m.issue_key,
            "v:message_id": m.message_id,
            "v:subscriber_id": str(m.subscriber_id),
            "o:tracking": "no",
        }
        for k, val in m.list_headers() + list(m.headers):
            if k.lower() != "message-id":
                data[f"h:{k}"] = val
        return data

    @staticmethod
    def bodies(m: OutgoingMessage) -> list[tuple[str, tuple[None, bytes, str]]]:
        """The text and HTML bodies, as form parts (no file name) in UTF-8."""
        return [
            ("text", (None, m.text.encode("utf-8"), "text/plain; charset=utf-8")),
            ("html", (None, m.html.encode("utf-8"), "text/html; charset=utf-8")),
        ]

    def build_calls(self, messages: Sequence[OutgoingMessage]) -> list[HttpCall]:
        path = f"/v3/{self.domain}/messages"
        return [HttpCall((m,), path, data=self.form(m), files=self.bodies(m)) for m in messages]

    def refuse(self, resp: httpx.Response) -> None:
        if resp.status_code == 404:
            raise CallFailed(SendStatus.RETRYABLE, f"HTTP 404: {short_body(resp)}")

    def parse(self, call: HttpCall, response: httpx.Response) -> list[SendResult]:
        body = body_json(response)
        said = body.get("message") if isinstance(body, dict) else None
        if response.status_code == 400 and isinstance(said, str) and TO_REFUSED.search(said):
            # the call's one recipient (its validator is not ours): that reader fails
            reason = f"Mailgun 400: {said[:200]}"
            return [SendResult.of(m, SendStatus.PERMANENT, reason=reason) for m in call.messages]
        if not 200 <= response.status_code < 300:
            raise self.fail(response, "message refused")
        if not isinstance(body, dict):  # accepted, but unreadable: it may be queued
            why = f"Mailgun answered {response.status_code} with an unreadable body"
            return [SendResult.of(m, SendStatus.UNKNOWN, reason=why) for m in call.messages]
        pid = provider_id(body.get("id"))
        return [SendResult.of(m, SendStatus.SENT, provider_message_id=pid) for m in call.messages]
