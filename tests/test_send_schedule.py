"""The real weekly job (newsletter.send.jobs:run_scheduled) under the scheduler, and the CLI.

Every test runs at a fixed instant (Monday 2026-11-23 09:00 UTC, the week of the latest
bundled snapshot): the CLI gets a FixedClock, the scheduler runs under time-machine.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from typer.testing import CliRunner, Result

from newsletter.cli import app
from newsletter.cli._app import CliState
from newsletter.config import Config, load_config
from newsletter.data.snapshots import snapshot_path
from newsletter.send.ledger import IssueRecord, SendLedger
from newsletter.send.schedule import build_scheduler, issue_week
from newsletter.store import open_store
from newsletter.util.clock import FixedClock
from newsletter.util.weeks import iso_week_key
from tests.conftest import NOW, REPO
from tests.send_support import POSTAL, add_subscribers
from tests.test_store_postgres import _fresh


def _setup(tmp_path: Path, *, fresh: bool = True) -> Path:
    """A config due 5 minutes before NOW, snapshots of NOW's week (and the week before),
    written at NOW; 3 subscribers."""
    due = NOW - timedelta(minutes=5)
    snaps = tmp_path / "snapshots"
    snaps.mkdir()
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[newsletter]\npostal_address = "{POSTAL}"\nbase_url = "https://news.example.com"\n'
        f'[data]\nsnapshots_dir = "snapshots"\n'
        f'[database]\nurl = "sqlite:///{tmp_path / "newsletter.db"}"\n'
        f'[delivery]\noutbox_dir = "outbox"\n'
        f'[schedule]\nday = "{due.strftime("%a").lower()}"\ntime = {due.strftime("%H:%M:%S")}\n'
        f'timezone = "UTC"\n',
        encoding="utf-8",
    )
    config = load_config(cfg)
    week = issue_week(NOW, config.schedule)
    copies = [(REPO / "snapshots" / "2026-11-16.parquet", week - timedelta(7))]
    if fresh:
        copies.append((REPO / "snapshots" / "2026-11-23.parquet", week))
    for source, when in copies:
        target = snapshot_path(snaps, when)
        shutil.copy(source, target)
        os.utime(target, (NOW.timestamp(), NOW.timestamp()))  # written "now"
    add_subscribers(config, 3)
    return cfg


def _invoke(args: list[str]) -> Result:
    """The CLI at NOW."""
    return CliRunner().invoke(app, args, obj=CliState(clock=FixedClock(NOW)))


@pytest.fixture
def at_now() -> Iterator[None]:
    """Every clock of this process (APScheduler's too) at NOW, ticking."""
    with time_machine.travel(NOW, tick=True):
        yield


def _outbox(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "outbox").rglob("*.eml"))


#: The schedulers' environment: no secret key (the development key, with its note).
_ENV = {k: v for k, v in os.environ.items() if k != "NEWSLETTER_SECRET_KEY"}


