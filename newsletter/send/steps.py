"""The weekly steps recorded in the run history, light enough for the data commands.

:func:`monitored` opens the database and gives the step's :class:`~newsletter.send.monitor.Monitor`
(or None, with a warning, when the database cannot be opened: the step still runs, unrecorded);
:func:`ingest_week` is ``newsletter ingest``. It imports no more than the ingest and the run
history need (no renderer, no delivery, no collection), so the command starts quickly; the
operations facade (:mod:`newsletter.send.operations`) records its own steps with
:func:`monitored` too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from newsletter.config import Config, Secrets
from newsletter.errors import StoreError
from newsletter.models import RunTrigger
from newsletter.send.monitor import Monitor
from newsletter.send.runs import ignore_warning
from newsletter.store import open_store
from newsletter.util.clock import SYSTEM_CLOCK, Clock

if TYPE_CHECKING:
    from newsletter.data.ingest import IngestReport, Written
    from newsletter.models import Format, SourceKind


@contextmanager
def monitored(
    config: Config,
    secrets: Secrets,
    clock: Clock,
    trigger: RunTrigger,
    warn: Callable[[str], None],
) -> Iterator[Monitor | None]:
    """The step's monitor on the configured database, or None (warned) when it cannot be
    opened."""
    try:
        db = open_store(config)
    except StoreError as exc:
        warn(f"this step is not recorded in the run history: {exc}")
        yield None
        return
    with db:
        yield Monitor(config, secrets, db, clock, trigger, warn)


def ingest_week(
    config: Config,
    secrets: Secrets,
    files: Sequence[Path],
    week: dt.date,
    *,
    fmt: Format,
    source: str | None = None,
    kind: SourceKind | None = None,
    snapshots_dir: Path | None = None,
    clock: Clock = SYSTEM_CLOCK,
    trigger: RunTrigger = "cli",
    warn: Callable[[str], None] = ignore_warning,
) -> tuple[IngestReport, Written]:
    """``newsletter ingest``: raw exports -> the week's snapshot (in bounded memory), one
    recorded step."""
    from newsletter.data.ingest import ingest_into, load_rules

    def run() -> tuple[IngestReport, Written]:
        return ingest_into(
            list(files),
            week,
            load_rules(config.data.rules_dir),
            snapshots_dir or config.data.snapshots_dir,
            fmt=fmt,
            source=source,
            mapping=config.ingest.columns,
            now=clock.now(),
            kind=kind,
            declared_kinds=config.data.source_kinds,
            clock=clock,
        )

    with monitored(config, secrets, clock, trigger, warn) as monitor:
        if monitor is None:
            return run()
        with monitor.step("ingest", week) as step:
            report, written = run()
            step.counts.update(
                rows_read=report.rows_read,
                kept=report.kept,
                rejected=report.rejected,
                duplicates=report.duplicates,
            )
        return report, written
