"""The Monday trigger: APScheduler 3.x wiring and the definition of "this week's issue".

The scheduler only triggers; the send ledger decides what is sent, so every run is the same
idempotent ``run-week`` job. Pitfalls handled (see the delivery guide §7): an explicit time
zone, ``day_of_week="mon"`` by name, a generous ``misfire_grace_time``, ``coalesce``, one
instance, an importable text reference for the persistent job store, an explicit job id with
``replace_existing=True``, a start that removes the stored jobs the configuration no longer
defines (:func:`start_reconciled`), listeners that log missed and failed runs, a catch-up run
at start when the latest issue was due within the grace, and a clean shutdown on SIGTERM.

"The current issue" is the one most recently due (:func:`latest_due`), not the calendar week
of "now": with ``day = "sun"`` the issue due Sunday 22:00 is still the one to send (late) at
Monday 00:30, and with ``day = "fri"`` and a long grace Friday's issue is still due on Monday.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from newsletter.config import Config, ScheduleSettings, Secrets, alerts_configured
from newsletter.errors import StoreError
from newsletter.store.engine import create_engine, open_store
from newsletter.util.clock import SYSTEM_CLOCK, Clock
from newsletter.util.text import clean_line
from newsletter.util.waits import SIGNAL_LOOK_SECONDS
from newsletter.util.weeks import beyond_next_week, week_of

log = logging.getLogger(__name__)

JOB_ID = "weekly-issue"
JOB_FUNC = "newsletter.send.jobs:run_scheduled"
#: The second job: collect the coming issue's postings at ``[schedule] collect_day/time``.
COLLECT_JOB_ID = "weekly-collect"
COLLECT_JOB_FUNC = "newsletter.send.jobs:collect_scheduled"
#: The third, when ``[alerts]`` names a channel or ``[schedule] approval = "required"``:
#: check the alert conditions (and send an issue approved meanwhile) every few minutes.
WATCH_JOB_ID = "watch"
WATCH_JOB_FUNC = "newsletter.send.jobs:watch_scheduled"
JOBS_TABLE = "apscheduler_jobs"
#: How often the foreground scheduler looks at the wall clock again (see :func:`run_forever`).
WAKE_SECONDS = 30.0


class WallClockTrigger(CronTrigger):  # type: ignore[misc]
    """A cron trigger that fires once at a wall-clock time the zone's clocks show twice.

    On the fall-back day the hour before the change comes twice (Berlin 02:00-03:00, New
    York 01:00-02:00); APScheduler's cron fires at both, an hour apart, so a weekly job set
    in that hour ran twice that week. This one fires at the first (the instant
    :meth:`ScheduleSettings.due_for` names) and skips the repeat. A time in the hour that
    is skipped in spring fires once, an hour later on the clock (the same instant
    ``due_for`` names). Importable by the job store's pickles: do not rename."""

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        found: datetime | None = super().get_next_fire_time(previous_fire_time, now)
        while found is not None and _repeated(found):
            # in UTC: a local time plus a microsecond drops the fold (an hour earlier)
            after = found.astimezone(UTC)
            found = super().get_next_fire_time(after, after + timedelta(microseconds=1))
        return found


def _repeated(t: datetime) -> bool:
    """Whether ``t`` is the second time its zone's clocks show this wall-clock time."""
    return t.fold == 1 and t.replace(fold=0).utcoffset() != t.utcoffset()


def weekly_trigger(settings: ScheduleSettings) -> CronTrigger:
    """The weekly cron trigger in the configured zone (weekday by name, never by number)."""
    return WallClockTrigger(
        day_of_week=settings.day,
        hour=settings.time.hour,
        minute=settings.time.minute,
        second=settings.time.second,
        timezone=settings.zone,
    )


def collect_trigger(settings: ScheduleSettings) -> CronTrigger:
    """The weekly collection's cron trigger (``collect_day`` / ``collect_time``)."""
    return WallClockTrigger(
        day_of_week=settings.collect_day,
        hour=settings.collect_time.hour,
        minute=settings.collect_time.minute,
        second=settings.collect_time.second,
        timezone=settings.zone,
    )


