"""`newsletter status` and the `/admin` charts on a large list: how long the queries take.

Builds a real SQLite database with N subscribers and 12 weekly issues sent to all of them
(N x 12 ledger rows), about 3 % of the list changing status after each issue (bounces,
complaints, unsubscribes: the events the per-issue figures are read from) and 1 % joining
each week, then times:

1. ``issue_stats`` for the 8 latest issues (the attribution join);
2. ``counts_at`` a week ago (the list's change);
3. the whole status document (``status_report``);
4. the admin page's charts (12 weekly points of the list, the issues, the signals runs);
5. the whole admin page (the status and the charts, the issues' figures read once).

Two shapes: 10,000 and 100,000 subscribers. Prints seconds per call (best of 3). Figures
are noisy on a shared machine.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = (10_000, 100_000)
ISSUES = 12
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def _build(tmp: Path, n: int) -> Any:
    import sqlalchemy as sa

    from newsletter.audience.subscribers import Consent, new_row
    from newsletter.config import parse_config
    from newsletter.models import Preferences
    from newsletter.store import open_store, subscriber_events, subscribers
    from newsletter.store.tables import issues, runs, sends

    config = parse_config(
        {
            "data": {"snapshots_dir": str(ROOT / "snapshots"), "state_dir": str(tmp)},
            "database": {"url": f"sqlite:///{tmp / 'newsletter.db'}"},
        }
    )
    rng = random.Random(7)
    start = NOW - dt.timedelta(weeks=ISSUES)
    with open_store(config) as db, db.write() as conn:
        consent = Consent(at=start, source="import", text="benchmark")
        rows = []
        for i in range(n):
            joined = start - dt.timedelta(days=30) + dt.timedelta(minutes=i % 100_000)
            rows.append(
                new_row(f"r{i}@example.org", name=None, status="active",
                        preferences=Preferences(), consent=consent, now=joined)
            )  # fmt: skip
        conn.execute(sa.insert(subscribers), rows)
        ids = list(range(1, n + 1))
        status = dict.fromkeys(ids, "active")
        events: list[dict[str, Any]] = []
        for w in range(ISSUES):
            sent_at = start + dt.timedelta(weeks=w)
            week = (sent_at - dt.timedelta(days=sent_at.weekday())).date()
            y, wk, _ = week.isocalendar()
            key = f"{y}-W{wk:02d}"
            mailed = [i for i in ids if status[i] == "active"]
            conn.execute(
                sa.insert(issues).values(
                    issue_key=key, week=week, status="sent", subject="s",
                    recipients=len(mailed), sent=len(mailed), failed=0, unknown=0, skipped=0,
                    created_at=sent_at, frozen_at=sent_at, finished_at=sent_at,
                    updated_at=sent_at,
                )
            )  # fmt: skip
            conn.execute(
                sa.insert(sends),
                [
                    {"issue_key": key, "subscriber_id": i, "email": f"r{i}@example.org",
                     "status": "sent", "retryable": False, "provider": "file",
                     "message_id": f"<{key}.{i}@example.com>", "attempts": 1,
                     "updated_at": sent_at}
                    for i in mailed
                ],
            )  # fmt: skip
            for i in rng.sample(mailed, len(mailed) * 3 // 100):
                to = rng.choice(("unsubscribed", "bounced", "complained", "unsubscribed"))
                at = sent_at + dt.timedelta(hours=rng.uniform(1, 160))
                events.append(
                    {"subscriber_id": i, "from_status": "active", "to_status": to, "at": at}
                )
                status[i] = to
            conn.execute(
                sa.insert(runs).values(
                    week=week, kind="signals", trigger="schedule", started_at=sent_at,
                    finished_at=sent_at, outcome="ok",
                    counts={"open": 4000 + w, "median_pay": 200_000.0 + w}, error=None,
                )
            )  # fmt: skip
        conn.execute(sa.insert(subscriber_events), events)
        for i, st in status.items():
            if st != "active":
                conn.execute(sa.update(subscribers).where(subscribers.c.id == i).values(status=st))
    return config


def _best(fn: Callable[[], object]) -> float:
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _admin_page(config: Any, db: Any, clock: Any) -> object:
    """What ``GET /admin`` computes: the status and the charts, the issues' figures read
    once for both (``AdminPages._dashboard``)."""
    from newsletter.send.stats import issue_stats
    from newsletter.send.status import status_report
    from newsletter.web.admin import CHART_WEEKS, charts

    recent = issue_stats(db, CHART_WEEKS)
    return status_report(config, db, clock, stats=recent), charts(config, db, clock, recent)


def main() -> None:
    from newsletter.send.stats import counts_at, issue_stats
    from newsletter.send.status import status_report
    from newsletter.store import open_store
    from newsletter.util.clock import FixedClock
    from newsletter.web.admin import charts

    clock = FixedClock(NOW)
    for n in SIZES:
        with tempfile.TemporaryDirectory() as d:
            t0 = time.perf_counter()
            config = _build(Path(d), n)
            built = time.perf_counter() - t0
            with open_store(config) as db:
                figures = {
                    "issue_stats(8)": _best(lambda db=db: issue_stats(db, 8)),
                    "counts_at(-7 d)": _best(
                        lambda db=db: counts_at(db, NOW - dt.timedelta(days=7))
                    ),
                    "status_report": _best(lambda db=db, c=config: status_report(c, db, clock)),
                    "admin charts": _best(lambda db=db, c=config: charts(c, db, clock)),
                    "admin page": _best(lambda db=db, c=config: _admin_page(c, db, clock)),
                }
        print(f"{n:,} subscribers x {ISSUES} issues (built in {built:.1f} s):")
        for name, secs in figures.items():
            print(f"  {name:<18} {secs * 1000:9.1f} ms")


if __name__ == "__main__":
    main()