@contextmanager
def _scheduler(cfg: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`newsletter schedule` in its own process at NOW (the clock ticking from there);
    killed at the end if the test left it running."""
    clockrun = REPO / "tests" / "clockrun.py"
    args = [sys.executable, str(clockrun), NOW.isoformat(), "--config", str(cfg), "schedule"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_ENV)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def _stop(proc: subprocess.Popen[bytes]) -> tuple[bytes, bytes]:
    """SIGTERM to a scheduler; its output once it has stopped."""
    proc.send_signal(signal.SIGTERM)
    return proc.communicate(timeout=20)


def _wait_until_sent(proc: subprocess.Popen[bytes], config: Config) -> IssueRecord | None:
    """The ledger's record of NOW's issue once ``proc`` (a scheduler) has sent it."""
    key = iso_week_key(issue_week(NOW, config.schedule))
    issue = None
    deadline = time.monotonic() + 90  # hang guard only
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1].decode()
        with open_store(config) as db:
            issue = SendLedger(db).issue(key)
        if issue is not None and issue.status == "sent":
            break
        time.sleep(0.1)
    return issue


def test_scheduled_job_catches_up_once_then_is_a_no_op(tmp_path: Path, at_now: None) -> None:
    cfg = _setup(tmp_path)
    config = load_config(cfg)
    key = iso_week_key(issue_week(NOW, config.schedule))
    finished = []
    for _start in range(2):
        done = threading.Event()
        events: list[JobExecutionEvent] = []

        def seen(
            event: JobExecutionEvent,
            events: list[JobExecutionEvent] = events,
            done: threading.Event = done,
        ) -> None:
            events.append(event)
            done.set()

        sched = build_scheduler(config, kwargs={"config_path": str(cfg)})
        sched.add_listener(seen, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        sched.start()
        try:
            assert done.wait(30), "the catch-up run did not happen"
        finally:
            sched.shutdown(wait=True)
        assert [e.exception for e in events] == [None]
        assert len(_outbox(tmp_path)) == 3  # the second start sent nothing more
        with open_store(config) as db:
            issue = SendLedger(db).issue(key)
        assert issue is not None and issue.status == "sent" and issue.sent == 3
        finished.append(issue.finished_at)
    assert finished[0] == finished[1]


def test_run_week_refuses_a_missing_snapshot_and_send_dry_run_sends_nothing(tmp_path: Path) -> None:
    cfg = _setup(tmp_path, fresh=False)
    r = _invoke(["--config", str(cfg), "run-week"])
    assert r.exit_code != 0 and "refusing to send: no snapshot for this week" in r.output
    week = issue_week(NOW, load_config(cfg).schedule) - timedelta(7)
    r = _invoke(["--config", str(cfg), "send", "--week", week.isoformat(), "--dry-run"])
    assert r.exit_code == 0, r.output
    assert "3 message(s) would be sent" in r.output and "an earlier week" in r.output
    assert _outbox(tmp_path) == []
    r = _invoke(
        ["--config", str(cfg), "send", "--week", week.isoformat(), "--to", "me@example.net"]
    )
    assert r.exit_code == 0, r.output
    (copy,) = _outbox(tmp_path)
    assert "[TEST]" in copy.read_text() and "me@example.net" in copy.read_text()
    with open_store(load_config(cfg)) as db:
        assert SendLedger(db).issue(iso_week_key(week)) is None  # --to never touches the ledger


def test_send_refuses_when_the_postal_address_is_missing(tmp_path: Path) -> None:
    cfg = _setup(tmp_path)
    cfg.write_text(cfg.read_text().replace(POSTAL, ""), encoding="utf-8")
    r = _invoke(["--config", str(cfg), "send", "--week", "2026-11-16"])
    assert r.exit_code != 0 and "postal address" in r.output and "nothing was sent" in r.output
    assert _outbox(tmp_path) == []


def test_send_catch_up_is_run_week_and_exits_at_once_when_sent(tmp_path: Path) -> None:
    cfg = _setup(tmp_path)
    r = _invoke(["--config", str(cfg), "send", "--catch-up"])
    assert r.exit_code == 0, r.output
    assert "complete" in r.output and "development key" in r.output
    assert len(_outbox(tmp_path)) == 3
    r = _invoke(["--config", str(cfg), "run-week"])
    assert r.exit_code == 0 and "already sent (3 sent): nothing to do" in r.output
    r = _invoke(["--config", str(cfg), "send", "--catch-up", "--limit", "1"])
    assert r.exit_code != 0 and "takes no other option" in r.output
    assert len(_outbox(tmp_path)) == 3


def test_schedule_command_catches_up_then_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    cfg = _setup(tmp_path)
    with _scheduler(cfg) as proc:
        issue = _wait_until_sent(proc, load_config(cfg))
        assert len(_outbox(tmp_path)) == 3
        out, err = _stop(proc)
    assert proc.returncode == 0, err.decode()
    assert b"scheduling the weekly issue" in out
    assert issue is not None and issue.status == "sent" and issue.sent == 3


def test_send_refuses_a_week_not_due_yet_and_keeps_its_ledger_slot(tmp_path: Path) -> None:
    """`send --week` of next week (its snapshot present) is refused with one line: sending
    it would use up that week's ledger slot. A dry run and a test copy of it go ahead."""
    cfg = _setup(tmp_path)
    config = load_config(cfg)
    coming = issue_week(NOW, config.schedule) + timedelta(7)
    target = snapshot_path(tmp_path / "snapshots", coming)
    shutil.copy(REPO / "snapshots" / "2026-11-16.parquet", target)
    r = _invoke(["--config", str(cfg), "send", "--week", coming.isoformat()])
    assert r.exit_code != 0
    assert f"refusing to send the issue of {coming.isoformat()}: it is not due until" in r.output
    assert _outbox(tmp_path) == []
    with open_store(config) as db:
        assert SendLedger(db).issue(iso_week_key(coming)) is None
    r = _invoke(["--config", str(cfg), "send", "--week", coming.isoformat(), "--dry-run"])
    assert r.exit_code == 0, r.output
    assert "3 message(s) would be sent" in r.output and "is not due until" in r.output
    assert _outbox(tmp_path) == []


def test_a_second_scheduler_on_the_same_database_is_refused(tmp_path: Path) -> None:
    """Two `newsletter schedule` processes started by mistake on one database both ran every
    job (the collection twice at once, the send's loser failing and alerting): the second
    stops at once with one line and exit 1; the first goes on and stops cleanly."""
    cfg = _setup(tmp_path)
    with _scheduler(cfg) as first:
        _wait_until_sent(first, load_config(cfg))
        second = subprocess.run(first.args, capture_output=True, env=_ENV, timeout=60, check=False)
        assert second.returncode == 1, second.stderr.decode()
        lines = second.stderr.decode().strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: another `newsletter schedule`")
        assert second.stdout.decode() == ""  # no "scheduling ..." line before the refusal
        assert first.poll() is None
        _out, err = _stop(first)
    assert first.returncode == 0, err.decode()
    assert len(_outbox(tmp_path)) == 3


@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_a_refused_scheduler_prints_its_refusal_and_no_progress_line(
    tmp_path: Path, request: pytest.FixtureRequest, database: str
) -> None:
    """A second `newsletter schedule` on a database whose `schedule` lock is held stops at
    once with one error line (exit 1); it printed "scheduling the weekly issue every ..."
    first, as if it ran. On SQLite the lock is a ``flock`` beside the file, on PostgreSQL a
    session advisory lock (held here by another session)."""
    if database == "sqlite":
        url = f"sqlite:///{tmp_path / 'newsletter.db'}"
    else:
        url = _fresh(request.getfixturevalue("postgres_url"), "schedule_lock")
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[database]\nurl = "{url}"\n', encoding="utf-8")
    with open_store(load_config(cfg)) as db, db.exclusive("schedule") as held:
        assert held
        r = _invoke(["--config", str(cfg), "schedule"])
    assert r.exit_code == 1, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: another `newsletter schedule`"), lines
