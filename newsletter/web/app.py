"""The small subscriber web app (Starlette, served by uvicorn): sign-up, confirm, unsubscribe,
preferences. Plain HTML pages from ``templates/web/``; no cookies, no JavaScript.

Routes::

    GET  /subscribe                   sign-up form
    POST /subscribe                   double opt-in: record the request, queue the email
    GET  /confirm/{token}             page with a "Confirm" button (link scanners only GET)
    POST /confirm/{token}             applies the sign-up request (once)
    GET  /unsubscribe/{token}         confirmation page (GET never unsubscribes)
    POST /unsubscribe/{token}         unsubscribes: the RFC 8058 one-click target, idempotent, 200
    GET  /preferences/{token}         categories, metros, seniority, pause
    POST /preferences/{token}         saves them
    GET  /preferences/{token}/data    GDPR self-service export: everything held, as JSON
    POST /preferences/{token}/erase   GDPR self-service erasure (needs the confirm box ticked)
    POST /webhooks/{provider}         provider bounce/complaint events → suppression list
    GET  /approve/{token}             an editor's approve link: the issue and a button
    POST /approve/{token}             approves the issue (once, before its deadline)
    GET  /admin, /admin/preview, /admin/status.json   behind basic auth (newsletter.web.admin)
    GET  /archive/...                 the static web archive

Every form POST but the one-click unsubscribe is refused (403) when it comes from another
site (``Sec-Fetch-Site: cross-site``, or an ``Origin`` that is neither the base URL's nor the
request's own host: ``newsletter.web.security.cross_site_refusal``); the webhooks
authenticate by their secret instead.

Tokens are signed per purpose and bound to the subscriber's row (``newsletter.audience.tokens``);
``SubscriberStore.holder`` and ``SubscriberStore.confirm`` check them against the row. Every
response carries the security headers (``newsletter.web.security``); forms are read with a
size cap and strict UTF-8 (``newsletter.web.forms``). Secrets (the signing key, the webhook
secret, the provider's credentials inside the mailer's sender) are resolved by the caller
(``newsletter serve``) and passed in; nothing here reads the environment.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio
from markupsafe import Markup
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
from starlette.types import ASGIApp

from newsletter.audience.choices import PreferenceOptions
from newsletter.audience.subscribers import (
    WEB_CONSENT_TEXT,
    Subscriber,
    SubscriberStore,
    link_url,
    parse_preferences,
)
from newsletter.audience.tokens import Purpose, TokenClaim, TokenSigner
from newsletter.config import Config, Secrets
from newsletter.data.ingest.rules import load_rules
from newsletter.edition.archive import default_archive_dir
from newsletter.edition.feed import FEED_FILE, FEED_MEDIA_TYPE
from newsletter.edition.palette import web_css
from newsletter.edition.render import render_template
from newsletter.errors import SubscriberError, TokenError
from newsletter.send.approval import ApprovalSigner
from newsletter.send.confirmation import SignupMailKind
from newsletter.util.clock import SYSTEM_CLOCK
from newsletter.web.admin import FAILURE_WINDOW, AdminAuth, AdminPages, FailureLimiter, check_hash
from newsletter.web.forms import RequestRefusedError, read_form
from newsletter.web.hooks import WebhookRoute
from newsletter.web.security import SecurityHeaders, client_network, cross_site_refusal

log = logging.getLogger(__name__)
#: A request handler of the app.
Endpoint = Callable[[Request], Awaitable[Response]]

#: A sign-up is answered no sooner than this after its request arrived (whatever the state
#: of the address, the answer takes the same time).
SUBSCRIBE_ANSWER_SECONDS = 0.05


#: Methods that read a page: Starlette answers HEAD on every GET route, and a HEAD (a link
#: checker, a mail scanner) must never confirm, unsubscribe, sign up or approve.
READ_METHODS = frozenset({"GET", "HEAD"})


def only_reads(request: Request) -> bool:
    """Whether ``request`` only reads (GET or HEAD): anything that acts is a POST."""
    return request.method in READ_METHODS


class SignupMailbox(Protocol):
    """Where sign-up emails are queued (``newsletter.send.confirmation.SignupMailer``)."""

    def submit(self, kind: SignupMailKind, subscriber: Subscriber) -> bool:
        """Queue one email without waiting for it to be sent."""


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
    mailer: SignupMailbox
    options: PreferenceOptions
    limiter: RateLimiter

    # ---- rendering -------------------------------------------------------------------------
    def page(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        n = self.config.newsletter
        site = {"title": n.title, "tagline": n.tagline, "postal_address": n.postal_address}
        ctx = {"site": site, "palette": Markup(web_css()), **context}
        html = render_template(f"web/{template}.html.j2", ctx)
        return HTMLResponse(html, status_code=status_code)

    def message(self, heading: str, text: str, status_code: int = 200) -> HTMLResponse:
        return self.page("message", status_code, heading=heading, text=text)

    def bad_link(self, exc: TokenError) -> HTMLResponse:
        return self.message("This link does not work", f"{str(exc).capitalize()}.", 400)

    def refused(self, exc: RequestRefusedError) -> HTMLResponse:
        return self.message(
            "This form could not be read", f"{exc.reason.capitalize()}.", exc.status
        )

    def stale_confirm(self) -> HTMLResponse:
        return self.message(
            "This confirmation link has already been used",
            "Each confirmation link works once, and a newer sign-up replaces an older link. "
            "If you do not receive the newsletter yet, please sign up again.",
            410,
        )

    def consent_wording(self) -> str:
        return WEB_CONSENT_TEXT.format(title=self.config.newsletter.title)

    def subscribe_form(
        self,
        status_code: int = 200,
        *,
        error: str | None = None,
        invalid: str | None = None,
        form: FormData | None = None,
    ) -> HTMLResponse:
        """The sign-up form; with an error, ``invalid`` names the field it is about
        ("email" or "consent"), which is marked invalid and described by the error."""
        return self.page(
            "subscribe",
            status_code,
            error=error,
            invalid=invalid,
            email=str(form.get("email", "")) if form else "",
            name=str(form.get("name", "")) if form else "",
            consent_text=self.consent_wording(),
        )

    def same_site(self, endpoint: Endpoint) -> Endpoint:
        """``endpoint``, refusing (403) a state-changing request that comes from another
        site. Not for the RFC 8058 one-click unsubscribe (mail providers post it from their
        own sites, and its signed token is its whole authority) nor the webhooks."""

        async def guarded(request: Request) -> Response:
            if not only_reads(request):
                why = cross_site_refusal(request, self.config.newsletter.base_url)
                if why is not None:
                    log.warning(
                        "refused a cross-site %s %s: %s",
                        request.method,
                        request.url.path.split("/")[1],
                        why,
                    )
                    return self.message(
                        "This form was sent from another site",
                        f"For your safety, forms on this site are only accepted from "
                        f"{self.config.newsletter.title} itself. Open the page again and "
                        "send the form from there.",
                        403,
                    )
            return await endpoint(request)

        return guarded

    def claim(self, purpose: Purpose, request: Request) -> TokenClaim:
        return self.signer.verify(purpose, request.path_params["token"])

    async def holder(self, purpose: Purpose, claim: TokenClaim) -> Subscriber | None:
        return await run_in_threadpool(self.store.holder, purpose, claim)

    # ---- endpoints -------------------------------------------------------------------------
    async def subscribe(self, request: Request) -> Response:
        if only_reads(request):
            return self.subscribe_form()
        ip = request.client.host if request.client else "unknown"
        if not self.limiter.allow(client_network(ip)):
            resp = self.message(
                "Too many sign-ups",
                "Too many sign-up attempts came from your network. Please try again in an hour.",
                429,
            )
            resp.headers["Retry-After"] = str(int(self.limiter.window))
            return resp
        started = self.store.clock.monotonic()
        try:
            form = await read_form(request)
        except RequestRefusedError as exc:
            return self.refused(exc)
        if form.get("consent") != "yes":
            return self.subscribe_form(
                400, error="Please tick the consent box.", invalid="consent", form=form
            )
        try:
            result = await run_in_threadpool(
                self.store.signup,
                str(form.get("email", "")),
                name=str(form.get("name", "")),
                ip=ip,
                wording=self.consent_wording(),
            )
        except SubscriberError as exc:
            return self.subscribe_form(400, error=str(exc), invalid="email", form=form)
        # The email is only queued: the page never waits for a mail server. The answer is
        # the same whatever the outcome, and it goes out no sooner than a fixed time after
        # the request came in, which hides the millisecond or two between paths with and
        # without a database write (and lets the mailer build the email meanwhile).
        if result.mail is not None and result.subscriber is not None:
            self.mailer.submit(result.mail, result.subscriber)
        page = self.page("subscribe_sent", email=str(form.get("email", "")).strip())
        spent = self.store.clock.monotonic() - started
        if spent < SUBSCRIBE_ANSWER_SECONDS:
            await anyio.sleep(SUBSCRIBE_ANSWER_SECONDS - spent)
        return page

    async def confirm(self, request: Request) -> Response:
        try:
            claim = self.claim("confirm", request)
        except TokenError as exc:
            return self.bad_link(exc)
        if only_reads(request):
            sub = await run_in_threadpool(self.store.open_signup, claim)
            if sub is None or sub.signup is None:
                return self.stale_confirm()
            return self.page("confirm", email=mask_email(sub.email), name=sub.signup.name)
        result = await run_in_threadpool(self.store.confirm, claim)
        if result.outcome == "stale" or result.subscriber is None:
            return self.stale_confirm()
        if result.outcome == "left":
            return self.message(
                "This sign-up cannot be confirmed",
                "This address has left the list since the link was sent. "
                "Please sign up again to receive the newsletter.",
                409,
            )
        return self.confirmed(result.subscriber)

    def confirmed(self, sub: Subscriber) -> HTMLResponse:
        base = self.config.newsletter.base_url
        return self.page(
            "confirmed",
            email=mask_email(sub.email),
            preferences_url=link_url(base, self.signer, "preferences", sub),
        )

    async def unsubscribe(self, request: Request) -> Response:
        try:
            claim = self.claim("unsubscribe", request)
        except TokenError as exc:
            return self.bad_link(exc)
        sub = await self.holder("unsubscribe", claim)
        if only_reads(request):
            # Only what the unsubscribe token may do: this URL goes to mailbox providers and
            # link scanners (List-Unsubscribe), so the page links to no preferences page
            # (which reaches the data export and erasure) and shows a masked address.
            return self.page(
                "unsubscribe",
                email=mask_email(sub.email) if sub else None,
                already=sub is None or sub.status in ("unsubscribed", "bounced", "complained"),
            )
        # RFC 8058 one-click (body "List-Unsubscribe=One-Click") or the page's own form: the
        # body is not needed; the signed, row-bound token is the authority. Idempotent; 200.
        if sub is not None:
            await run_in_threadpool(
                self.store.unsubscribe_id, sub.id, "unsubscribed through the link"
            )
        return self.page("unsubscribed")

    async def preferences(self, request: Request) -> Response:
        try:
            claim = self.claim("preferences", request)
        except TokenError as exc:
            return self.bad_link(exc)
        sub = await self.holder("preferences", claim)
        if sub is None:
            return self.message("No preferences", "We hold no data for this link.", 404)
        saved = False
        if request.method == "POST":
            try:
                form = await read_form(request)
            except RequestRefusedError as exc:
                return self.refused(exc)
            prefs = parse_preferences(
                [str(v) for v in form.getlist("category") if v in self.options.categories],
                [str(v) for v in form.getlist("metro") if v in self.options.metros],
                [str(v) for v in form.getlist("seniority") if v in self.options.seniority],
            )
            updated = await run_in_threadpool(
                self.store.set_preferences, sub.id, prefs, paused=form.get("paused") == "yes"
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
            unsubscribe_url=link_url(base, self.signer, "unsubscribe", sub),
            token=request.path_params["token"],
        )

    async def data(self, request: Request) -> Response:
        try:
            sub = await self.holder("preferences", self.claim("preferences", request))
        except TokenError as exc:
            return self.bad_link(exc)
        held = None if sub is None else await run_in_threadpool(self.store.show_id, sub.id)
        if held is None:  # no holder, or erased meanwhile
            return self.message("No data", "We hold no data for this link.", 404)
        return JSONResponse(
            held,
            headers={"Content-Disposition": 'attachment; filename="my-subscription-data.json"'},
        )

    async def erase(self, request: Request) -> Response:
        try:
            sub = await self.holder("preferences", self.claim("preferences", request))
        except TokenError as exc:
            return self.bad_link(exc)
        try:
            form = await read_form(request)
        except RequestRefusedError as exc:
            return self.refused(exc)
        if form.get("confirm") != "yes":
            return self.message(
                "Nothing was erased", "Tick the box to confirm that all your data should go.", 400
            )
        if sub is not None:
            await run_in_threadpool(self.store.remove_id, sub.id)
        return self.message(
            "Your data is erased",
            f"We deleted everything we held about you and will not email you again. "
            f"To read {self.config.newsletter.title} again, subscribe anew.",
        )


def create_app(
    config: Config,
    store: SubscriberStore,
    signer: TokenSigner,
    mailer: SignupMailbox,
    *,
    options: PreferenceOptions | None = None,
    limiter: RateLimiter | None = None,
    webhook_secret: str | None = None,
    admin_password_hash: str | None = None,
    secrets: Secrets | None = None,
) -> ASGIApp:
    """The ASGI app; the caller owns the store and the mailer (open and close them around
    serving) and resolves the secrets.

    ``webhook_secret`` (NEWSLETTER_WEBHOOK_SECRET) turns on ``POST /webhooks/{provider}``;
    ``admin_password_hash`` (NEWSLETTER_ADMIN_PASSWORD_HASH, an Argon2 hash) turns on
    ``/admin`` (``secrets`` only tells the status page which channels are set). The approve
    links (``/approve/{token}``) are signed with the ``signer``'s key under their own salt.
    """
    web = WebApp(
        config=config,
        store=store,
        signer=signer,
        mailer=mailer,
        options=options or PreferenceOptions.from_rules(load_rules(config.data.rules_dir)),
        limiter=limiter
        or RateLimiter(config.web.subscribe_rate_per_hour, clock=store.clock.monotonic),
    )

    approve = ApprovePage(web, ApprovalSigner(signer.secret_key, store.clock))
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
        Route("/subscribe", web.same_site(web.subscribe), methods=["GET", "POST"]),
        Route("/confirm/{token}", web.same_site(web.confirm), methods=["GET", "POST"]),
        # RFC 8058: mail providers post the one-click unsubscribe from their own sites
        Route("/unsubscribe/{token}", web.unsubscribe, methods=["GET", "POST"]),
        Route("/preferences/{token}", web.same_site(web.preferences), methods=["GET", "POST"]),
        Route("/preferences/{token}/data", web.data, methods=["GET"]),
        Route("/preferences/{token}/erase", web.same_site(web.erase), methods=["POST"]),
        Route(
            "/webhooks/{provider}",
            WebhookRoute(store, webhook_secret, config.web.webhook_max_bytes).handle,
            methods=["POST"],
        ),
        Route("/approve/{token}", web.same_site(approve.handle), methods=["GET", "POST"]),
        # The static web archive (`newsletter archive`): the emails' "view in browser" target,
        # its Atom feed (served as Atom), each week's signals JSON and the methodology page.
        Route(f"/archive/{FEED_FILE}", feed, methods=["GET", "HEAD"]),
        Mount("/archive", StaticFiles(directory=archive_dir, html=True), name="archive"),
    ]
    if admin_password_hash:
        auth = AdminAuth(
            config.web.admin_user,
            check_hash(admin_password_hash),
            FailureLimiter(
                config.web.admin_failures_per_15min, FAILURE_WINDOW, store.clock.monotonic
            ),
            message=web.message,
        )
        admin = AdminPages(config, store.db, store.clock, auth, secrets or Secrets())
        routes[-1:-1] = admin.routes()
    return SecurityHeaders(Starlette(routes=routes))


@dataclass(frozen=True)
class ApprovePage:
    """``/approve/{token}``: GET shows the issue and a button (mail scanners only GET);
    POST approves it, once, before its deadline."""

    web: WebApp
    signer: ApprovalSigner

    async def handle(self, request: Request) -> Response:
        from newsletter.send.operations import approve_link, link_approval

        token = request.path_params["token"]
        db, clock = self.web.store.db, self.web.store.clock
        try:
            record = await run_in_threadpool(link_approval, db, self.signer, token, clock)
        except TokenError as exc:
            return self.web.message("This link does not work", f"{str(exc).capitalize()}.", 400)
        if only_reads(request):
            if record.approved_at is not None:
                return self.web.message(
                    f"Issue {record.issue_key} is approved",
                    "It was approved already; the weekly job sends it (or has sent it).",
                )
            deadline = record.deadline.astimezone(self.web.config.schedule.zone)
            return self.web.page(
                "approve",
                issue_key=record.issue_key,
                deadline=deadline.strftime("%a %Y-%m-%d %H:%M %Z"),
            )
        try:
            done = await run_in_threadpool(approve_link, db, self.signer, token, clock)
        except TokenError as exc:
            return self.web.message("This link does not work", f"{str(exc).capitalize()}.", 400)
        if done.outcome in ("approved", "already"):
            return self.web.message(
                f"Issue {done.issue_key} is approved",
                "Thank you. The weekly job sends it on its next run (the scheduler checks "
                f"every {self.web.config.alerts.check_minutes} minutes).",
            )
        if done.outcome == "expired":
            return self.web.message(
                "Too late to approve with this link",
                "The deadline has passed and nothing was sent. An operator can still approve "
                "it with `newsletter approve`.",
                410,
            )
        return self.web.message(
            "This link does not work",
            "It was replaced by a newer preview: use the link in the latest [PREVIEW] email.",
            400,
        )
