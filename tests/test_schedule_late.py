"""A late run acts on the issue that was due, even when Monday 00:00 came in between.

The current issue is the one most recently due (``schedule.latest_due``): the catch-up at
start, the scheduler's job run late within its misfire grace, ``run-week`` and the late-send
alerts all use it. Deadlines are elapsed hours, also across a DST change.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from newsletter.config import WEEKDAYS, Config, ScheduleSettings, Secrets, load_config
from newsletter.data.snapshots import snapshot_path, writing_week
from newsletter.errors import CollectError
from newsletter.send.schedule import (
    catch_up_time,
    collect_week,
    current_issue_week,
    hours_after,
    latest_due,
)
from newsletter.send.service import send_week
from newsletter.send.watch import conditions
from newsletter.store import open_store
from newsletter.util.clock import FixedClock
from tests.conftest import REPO
from tests.send_support import POSTAL, add_subscribers

NY = ZoneInfo("America/New_York")
SUNDAY = ScheduleSettings(
    day="sun", time=time(22, 0), timezone="America/New_York", misfire_grace_hours=6
)
#: The issue of the week of Monday 2026-11-23, due Sunday 2026-11-29 22:00 New York.
WEEK = date(2026, 11, 23)


def test_a_sunday_issue_is_still_the_current_one_after_midnight() -> None:
    just_after = datetime(2026, 11, 30, 0, 30, tzinfo=NY)
    assert latest_due(just_after, SUNDAY) == (WEEK, datetime(2026, 11, 29, 22, 0, tzinfo=NY))
    assert catch_up_time(just_after, SUNDAY) == just_after  # 2.5 h late, within 6 h
    beyond = datetime(2026, 11, 30, 4, 1, tzinfo=NY)
    assert catch_up_time(beyond, SUNDAY) is None
    # before Sunday's send time the current issue is last week's, the next one is collected
    saturday = datetime(2026, 11, 28, 18, 0, tzinfo=NY)
    assert current_issue_week(saturday, SUNDAY) == WEEK - timedelta(days=7)
    assert collect_week(saturday, SUNDAY) == WEEK


@pytest.mark.parametrize(
    ("day", "grace", "late_hours"),
    [("fri", 96, 71), ("sat", 168, 167.5), ("sun", 30, 25), ("mon", 6, 5.5), ("wed", 12, 0)],
)
def test_a_run_late_by_less_than_the_grace_is_caught_up_for_any_day(
    day: str, grace: float, late_hours: float
) -> None:
    s = ScheduleSettings(
        day=day, time=time(9, 0), timezone="America/New_York", misfire_grace_hours=grace
    )
    due = datetime.combine(date(2027, 1, 4) + timedelta(days=WEEKDAYS.index(day)), s.time, NY)
    now = hours_after(due, late_hours)
    assert latest_due(now, s) == (date(2027, 1, 4), due)
    assert catch_up_time(now, s) == now
    if grace < 168:  # a week later the next issue is the latest one
        assert catch_up_time(hours_after(due, grace + 0.1), s) is None


def _config(tmp_path: Path, extra: str = "") -> Config:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[newsletter]\npostal_address = "{POSTAL}"\nbase_url = "https://news.example.com"\n'
        f'[data]\nsnapshots_dir = "snapshots"\n'
        f'[database]\nurl = "sqlite:///{tmp_path / "newsletter.db"}"\n'
        f'[delivery]\noutbox_dir = "outbox"\n'
        '[schedule]\nday = "sun"\ntime = 22:00:00\ntimezone = "America/New_York"\n'
        "misfire_grace_hours = 6\n"
        f'[alerts]\nsend_deadline_hours = 2\nwebhook_url = "https://hooks.example.invalid/x"\n'
        f"{extra}",
        encoding="utf-8",
    )
    (tmp_path / "snapshots").mkdir()
    return load_config(cfg)


def test_the_late_scheduled_job_sends_the_issue_that_was_due(tmp_path: Path) -> None:
    """The Sunday 22:00 job run at Monday 00:30 (APScheduler within its grace) sends the
    issue of 2026-11-23, not next week's."""
    config = _config(tmp_path)
    written = datetime(2026, 11, 29, 18, 0, tzinfo=NY).timestamp()
    for source, week in [("2026-11-16", WEEK - timedelta(7)), ("2026-11-23", WEEK)]:
        target = snapshot_path(tmp_path / "snapshots", week)
        shutil.copy(REPO / "snapshots" / f"{source}.parquet", target)
        os.utime(target, (written, written))
    add_subscribers(config, 2)
    clock = FixedClock(datetime(2026, 11, 30, 0, 30, tzinfo=NY))
    report = send_week(config, Secrets(), clock=clock, collect_first=True, trigger="schedule")
    assert (report.issue_key, report.sent, report.complete) == ("2026-W48", 2, True)