def watch_trigger(config: Config) -> IntervalTrigger:
    """Every ``[alerts] check_minutes``, in the configured zone."""
    return IntervalTrigger(minutes=config.alerts.check_minutes, timezone=config.schedule.zone)


def watching(config: Config, secrets: Secrets | None = None) -> bool:
    """Whether the periodic check has anything to do."""
    return alerts_configured(config, secrets) or config.schedule.approval == "required"


def issue_week(now: datetime, settings: ScheduleSettings) -> date:
    """The Monday of the calendar week that contains ``now`` in the configured zone (not
    necessarily the current issue's: see :func:`latest_due`)."""
    return week_of(now, settings.zone)


def due_at(now: datetime, settings: ScheduleSettings) -> datetime:
    """When the issue of the calendar week of ``now`` is (or was) due, in the configured
    zone."""
    return due_for(issue_week(now, settings), settings)


def due_for(week: date, settings: ScheduleSettings) -> datetime:
    """When the issue of ``week`` (its Monday) is due, in the configured zone."""
    return settings.due_for(week)


def hours_after(instant: datetime, hours: float) -> datetime:
    """``hours`` of elapsed time after ``instant``, in UTC.

    Adding a timedelta to an aware local datetime adds wall-clock hours (Python keeps the
    zone and moves the clock face), so across a DST change a deadline would be an hour off;
    the arithmetic is done in UTC instead.
    """
    return instant.astimezone(UTC) + timedelta(hours=hours)


def latest_due(now: datetime, settings: ScheduleSettings) -> tuple[date, datetime]:
    """The issue most recently due at or before ``now``: its week (Monday) and due time.

    This is "the current issue": what a late scheduled run, a catch-up, ``run-week``, the
    alerts and ``status`` act on. It is this calendar week's issue once its time has come,
    else the previous week's (with ``day = "sun"`` that holds from Monday 00:00 until
    Sunday's send time).
    """
    week = issue_week(now, settings)
    due = due_for(week, settings)
    while due > now:
        week -= timedelta(days=7)
        due = due_for(week, settings)
    return week, due


def current_issue_week(now: datetime, settings: ScheduleSettings) -> date:
    """The week of the issue most recently due at or before ``now`` (:func:`latest_due`)."""
    return latest_due(now, settings)[0]


def collect_week(
    now: datetime, settings: ScheduleSettings, has_snapshot: Callable[[date], bool] | None = None
) -> date:
    """The week a collection at ``now`` is for: the week of the next issue due at or after
    ``now`` (a Sunday-evening collection feeds the Monday send of the next day); but the
    current issue's week when its snapshot is missing (``has_snapshot``): after a Monday send
    that failed for want of it, that is the week to collect, not next week's, while the
    issue may still go out (within the misfire grace of its send time)."""
    week, due = latest_due(now, settings)
    late = hours_after(due, settings.misfire_grace_hours) >= now
    if has_snapshot is not None and late and not has_snapshot(week):
        return week
    return week if now == due else week + timedelta(days=7)


def collect_refusal(
    week: date, now: datetime, settings: ScheduleSettings, *, has_snapshot: bool
) -> str | None:
    """Why a live collection of ``week`` at ``now`` is refused; None when it may go ahead.

    Job boards show only the postings open now: collected for a week that has ended, they
    would be filed under the wrong week (and replace its snapshot). The one past week
    allowed is the one :func:`collect_week` picks: the current issue's, while its snapshot
    is missing and the issue may still go out. A past week is rebuilt from its saved raw
    answers instead (``--replay``). A week after the next calendar week has not begun:
    today's postings filed there (``--week 2062-11-20``, a typo for 2026) would be every
    command's latest snapshot."""
    if beyond_next_week(week, now, settings.zone) is not None:
        return (
            f"week {week.isoformat()} is more than a week ahead: the job boards show the "
            f"postings open now, which belong to this week or the next; without --week, "
            f"collect picks the next issue's ({collect_week(now, settings).isoformat()})"
        )
    if week >= issue_week(now, settings):
        return None
    latest, due = latest_due(now, settings)
    late = hours_after(due, settings.misfire_grace_hours) >= now
    if week == latest and late and not has_snapshot:
        return None
    end = week + timedelta(days=6)
    replaced = " and replace its snapshot" if has_snapshot else ""
    return (
        f"week {week.isoformat()} ended on {end.isoformat()}: the job boards show only the "
        f"postings open now, which would be filed under a past week{replaced}; rebuild it "
        f"from its saved answers with `newsletter collect --week {week.isoformat()} --replay`"
    )


