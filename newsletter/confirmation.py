"""Sending double opt-in confirmation emails through a small sender interface.

The web app depends only on :class:`ConfirmationSender`. The default,
:class:`OutboxConfirmationSender`, writes each message as an ``.eml`` file into
``[delivery] outbox_dir``; the delivery layer can plug a real provider in later by
implementing the same one-method protocol.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path
from typing import Protocol

from newsletter.config import Config
from newsletter.render import render_template
from newsletter.snapshots import atomic_write_bytes


class ConfirmationSender(Protocol):
    def send_confirmation(self, email: str, confirm_url: str) -> None:
        """Send one confirmation message with the signed ``confirm_url`` to ``email``."""


def confirmation_message(config: Config, email: str, confirm_url: str) -> EmailMessage:
    """The confirmation email (plain text) for one address."""
    n = config.newsletter
    msg = EmailMessage()
    msg["From"] = formataddr((n.from_name, n.from_address))
    msg["To"] = email
    msg["Subject"] = f"Please confirm your subscription to {n.title}"
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=n.sending_domain)
    if n.reply_to:
        msg["Reply-To"] = n.reply_to
    msg["Auto-Submitted"] = "auto-generated"
    body = render_template(
        "web/confirmation_email.txt.j2",
        {"title": n.title, "tagline": n.tagline, "confirm_url": confirm_url,
         "postal_address": n.postal_address},
    )  # fmt: skip
    msg.set_content(body)
    return msg


def outbox_warning(config: Config) -> str | None:
    """Why confirmations would not reach anyone under ``config``, or None.

    :class:`OutboxConfirmationSender` only writes files: fine for the ``file`` provider
    (the demo outbox), but with a real provider configured the sign-ups would wait forever
    for a confirmation nobody sends, so ``newsletter serve`` says so at start.
    """
    provider = config.delivery.provider
    if provider == "file":
        return None
    return (
        f"confirmation emails are written as .eml files to {config.delivery.outbox_dir}, "
        f"not sent through [delivery] provider = {provider!r}: deliver them from there"
    )


@dataclass(frozen=True, slots=True)
class OutboxConfirmationSender:
    """Writes each confirmation as an ``.eml`` file into the outbox folder (atomically)."""

    config: Config

    @property
    def outbox_dir(self) -> Path:
        return self.config.delivery.outbox_dir

    def send_confirmation(self, email: str, confirm_url: str) -> None:
        msg = confirmation_message(self.config, email, confirm_url)
        atomic_write_bytes(self.outbox_dir / f"confirm-{uuid.uuid4().hex}.eml", msg.as_bytes())
