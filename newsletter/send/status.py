"""``newsletter status``: what happened and what will happen, as one JSON-ready document.

The document's shape is a contract (``status_version``; every field documented in
``docs/status.md``): the last runs with outcomes and durations; the next scheduled runs in
the configured time zone; this week's issue (snapshot present and fresh? rendered? sent x
of y, left to retry; the approval); per recent issue the deliverability figures of
:mod:`newsletter.send.stats` next to the mailbox providers' limits; the list by status and
its change over 7 days; the alerts sent recently. Times are ISO 8601: instants in UTC
(``...Z``), schedule times in the configured zone (with their offset).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from newsletter.config import Config, Secrets, alerts_configured
from newsletter.data.snapshots import snapshot_path
from newsletter.errors import GuardError
from newsletter.send.alerts import recent_alerts
from newsletter.send.approval import Approvals
from newsletter.send.guards import check_scheduled_snapshot, snapshot_written_at
from newsletter.send.ledger import SendLedger
from newsletter.send.runs import RunHistory, RunRecord
from newsletter.send.schedule import collect_trigger, latest_due, weekly_trigger
from newsletter.send.stats import (
    BOUNCE_MAX,
    COMPLAINT_MAX,
    COMPLAINT_TARGET,
    IssueStats,
    issue_stats,
    list_change,
)
from newsletter.store import Database
from newsletter.util.clock import Clock
from newsletter.util.weeks import iso_week_key

#: Bumped when a field changes meaning or goes away (new fields may be added in a version).
STATUS_VERSION = 1


def utc(t: dt.datetime | None) -> str | None:
    """An instant as ISO 8601 UTC with a ``Z``."""
    if t is None:
        return None
    return t.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def local(t: dt.datetime | None, config: Config) -> str | None:
    """An instant in the configured zone, ISO 8601 with its offset."""
    return t.astimezone(config.schedule.zone).isoformat() if t is not None else None


def _rate(x: float | None) -> float | None:
    return round(x, 6) if x is not None else None


def run_json(r: RunRecord) -> dict[str, Any]:
    return {
        "id": r.id,
        "week": r.week.isoformat(),
        "issue_key": iso_week_key(r.week),
        "kind": r.kind,
        "trigger": r.trigger,
        "started_at": utc(r.started_at),
        "finished_at": utc(r.finished_at),
        "duration_seconds": round(r.duration, 3) if r.duration is not None else None,
        "outcome": r.outcome,
        "counts": dict(r.counts),
        "error": r.error,
    }


def issue_json(st: IssueStats, config: Config, now: dt.datetime) -> dict[str, Any]:
    closes = st.window_closes()
    cr = st.complaint_rate
    return {
        "issue_key": st.issue_key,
        "week": st.week.isoformat(),
        "status": st.status,
        "subject": st.subject,
        "recipients": st.recipients,
        "attempted": st.attempted,
        "accepted": st.accepted,
        "delivered": st.delivered,
        "bounced": st.bounced,
        "bounced_at_send": st.bounced_at_send,
        "bounced_later": st.bounced_later,
        "complained": st.complained,
        "unsubscribed": st.unsubscribed,
        "left_to_send": st.left_to_send,
        "skipped": st.skipped,
        "bounce_rate": _rate(st.bounce_rate),
        "complaint_rate": _rate(cr),
        "unsubscribe_rate": _rate(st.unsubscribe_rate),
        "first_sent_at": utc(st.first_sent_at),
        "last_sent_at": utc(st.last_sent_at),
        "window_closes_at": utc(closes),
        "window_complete": closes is not None and now >= closes,
        "checks": {
            "bounce_rate": (
                None
                if st.bounce_rate is None
                else "above_max"
                if st.bounce_rate > BOUNCE_MAX
                else "ok"
            ),
            "complaint_rate": (
                None
                if cr is None
                else "above_max"
                if cr >= COMPLAINT_MAX
                else "above_target"
                if cr >= COMPLAINT_TARGET
                else "ok"
            ),
            "alert": bool(
                (st.bounce_rate or 0) > config.alerts.bounce_rate
                or (cr or 0) > config.alerts.complaint_rate
            ),
        },
    }


def _snapshot(config: Config, week: dt.date, now: dt.datetime) -> dict[str, Any]:
    path = snapshot_path(config.data.snapshots_dir, week)
    present = path.exists()
    written = snapshot_written_at(config.data.snapshots_dir, week) if present else None
    try:
        check_scheduled_snapshot(
            config.data.snapshots_dir, week, now, config.data.max_snapshot_age_days
        )
        problem = None
    except GuardError as exc:
        problem = str(exc)
    return {
        "present": present,
        "path": str(path),
        "written_at": utc(written),
        "age_hours": round((now - written).total_seconds() / 3600, 2) if written else None,
        "fresh": problem is None,
        "problem": problem,
    }


def _next(trigger: Any, now: dt.datetime) -> dt.datetime | None:
    found = trigger.get_next_fire_time(None, now)
    return found if isinstance(found, dt.datetime) else None


def _schedule(
    config: Config, now: dt.datetime, has_sources: bool, secrets: Secrets
) -> dict[str, Any]:
    s = config.schedule
    watching = alerts_configured(config, secrets) or s.approval == "required"
    return {
        "timezone": s.timezone,
        "send": {
            "day": s.day,
            "time": s.time.isoformat(),
            "next_run": local(_next(weekly_trigger(s), now), config),
        },
        "collect": {
            "day": s.collect_day,
            "time": s.collect_time.isoformat(),
            "next_run": local(_next(collect_trigger(s), now), config) if has_sources else None,
        },
        "approval": s.approval,
        "checks_every_minutes": config.alerts.check_minutes if watching else None,
    }


def status_report(
    config: Config,
    db: Database,
    clock: Clock,
    *,
    secrets: Secrets = Secrets(),
    runs: int = 20,
    issues: int = 8,
    has_sources: bool = False,
    stats: Sequence[IssueStats] | None = None,
) -> dict[str, Any]:
    """The status document (see the module doc and docs/status.md); ``stats``: the recent
    issues' figures when the caller has them already (newest first; ``issues`` of them are
    shown)."""
    now = clock.now()
    s = config.schedule
    week, due = latest_due(now, s)  # the issue most recently due: the one run-week sends
    key = iso_week_key(week)
    history = RunHistory(db, clock)
    record = SendLedger(db, clock=clock).issue(key)
    counts = SendLedger(db, clock=clock).counts(key) if record else None
    approval = Approvals(db, clock).get(key)
    rendered = any(r.outcome == "ok" for r in history.of_week(week, "render"))
    change = list_change(db, now)
    return {
        "status_version": STATUS_VERSION,
        "generated_at": utc(now),
        "newsletter": config.newsletter.title,
        "schedule": _schedule(config, now, has_sources, secrets),
        "runs": [run_json(r) for r in history.recent(runs)],
        "this_week": {
            "week": week.isoformat(),
            "issue_key": key,
            "due_at": local(due, config),
            "snapshot": _snapshot(config, week, now),
            "rendered": rendered,
            "issue": (
                {
                    "status": record.status,
                    "subject": record.subject,
                    "recipients": counts.total,
                    "sent": counts.sent,
                    "left_to_retry": counts.remaining,
                    "left_reasons": [
                        {"reason": why, "count": n}
                        for why, n in SendLedger(db, clock=clock).left_reasons(key)
                    ]
                    if counts.remaining
                    else [],
                    "failed": counts.failed,
                    "skipped": counts.skipped,
                    "last_error": record.last_error,
                    "finished_at": utc(record.finished_at),
                }
                if record is not None and counts is not None
                else None
            ),
            "approval": (
                {
                    "state": approval.state(now),
                    "deadline": local(approval.deadline, config),
                    "previews_sent": max(approval.previews, 0),
                    "approved_at": utc(approval.approved_at),
                    "approved_via": approval.approved_via,
                }
                if approval is not None
                else None
            ),
        },
        "issues": [
            issue_json(st, config, now)
            for st in (issue_stats(db, issues) if stats is None else stats[:issues])
        ],
        "thresholds": {
            "bounce_rate_max": BOUNCE_MAX,
            "complaint_rate_target": COMPLAINT_TARGET,
            "complaint_rate_max": COMPLAINT_MAX,
            "alert_bounce_rate": config.alerts.bounce_rate,
            "alert_complaint_rate": config.alerts.complaint_rate,
        },
        "subscribers": {
            "counts": change.now,
            "week_ago": change.before,
            "change_7d": change.change,
            "joined_7d": change.joined,
            "erased_7d": change.erased,
        },
        "alerts": {
            "email": len(config.alerts.email),
            "webhook": bool(secrets.get("alert_webhook_url") or config.alerts.webhook_url),
            "recent": [
                {
                    "key": a.key,
                    "kind": a.kind,
                    "week": a.week.isoformat(),
                    "channel": a.channel,
                    "status": a.status,
                    "attempts": a.attempts,
                    "text": a.text,
                    "updated_at": utc(a.updated_at),
                }
                for a in recent_alerts(db)
            ],
        },
    }
