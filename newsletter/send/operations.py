"""The operations facade: the weekly steps besides the send, recorded the same way, and the
operator's commands around them.

One call per command, like :mod:`newsletter.send.service`: :func:`collect_week` (``collect``
and the scheduler's collection job) and :func:`~newsletter.send.steps.ingest_week`
(``ingest``, kept in the lighter :mod:`newsletter.send.steps`) record their step in the run
history through the same :class:`~newsletter.send.monitor.Monitor` as
:func:`~newsletter.send.service.send_week`; :func:`check_alerts` (``alerts check``, the
scheduler's check), :func:`test_alert`, :func:`approve_week` and :func:`approve_link`,
:func:`watch` (the scheduler's periodic job) and :func:`status` (``status``, ``/admin``).
When the database cannot be opened, collect and ingest still run, with a warning that the
step is not recorded.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from newsletter.config import Config, Secrets
from newsletter.data.collect import Collected, Source, collect, sources_configured
from newsletter.data.collect import replay as replay_collection
from newsletter.data.collect.run import OnBoard
from newsletter.data.snapshots import snapshot_path
from newsletter.errors import TokenError, UsageError
from newsletter.models import RunTrigger
from newsletter.send.alerts import Delivery, SenderFactory, make_alert
from newsletter.send.approval import ApprovalRecord, Approvals, ApprovalSigner, ApproveOutcome
from newsletter.send.ledger import SendLedger
from newsletter.send.monitor import Monitor
from newsletter.send.runs import ignore_warning
from newsletter.send.schedule import collect_refusal, issue_week, latest_due
from newsletter.send.service import SendReport, collect_recorded, send_week
from newsletter.send.status import status_report
from newsletter.send.steps import monitored
from newsletter.store import Database, open_store
from newsletter.util.clock import SYSTEM_CLOCK, Clock
from newsletter.util.weeks import iso_week_key

log = logging.getLogger(__name__)


def collect_week(
    config: Config,
    secrets: Secrets,
    week: dt.date,
    *,
    clock: Clock = SYSTEM_CLOCK,
    trigger: RunTrigger = "cli",
    warn: Callable[[str], None] = ignore_warning,
    replay: bool = False,
    sources: Sequence[Source] | None = None,
    on_board: OnBoard | None = None,
) -> Collected:
    """``newsletter collect`` and the scheduler's collection: one recorded ``collect`` step.

    A live collection of a week that has ended is refused (UsageError, before anything is
    fetched: :func:`~newsletter.send.schedule.collect_refusal`); a replay is not."""
    if not replay:
        has_snapshot = snapshot_path(config.data.snapshots_dir, week).exists()
        refusal = collect_refusal(week, clock.now(), config.schedule, has_snapshot=has_snapshot)
        if refusal is not None:
            raise UsageError(refusal)
    with monitored(config, secrets, clock, trigger, warn) as monitor:
        if monitor is None:
            if replay:
                return replay_collection(config, week, clock=clock)
            return collect(config, week, clock=clock, sources=sources, on_board=on_board)
        return collect_recorded(
            monitor, config, week, replay=replay, sources=sources, on_board=on_board
        )


def check_alerts(
    config: Config,
    secrets: Secrets,
    *,
    clock: Clock = SYSTEM_CLOCK,
    sender_factory: SenderFactory | None = None,
) -> list[Delivery]:
    """``newsletter alerts check``: evaluate the conditions now, deliver what is due."""
    with open_store(config) as db:
        return Monitor(
            config, secrets, db, clock, "schedule", sender_factory=sender_factory
        ).check()


def test_alert(
    config: Config,
    secrets: Secrets,
    *,
    clock: Clock = SYSTEM_CLOCK,
    sender_factory: SenderFactory | None = None,
) -> list[Delivery]:
    """``newsletter alerts test``: one test alert to every configured channel."""
    now = clock.now()
    alert = make_alert(
        "test",
        issue_week(now, config.schedule),
        f"Test alert from {config.newsletter.title}",
        "If you can read this, alerts reach you.",
        scope=f"{int(now.timestamp())}",
    )
    with open_store(config) as db:
        return Monitor(config, secrets, db, clock, "cli", sender_factory=sender_factory).fire(
            [alert]
        )


@dataclass(frozen=True, slots=True)
class Approved:
    """What ``approve`` did: ``approved``, ``already``, ``missing`` (no preview was sent),
    ``sent`` (the issue is already sent), ``stale`` or ``expired`` (links only)."""

    issue_key: str
    outcome: ApproveOutcome
    record: ApprovalRecord | None


def approve_week(config: Config, week: dt.date, *, clock: Clock = SYSTEM_CLOCK) -> Approved:
    """``newsletter approve WEEK``: approve the previewed issue of ``week``."""
    key = iso_week_key(week)
    with open_store(config) as db:
        issue = SendLedger(db, clock=clock).issue(key)
        approvals = Approvals(db, clock)
        if issue is not None and issue.status == "sent":
            return Approved(key, "sent", approvals.get(key))
        outcome = approvals.approve(key, "cli")
        return Approved(key, outcome, approvals.get(key))


def approve_link(db: Database, signer: ApprovalSigner, token: str, clock: Clock) -> Approved:
    """``POST /approve/<token>``: approve with a link (once, before its deadline)."""
    issue_key, link_key = signer.verify(token)
    approvals = Approvals(db, clock)
    return Approved(
        issue_key, approvals.approve(issue_key, "link", link_key), approvals.get(issue_key)
    )


def link_approval(db: Database, signer: ApprovalSigner, token: str, clock: Clock) -> ApprovalRecord:
    """The approval a link is for (``GET /approve/<token>``); TokenError when the link does
    not (or no longer) match it."""
    issue_key, link_key = signer.verify(token)
    record = Approvals(db, clock).get(issue_key)
    if record is None:
        raise TokenError("this approve link is not valid")
    if record.approved_at is None and record.link_key != link_key:
        raise TokenError("this approve link was replaced by a newer preview")
    return record


@dataclass(frozen=True, slots=True)
class Watched:
    """What the scheduler's periodic check did."""

    alerts: list[Delivery]
    send: SendReport | None


