"""Market signals: week-over-week diff and statistically honest figures."""

from newsletter.data.signals.compute import compute_signals
from newsletter.data.signals.models import Signals

__all__ = ["Signals", "compute_signals"]
