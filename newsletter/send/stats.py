"""Deliverability per issue and the list over time, from the ledger and the status events.

Where each figure comes from:

* **accepted**: the issue's ``sends`` rows the provider accepted (``sent``).
* **bounced**: permanent failures at send time (the provider or the SMTP server refused the
  address; ``failed`` rows that are not retryable, except messages that could not be built),
  plus the bounces reported later (provider webhooks, which mark the subscriber ``bounced``:
  a ``subscriber_events`` row) for subscribers whose message was accepted.
* **complained**, **unsubscribed**: ``subscriber_events`` rows moving to those statuses.
* A later event is attributed to the latest issue accepted for that subscriber before it,
  when it came within :data:`WINDOW` (7 days) of that message: the window the bulk-sender
  guidelines use. A weekly issue's windows do not overlap.
* **delivered** = accepted - later bounces. Rates: bounces over attempted (accepted + bounced
  at send time); complaints and unsubscribes over delivered (Gmail's spam rate is complaints
  over delivered mail).

:func:`counts_at` gives the list by status at any past instant: today's rows, each in the
status it had then (the ``from_status`` of its first change after that instant), leaving out
rows made later. Rows erased since are gone from it, and changes made before revision 0004
(which added the events) are not known.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from newsletter.models import SUBSCRIBER_STATUSES
from newsletter.send.ledger import UNBUILT
from newsletter.store import Database
from newsletter.store.tables import issues, sends, subscriber_events, subscribers, suppressions

#: Events this long after a message count against its issue.
WINDOW = dt.timedelta(days=7)
#: Gmail's bulk-sender guidelines: keep the spam (complaint) rate under 0.1 % and never let
#: it reach 0.3 %; Yahoo's working figure is 0.3 %. Bounces: under 2 %.
COMPLAINT_TARGET = 0.001
COMPLAINT_MAX = 0.003
BOUNCE_MAX = 0.02
_LATER = ("bounced", "complained", "unsubscribed")


@dataclass(frozen=True, slots=True)
class IssueStats:
    """One issue's outcome and the reactions within 7 days of its messages."""

    issue_key: str
    week: dt.date
    status: str
    subject: str
    recipients: int
    accepted: int
    bounced_at_send: int
    bounced_later: int
    complained: int
    unsubscribed: int
    left_to_send: int
    skipped: int
    first_sent_at: dt.datetime | None
    last_sent_at: dt.datetime | None

    @property
    def attempted(self) -> int:
        return self.accepted + self.bounced_at_send

    @property
    def bounced(self) -> int:
        return self.bounced_at_send + self.bounced_later

    @property
    def delivered(self) -> int:
        return max(self.accepted - self.bounced_later, 0)

    @property
    def bounce_rate(self) -> float | None:
        return self.bounced / self.attempted if self.attempted else None

    @property
    def complaint_rate(self) -> float | None:
        return self.complained / self.delivered if self.delivered else None

    @property
    def unsubscribe_rate(self) -> float | None:
        return self.unsubscribed / self.delivered if self.delivered else None

    def window_closes(self) -> dt.datetime | None:
        """When the last message's 7-day window ends (None before anything was sent)."""
        return self.last_sent_at + WINDOW if self.last_sent_at else None


@dataclass
class _Tally:
    accepted: int = 0
    bounced_at_send: int = 0
    left: int = 0
    skipped: int = 0
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    later: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_LATER, 0))


def issue_stats(db: Database, limit: int = 8) -> list[IssueStats]:
    """The latest ``limit`` issues (newest first) with their deliverability figures."""
    with db.read() as conn:
        rows = conn.execute(
            sa.select(issues).order_by(issues.c.week.desc()).limit(limit)
        ).mappings()
        found = [dict(r) for r in rows]
        keys = [r["issue_key"] for r in found]
        tallies = {k: _Tally() for k in keys}
        if keys:
            _tally_sends(conn, keys, tallies)
            _tally_later(conn, keys, tallies)
    return [
        IssueStats(
            issue_key=r["issue_key"],
            week=r["week"],
            status=r["status"],
            subject=r["subject"],
            recipients=r["recipients"],
            accepted=t.accepted,
            bounced_at_send=t.bounced_at_send,
            bounced_later=t.later["bounced"],
            complained=t.later["complained"],
            unsubscribed=t.later["unsubscribed"],
            left_to_send=t.left,
            skipped=t.skipped,
            first_sent_at=t.first,
            last_sent_at=t.last,
        )
        for r in found
        for t in [tallies[r["issue_key"]]]
    ]