def watch(
    config: Config,
    secrets: Secrets,
    *,
    clock: Clock = SYSTEM_CLOCK,
    sender_factory: SenderFactory | None = None,
    warn: Callable[[str], None] = ignore_warning,
) -> Watched:
    """The scheduler's periodic job: the alert conditions, and an approved issue that is
    due and not sent yet goes out (the editors approved after the weekly job ran)."""
    now = clock.now()
    week, _due = latest_due(now, config.schedule)  # the issue most recently due
    key = iso_week_key(week)
    with open_store(config) as db:
        delivered = Monitor(
            config, secrets, db, clock, "schedule", warn, sender_factory=sender_factory
        ).check()
        approval = Approvals(db, clock).get(key)
        issue = SendLedger(db, clock=clock).issue(key)
    ready = (
        config.schedule.approval == "required"
        and approval is not None
        and approval.approved_at is not None
        and (issue is None or issue.status != "sent")
    )
    if not ready:
        return Watched(delivered, None)
    report = send_week(
        config,
        secrets,
        clock=clock,
        warn=warn,
        sender_factory=sender_factory,
        collect_first=True,
        trigger="schedule",
    )
    return Watched(delivered, report)


def status(
    config: Config,
    *,
    secrets: Secrets = Secrets(),
    clock: Clock = SYSTEM_CLOCK,
    runs: int = 20,
    issues: int = 8,
) -> dict[str, Any]:
    """``newsletter status``: the status document (``docs/status.md``). It only reads: a
    SQLite database that is not there is a StoreError (the wrong config or folder), not a
    new empty one reported as "nothing happened"."""
    with open_store(config, existing=True) as db:
        return status_report(
            config,
            db,
            clock,
            secrets=secrets,
            runs=runs,
            issues=issues,
            has_sources=sources_configured(config),
        )
