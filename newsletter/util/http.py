"""HTTP details shared by every client of the project (delivery providers, job boards)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from email.utils import parsedate_to_datetime


def retry_after_seconds(headers: Mapping[str, str], now: dt.datetime) -> float | None:
    """Seconds to wait from ``Retry-After`` (delta or HTTP date) or ``ratelimit-reset``.

    ``headers`` must look names up case-insensitively (``httpx.Headers`` does); ``now`` is
    the caller's clock, for HTTP dates."""
    raw = headers.get("retry-after") or headers.get("ratelimit-reset")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())
