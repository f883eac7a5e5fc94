"""The weekly trigger and the APScheduler wiring, on a real SQLite job store."""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from apscheduler.triggers.cron import CronTrigger

from newsletter.config import Config, parse_config
from newsletter.send.schedule import (
    COLLECT_JOB_ID,
    JOB_ID,
    WATCH_JOB_ID,
    build_scheduler,
    catch_up_time,
    collect_trigger,
    due_at,
    issue_week,
    run_forever,
    start_reconciled,
    weekly_trigger,
)
from newsletter.util.clock import FixedClock

NY = ZoneInfo("America/New_York")
JOB = "tests.sched_job:record"


def _config(tmp_path: Path, **schedule: object) -> Config:
    return parse_config(
        {
            "database": {"url": f"sqlite:///{tmp_path / 'jobs.db'}"},
            "schedule": {"day": "mon", "time": "07:30:00", "timezone": "America/New_York"}
            | schedule,
        }
    )


def _runs(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def _wait_for(path: Path, n: int, timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _runs(path) < n:
        time.sleep(0.05)
    return _runs(path)


def test_trigger_fires_monday_morning_local_time_across_dst(tmp_path: Path) -> None:
    trig = weekly_trigger(_config(tmp_path).schedule)
    wed = datetime(2026, 10, 28, 12, 0, tzinfo=NY)  # DST ends Sunday Nov 1
    first = trig.get_next_fire_time(None, wed)
    assert first is not None
    assert (first.weekday(), first.hour, first.minute) == (0, 7, 30)
    assert first.date().isoformat() == "2026-11-02"
    assert first.utcoffset() == timedelta(hours=-5)  # EST after the change
    second = trig.get_next_fire_time(first, first + timedelta(seconds=1))
    assert second is not None and second - first == timedelta(days=7)


def test_week_window_boundaries(tmp_path: Path) -> None:
    s = _config(tmp_path).schedule
    # Sunday 23:59 local is still the previous week; Monday 00:00 starts the new one.
    sun = datetime(2026, 11, 29, 23, 59, tzinfo=NY)
    mon = datetime(2026, 11, 30, 0, 0, tzinfo=NY)
    assert issue_week(sun, s).isoformat() == "2026-11-23"
    assert issue_week(mon, s).isoformat() == "2026-11-30"
    # 04:30 UTC Monday is still Sunday evening in New York.
    assert issue_week(datetime(2026, 11, 30, 4, 30, tzinfo=UTC), s).isoformat() == "2026-11-23"
    assert due_at(mon, s) == datetime(2026, 11, 30, 7, 30, tzinfo=NY)
    assert catch_up_time(datetime(2026, 11, 30, 7, 29, tzinfo=NY), s) is None
    late = datetime(2026, 11, 30, 9, 0, tzinfo=NY)
    assert catch_up_time(late, s) == late
    assert catch_up_time(datetime(2026, 11, 30, 14, 0, tzinfo=NY), s) is None  # beyond 6 h grace


def test_job_fires_with_short_trigger(tmp_path: Path) -> None:
    out = tmp_path / "runs.txt"
    cfg = _config(tmp_path)
    sched = build_scheduler(
        cfg,
        func=JOB,
        kwargs={"path": str(out)},
        trigger=CronTrigger(second="*", timezone=NY),
        clock=FixedClock(datetime(2026, 11, 30, 7, 0, tzinfo=NY)),  # not yet due: no catch-up
    )
    sched.start()
    try:
        assert _wait_for(out, 1) >= 1
    finally:
        sched.shutdown(wait=True)


def test_restart_keeps_one_job(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    before_due = FixedClock(datetime(2026, 11, 30, 7, 0, tzinfo=NY))
    for _ in range(3):
        sched = build_scheduler(cfg, func=JOB, kwargs={"path": "x"}, clock=before_due)
        sched.start(paused=True)
        jobs = sched.get_jobs()
        sched.shutdown(wait=False)
        assert [j.id for j in jobs] == [JOB_ID]
    assert jobs[0].next_run_time is not None
    assert jobs[0].next_run_time.weekday() == 0


def test_a_start_removes_the_stored_jobs_the_configuration_no_longer_defines(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The job store is persistent: a start with the collection's sources and approvals
    stored ``weekly-collect`` and ``watch``, and after both were taken out of the
    configuration they stayed there and kept running (a collection nobody configured, checks
    for alerts no longer wanted). A start removes them before any job runs, says so on one
    log line, and the next start has nothing to remove."""
    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[[source]]\nats = "greenhouse"\nboard = "acme"\ncompany = "Acme"\n', encoding="utf-8"
    )
    before_due = FixedClock(datetime(2026, 11, 30, 7, 0, tzinfo=NY))
    db = {"url": f"sqlite:///{tmp_path / 'jobs.db'}"}
    full = parse_config(
        {
            "database": db,
            "schedule": {"timezone": "America/New_York", "approval": "required"},
            "alerts": {"email": ["editor@example.com"]},
            "collect": {"sources": str(sources)},
        }
    )
    bare = parse_config({"database": db, "collect": {"sources": str(tmp_path / "none.toml")}})
    removed: list[list[str]] = []
    for cfg in (full, bare, bare):
        sched = build_scheduler(
            cfg, func=JOB, kwargs={"path": "x"}, clock=before_due, collect_func=JOB, watch_func=JOB
        )
        with caplog.at_level(logging.INFO, logger="newsletter.send.schedule"):
            removed.append(start_reconciled(sched))
        jobs = sorted(j.id for j in sched.get_jobs())
        sched.shutdown(wait=False)
    assert jobs == [JOB_ID]
    assert removed == [[], [WATCH_JOB_ID, COLLECT_JOB_ID], []]
    lines = [r.getMessage() for r in caplog.records if "no longer defines" in r.getMessage()]
    assert lines == ["removed 2 stored job(s) the configuration no longer defines: "
                     "watch, weekly-collect"]  # fmt: skip


@pytest.mark.parametrize("restarts", [1, 2])
def test_missed_run_is_caught_up_once_per_start(tmp_path: Path, restarts: int) -> None:
    """Started after this week's send time: the job runs once now, then waits a week.

    Runs at Monday 2026-11-30 07:35 New York (due 07:30) under time-machine, so the
    scheduler's own clock agrees with ours whatever the date of the test run.
    """
    out = tmp_path / "runs.txt"
    late = datetime(2026, 11, 30, 7, 35, tzinfo=NY)
    cfg = _config(tmp_path)
    with time_machine.travel(late, tick=True):
        for i in range(restarts):
            sched = build_scheduler(cfg, func=JOB, kwargs={"path": str(out)})
            sched.start()
            try:
                assert _wait_for(out, i + 1) == i + 1
                job = sched.get_job(JOB_ID)
                # the next run is next Monday: the catch-up is not repeated by this start
                assert job is not None and job.next_run_time == datetime(
                    2026, 12, 7, 7, 30, tzinfo=NY
                )
            finally:
                sched.shutdown(wait=True)
            assert _runs(out) == i + 1


def test_a_start_long_after_the_last_send_time_is_no_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every scheduler start more than the grace after the last send time logged an ERROR
    (log-based alerting fired), though that issue had most likely gone out."""
    import logging

    s = parse_config({"schedule": {"timezone": "America/New_York"}}).schedule
    with caplog.at_level(logging.INFO, logger="newsletter.send.schedule"):
        assert catch_up_time(datetime(2026, 12, 2, 12, 0, tzinfo=UTC), s) is None
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "if it has not gone out" in caplog.records[0].getMessage()


def test_the_foreground_scheduler_stops_on_a_sigterm_another_thread_caught(
    tmp_path: Path,
) -> None:
    """`newsletter schedule` waits for its signal in short steps: a SIGTERM the kernel gave
    to another thread (Python runs the handler in the main thread) still stops it. A long
    wait would only end at the next job, days later (here: the hang guard's fallback, which
    signals the main thread itself)."""
    assert threading.current_thread() is threading.main_thread()
    done = threading.Event()
    fallback: list[bool] = []

    def main_thread_waits() -> bool:  # in a Condition's wait, i.e. blocked (not starting)
        frame = sys._current_frames().get(threading.main_thread().ident or 0)
        return frame is not None and frame.f_code is threading.Condition.wait.__code__

    def signal_from_this_thread() -> None:
        deadline = time.monotonic() + 30  # hang guard, not a timing assertion
        while not done.wait(0.05):
            if not main_thread_waits() and time.monotonic() <= deadline:
                continue
            if time.monotonic() > deadline:
                fallback.append(True)
                ident = threading.main_thread().ident
                assert ident is not None
                signal.pthread_kill(ident, signal.SIGTERM)
                return
            signal.pthread_kill(threading.get_ident(), signal.SIGTERM)

    previous = signal.signal(signal.SIGTERM, lambda _n, _f: None)  # until run_forever's own
    killer = threading.Thread(target=signal_from_this_thread, daemon=True)
    try:
        killer.start()
        run_forever(_config(tmp_path), func=JOB, kwargs={"path": str(tmp_path / "runs.txt")})
    finally:
        done.set()
        killer.join()
        signal.signal(signal.SIGTERM, previous)
    assert fallback == []


def test_the_foreground_scheduler_runs_a_job_due_while_the_machine_slept(
    tmp_path: Path,
) -> None:
    """A machine suspended over the send time: the scheduler waited for the send time on
    the monotonic clock, which stands still while the machine sleeps, so the job ran as
    late as the machine had slept (beyond the misfire grace: never). Here the wall clock
    jumps from 06:30 to 07:35 (the wake-up) while the monotonic clock does not: the job
    must run at once (within its grace), not an hour of real time later."""
    out = tmp_path / "runs.txt"
    before = datetime(2026, 11, 30, 6, 30, tzinfo=NY)  # an hour before the 07:30 send
    done = threading.Event()
    ran: list[int] = []

    def scheduler_waits() -> bool:  # its thread in a Condition's wait: the next run timed
        frames = sys._current_frames()
        return any(
            t.name == "APScheduler"
            and (f := frames.get(t.ident or 0)) is not None
            and f.f_code is threading.Condition.wait.__code__
            for t in threading.enumerate()
        )

    def wake_then_stop(traveller: time_machine.Coordinates) -> None:
        deadline = time.monotonic() + 30  # hang guard, not a timing assertion
        while not scheduler_waits() and time.monotonic() < deadline:
            done.wait(0.05)
        traveller.move_to(datetime(2026, 11, 30, 7, 35, tzinfo=NY))  # the machine wakes
        ran.append(_wait_for(out, 1, timeout=20))
        ident = threading.main_thread().ident
        assert ident is not None
        signal.pthread_kill(ident, signal.SIGTERM)

    previous = signal.signal(signal.SIGTERM, lambda _n, _f: None)
    try:
        with time_machine.travel(before, tick=True) as traveller:
            waker = threading.Thread(target=wake_then_stop, args=(traveller,), daemon=True)
            waker.start()
            run_forever(_config(tmp_path), func=JOB, kwargs={"path": str(out)}, wake_seconds=0.2)
    finally:
        done.set()
        waker.join()
        signal.signal(signal.SIGTERM, previous)
    assert ran == [1]


@pytest.mark.parametrize(
    ("zone", "at", "day"),
    [
        ("Europe/Berlin", "02:30:00", datetime(2026, 10, 25)),  # 03:00 CEST -> 02:00 CET
        ("America/New_York", "01:30:00", datetime(2026, 11, 1)),  # 02:00 EDT -> 01:00 EST
        ("Europe/Berlin", "02:30:00", datetime(2026, 3, 29)),  # no 02:30: 03:30 CEST
        ("America/New_York", "02:30:00", datetime(2026, 3, 8)),  # no 02:30: 03:30 EDT
    ],
)
def test_a_send_time_in_the_repeated_hour_fires_once(
    tmp_path: Path, zone: str, at: str, day: datetime
) -> None:
    """On the fall-back Sunday the hour before the change comes twice: the weekly job (and
    the collection) fired at both 02:30 (Berlin), an hour apart, i.e. twice that week. It
    fires at the first, the one ``due_for`` names, and a week later; a time in the hour
    skipped in spring fires once too, at the instant ``due_for`` names."""
    s = _config(
        tmp_path, day="sun", time=at, timezone=zone, collect_day="sun", collect_time=at
    ).schedule
    tz = ZoneInfo(zone)
    for trig in (weekly_trigger(s), collect_trigger(s)):
        fires: list[datetime] = []
        previous = None
        now = datetime.combine(day.date() - timedelta(days=3), dt_time(12), tz)
        while len(fires) < 3:
            found = trig.get_next_fire_time(previous, now)
            assert found is not None
            fires.append(found)
            previous, now = found, found
        first_due = s.due_for(day.date() - timedelta(days=6))
        assert [f.astimezone(UTC) for f in fires] == [
            first_due.astimezone(UTC),
            (first_due + timedelta(days=7)).astimezone(UTC),
            (first_due + timedelta(days=14)).astimezone(UTC),
        ]
