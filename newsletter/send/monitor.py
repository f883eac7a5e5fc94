"""What the weekly job does besides its work: record each step and alert the editors.

A :class:`Monitor` is made by the send facade (and its siblings for collect and ingest) for
one run: :meth:`Monitor.step` records a step in the run history and, when the step fails,
alerts once per week (``step_failed``, or ``snapshot_stale`` when the send guard refused
the week's snapshot); :meth:`Monitor.sources` alerts when boards failed during a collection.
Those two alert for unattended runs (``run-week``, the scheduler) only: a command typed at
a terminal shows its error there. :meth:`Monitor.check` evaluates the time-dependent conditions
(:func:`newsletter.send.watch.conditions`). Alerts are sent only when ``[alerts]`` names a
channel, and nothing here raises into the step it watches.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from newsletter.config import Config, Secrets, alerts_configured
from newsletter.errors import GuardError, first_line
from newsletter.models import RunKind, RunTrigger
from newsletter.send.runs import RunHistory, Step, ignore_warning
from newsletter.store import Database
from newsletter.util.clock import Clock
from newsletter.util.weeks import iso_week_key

if TYPE_CHECKING:  # imported when first needed: a step that succeeds never alerts
    from newsletter.send.alerts import Alert, Alerter, Delivery, SenderFactory

log = logging.getLogger(__name__)

#: Board outcomes that count as failed sources (a carried board failed too: its postings
#: are last week's; a kept one failed on a re-run of the week: its postings are the week's
#: earlier answer).
FAILED_BOARDS = frozenset({"failed", "not found", "kept", "carried", "expired"})


@dataclass
class Monitor:
    config: Config
    secrets: Secrets
    db: Database
    clock: Clock
    trigger: RunTrigger = "cli"
    warn: Callable[[str], None] = ignore_warning
    sender_factory: SenderFactory | None = None
    history: RunHistory = field(init=False)

    def __post_init__(self) -> None:
        self.history = RunHistory(
            self.db, self.clock, self.trigger, self.warn, on_failure=self._failed
        )

    @cached_property
    def alerter(self) -> Alerter:
        # The alert channels (and the renderer of alert emails) are loaded only when an
        # alert is due, so the data commands start quickly.
        from newsletter.send.alerts import Alerter

        return Alerter(
            self.config, self.secrets, self.db, self.clock, sender_factory=self.sender_factory
        )

    @contextmanager
    def step(self, kind: RunKind, week: dt.date) -> Iterator[Step]:
        with self.history.step(kind, week) as s:
            yield s

    @property
    def unattended(self) -> bool:
        """Started by ``run-week`` or the scheduler: a failure has no one watching it (a
        command typed at a terminal shows its error there instead of alerting)."""
        return self.trigger != "cli"

    def fire(self, found: Sequence[Alert]) -> list[Delivery]:
        """Deliver these alerts (each once per week); nothing when no channel is set."""
        if not found or not alerts_configured(self.config, self.secrets):
            return []
        return self.alerter.fire(found)

    def check(self) -> list[Delivery]:
        """Evaluate the time-dependent conditions now and deliver what is due; never raises."""
        if not alerts_configured(self.config, self.secrets):
            return []
        from newsletter.send.watch import conditions

        try:
            found = conditions(self.config, self.db, self.clock)
        except Exception as exc:  # a check must never stop the caller
            log.error("alert conditions not checked: %s", first_line(exc))
            return []
        return self.fire(found)

    def sources(self, week: dt.date, boards: Sequence[tuple[str, str, str | None]]) -> None:
        """Alert when boards failed: ``boards`` is (source, status, reason) per board."""
        failed = [(k, st, why) for k, st, why in boards if st in FAILED_BOARDS]
        if not failed or not self.unattended:
            return
        from newsletter.send.alerts import make_alert

        named = "; ".join(f"{k} ({st}{': ' + why if why else ''})" for k, st, why in failed[:10])
        more = f"; and {len(failed) - 10} more" if len(failed) > 10 else ""
        self.fire(
            [
                make_alert(
                    "sources_failed",
                    week,
                    f"{iso_week_key(week)}: {len(failed)} of {len(boards)} sources failed",
                    f"{named}{more}. Their postings are kept or carried from their last good "
                    "answer while [collect] carry_forward_weeks allows; check them with "
                    "`newsletter sources check`.",
                )
            ]
        )

    def _failed(self, step: Step, exc: BaseException) -> None:
        if not self.unattended:
            return
        from newsletter.send.alerts import make_alert

        key = iso_week_key(step.week)
        if isinstance(exc, GuardError) and step.kind == "signals":
            alert = make_alert(
                "snapshot_stale",
                step.week,
                f"{key}: this week's snapshot is not ready, the send refused",
                first_line(exc),
            )
        else:
            alert = make_alert(
                "step_failed",
                step.week,
                f"{key}: the {step.kind} step failed",
                first_line(exc),
                scope=step.kind,
            )
        self.fire([alert])
