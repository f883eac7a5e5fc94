"""The run history: every weekly step (collect, ingest, signals, render, send) as it ran.

One recording mechanism, wrapped around the steps by the send facade
(:mod:`newsletter.send.service`) and the scheduler's jobs, so the command line, ``run-week``
and ``schedule`` record alike. :meth:`RunHistory.step` writes a ``running`` row when the step
starts and completes it when the step ends: ``ok`` (or the outcome the step set:
``incomplete``, ``waiting``), or ``failed`` with the first line of the error, which goes on
up. Times come from the injected clock. A step killed mid-way stays ``running``.

A history that cannot be written never stops the step it records: the problem is reported
through ``warn`` once and the step goes on (:class:`NoHistory` records nothing).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from newsletter.errors import StoreError, first_line
from newsletter.models import RunKind, RunOutcome, RunTrigger
from newsletter.store import Database
from newsletter.store.tables import runs
from newsletter.util.clock import Clock

log = logging.getLogger(__name__)

#: Longest error line stored (the first line of the exception, trimmed).
ERROR_MAX = 500


@dataclass
class Step:
    """What a running step reports: its counts, and an outcome other than ``ok``."""

    kind: RunKind
    week: dt.date
    counts: dict[str, Any] = field(default_factory=dict)
    outcome: RunOutcome = "ok"
    #: The run's id (None when nothing is recorded).
    run_id: int | None = None


@dataclass(frozen=True, slots=True)
class RunRecord:
    id: int
    week: dt.date
    kind: RunKind
    trigger: RunTrigger
    started_at: dt.datetime
    finished_at: dt.datetime | None
    outcome: RunOutcome
    counts: Mapping[str, Any]
    error: str | None

    @property
    def duration(self) -> float | None:
        """Seconds from start to end (None while running)."""
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class Steps(Protocol):
    """What the facade records steps with (:class:`RunHistory`, or :class:`NoHistory`)."""

    def step(self, kind: RunKind, week: dt.date) -> Any:  # a context manager of Step
        """Record one step around the ``with`` block."""


class NoHistory:
    """Records nothing (the library used without a database, tests of one stage)."""

    @contextmanager
    def step(self, kind: RunKind, week: dt.date) -> Iterator[Step]:
        yield Step(kind, week)


def ignore_warning(_note: str) -> None:
    """The default ``warn`` of the weekly steps: say nothing (the CLI passes its printer)."""


@dataclass
class RunHistory:
    """The ``runs`` table on an open database, for steps started by ``trigger``."""

    db: Database
    clock: Clock
    trigger: RunTrigger = "cli"
    warn: Callable[[str], None] = ignore_warning
    #: Called with each step that failed, and its error (alerts); must not raise.
    on_failure: Callable[[Step, BaseException], None] | None = None
    _warned: bool = field(default=False, repr=False)

    @contextmanager
    def step(self, kind: RunKind, week: dt.date) -> Iterator[Step]:
        """Record the ``with`` block as one run of ``kind`` for ``week``."""
        current = Step(kind, week)
        current.run_id = self._start(current)
        try:
            yield current
        except BaseException as exc:
            self._end(current, "failed", first_line(exc)[:ERROR_MAX])
            if self.on_failure is not None and isinstance(exc, Exception):
                self.on_failure(current, exc)
            raise
        self._end(current, current.outcome, None)

    # ---- writing ---------------------------------------------------------------------------
    def _start(self, s: Step) -> int | None:
        try:
            with self.db.write() as conn:
                found = conn.execute(
                    sa.insert(runs).values(
                        week=s.week,
                        kind=s.kind,
                        trigger=self.trigger,
                        started_at=self.clock.now(),
                        outcome="running",
                        counts={},
                    )
                ).inserted_primary_key
            return int(found[0]) if found else None
        except (SQLAlchemyError, StoreError) as exc:  # StoreError: a write refused
            self._cannot(exc)
            return None

    def _end(self, s: Step, outcome: RunOutcome, error: str | None) -> None:
        if s.run_id is None:
            return
        try:
            with self.db.write() as conn:
                conn.execute(
                    sa.update(runs)
                    .where(runs.c.id == s.run_id)
                    .values(
                        finished_at=self.clock.now(),
                        outcome=outcome,
                        counts=_jsonable(s.counts),
                        error=error,
                    )
                )
        except (SQLAlchemyError, StoreError) as exc:  # StoreError: a write refused
            self._cannot(exc)

    def _cannot(self, exc: Exception) -> None:
        if not self._warned:
            self._warned = True
            self.warn(f"the run history could not be written: {first_line(exc)}")
        log.error("run history not written: %s", first_line(exc))

    # ---- reading ---------------------------------------------------------------------------
    def recent(self, limit: int = 20) -> list[RunRecord]:
        """The last ``limit`` runs, newest first."""
        q = sa.select(runs).order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(limit)
        return self._records(q)

    def of_week(self, week: dt.date, kind: RunKind | None = None) -> list[RunRecord]:
        """The runs of ``week`` (of one kind), oldest first."""
        q = sa.select(runs).where(runs.c.week == week)
        if kind is not None:
            q = q.where(runs.c.kind == kind)
        return self._records(q.order_by(runs.c.started_at, runs.c.id))

    def latest_ok(self, kind: RunKind, weeks: int = 26) -> list[RunRecord]:
        """The last successful run of ``kind`` of each of the latest ``weeks`` weeks that
        have one, oldest week first (the admin page's series)."""
        q = (
            sa.select(runs)
            .where(runs.c.kind == kind, runs.c.outcome == "ok")
            .order_by(runs.c.week.desc(), runs.c.started_at.desc(), runs.c.id.desc())
        )
        seen: dict[dt.date, RunRecord] = {}
        for r in self._records(q):
            if r.week not in seen:
                seen[r.week] = r
                if len(seen) == weeks:
                    break
        return [seen[w] for w in sorted(seen)]

    def _records(self, q: sa.Select[Any]) -> list[RunRecord]:
        with self.db.read() as conn:
            return [
                RunRecord(
                    id=int(r["id"]),
                    week=r["week"],
                    kind=cast(RunKind, r["kind"]),
                    trigger=cast(RunTrigger, r["trigger"]),
                    started_at=r["started_at"],
                    finished_at=r["finished_at"],
                    outcome=cast(RunOutcome, r["outcome"]),
                    counts=dict(r["counts"] or {}),
                    error=r["error"],
                )
                for r in conn.execute(q).mappings()
            ]


def _jsonable(value: Any) -> Any:
    """Counts as JSON values (numbers, text, lists, maps); anything else as its text."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
