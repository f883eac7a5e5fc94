"""``/admin``: this week's preview, the status, and charts, behind HTTP basic auth.

Off unless NEWSLETTER_ADMIN_PASSWORD_HASH holds an Argon2 hash (``newsletter admin
hash-password``); then ``[web] admin_user`` with that password gets in. The check runs the
Argon2 verification whether or not the user name matched and compares the name in constant
time, so an answer's timing tells nothing about which part was wrong; after ``[web]
admin_failures_per_15min`` failed logins from one address, that address gets 429 without a
check until the window has passed. The pages are plain HTML with inline SVG charts: no
script, no cookie, nothing from another site (the app's Content-Security-Policy applies).

Routes::

    GET /admin              status, charts (values as tables), recent runs and alerts
    GET /admin/preview      this week's issue as readers get it (the latest snapshot)
    GET /admin/status.json  the ``newsletter status --format json`` document
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hmac
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from newsletter.config import Config, Secrets
from newsletter.data.collect import sources_configured
from newsletter.edition.palette import web_css
from newsletter.edition.render import render_template
from newsletter.errors import ConfigError, NewsletterError
from newsletter.send.runs import RunHistory
from newsletter.send.schedule import issue_week
from newsletter.send.stats import IssueStats, active_series, issue_stats
from newsletter.send.status import status_report
from newsletter.store import Database
from newsletter.util.clock import Clock
from newsletter.util.http import basic_credentials
from newsletter.util.weeks import iso_week_key
from newsletter.web.charts import (
    Chart,
    Series,
    chart,
    count_fmt,
    pct_fmt,
    usd_fmt,
)
from newsletter.web.security import client_network

REALM = 'Basic realm="newsletter admin", charset="UTF-8"'
#: The failure window of the login limit.
FAILURE_WINDOW = 15 * 60.0
#: Weeks of history on the charts.
CHART_WEEKS = 12


def check_hash(value: str) -> str:
    """The hash, or ConfigError when NEWSLETTER_ADMIN_PASSWORD_HASH is not an Argon2 hash."""
    from argon2 import extract_parameters

    try:
        extract_parameters(value)
    except InvalidHashError:
        raise ConfigError(
            "NEWSLETTER_ADMIN_PASSWORD_HASH is not an Argon2 hash: make one with "
            "`newsletter admin hash-password`"
        ) from None
    return value


@dataclass
class FailureLimiter:
    """Failed logins per client address in a sliding window (in memory)."""

    limit: int
    window: float
    clock: Callable[[], float]
    _events: dict[str, deque[float]] = field(default_factory=dict)

    def blocked(self, key: str) -> bool:
        q = self._events.get(key)
        if not q:
            return False
        now = self.clock()
        while q and q[0] <= now - self.window:
            q.popleft()
        return len(q) >= self.limit

    def failed(self, key: str) -> float:
        """Count a failure of ``key``; its time, for :meth:`forgive`."""
        now = self.clock()
        self._events.setdefault(key, deque()).append(now)
        if len(self._events) > 10_000:  # forget clients idle for a whole window
            for k in [k for k, v in self._events.items() if not v or v[-1] <= now - self.window]:
                del self._events[k]
        return now

    def forgive(self, key: str, at: float) -> None:
        """Take back the failure counted at ``at`` (a login counted before it was checked,
        which then succeeded)."""
        with contextlib.suppress(KeyError, ValueError):
            self._events[key].remove(at)


#: Renders a message page (heading, text, status code): the web app's, on the palette.
MessagePage = Callable[[str, str, int], HTMLResponse]


def _plain_message(heading: str, text: str, status: int) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html lang=en><title>{escape(heading)}</title>"
        f"<p>{escape(text)}</p></html>",
        status_code=status,
    )


@dataclass
class AdminAuth:
    """HTTP basic auth against one user name and an Argon2 hash; refusals are shown with
    ``message`` (the web app passes its own message page)."""

    user: str
    password_hash: str
    limiter: FailureLimiter
    hasher: PasswordHasher = field(default_factory=PasswordHasher)
    message: MessagePage = _plain_message

    def _verify(self, user: str, password: str) -> bool:
        user_ok = hmac.compare_digest(user.encode("utf-8"), self.user.encode("utf-8"))
        password_ok = False
        # always verified, whatever the user name: the timing tells nothing
        with contextlib.suppress(VerificationError, InvalidHashError):
            password_ok = self.hasher.verify(self.password_hash, password)
        return user_ok and password_ok

    async def refuse(self, request: Request) -> Response | None:
        """None when the request carries the right credentials; else the 401 or 429."""
        ip = client_network(request.client.host if request.client else "unknown")
        if self.limiter.blocked(ip):
            return self._answer(
                429,
                "Too many failed logins from your address; try again later.",
                {"Retry-After": str(int(FAILURE_WINDOW))},
            )
        given = basic_credentials(request.headers.get("authorization"))
        if given is None:
            return self._answer(401, "Log in to see the admin page.", {"WWW-Authenticate": REALM})
        # counted before the check, which takes a while: logins sent at once would all pass
        # the limit above before the first of them had failed (40 guesses instead of 10)
        at = self.limiter.failed(ip)
        if await run_in_threadpool(self._verify, *given):
            self.limiter.forgive(ip, at)
            return None
        return self._answer(401, "Wrong user name or password.", {"WWW-Authenticate": REALM})

    def _answer(self, status: int, text: str, headers: dict[str, str]) -> Response:
        response = self.message("Admin", text, status)
        response.headers.update(headers)
        return response


def _week_ends(now: dt.datetime, config: Config, weeks: int) -> list[tuple[str, dt.datetime]]:
    """(issue key, the instant the week ended) for the last ``weeks`` weeks, and now."""
    this = issue_week(now, config.schedule)
    out = []
    for back in range(weeks - 1, 0, -1):
        monday = this - dt.timedelta(days=7 * back)
        end = dt.datetime.combine(
            monday + dt.timedelta(days=7), dt.time(0), tzinfo=config.schedule.zone
        )
        out.append((iso_week_key(monday), end))
    out.append((f"{iso_week_key(this)} (now)", now))
    return out


def charts(
    config: Config, db: Database, clock: Clock, recent: Sequence[IssueStats] | None = None
) -> list[Chart]:
    """The admin page's charts, from the list's history, the ledger and the run history
    (``recent``: the latest issues' figures, newest first, when the caller has them)."""
    now = clock.now()
    ends = _week_ends(now, config, CHART_WEEKS)
    active = active_series(db, [t for _k, t in ends])
    stats = list(reversed(issue_stats(db, CHART_WEEKS) if recent is None else recent))
    keys = [s.issue_key for s in stats]
    bounce = [None if s.bounce_rate is None else s.bounce_rate * 100 for s in stats]
    complaint = [None if s.complaint_rate is None else s.complaint_rate * 100 for s in stats]
    signals = RunHistory(db, clock).latest_ok("signals", CHART_WEEKS)
    weeks = [iso_week_key(r.week) for r in signals]
    opened = [_num(r.counts.get("open")) for r in signals]
    pay = [_num(r.counts.get("median_pay")) for r in signals]
    a = config.alerts
    bounce_limit = Series(
        f"Alert above {a.bounce_rate * 100:g} %", [a.bounce_rate * 100] * len(keys), limit=True
    )
    return [
        _drawn("line", "Active subscribers, end of each week", [k for k, _t in ends],
               [Series("Active subscribers", active)], count_fmt),
        _drawn("bar", "Messages accepted per issue", keys,
               [Series("Accepted", [s.accepted for s in stats]),
                Series("Bounced", [s.bounced for s in stats])], count_fmt),
        _drawn("line", "Bounce rate per issue (%)", keys,
               [Series("Bounce rate", bounce), bounce_limit], pct_fmt,
               note=f" The alert fires above {a.bounce_rate * 100:g} %."),
        _drawn("line", "Complaint rate per issue (%)", keys,
               [Series("Complaint rate", complaint),
                Series("Gmail target 0.1 %", [0.1] * len(keys), limit=True),
                Series("Never reach 0.3 %", [0.3] * len(keys), limit=True)], pct_fmt,
               note=" Gmail: stay under 0.1 %, never reach 0.3 %."),
        _drawn("line", "Open roles per week", weeks, [Series("Open roles", opened)], count_fmt),
        _drawn("line", "Median pay per week (USD, annual)", weeks,
               [Series("Median pay", pay)], usd_fmt),
    ]  # fmt: skip


def _drawn(
    kind: Literal["line", "bar"],
    title: str,
    labels: list[str],
    series: list[Series],
    fmt: Callable[[float | None], str],
    *,
    note: str = "",
) -> Chart:
    """A chart whose summary says how its first series moved (and ``note``)."""
    first = series[0]
    summary = _trend(first.name.lower(), list(first.values), fmt) + note
    return chart(kind, title, summary, labels=labels, series=series, fmt=fmt)


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _trend(what: str, values: list[Any], fmt: Callable[[float | None], str]) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return f"No {what} recorded yet."
    if len(known) == 1:
        return f"One value so far: {what} {fmt(known[0])}."
    return f"The {what} went from {fmt(known[0])} to {fmt(known[-1])}."


@dataclass
class AdminPages:
    config: Config
    db: Database
    clock: Clock
    auth: AdminAuth
    secrets: Secrets = field(default_factory=Secrets)
    #: The rendered preview of a snapshot, by (week, its modification time).
    _preview: dict[tuple[str, int, int], str] = field(default_factory=dict)

    def routes(self) -> list[Route]:
        return [
            Route("/admin", self.dashboard, methods=["GET"]),
            Route("/admin/preview", self.preview, methods=["GET"]),
            Route("/admin/status.json", self.status_json, methods=["GET"]),
        ]

    def _status(self, stats: Sequence[IssueStats] | None = None) -> dict[str, Any]:
        return status_report(
            self.config,
            self.db,
            self.clock,
            secrets=self.secrets,
            has_sources=sources_configured(self.config),
            stats=stats,
        )

    def _dashboard(self) -> tuple[dict[str, Any], list[Chart]]:
        """The status and the charts, reading the issues' figures once for both."""
        recent = issue_stats(self.db, CHART_WEEKS)
        return self._status(recent), charts(self.config, self.db, self.clock, recent)

    async def dashboard(self, request: Request) -> Response:
        if refused := await self.auth.refuse(request):
            return refused
        doc, drawn = await run_in_threadpool(self._dashboard)
        n = self.config.newsletter
        html = render_template(
            "web/admin.html.j2",
            {
                "site": {"title": n.title},
                "palette": Markup(web_css()),
                "status": doc,
                "charts": drawn,
            },
        )
        return HTMLResponse(html)

    async def status_json(self, request: Request) -> Response:
        if refused := await self.auth.refuse(request):
            return refused
        return JSONResponse(await run_in_threadpool(self._status))

    async def preview(self, request: Request) -> Response:
        if refused := await self.auth.refuse(request):
            return refused
        try:
            html = await run_in_threadpool(self._render_preview)
        except NewsletterError as exc:
            return self.auth.message("No preview", f"No preview: {exc}", 404)
        return HTMLResponse(html)

    def _render_preview(self) -> str:
        """The latest week's issue up to now, as ``send`` builds it (new roles, the editor's
        note), for the preview stand-in; cached until the snapshot or the note changes."""
        from newsletter.data.snapshots import list_weeks, snapshot_path
        from newsletter.edition.issue import check_size, compile_week, preview_recipient
        from newsletter.edition.notes import note_path

        directory = self.config.data.snapshots_dir
        this = issue_week(self.clock.now(), self.config.schedule)
        weeks = [w for w in (list_weeks(directory) if directory.is_dir() else []) if w <= this]
        if not weeks:
            raise NewsletterError(f"no snapshot up to this week in {directory}")
        week = weeks[-1]
        note = note_path(self.config, week)
        key = (
            week.isoformat(),
            snapshot_path(directory, week).stat().st_mtime_ns,
            note.stat().st_mtime_ns if note.is_file() else 0,
        )
        if key not in self._preview:
            self._preview.clear()
            issue = compile_week(self.config, week).personalize(preview_recipient(self.config))
            check_size(issue.html, self.config.email.max_html_bytes)
            self._preview[key] = issue.html
        return self._preview[key]
