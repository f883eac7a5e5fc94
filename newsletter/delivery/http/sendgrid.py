"""SendGrid: ``POST /v3/mail/send`` with one personalization per recipient.

Messages sharing a content go in one request (up to 1,000 personalizations, each address
once): the body is uploaded once and SendGrid fills ``%%tag%%`` from each
personalization's ``substitutions``; ``Message-ID`` (the ledger's) and
``List-Unsubscribe`` are per-personalization headers. A 202 accepts every recipient
(``X-Message-Id``). A 400 whose errors all point at ``personalizations.N.to`` marks those
recipients permanent and the rest are resent at once. Click and open tracking are off.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import httpx

from newsletter.delivery.http._base import (
    HttpCall,
    HttpSender,
    body_json,
    group_by_content,
    provider_id,
    rename_tags,
    tag_values,
)
from newsletter.delivery.models import OutgoingMessage, SendResult, SendStatus
from newsletter.models import merge_tag

_FIELD_RE = re.compile(r"^personalizations\.([0-9]{1,6})\.to\b")


class SendGridSender(HttpSender):
    name = "sendgrid"
    secret_name = "sendgrid_api_key"
    default_base_url = "https://api.sendgrid.com"
    batch_size = 1000
    rate_per_second = None

    def payload(self, group: Sequence[OutgoingMessage]) -> dict[str, Any]:
        first = group[0]
        common = {
            k: v
            for k, v in first.list_headers() + list(first.headers)
            if k not in ("Reply-To", "List-Unsubscribe", "Message-ID")
        }
        out: dict[str, Any] = {
            "personalizations": [self.personalization(m) for m in group],
            "from": _mailbox(first.sender.email, first.sender.name),
            "subject": first.subject,
            "content": [
                {"type": "text/plain", "value": first.content.text},
                {
                    "type": "text/html",
                    "value": rename_tags(first.content.html, "%%{name}%%", suffix="__html"),
                },
            ],
            "headers": common,
            "tracking_settings": {
                "click_tracking": {"enable": False},
                "open_tracking": {"enable": False},
            },
        }
        if first.reply_to:
            out["reply_to"] = {"email": first.reply_to}
        return out

    def personalization(self, m: OutgoingMessage) -> dict[str, Any]:
        return {
            "to": [_mailbox(m.to.email, m.to.name)],
            # per recipient: the ledger's Message-ID (a resend is the same email) and link
            "headers": {"Message-ID": m.message_id, "List-Unsubscribe": m.list_unsubscribe},
            "substitutions": {merge_tag(k): v for k, v in tag_values(m).items()},
            "custom_args": {
                "issue_key": m.issue_key,
                "subscriber_id": str(m.subscriber_id),
                "message_id": m.message_id,
            },
        }

    def build_calls(self, messages: Sequence[OutgoingMessage]) -> list[HttpCall]:
        return [
            HttpCall(group, "/v3/mail/send", json=self.payload(group))
            for group in group_by_content(messages, self.batch_size)
        ]

    def parse(self, call: HttpCall, response: httpx.Response) -> list[SendResult]:
        if response.status_code in (200, 202):
            pid = provider_id(response.headers.get("x-message-id"))
            return [
                SendResult.of(m, SendStatus.SENT, provider_message_id=pid) for m in call.messages
            ]
        if response.status_code == 400:
            bad = self._bad_recipients(response, len(call.messages))
            if bad:
                return [
                    SendResult.of(m, SendStatus.PERMANENT, reason=f"SendGrid: {bad[i]}")
                    if i in bad
                    else SendResult.of(
                        m,
                        SendStatus.RETRYABLE,
                        retry_after=0.0,
                        reason="request refused for another recipient",
                    )
                    for i, m in enumerate(call.messages)
                ]
        raise self.fail(response, "request refused")

    @staticmethod
    def _bad_recipients(response: httpx.Response, n: int) -> dict[int, str]:
        """The request's refused recipients by index (of its ``n``); empty when the body is
        not a list of errors that each name one of them (the whole request is refused)."""
        body = body_json(response)
        errors = body.get("errors") if isinstance(body, dict) else None
        if not errors or not isinstance(errors, list):
            return {}
        bad: dict[int, str] = {}
        for e in errors:
            m = _FIELD_RE.match(str(e.get("field") or "")) if isinstance(e, dict) else None
            if not m or int(m.group(1)) >= n:
                return {}  # some error is not about a recipient: the whole request is bad
            bad[int(m.group(1))] = str(e.get("message", "invalid recipient"))
        return bad


def _mailbox(email: str, name: str | None) -> dict[str, str]:
    return {"email": email, "name": name} if name else {"email": email}