class _OtherCollection(FixedClock):
    """A clock whose first sleep sees the other process's collection of the week end: its
    snapshot put in place, then the week's lock released."""

    def __init__(self, instant: datetime, finish: Callable[[], None]) -> None:
        super().__init__(instant)
        self.finish: Callable[[], None] | None = finish
        self.slept = 0.0

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        super().sleep(seconds)
        if self.finish is not None:
            self.finish()
            self.finish = None


def test_the_weekly_job_waits_for_a_collection_of_its_week_still_running(
    tmp_path: Path,
) -> None:
    """The scheduler's collection (or a `newsletter collect`) of the week still runs at the
    send time: the weekly job waits for its snapshot instead of starting a second collection
    that is refused at once, failing the week's send."""
    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[[source]]\nats = "greenhouse"\nboard = "acme"\ncompany = "Acme"\n', encoding="utf-8"
    )
    config = _config(tmp_path, f'[collect]\nsources = "{sources}"\n')
    snapshots = tmp_path / "snapshots"
    shutil.copy(
        REPO / "snapshots" / "2026-11-16.parquet", snapshot_path(snapshots, WEEK - timedelta(7))
    )
    add_subscribers(config, 2)
    with ExitStack() as other:
        other.enter_context(writing_week(snapshots, WEEK, CollectError))

        def finish() -> None:
            target = snapshot_path(snapshots, WEEK)
            shutil.copy(REPO / "snapshots" / "2026-11-23.parquet", target)
            written = clock.now().timestamp()
            os.utime(target, (written, written))
            other.close()

        clock = _OtherCollection(datetime(2026, 11, 29, 22, 0, tzinfo=NY), finish)
        report = send_week(config, Secrets(), clock=clock, collect_first=True, trigger="schedule")
    assert (report.issue_key, report.sent, report.complete) == ("2026-W48", 2, True)
    assert 0 < clock.slept <= 60


def test_the_late_send_alert_fires_after_midnight(tmp_path: Path) -> None:
    config = _config(tmp_path)
    with open_store(config) as db:
        before = conditions(config, db, FixedClock(datetime(2026, 11, 29, 23, 30, tzinfo=NY)))
        after = conditions(config, db, FixedClock(datetime(2026, 11, 30, 0, 30, tzinfo=NY)))
    assert "2026-W48:send_late" not in [a.key for a in before]
    assert "2026-W48:send_late" in [a.key for a in after]


def test_deadlines_are_elapsed_hours_across_a_dst_change(tmp_path: Path) -> None:
    """Due Sunday 2026-11-01 00:30 EDT (04:30 UTC); clocks go back at 02:00. Three hours
    later is 07:30 UTC (02:30 EST), not 03:30 EST on the clock face (08:30 UTC)."""
    config = _config(tmp_path)
    config = config.model_copy(
        update={
            "schedule": config.schedule.model_copy(update={"time": time(0, 30)}),
            "alerts": config.alerts.model_copy(update={"send_deadline_hours": 3.0}),
        }
    )
    due = datetime(2026, 11, 1, 0, 30, tzinfo=NY)
    assert hours_after(due, 3) == datetime(2026, 11, 1, 7, 30, tzinfo=UTC)
    with open_store(config) as db:
        keys = [
            a.key
            for a in conditions(config, db, FixedClock(datetime(2026, 11, 1, 8, 0, tzinfo=UTC)))
        ]
    assert "2026-W44:send_late" in keys


def test_the_approval_alert_gives_advice_that_works(tmp_path: Path) -> None:
    """With no [PREVIEW] ever prepared (no snapshot), the alert said to run
    `newsletter approve`, which fails: 'no [PREVIEW] of 2026-W48 has been sent yet'."""
    config = _config(tmp_path)
    config = config.model_copy(
        update={
            "schedule": config.schedule.model_copy(update={"approval": "required"}),
            "alerts": config.alerts.model_copy(update={"email": ("ed@example.com",)}),
        }
    )
    with open_store(config) as db:
        late = FixedClock(datetime(2026, 11, 30, 12, 0, tzinfo=NY))
        found = {a.kind: a for a in conditions(config, db, late)}
    assert "approval_missing" in found and "snapshot_stale" in found
    detail = found["approval_missing"].detail
    assert "No [PREVIEW] copy was ever prepared" in detail and "newsletter approve" not in detail
