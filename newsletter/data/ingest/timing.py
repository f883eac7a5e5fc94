"""Where an ingest spends its time: seconds per stage, on the injected clock.

Stages are timed with the clock's ``monotonic()`` (never the wall clock read directly), so a
test with a :class:`~newsletter.util.clock.FixedClock` sees zeros and a report that does not
change from run to run. Batches are normalized by worker threads at once, so the stages'
seconds are summed over the threads and may add up to more than ``total``, the run's wall
time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from newsletter.util.clock import Clock

#: The stages, in the order a batch goes through them (``total`` is the whole run).
STAGES = (
    "read", "split", "text", "employment", "places", "pay", "skills", "titles", "identity",
    "dedup", "report", "write",
)  # fmt: skip


class Stages:
    """Seconds per stage; ``None`` clock: nothing is timed (an empty breakdown)."""

    def __init__(self, clock: Clock | None) -> None:
        self._clock = clock
        self._seconds: dict[str, float] = {}
        self._lock = threading.Lock()
        self._start = clock.monotonic() if clock else 0.0

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if self._clock is None:
            yield
            return
        t0 = self._clock.monotonic()
        try:
            yield
        finally:
            self.add(name, self._clock.monotonic() - t0)

    def add(self, name: str, seconds: float) -> None:
        with self._lock:
            self._seconds[name] = self._seconds.get(name, 0.0) + seconds

    def seconds(self) -> dict[str, float]:
        """Stage -> seconds (rounded to ms), in :data:`STAGES` order, plus ``total``."""
        if self._clock is None:
            return {}
        with self._lock:
            out = {s: round(self._seconds[s], 3) for s in STAGES if s in self._seconds}
        out["total"] = round(self._clock.monotonic() - self._start, 3)
        return out


#: A breakdown that records nothing (pure steps called outside an ingest run).
UNTIMED = Stages(None)
