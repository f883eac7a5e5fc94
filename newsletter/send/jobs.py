"""Jobs the scheduler (and ``newsletter run-week``) run: importable by text reference.

The persistent job store pickles ``"newsletter.send.jobs:run_scheduled"`` with its arguments
(a config path string), so this module and function name are part of the stored schedule:
do not rename them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from newsletter.audience.subscribers import SubscriberStore
from newsletter.config import Config, load_config
from newsletter.errors import DeliveryError
from newsletter.send.service import DEV_KEY_NOTE, SendReport, run_week, send_signer
from newsletter.store import open_store
from newsletter.util.clock import SYSTEM_CLOCK, Clock

log = logging.getLogger(__name__)


def run_week_once(
    config: Config,
    *,
    clock: Clock = SYSTEM_CLOCK,
    warn: Callable[[str], None] = log.warning,
    stop: threading.Event | None = None,
    **send_options: Any,
) -> SendReport:
    """This week's issue, once: no-op if sent, else guards → render → send (resuming).

    ``clock`` says what "this week" is; the scheduler's job uses the system clock.
    """
    with open_store(config) as db:
        store = SubscriberStore(db, clock=clock)

        def recipients() -> list[Any]:
            signer, dev = send_signer(config)
            if dev:
                warn(DEV_KEY_NOTE)
            return store.active_recipients(signer, config.newsletter.base_url)

        return run_week(config, store, recipients, stop=stop, **send_options)


def collect_scheduled(config_path: str | None = None) -> None:
    """The scheduler's collection job: the coming issue's week from every configured board.

    Raises (the listener logs it) when no board answered; failed boards are logged."""
    from newsletter.data.collect import collect, sources_configured
    from newsletter.send.schedule import collect_week

    config = load_config(config_path)
    if not sources_configured(config):
        log.info("no sources in %s: nothing to collect", config.collect.sources)
        return
    week = collect_week(SYSTEM_CLOCK.now(), config.schedule)
    done = collect(config, week, clock=SYSTEM_CLOCK)
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
    """
    config = load_config(config_path)
    report = run_week_once(config)
    if report.already_sent:
        log.info("issue %s was already sent: nothing to do", report.issue_key)
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
