"""Alerts to the editors: by email through the configured provider, and/or a webhook.

An :class:`Alert` is one condition of one week (a step failed, the send is late, sources
failed, an issue's bounce or complaint rate is too high, the snapshot is stale, an approval
did not come). Its key (``2026-W48:send_late``) is the persisted dedupe key: before a
channel (``webhook``, ``email:<editor>``) delivers it, a row of the ``alerts`` table is
claimed, so each condition reaches each channel once per week however often the weekly
job or the checks run. A delivery that fails is logged and marked ``failed``; a later check
tries it again (at most :data:`MAX_ATTEMPTS` times). Nothing here raises: an alert that
cannot be delivered never blocks a send.

Alert text can hold untrusted data (a board's name, a provider's reply, an error line):
each part goes through the audience layer's note sanitiser (one line, no control or
invisible characters, capped) and is escaped for where it lands: HTML by the autoescaped
template, Slack's ``<``, ``>``, ``&`` for the webhook (so a name like ``<!channel>`` pings
no one).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, cast

import httpx
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from newsletter.audience.sanitize import clean_note
from newsletter.config import Config, Secrets
from newsletter.delivery import get_sender
from newsletter.delivery.base import Sender
from newsletter.delivery.compose import compose
from newsletter.delivery.models import OutgoingMessage, SendStatus
from newsletter.edition.issue import preview_recipient
from newsletter.edition.render import render_template
from newsletter.errors import StoreError, first_line
from newsletter.models import IssueContent
from newsletter.store import Database
from newsletter.store.tables import alerts
from newsletter.util.clock import Clock
from newsletter.util.weeks import iso_week_key

log = logging.getLogger(__name__)

AlertKind = Literal[
    "step_failed",
    "send_late",
    "sources_failed",
    "bounce_rate",
    "complaint_rate",
    "snapshot_stale",
    "approval_missing",
    "test",
]
#: Deliveries of one alert to one channel, at most.
MAX_ATTEMPTS = 3
#: An alert row "sending" this long is from a process killed in mid-delivery: taken again.
SENDING_LEASE_SECONDS = 600
#: Longest summary and detail line.
SUMMARY_MAX, DETAIL_MAX = 200, 1000
_SCOPE = re.compile(r"[^a-z0-9_.-]+")
SenderFactory = Callable[[], Sender[Any, Any]]


@dataclass(frozen=True, slots=True)
class Alert:
    """One condition of one week, its one-line summary and detail (already clean)."""

    kind: AlertKind
    week: dt.date
    summary: str
    detail: str = ""
    #: What the condition is about within the week: a step kind, an issue key.
    scope: str = ""

    @property
    def key(self) -> str:
        """The dedupe key: the condition, once per week."""
        base = f"{iso_week_key(self.week)}:{self.kind}"
        return f"{base}:{self.scope}" if self.scope else base


def make_alert(
    kind: AlertKind, week: dt.date, summary: str, detail: str = "", scope: str = ""
) -> Alert:
    """An alert whose text (which may quote untrusted data) is cleaned to single lines."""
    return Alert(
        kind=kind,
        week=week,
        summary=clean_note(summary, SUMMARY_MAX) or kind.replace("_", " "),
        detail=clean_note(detail, DETAIL_MAX) or "",
        scope=_SCOPE.sub("-", scope.lower())[:40],
    )


def slack_escape(text: str) -> str:
    """Text for Slack's ``mrkdwn``: ``&``, ``<`` and ``>`` escaped (no links, no mentions)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webhook_payload(config: Config, alert: Alert) -> dict[str, str]:
    """The Slack-compatible JSON body (``text``; Mattermost, Discord's /slack and most chat
    tools accept it too)."""
    head = f"*{slack_escape(config.newsletter.title)} alert* ({iso_week_key(alert.week)})"
    lines = [f"{head}: {slack_escape(alert.summary)}"]
    if alert.detail:
        lines.append(slack_escape(alert.detail))
    return {"text": "\n".join(lines)}


