"""The scheduler's jobs (``run-week`` through the send facade, the collection, the periodic
check), importable by text reference.

The persistent job store pickles ``"newsletter.send.jobs:run_scheduled"`` (and
``collect_scheduled``, ``watch_scheduled``) with their arguments (a config path string), so
this module and these function names are part of the stored schedule: do not rename them.
Each job is an edge: it reads the config, the secrets and the system clock. Each records its
steps in the run history as started by the scheduler (``schedule``).
"""

from __future__ import annotations

import logging

from newsletter.config import Secrets, load_config
from newsletter.errors import DeliveryError
from newsletter.send.operations import collect_week, watch
from newsletter.send.service import SendReport, send_week
from newsletter.util.clock import SYSTEM_CLOCK

log = logging.getLogger(__name__)


def collect_scheduled(config_path: str | None = None) -> None:
    """The scheduler's collection job: the coming issue's week from every configured board.

    Raises (the listener logs it) when no board answered; failed boards are logged (and
    alerted, once per week, when ``[alerts]`` names a channel)."""
    from newsletter.data.collect import sources_configured
    from newsletter.send.schedule import collect_week as week_to_collect

    config = load_config(config_path)
    if not sources_configured(config):
        log.info("no sources in %s: nothing to collect", config.collect.sources)
        return
    week = week_to_collect(SYSTEM_CLOCK.now(), config.schedule)
    done = collect_week(
        config, Secrets.from_env(), week, clock=SYSTEM_CLOCK, trigger="schedule", warn=log.warning
    )
    r = done.report
    log.info(
        "collected %s: %d postings kept, %d carried, %d rejected, from %d boards",
        week,
        r.kept,
        r.carried,
        r.rejected,
        len(done.boards),
    )
    for w in r.source_warnings:
        log.warning("%s", w.message)


def run_scheduled(config_path: str | None = None) -> None:
    """The scheduler's weekly job: run-week with the config at ``config_path``.

    Raises when the issue is left incomplete, so the scheduler's listener logs a failure.
    The week is the issue most recently due at the time the job runs: APScheduler runs a
    job at most ``misfire_grace_hours`` (<= one week) late, so that is the issue of the
    scheduled run time, even when Monday 00:00 came in between.
    """
    # The scheduler's job is an edge: it reads the config, the secrets and the system clock.
    report = send_week(
        load_config(config_path),
        Secrets.from_env(),
        warn=log.warning,
        collect_first=True,
        trigger="schedule",
    )
    _log_report(report)


def watch_scheduled(config_path: str | None = None) -> None:
    """The scheduler's periodic check (every ``[alerts] check_minutes``): the alert
    conditions, and the send of an issue the editors approved since the weekly job ran."""
    done = watch(load_config(config_path), Secrets.from_env(), warn=log.warning)
    for d in done.alerts:
        if d.status != "skipped":
            log.info("alert %s to %s: %s %s", d.key, d.channel, d.status, d.reason)
    if done.send is not None:
        _log_report(done.send)


def _log_report(report: SendReport) -> None:
    if report.already_sent:
        log.info("issue %s was already sent: nothing to do", report.issue_key)
        return
    if report.waiting is not None:
        log.info(
            "issue %s waits for an editor's approval until %s (%d preview(s) sent now)",
            report.issue_key,
            report.waiting.deadline,
            report.waiting.previews_sent,
        )
        return
    log.info(
        "issue %s: sent %d, failed %d, unknown %d, skipped %d in %.1f s",
        report.issue_key,
        report.sent,
        sum(report.failed.values()),
        report.unknown,
        report.skipped,
        report.duration,
    )
    if not report.complete:
        raise DeliveryError(
            f"issue {report.issue_key} is incomplete: {report.ledger.remaining} message(s) "
            "left to send (retryable or unknown); the next run resends them"
        )
