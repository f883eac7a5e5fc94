"""The small subscriber web app (Starlette, served by uvicorn): sign-up, confirm, unsubscribe,
preferences. Plain HTML pages from ``templates/web/``; no cookies, no JavaScript.

Routes::

    GET  /subscribe                   sign-up form
    POST /subscribe                   double opt-in: record the consent, email a signed link
    GET  /confirm/{token}             page with a "Confirm" button (link scanners only GET)
    POST /confirm/{token}             activates the subscription
    GET  /unsubscribe/{token}         confirmation page (GET never unsubscribes)
    POST /unsubscribe/{token}         unsubscribes: the RFC 8058 one-click target, idempotent, 200
    GET  /preferences/{token}         categories, metros, seniority, pause
    POST /preferences/{token}         saves them
    GET  /preferences/{token}/data    GDPR self-service export: everything held, as JSON
    POST /preferences/{token}/erase   GDPR self-service erasure (needs the confirm box ticked)
    POST /webhooks/{provider}         provider bounce/complaint events → suppression list

Tokens are signed per purpose (``newsletter.audience.tokens``) and carry only the subscriber id.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from newsletter.audience.subscribers import (
    WEB_CONSENT_TEXT,
    Subscriber,
    SubscriberStore,
    link_url,
    parse_preferences,
)
from newsletter.audience.tokens import Purpose, TokenSigner
from newsletter.config import Config
from newsletter.data.ingest.rules import Rules, load_rules
from newsletter.data.snapshots import SENIORITY_LEVELS
from newsletter.delivery.webhooks import read_webhook
from newsletter.edition.archive import default_archive_dir
from newsletter.edition.feed import FEED_FILE, FEED_MEDIA_TYPE
from newsletter.edition.render import render_template
from newsletter.errors import DeliveryError, SubscriberError, TokenError, WebhookError
from newsletter.models import REMOTE_PLACE
from newsletter.send.confirmation import ConfirmationSender
from newsletter.util.clock import SYSTEM_CLOCK

SECURITY_HEADERS = {
    # Tokens live in URLs: never leak them through the Referer header.
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PreferenceOptions:
    """The choices offered on the preferences page."""

    categories: tuple[str, ...]
    metros: tuple[str, ...]
    seniority: tuple[str, ...]

    @classmethod
    def from_rules(cls, rules: Rules) -> PreferenceOptions:
        """The taxonomy the ingest classifies into: role categories (the catch-all last),
        metros in the order of the rules file (largest first) after ``Remote`` (remote roles
        in the issue's new-role picks), seniority levels."""
        default = rules.categories.default
        names = [c.name for c in rules.categories.categories if c.name != default]
        return cls(
            categories=(*sorted(names), default),
            metros=(REMOTE_PLACE, *(m.name for m in rules.metros.metros)),
            seniority=SENIORITY_LEVELS,
        )


@dataclass
class RateLimiter:
    """At most ``limit`` events per ``window`` seconds per key (sliding window, in memory)."""

    limit: int
    window: float = 3600.0
    clock: Callable[[], float] = SYSTEM_CLOCK.monotonic
    _events: dict[str, deque[float]] = field(default_factory=dict)

    def allow(self, key: str) -> bool:
        now = self.clock()
        q = self._events.setdefault(key, deque())
        while q and q[0] <= now - self.window:
            q.popleft()
        if len(q) >= self.limit:
            return False
        q.append(now)
        if len(self._events) > 10_000:  # forget clients idle for a whole window
            for k in [k for k, v in self._events.items() if v[-1] <= now - self.window]:
                del self._events[k]
        return True


def mask_email(email: str) -> str:
    """``jane.doe@example.com`` -> ``j***@example.com`` (shown on token pages)."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def _choices(options: Sequence[str], chosen: Sequence[str]) -> list[dict[str, Any]]:
    extra = [c for c in chosen if c not in options]
    return [{"value": o, "checked": o in chosen} for o in (*options, *extra)]


@dataclass
class WebApp:
    config: Config
    store: SubscriberStore
    signer: TokenSigner
    sender: ConfirmationSender
    options: PreferenceOptions
    limiter: RateLimiter

    # ---- rendering -------------------------------------------------------------------------
    def page(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        n = self.config.newsletter
        site = {"title": n.title, "tagline": n.tagline, "postal_address": n.postal_address}
        html = render_template(f"web/{template}.html.j2", {"site": site, **context})
        return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)

    def message(self, heading: str, text: str, status_code: int = 200) -> HTMLResponse:
        return self.page("message", status_code, heading=heading, text=text)

    def bad_link(self, exc: TokenError) -> HTMLResponse:
        return self.message("This link does not work", f"{str(exc).capitalize()}.", 400)

    def consent_wording(self) -> str:
        return WEB_CONSENT_TEXT.format(title=self.config.newsletter.title)

    def subscribe_form(
        self, status_code: int = 200, *, error: str | None = None, form: FormData | None = None
    ) -> HTMLResponse:
        return self.page(
            "subscribe",
            status_code,
            error=error,
            email=str(form.get("email", "")) if form else "",
            name=str(form.get("name", "")) if form else "",
            consent_text=self.consent_wording(),
        )

    # ---- endpoints -------------------------------------------------------------------------
    async def subscribe(self, request: Request) -> Response:
        if request.method == "GET":
            return self.subscribe_form()
        ip = request.client.host if request.client else "unknown"
        if not self.limiter.allow(ip):
            resp = self.message(
                "Too many sign-ups",
                "Too many sign-up attempts came from your network. Please try again in an hour.",
                429,
            )
            resp.headers["Retry-After"] = str(int(self.limiter.window))
            return resp
        form = await request.form()
        if form.get("consent") != "yes":
            return self.subscribe_form(400, error="Please tick the consent box.", form=form)
        name = " ".join(str(form.get("name", "")).split())[:200] or None
        try:
            result = await run_in_threadpool(
                self.store.signup,
                str(form.get("email", "")),
                name=name,
                ip=ip,
                wording=self.consent_wording(),
            )
        except SubscriberError as exc:
            return self.subscribe_form(400, error=str(exc), form=form)
        if result.confirm_id is not None:
            sub = await run_in_threadpool(self.store.get_by_id, result.confirm_id)
            if sub is not None:
                url = link_url(self.config.newsletter.base_url, self.signer, "confirm", sub.id)
                try:
                    await run_in_threadpool(self.sender.send_confirmation, sub.email, url)
                except DeliveryError as exc:
                    log.error("confirmation email not sent: %s", exc)
                    return self.message(
                        "We could not send the confirmation email",
                        "Our mail service did not take the message just now. "
                        "Please try again in a few minutes.",
                        503,
                    )
        # The same answer whatever the outcome: the page never reveals who is on the list.
        return self.page("subscribe_sent", email=str(form.get("email", "")).strip())

    def _verify(self, purpose: Purpose, token: str) -> int:
        return self.signer.verify(purpose, token)

    async def confirm(self, request: Request) -> Response:
        try:
            sid = self._verify("confirm", request.path_params["token"])
        except TokenError as exc:
            return self.bad_link(exc)
        if request.method == "GET":
            sub = await run_in_threadpool(self.store.get_by_id, sid)
            if sub is None:
                return self.message("Nothing to confirm", "We hold no sign-up for this link.", 404)
            if sub.status == "active":
                return self.confirmed(sub)
            return self.page("confirm", email=mask_email(sub.email))
        result = await run_in_threadpool(self.store.confirm, sid)
        if result is None:
            return self.message("Nothing to confirm", "We hold no sign-up for this link.", 404)
        if result.status != "active":
            return self.message(
                "This sign-up cannot be confirmed",
                "This address has left the list since the link was sent. "
                "Please sign up again to receive the newsletter.",
                409,
            )
        return self.confirmed(result)

    def confirmed(self, sub: Subscriber) -> HTMLResponse:
        base = self.config.newsletter.base_url
        return self.page(
            "confirmed",
            email=mask_email(sub.email),
            preferences_url=link_url(base, self.signer, "preferences", sub.id),
        )

    async def unsubscribe(self, request: Request) -> Response:
        token = request.path_params["token"]
        try:
            sid = self._verify("unsubscribe", token)
        except TokenError as exc:
            return self.bad_link(exc)
        base = self.config.newsletter.base_url
        if request.method == "GET":
            sub = await run_in_threadpool(self.store.get_by_id, sid)
            return self.page(
                "unsubscribe",
                email=mask_email(sub.email) if sub else None,
                already=sub is None or sub.status in ("unsubscribed", "bounced", "complained"),
                preferences_url=link_url(base, self.signer, "preferences", sid) if sub else None,
            )
        # RFC 8058 one-click (body "List-Unsubscribe=One-Click") or the page's own form: the
        # body is not needed; the signed token is the authority. Idempotent; always 200.
        await run_in_threadpool(self.store.unsubscribe_id, sid, "unsubscribed through the link")
        return self.page("unsubscribed")

    async def preferences(self, request: Request) -> Response:
        try:
            sid = self._verify("preferences", request.path_params["token"])
        except TokenError as exc:
            return self.bad_link(exc)
        sub = await run_in_threadpool(self.store.get_by_id, sid)
        if sub is None:
            return self.message("No preferences", "We hold no data for this link.", 404)
        saved = False
        if request.method == "POST":
            form = await request.form()
            prefs = parse_preferences(
                [str(v) for v in form.getlist("category") if v in self.options.categories],
                [str(v) for v in form.getlist("metro") if v in self.options.metros],
                [str(v) for v in form.getlist("seniority") if v in self.options.seniority],
            )
            updated = await run_in_threadpool(
                self.store.set_preferences, sid, prefs, paused=form.get("paused") == "yes"
            )
            if updated is None:
                return self.message("No preferences", "We hold no data for this link.", 404)
            sub, saved = updated, True
        base = self.config.newsletter.base_url
        return self.page(
            "preferences",
            saved=saved,
            email=mask_email(sub.email),
            paused=sub.paused,
            categories=_choices(self.options.categories, sub.preferences.categories),
            metros=_choices(self.options.metros, sub.preferences.metros),
            seniority=_choices(self.options.seniority, sub.preferences.seniority),
            unsubscribe_url=link_url(base, self.signer, "unsubscribe", sid),
            token=request.path_params["token"],
        )


async def _data(web: WebApp, request: Request) -> Response:
    try:
        sid = web.signer.verify("preferences", request.path_params["token"])
    except TokenError as exc:
        return web.bad_link(exc)
    sub = await run_in_threadpool(web.store.get_by_id, sid)
    if sub is None:
        return web.message("No data", "We hold no data for this link.", 404)
    held = await run_in_threadpool(web.store.show, sub.email)
    return JSONResponse(
        held,
        headers={
            **SECURITY_HEADERS,
            "Content-Disposition": 'attachment; filename="my-subscription-data.json"',
        },
    )


async def _erase(web: WebApp, request: Request) -> Response:
    try:
        sid = web.signer.verify("preferences", request.path_params["token"])
    except TokenError as exc:
        return web.bad_link(exc)
    form = await request.form()
    if form.get("confirm") != "yes":
        return web.message(
            "Nothing was erased", "Tick the box to confirm that all your data should go.", 400
        )
    sub = await run_in_threadpool(web.store.get_by_id, sid)
    if sub is not None:
        await run_in_threadpool(web.store.remove, sub.email)
    return web.message(
        "Your data is erased",
        f"We deleted everything we held about you and will not email you again. "
        f"To read {web.config.newsletter.title} again, subscribe anew.",
    )


async def _webhook(store: SubscriberStore, secret: str | None, request: Request) -> Response:
    """Provider bounce/complaint webhook: authenticate, parse, suppress; 200 when handled."""
    if not secret:
        return JSONResponse({"error": "webhooks are not configured"}, status_code=404)
    body = await request.body()
    try:
        events = read_webhook(
            request.path_params["provider"],
            body,
            headers=dict(request.headers),
            secret=secret,
            now=store.clock.now(),
            token=request.query_params.get("token"),
        )
    except WebhookError as exc:
        status = 401 if "secret" in str(exc) else 400
        return JSONResponse({"error": str(exc)}, status_code=status)
    for e in events:
        mark = store.mark_complained if e.kind == "complaint" else store.mark_bounced
        await run_in_threadpool(mark, e.email, f"{e.provider} webhook: {e.reason}")
    return JSONResponse({"suppressed": len(events)})


def create_app(
    config: Config,
    store: SubscriberStore,
    signer: TokenSigner,
    sender: ConfirmationSender,
    *,
    options: PreferenceOptions | None = None,
    limiter: RateLimiter | None = None,
    webhook_secret: str | None = None,
) -> Starlette:
    """The ASGI app; the caller owns the store (open and close it around serving).

    ``webhook_secret`` (NEWSLETTER_WEBHOOK_SECRET) turns on ``POST /webhooks/{provider}``.
    """
    web = WebApp(
        config=config,
        store=store,
        signer=signer,
        sender=sender,
        options=options or PreferenceOptions.from_rules(load_rules(config.data.rules_dir)),
        limiter=limiter
        or RateLimiter(config.web.subscribe_rate_per_hour, clock=store.clock.monotonic),
    )

    archive_dir = default_archive_dir(config)
    archive_dir.mkdir(parents=True, exist_ok=True)  # served (empty) before the first build

    async def home(_request: Request) -> Response:
        return RedirectResponse("/subscribe", status_code=303)

    async def feed(_request: Request) -> Response:
        path = archive_dir / FEED_FILE
        if not path.is_file():
            return PlainTextResponse("No issues yet.", status_code=404)
        return FileResponse(path, media_type=FEED_MEDIA_TYPE)

    routes = [
        Route("/", home, methods=["GET"]),
        Route("/subscribe", web.subscribe, methods=["GET", "POST"]),
        Route("/confirm/{token}", web.confirm, methods=["GET", "POST"]),
        Route("/unsubscribe/{token}", web.unsubscribe, methods=["GET", "POST"]),
        Route("/preferences/{token}", web.preferences, methods=["GET", "POST"]),
        Route("/preferences/{token}/data", partial(_data, web), methods=["GET"]),
        Route("/preferences/{token}/erase", partial(_erase, web), methods=["POST"]),
        Route(
            "/webhooks/{provider}",
            partial(_webhook, web.store, webhook_secret),
            methods=["POST"],
        ),
        # The static web archive (`newsletter archive`): the emails' "view in browser" target,
        # its Atom feed (served as Atom), each week's signals JSON and the methodology page.
        Route(f"/archive/{FEED_FILE}", feed, methods=["GET", "HEAD"]),
        Mount(
            "/archive",
            StaticFiles(directory=archive_dir, html=True),
            name="archive",
        ),
    ]
    return Starlette(routes=routes)