def alert_content(config: Config, alert: Alert, admin_url: str | None = None) -> IssueContent:
    """The alert email's subject and both parts (the templates under ``ops/``)."""
    title = config.newsletter.title
    subject = f"[{title} alert] {alert.summary}"
    context = {
        "title": title,
        "subject": subject,
        "summary": alert.summary,
        "detail": alert.detail,
        "issue_key": iso_week_key(alert.week),
        "week": alert.week.isoformat(),
        "admin_url": admin_url,
    }
    return IssueContent(
        subject=subject,
        html=render_template("ops/alert_email.html.j2", context),
        text=render_template("ops/alert_email.txt.j2", context),
        variant="alert",
    )


def editor_message(config: Config, content: IssueContent, to: str, kind: str) -> OutgoingMessage:
    """A message to one editor through the one message builder (alerts, previews)."""
    stand_in = preview_recipient(config)
    return compose(
        config.newsletter, content, replace(stand_in, email=to), issue_key=f"editors-{kind}"
    )


@dataclass(frozen=True, slots=True)
class Delivery:
    """What one channel did with one alert: ``sent``, ``failed`` or ``skipped`` (already
    sent, or being sent by another process)."""

    key: str
    channel: str
    status: Literal["sent", "failed", "skipped"]
    reason: str = ""


@dataclass(frozen=True, slots=True)
class AlertRecord:
    key: str
    channel: str
    week: dt.date
    kind: str
    status: str
    attempts: int
    text: str
    last_error: str | None
    updated_at: dt.datetime


