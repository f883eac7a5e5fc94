"""Mailgun: ``POST /v3/{domain}/messages`` (form data) with ``recipient-variables``.

Messages sharing a content go in one call (up to 1,000 recipients, each address once).
``recipient-variables`` is always sent, so Mailgun sends one message per recipient (without
it, every recipient would see every address); ``%%tag%%`` becomes ``%recipient.tag%`` and
``List-Unsubscribe`` comes from a recipient variable too. A 200 accepts every recipient;
Mailgun reports no per-recipient errors at send time (bounces arrive by webhook).
A 404 can be transient (new domains propagate), so it is retried.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence

import httpx

from newsletter.delivery.base import CallFailed
from newsletter.delivery.http._base import (
    HttpCall,
    HttpSender,
    body_json,
    group_by_content,
    rename_tags,
    short_body,
    tag_values,
)
from newsletter.delivery.models import OutgoingMessage, SendResult, SendStatus
from newsletter.errors import ConfigError


class MailgunSender(HttpSender):
    name = "mailgun"
    secret_name = "mailgun_api_key"
    default_base_url = "https://api.mailgun.net"
    batch_size = 1000
    rate_per_second = None

    def auth_headers(self) -> dict[str, str]:
        token = base64.b64encode(f"api:{self.api_key}".encode()).decode("ascii")
        return {"Authorization": f"Basic {token}"}

    @property
    def domain(self) -> str:
        if not self.settings.domain:
            raise ConfigError("delivery.mailgun.domain: the Mailgun sending domain is required")
        return self.settings.domain

    def form(self, group: Sequence[OutgoingMessage]) -> dict[str, str | list[str]]:
        first = group[0]
        variables = {}
        for m in group:
            v = tag_values(m)
            v.update(
                list_unsubscribe=m.list_unsubscribe,
                message_id=m.message_id,
                subscriber_id=str(m.subscriber_id),
            )
            variables[m.to.email] = v
        data: dict[str, str | list[str]] = {
            "from": first.sender.formatted(),
            "to": [m.to.formatted() for m in group],
            "subject": first.subject,
            "text": rename_tags(first.content.text, "%recipient.{name}%"),
            "html": rename_tags(first.content.html, "%recipient.{name}%", suffix="__html"),
            "recipient-variables": json.dumps(variables, separators=(",", ":")),
            "h:List-Unsubscribe": "%recipient.list_unsubscribe%",
            "v:issue_key": first.issue_key,
            "v:message_id": "%recipient.message_id%",
            "v:subscriber_id": "%recipient.subscriber_id%",
            "o:tracking": "no",
        }
        for k, val in first.list_headers() + list(first.headers):
            if k != "List-Unsubscribe":
                data[f"h:{k}"] = val
        return data

    def build_calls(self, messages: Sequence[OutgoingMessage]) -> list[HttpCall]:
        path = f"/v3/{self.domain}/messages"
        return [
            HttpCall(g, path, data=self.form(g))
            for g in group_by_content(messages, self.batch_size)
        ]

    def refuse(self, resp: httpx.Response) -> None:
        if resp.status_code == 404:
            raise CallFailed(SendStatus.RETRYABLE, f"HTTP 404: {short_body(resp)}")

    def parse(self, call: HttpCall, response: httpx.Response) -> list[SendResult]:
        body = body_json(response)
        if response.status_code != 200 or not isinstance(body, dict):
            raise self.fail(response, "message refused")
        pid = str(body.get("id", "")) or None
        return [SendResult.of(m, SendStatus.SENT, provider_message_id=pid) for m in call.messages]
