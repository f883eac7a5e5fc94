"""The scheduler's weekly job (``run-week`` through the send facade), importable by text
reference.

The persistent job store pickles ``"newsletter.send.jobs:run_scheduled"`` with its arguments
(a config path string), so this module and function name are part of the stored schedule:
do not rename them.
"""

from __future__ import annotations

import logging

from newsletter.config import Secrets, load_config
from newsletter.errors import DeliveryError
from newsletter.send.service import send_week

log = logging.getLogger(__name__)


def run_scheduled(config_path: str | None = None) -> None:
    """The scheduler's weekly job: run-week with the config at ``config_path``.

    Raises when the issue is left incomplete, so the scheduler's listener logs a failure.
    """
    # The scheduler's job is an edge: it reads the config, the secrets and the system clock.
    report = send_week(load_config(config_path), Secrets.from_env(), warn=log.warning)
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