@dataclass
class Alerter:
    """Delivers alerts to the configured channels, once per condition and week."""

    config: Config
    secrets: Secrets
    db: Database
    clock: Clock
    #: The email sender (default: the configured provider, built per delivery).
    sender_factory: SenderFactory | None = None
    #: An httpx transport for the webhook (default: the network).
    transport: httpx.BaseTransport | None = field(default=None, repr=False)

    @property
    def webhook_url(self) -> str | None:
        return self.secrets.get("alert_webhook_url") or self.config.alerts.webhook_url

    def channels(self) -> list[str]:
        out = [f"email:{e}" for e in self.config.alerts.email]
        if self.webhook_url:
            out.append("webhook")
        return out

    def fire(self, found: Sequence[Alert]) -> list[Delivery]:
        """Deliver each alert to each channel that has not had it; never raises."""
        out: list[Delivery] = []
        for alert in found:
            try:
                out.extend(self._fire_one(alert))
            except Exception as exc:  # an alert must never stop the caller
                log.error("alert %s not delivered: %s", alert.key, first_line(exc))
                out.append(Delivery(alert.key, "*", "failed", first_line(exc)))
        return out

    def _fire_one(self, alert: Alert) -> list[Delivery]:
        out: list[Delivery] = []
        mine = [c for c in self.channels() if self._claim(alert, c)]
        try:
            return self._deliver(alert, mine, out)
        except Exception as exc:  # claimed channels are failed (retried), never left sending
            for c in mine:
                if not any(d.channel == c for d in out):
                    self._done(alert, c, first_line(exc))
            raise

    def _deliver(self, alert: Alert, mine: list[str], out: list[Delivery]) -> list[Delivery]:
        out.extend(Delivery(alert.key, c, "skipped") for c in self.channels() if c not in mine)
        editors = [c.split(":", 1)[1] for c in mine if c.startswith("email:")]
        if editors:
            for to, error in self._email(alert, editors).items():
                out.append(self._done(alert, f"email:{to}", error))
        if "webhook" in mine:
            out.append(self._done(alert, "webhook", self._post(alert)))
        return out

    # ---- the channels ----------------------------------------------------------------------
    def _email(self, alert: Alert, editors: list[str]) -> dict[str, str | None]:
        """Each editor's outcome: None when the provider accepted the message."""
        admin = f"{self.config.newsletter.base_url}/admin"
        content = alert_content(
            self.config, alert, admin if self.secrets.get("admin_password_hash") else None
        )
        try:
            messages = [editor_message(self.config, content, to, "alerts") for to in editors]
            factory = self.sender_factory or (
                lambda: get_sender(self.config.delivery, self.secrets, clock=self.clock)
            )
            with factory() as sender:
                results = sender.send_batch(messages)
        except Exception as exc:  # the provider refused, a secret is missing, ...
            return dict.fromkeys(editors, first_line(exc))
        got: dict[str, str | None] = dict.fromkeys(editors, "no answer from the provider")
        for r in results:
            got[r.email] = None if r.status is SendStatus.SENT else (r.reason or str(r.status))
        return got

    def _post(self, alert: Alert) -> str | None:
        url = self.webhook_url
        assert url is not None
        try:
            with httpx.Client(
                timeout=self.config.alerts.timeout_seconds, transport=self.transport
            ) as client:
                r = client.post(url, json=webhook_payload(self.config, alert))
        except Exception as exc:  # a transport error, or a URL httpx refuses (InvalidURL)
            return f"webhook: {type(exc).__name__}: {first_line(exc)}"
        if r.is_success:
            return None
        return f"webhook answered HTTP {r.status_code}"

    # ---- the dedupe keys ---------------------------------------------------------------------
    def _claim(self, alert: Alert, channel: str) -> bool:
        """True when this process should deliver ``alert`` to ``channel`` now: a new row, or a
        failed one with attempts left (claimed atomically, so two processes never both do)."""
        now = self.clock.now()
        text = alert.summary + (f" — {alert.detail}" if alert.detail else "")
        try:
            with self.db.write() as conn:
                conn.execute(
                    sa.insert(alerts).values(
                        key=alert.key,
                        channel=channel,
                        week=alert.week,
                        kind=alert.kind,
                        status="sending",
                        attempts=1,
                        text=text,
                        created_at=now,
                        updated_at=now,
                    )
                )
            return True
        except IntegrityError:
            pass
        # a failed one is retried; one left "sending" by a process killed in mid-delivery is
        # taken again once its lease is over (its delivery may or may not have happened)
        stale = alerts.c.updated_at < now - dt.timedelta(seconds=SENDING_LEASE_SECONDS)
        with self.db.write() as conn:
            retried = conn.execute(
                sa.update(alerts)
                .where(
                    alerts.c.key == alert.key,
                    alerts.c.channel == channel,
                    (alerts.c.status == "failed") | ((alerts.c.status == "sending") & stale),
                    alerts.c.attempts < MAX_ATTEMPTS,
                )
                .values(status="sending", attempts=alerts.c.attempts + 1, updated_at=now)
            )
        return retried.rowcount == 1

    def _done(self, alert: Alert, channel: str, error: str | None) -> Delivery:
        error = clean_note(error) if error else None
        if error:
            log.error("alert %s to %s not delivered: %s", alert.key, channel, error)
        try:
            with self.db.write() as conn:
                conn.execute(
                    sa.update(alerts)
                    .where(alerts.c.key == alert.key, alerts.c.channel == channel)
                    .values(
                        status="failed" if error else "sent",
                        last_error=error,
                        updated_at=self.clock.now(),
                    )
                )
        except (SQLAlchemyError, StoreError) as exc:  # StoreError: a write refused
            log.error("alert %s: outcome not recorded: %s", alert.key, first_line(exc))
        return Delivery(alert.key, channel, "failed" if error else "sent", error or "")


def recent_alerts(db: Database, limit: int = 20) -> list[AlertRecord]:
    """The alert deliveries last updated, newest first."""
    q = (
        sa.select(alerts)
        .order_by(alerts.c.updated_at.desc(), alerts.c.key, alerts.c.channel)
        .limit(limit)
    )
    with db.read() as conn:
        return [
            AlertRecord(**{k: cast(Any, r[k]) for k in AlertRecord.__slots__})
            for r in conn.execute(q).mappings()
        ]
