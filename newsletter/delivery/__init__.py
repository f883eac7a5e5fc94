"""Delivery: correct messages, and one sender interface over every provider.

``get_sender(settings, secrets, **deps)`` returns the sender named by ``[delivery] provider``,
looked up in :data:`SENDERS` (name → ``"module:Class"``, imported on first use and checked to
be a :class:`Sender`); ``secrets`` are the ones the caller read at the edge
(:class:`~newsletter.config.Secrets`); injected ``deps`` (``client=httpx.Client(...)``,
``backoff=Backoff(sleep=...)``, ``limiter=...``, ``ssl_context=...``) replace the defaults,
so tests control I/O and time. An unknown name raises
:class:`~newsletter.errors.UnknownProviderError`.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from newsletter.config import DeliverySettings, Provider, Secrets
from newsletter.delivery.base import Backoff, CallFailed, RateLimiter, Sender
from newsletter.delivery.compose import compose
from newsletter.delivery.message import MessageFactory, build_message, render_naive
from newsletter.delivery.models import (
    Mailbox,
    OutgoingMessage,
    SendResult,
    SendStatus,
    new_message_id,
)
from newsletter.errors import UnknownProviderError
from newsletter.models import IssueContent

#: The sender of each provider that ``[delivery] provider`` may name (the names are
#: :data:`newsletter.config.PROVIDERS`; a test checks that each has exactly one sender).
CONFIGURABLE: dict[Provider, str] = {
    "file": "newsletter.delivery.file:FileSender",
    "smtp": "newsletter.delivery.smtp:SmtpSender",
    "postmark": "newsletter.delivery.http.postmark:PostmarkSender",
    "sendgrid": "newsletter.delivery.http.sendgrid:SendGridSender",
    "mailgun": "newsletter.delivery.http.mailgun:MailgunSender",
    "resend": "newsletter.delivery.http.resend:ResendSender",
}
#: Every sender by name: the configurable ones and ``memory`` (tests and dry runs).
SENDERS: dict[str, str] = {str(name): target for name, target in CONFIGURABLE.items()}
SENDERS["memory"] = "newsletter.delivery.memory:MemorySender"


def sender_class(name: str) -> type[Sender[Any, Any]]:
    """The sender class registered under ``name``."""
    try:
        target = SENDERS[name]
    except KeyError:
        known = ", ".join(sorted(SENDERS))
        raise UnknownProviderError(
            f"unknown delivery provider {name!r}; choose from {known}"
        ) from None
    module, _, attr = target.partition(":")
    cls = getattr(import_module(module), attr)
    if not (isinstance(cls, type) and issubclass(cls, Sender)):
        raise UnknownProviderError(f"{target} is not a Sender")
    return cls


def get_sender(
    settings: DeliverySettings, secrets: Secrets, *, provider: str | None = None, **deps: Any
) -> Sender[Any, Any]:
    """The configured sender (or ``provider`` explicitly, e.g. ``"memory"`` for dry runs)."""
    return sender_class(provider or settings.provider).from_settings(settings, secrets, **deps)


__all__ = [
    "SENDERS",
    "Backoff",
    "CallFailed",
    "IssueContent",
    "Mailbox",
    "MessageFactory",
    "OutgoingMessage",
    "RateLimiter",
    "SendResult",
    "SendStatus",
    "Sender",
    "build_message",
    "compose",
    "get_sender",
    "new_message_id",
    "render_naive",
    "sender_class",
]
