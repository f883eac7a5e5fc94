"""Sending double opt-in confirmation emails through a small sender interface.

The web app depends only on :class:`ConfirmationSender`. :func:`confirmation_sender` picks
the implementation for the configured ``[delivery] provider``:
:class:`OutboxConfirmationSender` writes each message as an ``.eml`` file into
``[delivery] outbox_dir`` (the ``file`` provider: the demo outbox), and
:class:`ProviderConfirmationSender` sends it through the real provider (SMTP or an HTTP
API), with a "not you?" link that unsubscribes and suppresses the address.
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path
from typing import Any, Protocol

from newsletter.audience.subscribers import link_url
from newsletter.audience.tokens import TokenSigner
from newsletter.config import Config, Secrets
from newsletter.delivery import get_sender
from newsletter.delivery.base import Sender
from newsletter.delivery.compose import compose
from newsletter.delivery.models import SendStatus
from newsletter.edition.render import Token, render_template
from newsletter.errors import DeliveryError
from newsletter.models import IssueContent, Recipient, merge_tag
from newsletter.util.files import atomic_write_bytes


class ConfirmationSender(Protocol):
    def send_confirmation(self, email: str, confirm_url: str) -> None:
        """Send one confirmation message with the signed ``confirm_url`` to ``email``."""


def confirmation_text(config: Config, confirm_url: str, decline_url: str | None = None) -> str:
    """The body of the confirmation email."""
    n = config.newsletter
    return render_template(
        "web/confirmation_email.txt.j2",
        {"title": n.title, "tagline": n.tagline, "confirm_url": confirm_url,
         "decline_url": decline_url, "postal_address": n.postal_address},
    )  # fmt: skip


def confirmation_subject(config: Config) -> str:
    return f"Please confirm your subscription to {config.newsletter.title}"


def confirmation_message(config: Config, email: str, confirm_url: str) -> EmailMessage:
    """The confirmation email (plain text) for one address."""
    n = config.newsletter
    msg = EmailMessage()
    msg["From"] = formataddr((n.from_name, n.from_address))
    msg["To"] = email
    msg["Subject"] = confirmation_subject(config)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=n.sending_domain)
    if n.reply_to:
        msg["Reply-To"] = n.reply_to
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(confirmation_text(config, confirm_url))
    return msg


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


@dataclass(frozen=True, slots=True)
class ProviderConfirmationSender:
    """Sends each confirmation through the configured ``[delivery]`` provider.

    The message carries the one-click unsubscribe pair like every list message; its target
    is the pending subscriber's unsubscribe link, offered in the body as "not you?".
    A refusal or a failure is a :class:`~newsletter.errors.DeliveryError` (the web page then
    says the email could not be sent; the sign-up stays pending).
    """

    config: Config
    signer: TokenSigner
    make_sender: Callable[[], Sender[Any, Any]] | None = None
    #: The provider's secrets, read at the web app's start-up.
    secrets: Secrets = field(default_factory=Secrets)

    def send_confirmation(self, email: str, confirm_url: str) -> None:
        token = confirm_url.rstrip("/").rsplit("/", 1)[-1]
        sid = self.signer.verify("confirm", token)
        base = self.config.newsletter.base_url
        text = confirmation_text(
            self.config, confirm_url, decline_url=Token(merge_tag("unsubscribe_url"))
        )
        content = IssueContent(
            subject=confirmation_subject(self.config),
            html=(
                '<pre style="font-family:inherit;white-space:pre-wrap">'
                f"{html.escape(text, quote=False)}</pre>"
            ),
            text=text,
            variant="confirmation",
        )
        recipient = Recipient(
            subscriber_id=sid,
            email=email,
            unsubscribe_url=link_url(base, self.signer, "unsubscribe", sid),
        )
        message = compose(self.config.newsletter, content, recipient, issue_key=f"confirm-{sid}")
        sender = (
            self.make_sender()
            if self.make_sender
            else get_sender(self.config.delivery, self.secrets)
        )
        with sender:
            result = sender.send_batch([message])[0]
        if result.status is not SendStatus.SENT:
            raise DeliveryError(
                f"the confirmation email to {email} was not sent ({result.status}): {result.reason}"
            )


def confirmation_sender(
    config: Config, signer: TokenSigner, secrets: Secrets
) -> ConfirmationSender:
    """The outbox for the ``file`` provider, else the configured provider."""
    if config.delivery.provider == "file":
        return OutboxConfirmationSender(config)
    return ProviderConfirmationSender(config, signer, secrets=secrets)
