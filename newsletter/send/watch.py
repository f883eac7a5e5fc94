"""The alert conditions that depend on time and on what came back after a send.

:func:`conditions` looks at this week's issue and the recent ones and returns every alert
whose condition holds now (the :class:`~newsletter.send.alerts.Alerter` sends each once per
week): the send was due and is not complete ``[alerts] send_deadline_hours`` later; no
approval came by the approval deadline; the week's snapshot is missing or stale once the
send is due; an issue's bounce rate is above ``[alerts] bounce_rate`` or its complaint rate
above ``[alerts] complaint_rate`` (checked while its 7-day window is open, and for a week
after). "This week's issue" is the one most recently due
(:func:`~newsletter.send.schedule.latest_due`): a deadline window that crosses Monday 00:00
still belongs to the issue that was due. Deadlines are elapsed hours (computed in UTC).
A failed step and failed sources are alerted when they happen
(:mod:`newsletter.send.monitor`).
"""

from __future__ import annotations

import datetime as dt

from newsletter.config import Config
from newsletter.errors import GuardError
from newsletter.send.alerts import Alert, make_alert
from newsletter.send.approval import Approvals
from newsletter.send.guards import check_scheduled_snapshot
from newsletter.send.ledger import SendLedger
from newsletter.send.schedule import hours_after, latest_due
from newsletter.send.stats import WINDOW, IssueStats, issue_stats
from newsletter.store import Database
from newsletter.util.clock import Clock
from newsletter.util.weeks import iso_week_key

#: Issues whose rates are still checked: up to this long after their window closed.
RATES_CHECKED_FOR = 2 * WINDOW


def _pct(x: float) -> str:
    return f"{x * 100:.2f} %"


def conditions(config: Config, db: Database, clock: Clock) -> list[Alert]:
    """Every alert condition that holds now (see the module doc)."""
    now = clock.now()
    s = config.schedule
    week, due = latest_due(now, s)
    key = iso_week_key(week)
    issue = SendLedger(db, clock=clock).issue(key)
    sent = issue is not None and issue.status == "sent"
    out: list[Alert] = []
    if not sent:  # the latest issue is due by definition
        out.extend(_before_sent(config, db, clock, week, due))
    out.extend(rate_alerts(config, issue_stats(db, limit=4), now))
    return out


def _before_sent(
    config: Config, db: Database, clock: Clock, week: dt.date, due: dt.datetime
) -> list[Alert]:
    now = clock.now()
    key = iso_week_key(week)
    local = due.strftime("%a %Y-%m-%d %H:%M %Z")
    out: list[Alert] = []
    try:
        check_scheduled_snapshot(
            config.data.snapshots_dir, week, now, config.data.max_snapshot_age_days
        )
    except GuardError as exc:
        out.append(
            make_alert(
                "snapshot_stale", week, f"{key}: this week's snapshot is not ready", str(exc)
            )
        )
    if config.schedule.approval == "required":
        approval = Approvals(db, clock).get(key)
        if approval is None or approval.approved_at is None:
            deadline = hours_after(due, config.schedule.approval_deadline_hours)
            local_deadline = deadline.astimezone(due.tzinfo).strftime("%a %H:%M %Z")
            if now > deadline:
                detail = (
                    "No [PREVIEW] copy was ever prepared (see the other alerts of this week: "
                    "a missing snapshot?), so the issue stays unsent. Fix that, then "
                    "`newsletter run-week` sends the [PREVIEW] for approval."
                    if approval is None
                    else "No editor approved the [PREVIEW] copy before the deadline, so the "
                    "issue stays unsent. To send it anyway: `newsletter approve "
                    f"{week.isoformat()}`, then `newsletter run-week`."
                )
                out.append(
                    make_alert(
                        "approval_missing",
                        week,
                        f"{key} was not approved by {local_deadline}: nothing was sent",
                        detail,
                    )
                )
            return out  # waiting for the editors is not a late send
    late = hours_after(due, config.alerts.send_deadline_hours)
    if now > late:
        out.append(
            make_alert(
                "send_late",
                week,
                f"{key} was due {local} and is not sent yet",
                f"The send is not complete {config.alerts.send_deadline_hours:g} h after it was "
                "due. Check `newsletter status`; `newsletter run-week` resumes it.",
            )
        )
    return out


def rate_alerts(config: Config, stats: list[IssueStats], now: dt.datetime) -> list[Alert]:
    """Bounce and complaint rates above the configured limits, per recent issue."""
    out: list[Alert] = []
    a = config.alerts
    for st in stats:
        closes = st.window_closes()
        if closes is None or now - closes > RATES_CHECKED_FOR:
            continue
        if st.bounce_rate is not None and st.bounce_rate > a.bounce_rate:
            out.append(
                make_alert(
                    "bounce_rate",
                    st.week,
                    f"{st.issue_key}: bounce rate {_pct(st.bounce_rate)} is above "
                    f"{_pct(a.bounce_rate)}",
                    f"{st.bounced} of {st.attempted} messages bounced ({st.bounced_at_send} "
                    f"refused at send time, {st.bounced_later} reported later). Mailbox "
                    "providers throttle or block senders with high bounce rates: clean the "
                    "list (were these addresses imported?).",
                )
            )
        if st.complaint_rate is not None and st.complaint_rate > a.complaint_rate:
            out.append(
                make_alert(
                    "complaint_rate",
                    st.week,
                    f"{st.issue_key}: complaint rate {_pct(st.complaint_rate)} is above "
                    f"{_pct(a.complaint_rate)}",
                    f"{st.complained} of {st.delivered} delivered messages were reported as "
                    "spam. Gmail asks bulk senders to stay under 0.10 % and never reach "
                    "0.30 %.",
                )
            )
    return out
