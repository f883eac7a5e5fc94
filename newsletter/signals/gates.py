"""Publication gates, in one place (see docs/signals.md and the signals guide)."""

from __future__ import annotations

MEDIAN_MIN_N = 30
P75_MIN_N = 40
P90_MIN_N = 100
PCT_CHANGE_MIN_BASE = 20
SKILL_MIN_POSTINGS = 10
COMPANY_MIN_OPEN = 5
METRO_MIN_OPEN = 30


def gated(value: float | None, n: int, minimum: int) -> float | None:
    """``value`` when its sample size reaches the gate, else ``None``."""
    return value if value is not None and n >= minimum else None
