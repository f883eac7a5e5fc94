"""Weeks: the one definition of "the Monday of a week" and of an issue's key.

Every week in the project (snapshot names, issue keys, the scheduled week) is the ISO week,
named by its Monday.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from newsletter.errors import UsageError


def monday_of(day: date) -> date:
    """The Monday that starts ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def weeks_between(later: date, earlier: date) -> int:
    """Whole weeks from ``earlier`` to ``later`` (1 for consecutive Mondays)."""
    return (later - earlier).days // 7


def week_of(instant: datetime, zone: ZoneInfo) -> date:
    """The Monday of the week that contains ``instant`` in ``zone`` (an aware datetime)."""
    return monday_of(instant.astimezone(zone).date())


def beyond_next_week(week: date, now: datetime, zone: ZoneInfo) -> date | None:
    """This week's Monday (of ``now`` in ``zone``) when ``week`` is after the next calendar
    week, else None. Such a week has not begun: postings filed there (``--week
    2062-11-20``, a typo for 2026) would make its snapshot every command's latest. This
    week and the next are fine (a Sunday collection feeds the Monday issue)."""
    this = week_of(now, zone)
    return this if monday_of(week) > this + timedelta(days=7) else None


#: The years a week may be in: job postings before 2000 or after 2099 are a typo (9999-12-31
#: would become the "latest" snapshot for good).
WEEK_YEARS = (2000, 2099)


#: The form of a day, ``YYYY-MM-DD``, whatever its numbers.
_DAY_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_week(text: str) -> date:
    """Parse ``YYYY-MM-DD`` (any day of a year of :data:`WEEK_YEARS`; returns its week's
    Monday)."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError as exc:
        if _DAY_SHAPE.fullmatch(text.strip()):  # 2026-02-30: the form, but no such day
            raise UsageError(f"week {text.strip()!r} is no day of the calendar: {exc}") from None
        raise UsageError(f"week {text!r} is not a date in the form YYYY-MM-DD") from None
    first, last = WEEK_YEARS
    if not first <= day.year <= last:
        raise UsageError(f"week {text.strip()!r} is not in the years {first}-{last}")
    return monday_of(day)


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 instant with its offset (``2026-11-23T07:30:00Z``,
    ``2026-11-23 08:30+01:00``), in a year of :data:`WEEK_YEARS`; returned in UTC."""
    try:
        instant = datetime.fromisoformat(text.strip())
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None:
        raise UsageError(
            f"instant {text!r} is not a date and time with its offset, "
            "e.g. 2026-11-23T07:30:00Z or 2026-11-23T08:30:00+01:00"
        )
    first, last = WEEK_YEARS
    if not first <= instant.year <= last:
        raise UsageError(f"instant {text.strip()!r} is not in the years {first}-{last}")
    return instant.astimezone(UTC)


def iso_week_key(week: date) -> str:
    """The issue key of a week, e.g. ``2026-W48``."""
    y, w, _ = week.isocalendar()
    return f"{y}-W{w:02d}"