def catch_up_time(now: datetime, settings: ScheduleSettings) -> datetime | None:
    """``now`` when the latest issue's send time passed within the misfire grace, else None.

    The latest issue is the one most recently due (:func:`latest_due`), whatever the day and
    the grace (up to a week): a Sunday-night issue is caught up after midnight, a Friday one
    with a 96 h grace on Monday. Beyond the grace window the scheduler does not send on its
    own (stale content): it logs a warning and the operator decides (``newsletter run-week``).
    """
    _week, due = latest_due(now, settings)
    if now - due > timedelta(hours=settings.misfire_grace_hours):
        # a warning, not an error: the issue has most likely gone out already (a late one is
        # the watch job's send_late alert, which knows the ledger)
        log.warning(
            "the latest issue was due at %s, more than %s h ago: no automatic catch-up; "
            "if it has not gone out, run `newsletter run-week`",
            due,
            settings.misfire_grace_hours,
        )
        return None
    return now


def _log_problem(event: JobExecutionEvent) -> None:
    if event.code == EVENT_JOB_MISSED:
        log.error("weekly job %s missed its run at %s", event.job_id, event.scheduled_run_time)
    else:
        log.error("weekly job %s failed: %s", event.job_id, event.exception)


def build_scheduler(
    config: Config,
    *,
    func: str = JOB_FUNC,
    kwargs: dict[str, Any] | None = None,
    trigger: BaseTrigger | None = None,
    clock: Clock = SYSTEM_CLOCK,
    collect_func: str | None = COLLECT_JOB_FUNC,
    watch_func: str | None = WATCH_JOB_FUNC,
    secrets: Secrets | None = None,
) -> BaseScheduler:
    """A scheduler with a persistent SQLAlchemy job store and the weekly jobs: the issue,
    (when the sources file lists boards) the collection before it, and (when alerts or
    approvals are configured) the periodic check.

    When the latest issue's send time has already passed (within the grace window), the
    job's first run is set to ``now``: a catch-up. The job is idempotent (the ledger skips an
    issue already sent), so a catch-up after a completed send is a quick no-op.
    """
    settings = config.schedule
    scheduler = BackgroundScheduler(
        # the project's engine: the database's folder is made, a bad URL is one line
        jobstores={
            "default": SQLAlchemyJobStore(
                engine=create_engine(config.database.url), tablename=JOBS_TABLE
            )
        },
        timezone=settings.zone,
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": int(settings.misfire_grace_hours * 3600),
        },
    )
    options: dict[str, Any] = {}
    first = catch_up_time(clock.now(), settings)
    if first is not None:
        log.info("the latest issue was due: catch-up run now")
        options["next_run_time"] = first
    scheduler.add_job(
        func,
        trigger or weekly_trigger(settings),
        id=JOB_ID,
        name="weekly issue",
        replace_existing=True,
        kwargs=kwargs or {},
        **options,
    )
    if collect_func is not None and _has_sources(config):
        scheduler.add_job(
            collect_func,
            collect_trigger(settings),
            id=COLLECT_JOB_ID,
            name="weekly collection",
            replace_existing=True,
            kwargs=kwargs or {},
        )
    if watch_func is not None and watching(config, secrets):
        scheduler.add_job(
            watch_func,
            watch_trigger(config),
            id=WATCH_JOB_ID,
            name="alert checks",
            replace_existing=True,
            kwargs=kwargs or {},
        )
    scheduler.add_listener(_log_problem, EVENT_JOB_MISSED | EVENT_JOB_ERROR)
    return scheduler


