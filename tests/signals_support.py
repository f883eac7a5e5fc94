"""Helpers for the signals tests: run the pure computation over hand-made weekly rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from newsletter.data.signals import Signals, compute_signals
from newsletter.data.signals.diff import WeekFrame
from tests.conftest import frame

START = date(2026, 1, 5)


def week(i: int) -> date:
    return START + timedelta(weeks=i)


def run(
    weeks: Sequence[Sequence[Mapping[str, Any]]],
    report: Mapping[str, Any] | None = None,
    top_n: int = 10,
) -> Signals:
    """Signals of the last of ``weeks`` (rows per week, oldest first, weekly from START)."""
    frames = [frame([dict(r) for r in rows]) for rows in weeks]
    history = [WeekFrame(week(i), f.lazy()) for i, f in enumerate(frames[:-2])]
    last = len(frames) - 1
    return compute_signals(
        frames[-1],
        frames[-2] if last else None,
        week=week(last),
        previous_week=week(last - 1) if last else None,
        history=history,
        ingest_report=report,
        top_n=top_n,
    )


def linear_quantile(values: Sequence[float], q: float) -> float:
    """Quantile with linear interpolation between order statistics (numpy's default)."""
    xs = sorted(values)
    h = (len(xs) - 1) * q
    lo = int(h)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (h - lo) * (xs[hi] - xs[lo])
