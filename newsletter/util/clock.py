"""The one source of "now".

Code that needs the current instant asks a :class:`Clock` it was given; nothing below the
edges (CLI, web app, scheduler job) reads the wall clock itself. Tests pass a
:class:`FixedClock` (and move it with :meth:`FixedClock.advance`) instead of reading or
waiting for real time, so the suite behaves the same on any date and in any time zone.

``now()`` is always timezone-aware UTC; convert with ``astimezone`` where a local time is
meant. ``monotonic()`` measures durations and rate limits; it never goes backwards.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """What the code may ask about time."""

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards (durations, rate limits)."""
        ...


@dataclass(frozen=True, slots=True)
class SystemClock:
    """The real clock; used only at the edges (CLI, web app, scheduler job)."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


SYSTEM_CLOCK: Clock = SystemClock()


@dataclass(frozen=True, slots=True)
class ShiftedClock:
    """The real clock moved by a fixed offset (``newsletter --now``): a command runs as if it
    had started at a given instant, and time then passes as it does. ``monotonic()`` is the
    real one (durations and rate limits are real)."""

    offset: timedelta

    @classmethod
    def starting_at(cls, instant: datetime, real: Clock = SYSTEM_CLOCK) -> ShiftedClock:
        """The clock whose ``now()`` is ``instant`` at this moment of ``real``."""
        if instant.tzinfo is None:
            raise ValueError("ShiftedClock needs a timezone-aware instant")
        return cls(instant - real.now())

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def monotonic(self) -> float:
        return time.monotonic()


@dataclass(slots=True)
class FixedClock:
    """A clock that stands still until moved: for tests and reproducible runs.

    ``monotonic()`` follows the same instant, so rate limits and durations move with
    :meth:`advance` too. Thread-safe.
    """

    instant: datetime
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.instant.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware instant")
        self.instant = self.instant.astimezone(UTC)

    def now(self) -> datetime:
        with self._lock:
            return self.instant

    def monotonic(self) -> float:
        with self._lock:
            return self.instant.timestamp()

    def advance(self, delta: timedelta | float) -> datetime:
        """Move the clock forward by ``delta`` (a timedelta or seconds); returns the new now."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        if step < timedelta(0):
            raise ValueError("a clock only moves forward")
        with self._lock:
            self.instant += step
            return self.instant

    def sleep(self, seconds: float) -> None:
        """A sleep that moves this clock instead of waiting (for injectable ``sleep``)."""
        self.advance(max(0.0, seconds))


def utc_timestamp(clock: Clock) -> float:
    """POSIX seconds of ``clock.now()`` (for protocols that carry epoch timestamps)."""
    return clock.now().timestamp()