def start_reconciled(scheduler: BaseScheduler) -> list[str]:
    """Start ``scheduler`` (from :func:`build_scheduler`) with only the jobs it was built
    with: a job the persistent store kept from an earlier start whose configuration defined
    it (the collection before its sources were emptied, the checks before ``[alerts]`` was
    removed) is removed before any job runs, and one log line names them. Returns the ids
    removed."""
    defined = {job.id for job in scheduler.get_jobs()}  # not started: the jobs it was built with
    scheduler.start(paused=True)  # the store's jobs loaded, none run yet
    stale = sorted(job.id for job in scheduler.get_jobs() if job.id not in defined)
    for job_id in stale:
        scheduler.remove_job(job_id)
    if stale:
        log.info(
            "removed %d stored job(s) the configuration no longer defines: %s",
            len(stale),
            clean_line(", ".join(stale), 200),
        )
    scheduler.resume()
    return stale


def _has_sources(config: Config) -> bool:
    from newsletter.data.collect import sources_configured

    return sources_configured(config)


def run_forever(
    config: Config,
    *,
    func: str = JOB_FUNC,
    kwargs: dict[str, Any] | None = None,
    secrets: Secrets | None = None,
    wake_seconds: float = WAKE_SECONDS,
    started: Callable[[], None] | None = None,
) -> None:
    """Run the scheduler in the foreground until SIGTERM or Ctrl-C; ``started`` is called
    once the ``schedule`` lock is held, before the scheduler starts (the command's
    "scheduling ..." line: a refused scheduler prints none).

    The scheduler runs in its own thread; the main thread waits for a signal in short steps
    (:mod:`newsletter.util.waits`) and wakes the scheduler every ``wake_seconds``: APScheduler
    waits for its next run on the monotonic clock, which stands still while the machine
    sleeps, so after a suspend over the send time it would run the job as late as the machine
    slept (beyond the misfire grace: never). Woken, it compares its runs with the wall clock
    again and runs a missed one at once (within the grace).

    One scheduler per database: it holds the database's ``schedule`` lock (a ``flock`` beside
    a SQLite file, an advisory lock on PostgreSQL) while it runs, and a second one started by
    mistake stops at once with a StoreError: sharing the job store, both would run every job
    (two collections at once; the second send refused by the ledger's lock, then alerted as a
    failure).
    """
    with open_store(config) as db, db.exclusive("schedule") as held:
        if not held:
            raise StoreError(
                "another `newsletter schedule` is running on this database ([database] "
                "url); run exactly one scheduler per database: this one stops"
            )
        if started is not None:
            started()
        _run(config, func=func, kwargs=kwargs, secrets=secrets, wake_seconds=wake_seconds)


def _run(
    config: Config,
    *,
    func: str,
    kwargs: dict[str, Any] | None,
    secrets: Secrets | None,
    wake_seconds: float,
) -> None:
    scheduler = build_scheduler(config, func=func, kwargs=kwargs, secrets=secrets)
    stopped = threading.Event()

    def stop(signum: int, _frame: object) -> None:
        log.info("signal %d received: shutting down the scheduler", signum)
        stopped.set()

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        start_reconciled(scheduler)
        try:
            looks = max(1, round(wake_seconds / SIGNAL_LOOK_SECONDS))
            n = 0
            while not stopped.wait(SIGNAL_LOOK_SECONDS):  # short steps: signals are handled
                n += 1
                if n % looks == 0:
                    scheduler.wakeup()
        except KeyboardInterrupt:
            pass
        finally:
            scheduler.shutdown(wait=False)
    finally:
        signal.signal(signal.SIGTERM, previous)