def _tally_sends(conn: sa.Connection, keys: Sequence[str], tallies: dict[str, _Tally]) -> None:
    unbuilt = sa.func.sum(sa.case((sends.c.last_error.like(f"{UNBUILT}%"), 1), else_=0))
    q = (
        sa.select(
            sends.c.issue_key,
            sends.c.status,
            sends.c.retryable,
            sa.func.count(),
            unbuilt,
            sa.func.min(sends.c.updated_at),
            sa.func.max(sends.c.updated_at),
        )
        .where(sends.c.issue_key.in_(keys))
        .group_by(sends.c.issue_key, sends.c.status, sends.c.retryable)
    )
    for key, status, retryable, n, not_built, first_raw, last_raw in conn.execute(q):
        t = tallies[key]
        if status == "sent":
            t.accepted += n
            first, last = _utc(first_raw), _utc(last_raw)
            t.first = first if t.first is None or (first and first < t.first) else t.first
            t.last = last if t.last is None or (last and last > t.last) else t.last
        elif status == "failed" and not retryable:
            t.bounced_at_send += n - int(not_built or 0)
        elif status in ("queued", "unknown") or (status == "failed" and retryable):
            t.left += n
        elif status == "skipped":
            t.skipped += n


def _tally_later(conn: sa.Connection, keys: Sequence[str], tallies: dict[str, _Tally]) -> None:
    """Attribute each later event to the latest issue accepted for its subscriber before it
    (within :data:`WINDOW`). Events are few: the join returns one row per (event, issue)."""
    q = (
        sa.select(
            subscriber_events.c.id,
            subscriber_events.c.to_status,
            subscriber_events.c.at,
            sends.c.issue_key,
            sends.c.updated_at,
        )
        .join(sends, sends.c.subscriber_id == subscriber_events.c.subscriber_id)
        .where(
            sends.c.issue_key.in_(keys),
            sends.c.status == "sent",
            subscriber_events.c.to_status.in_(_LATER),
            subscriber_events.c.at >= sends.c.updated_at,
        )
    )
    best: dict[int, tuple[dt.datetime, str, str, dt.datetime]] = {}
    for event_id, to_status, at_raw, key, sent_raw in conn.execute(q):
        at, sent_at = _utc(at_raw), _utc(sent_raw)
        if at is None or sent_at is None:
            continue
        seen = best.get(event_id)
        if seen is None or sent_at > seen[0]:
            best[event_id] = (sent_at, key, to_status, at)
    for sent_at, key, to_status, at in best.values():
        if at - sent_at < WINDOW:
            tallies[key].later[to_status] += 1


def _utc(value: dt.datetime | str | None) -> dt.datetime | None:
    """An aware UTC datetime from a column read without its type (aggregates on SQLite)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


# ---------------------------------------------------------------------------------------
# The list over time


def counts_now(db: Database) -> dict[str, int]:
    """Subscribers by status now."""
    q = sa.select(subscribers.c.status, sa.func.count()).group_by(subscribers.c.status)
    with db.read() as conn:
        found = {str(s): int(n) for s, n in conn.execute(q)}
    return {s: found.get(s, 0) for s in SUBSCRIBER_STATUSES}


def counts_at(db: Database, at: dt.datetime) -> dict[str, int]:
    """Subscribers by status as they were at ``at`` (see the module notes for the limits)."""
    later = subscriber_events.alias("later")
    earlier = subscriber_events.alias("earlier")
    first_after = (
        sa.select(later.c.subscriber_id, later.c.from_status)
        .where(
            later.c.at > at,
            ~sa.exists().where(
                earlier.c.subscriber_id == later.c.subscriber_id,
                earlier.c.at > at,
                sa.or_(
                    earlier.c.at < later.c.at,
                    sa.and_(earlier.c.at == later.c.at, earlier.c.id < later.c.id),
                ),
            ),
        )
        .subquery()
    )
    status = sa.func.coalesce(first_after.c.from_status, subscribers.c.status)
    q = (
        sa.select(status, sa.func.count())
        .select_from(
            subscribers.outerjoin(first_after, first_after.c.subscriber_id == subscribers.c.id)
        )
        .where(subscribers.c.created_at <= at)
        .group_by(status)
    )
    with db.read() as conn:
        found = {str(s): int(n) for s, n in conn.execute(q) if s is not None}
    return {s: found.get(s, 0) for s in SUBSCRIBER_STATUSES}


@dataclass(frozen=True, slots=True)
class ListChange:
    """The list now, a period ago, and what happened in between."""

    now: dict[str, int]
    before: dict[str, int]
    since: dt.datetime
    joined: int
    erased: int

    @property
    def change(self) -> dict[str, int]:
        return {s: self.now[s] - self.before[s] for s in self.now}


def list_change(db: Database, now: dt.datetime, period: dt.timedelta = WINDOW) -> ListChange:
    """Counts by status now and ``period`` ago, new rows and erasures in between."""
    since = now - period
    with db.read() as conn:
        joined = conn.execute(
            sa.select(sa.func.count()).where(subscribers.c.created_at > since)
        ).scalar_one()
        erased = conn.execute(
            sa.select(sa.func.count()).where(
                suppressions.c.reason == "erased", suppressions.c.created_at > since
            )
        ).scalar_one()
    return ListChange(counts_now(db), counts_at(db, since), since, int(joined), int(erased))


def active_series(db: Database, ends: Sequence[dt.datetime]) -> list[int]:
    """Active subscribers at each of ``ends`` (the admin page's chart)."""
    return [counts_at(db, t)["active"] for t in ends]
