"""Builders for the web tests: the app on a real uvicorn server, and the mail it sends."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx

from newsletter.audience.subscribers import SubscriberStore
from newsletter.audience.tokens import TokenSigner
from newsletter.config import DEV_SECRET_KEY, Config, Secrets
from newsletter.delivery import get_sender
from newsletter.send.confirmation import SignupMailer
from newsletter.web.app import RateLimiter, create_app

SIGNER = TokenSigner(DEV_SECRET_KEY)


class Site(httpx.Client):
    """A client of the served app, with the app's sign-up mailer (to wait for its emails)."""

    def __init__(self, base_url: str, config: Config, mailer: SignupMailer) -> None:
        super().__init__(base_url=base_url, timeout=30)
        self.config = config
        self.mailer = mailer


def site(
    config: Config,
    store: SubscriberStore,
    serve_app: Callable[[Any], str],
    *,
    webhook_secret: str | None = None,
    limit: int = 1000,
) -> Site:
    """A client of the app served by uvicorn, mailing through the configured provider."""
    mailer = SignupMailer(config, SIGNER, get_sender(config.delivery, Secrets()))
    app = create_app(
        config,
        store,
        SIGNER,
        mailer,
        limiter=RateLimiter(limit=limit),
        webhook_secret=webhook_secret,
    )
    return Site(serve_app(app), config, mailer)


def mail_to(site: Site, address: str) -> list[EmailMessage]:
    """Every message in the outbox addressed to ``address`` (oldest first), once the
    site's mailer has handled everything queued so far."""
    site.mailer.join()
    found = []
    outbox = site.config.delivery.outbox_dir
    for path in sorted(outbox.rglob("*.eml"), key=lambda p: p.stat().st_mtime_ns):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        if address.lower() in str(msg["To"]).lower():
            found.append(msg)
    return found


def text_of(msg: EmailMessage) -> str:
    body = msg.get_body(("plain",))
    assert body is not None
    text: str = body.get_content()
    return text


def link(msg: EmailMessage, purpose: str) -> str:
    """The path of the first ``/<purpose>/<token>`` link in the plain-text part."""
    found = re.search(rf"https?://[^/\s]+(/{purpose}/[^\s]+)", text_of(msg))
    assert found, f"no {purpose} link in the email"
    return found.group(1)


def outbox_files(config: Config) -> list[Path]:
    return sorted(config.delivery.outbox_dir.rglob("*.eml"))
