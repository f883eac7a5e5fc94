"""Builders and a real loopback SMTP server for the delivery tests (and benchmarks)."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx
from aiosmtpd.controller import Controller

from newsletter.delivery.message import format_date
from newsletter.delivery.models import IssueContent, Mailbox, OutgoingMessage, new_message_id
from tests.conftest import NOW

#: The Date header of test messages (the fixed test instant).
DATE = format_date(NOW)

HTML = """<!doctype html>
<html lang="en"><body>
<p>AI/ML job market, week of Nov 23 — 26,159 open roles, médian $184k.</p>
{rows}<p>AI Jobs Weekly, 548 Market St #12345, San Francisco, CA 94104, USA</p>
<p><a href="%%unsubscribe_url%%">Unsubscribe</a> · <a href="%%preferences_url%%">Preferences</a></p>
</body></html>
"""
TEXT = """AI/ML job market, week of Nov 23 — 26,159 open roles, médian $184k.

AI Jobs Weekly, 548 Market St #12345, San Francisco, CA 94104, USA
Unsubscribe: %%unsubscribe_url%%
Preferences: %%preferences_url%%
"""


def content(
    rows: int = 20, subject: str = "AI jobs, week of Nov 23: 26,159 open roles"
) -> IssueContent:
    body = "".join(
        f'<tr><td style="padding:4px 8px">Machine Learning Engineer #{i}</td>'
        f'<td align="right">${150 + i % 90}k</td></tr>\n'
        for i in range(rows)
    )
    return IssueContent(subject=subject, html=HTML.format(rows=body), text=TEXT)


def message(
    i: int,
    c: IssueContent | None = None,
    *,
    email: str | None = None,
    name: str | None = "Reader One",
    **over: Any,
) -> OutgoingMessage:
    kw: dict[str, Any] = {
        "issue_key": "2026-W48",
        "subscriber_id": i,
        "sender": Mailbox(email="issues@example.com", name="AI Jobs Weekly"),
        "to": Mailbox(email=email or f"reader{i}@example.org", name=name),
        "content": c or content(),
        "message_id": new_message_id("example.com"),
        "unsubscribe_url": f"https://news.example.com/u/{i}.tok-{'x' * 60}",
        "unsubscribe_mailto": f"unsubscribe+{i}@example.com",
        "list_id": "AI Jobs Weekly <weekly.example.com>",
        "reply_to": "editor@example.com",
        "merge": {"preferences_url": f"https://news.example.com/p/{i}?a=1&b=2"},
    }
    kw.update(over)
    return OutgoingMessage(**kw)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes


@dataclass
class Handler:
    """aiosmtpd handler: records messages; ``rcpt_reply`` may refuse some addresses."""

    received: list[Received] = field(default_factory=list)
    rcpt_reply: Callable[[str], str | None] = lambda _addr: None
    drop_after: int | None = None  # drop the connection after every this many messages
    rcpt_calls: list[str] = field(default_factory=list)
    drops: int = 0
    #: Close the connection without answering DATA for these addresses.
    vanish_on_data: frozenset[str] = frozenset()
    #: The reply to DATA for a recipient (None: accepted): a refused message is not received.
    data_reply: Callable[[str], str | None] = lambda _addr: None
    _drop_next: bool = False

    async def handle_MAIL(  # noqa: N802 - aiosmtpd hook name
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: Any
    ) -> str:
        if self._drop_next:  # like an idle timeout: the connection just goes away
            self._drop_next = False
            self.drops += 1
            server.transport.close()
            return "421 4.4.2 closing connection"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(  # noqa: N802 - aiosmtpd hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        self.rcpt_calls.append(address)
        reply = self.rcpt_reply(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd hook name
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        refused = self.data_reply(envelope.rcpt_tos[0]) if envelope.rcpt_tos else None
        if refused:
            return refused
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content))
        )
        if set(envelope.rcpt_tos) & self.vanish_on_data:
            server.transport.close()  # accepted, but the reply never reaches the client
            return "250 2.0.0 Ok"
        if self.drop_after is not None and len(self.received) % self.drop_after == 0:
            self._drop_next = True
        return f"250 2.0.0 Ok: queued as Q{len(self.received)}"


@contextmanager
def smtp_server(handler: Handler, **options: Any) -> Iterator[tuple[str, int]]:
    """A real aiosmtpd server on 127.0.0.1 at a free port (see delivery-guide §9)."""
    port = free_port()
    ctl = Controller(handler, hostname="127.0.0.1", port=port, **options)
    ctl.start()
    try:
        yield "127.0.0.1", port
    finally:
        ctl.stop()


def form_fields(request: httpx.Request) -> dict[str, list[str]]:
    """The fields of a form request as a provider reads them: a multipart/form-data body
    (each part's text in its charset) or a urlencoded one."""
    kind = request.headers["Content-Type"]
    if not kind.startswith("multipart/form-data"):
        return parse_qs(request.content.decode())
    head = f"Content-Type: {kind}\r\n\r\n".encode()
    msg = email.message_from_bytes(head + request.content, policy=email.policy.HTTP)
    out: dict[str, list[str]] = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        raw = part.get_payload(decode=True)
        assert isinstance(name, str) and isinstance(raw, bytes)
        out.setdefault(name, []).append(raw.decode(part.get_content_charset() or "utf-8"))
    return out
