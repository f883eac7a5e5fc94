"""``POST /webhooks/{provider}``: provider bounce and complaint events → the suppression list.

The order is the point: the shared secret is checked from the query string and headers
before a byte of the body is read (a provider signature that covers the body is verified
right after reading it); the body is read under ``[web] webhook_max_bytes`` while it
streams; the JSON may nest :data:`~newsletter.delivery.webhooks.MAX_DEPTH` deep; then every
event is applied on its own, so one malformed event or invalid address is counted and
logged while the others are applied. The answer says how many were applied, ignored
(deliveries, soft bounces) and rejected; it is 200 whenever the request was authentic and
well-formed, so providers do not retry a batch for one bad event.

A request authenticated by a provider signature (Mailgun's in-body HMAC, Resend's Svix
headers) is applied once: its nonce (Mailgun's token, the Svix message id) is claimed in the
database (table ``webhook_nonces``, shared by every server process) before its events are
applied, and kept until its timestamp is stale. A request whose nonce was claimed already
applies nothing and is answered 200 with ``"duplicate": true`` (a provider's retry of a
delivered webhook needs no second go; a replayed Mailgun signature with other event data
suppresses no one). The claim is given back when applying fails, so the provider's retry
works. Requests authenticated by the shared secret carry no nonce.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from newsletter.audience.subscribers import SubscriberStore
from newsletter.delivery.webhooks import (
    PARSERS,
    Nonce,
    WebhookEvent,
    check_body,
    check_head,
    load_json,
    parse_events,
)
from newsletter.errors import SubscriberError, WebhookAuthError, WebhookError
from newsletter.store import Database
from newsletter.store.tables import webhook_nonces
from newsletter.web.forms import RequestRefusedError, read_body

log = logging.getLogger(__name__)


@dataclass
class Applied:
    applied: int = 0
    rejected: list[str] = field(default_factory=list)


def apply_events(store: SubscriberStore, events: list[WebhookEvent]) -> Applied:
    """Suppress each event's address, each in its own transaction; invalid addresses are
    rejected (reason without the address) and the rest still applied."""
    out = Applied()
    for e in events:
        mark = store.mark_complained if e.kind == "complaint" else store.mark_bounced
        try:
            mark(e.email, f"{e.provider} webhook: {e.reason}")
        except SubscriberError:
            out.rejected.append(f"event {e.record}: {e.kind}: not a valid email address")
            continue
        out.applied += 1
    return out


def claim_nonce(db: Database, nonce: Nonce, now: datetime) -> bool:
    """Record ``nonce`` as used; False when it was recorded already (a replay). Nonces
    whose signatures are stale by ``now`` are forgotten on the way."""
    try:
        with db.write() as conn:
            conn.execute(sa.delete(webhook_nonces).where(webhook_nonces.c.expires_at < now))
            conn.execute(
                sa.insert(webhook_nonces).values(
                    nonce_hash=nonce.key, provider=nonce.provider, expires_at=nonce.expires
                )
            )
    except IntegrityError:
        return False
    return True


def release_nonce(db: Database, nonce: Nonce) -> None:
    """Forget ``nonce`` (its request was not applied): the provider's retry may use it."""
    with db.write() as conn:
        conn.execute(sa.delete(webhook_nonces).where(webhook_nonces.c.nonce_hash == nonce.key))


@dataclass(frozen=True)
class WebhookRoute:
    store: SubscriberStore
    secret: str | None
    max_bytes: int

    async def handle(self, request: Request) -> Response:
        provider = request.path_params["provider"]
        if not self.secret or provider not in PARSERS:
            return JSONResponse({"error": "no such webhook"}, status_code=404)
        now = self.store.clock.now()
        try:
            head = check_head(
                provider,
                request.headers,
                secret=self.secret,
                now=now,
                token=request.query_params.get("token"),
            )
            body = await read_body(request, self.max_bytes)
            payload = await run_in_threadpool(load_json, body, provider)
            nonce = None
            if head == "check-body":
                nonce = check_body(
                    provider, payload, body, request.headers, secret=self.secret, now=now
                )
            batch = parse_events(provider, payload)
        except WebhookAuthError as exc:
            return JSONResponse({"error": str(exc)}, status_code=401)
        except RequestRefusedError as exc:
            return JSONResponse({"error": exc.reason}, status_code=exc.status)
        except WebhookError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        if nonce is not None and not await run_in_threadpool(
            claim_nonce, self.store.db, nonce, now
        ):
            log.warning("%s webhook: signature used before; nothing applied", provider)
            return JSONResponse(
                {"applied": 0, "ignored": 0, "rejected": 0, "errors": [], "duplicate": True}
            )
        try:
            done = await run_in_threadpool(apply_events, self.store, batch.events)
        except BaseException:
            if nonce is not None:
                await run_in_threadpool(release_nonce, self.store.db, nonce)
            raise
        rejected = batch.rejected + done.rejected
        if rejected:
            log.warning(
                "%s webhook: %d event(s) applied, %d rejected: %s",
                provider,
                done.applied,
                len(rejected),
                "; ".join(rejected[:5]),
            )
        return JSONResponse(
            {
                "applied": done.applied,
                "ignored": batch.ignored,
                "rejected": len(rejected),
                "errors": rejected[:20],
            }
        )
