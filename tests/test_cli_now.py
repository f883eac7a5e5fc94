"""``newsletter --now``: a command run as if it were a given instant (a replayed Monday, a
reproduced run, a child process in a test on any date), time then passing as usual."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.config import load_config
from newsletter.errors import UsageError
from newsletter.util.clock import FixedClock, ShiftedClock
from newsletter.util.weeks import parse_instant
from tests.send_support import POSTAL, add_subscribers, recent_snapshots


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-23T07:30:00Z", datetime(2026, 11, 23, 7, 30, tzinfo=UTC)),
        ("2026-11-23 08:30+01:00", datetime(2026, 11, 23, 7, 30, tzinfo=UTC)),
        (" 2026-11-23T07:30:00.5-05:00 ", datetime(2026, 11, 23, 12, 30, 0, 500000, tzinfo=UTC)),
    ],
)
def test_an_instant_is_read_with_its_offset_in_utc(text: str, expected: datetime) -> None:
    assert parse_instant(text) == expected
    assert parse_instant(text).tzinfo is UTC


@pytest.mark.parametrize(
    "text", ["2026-11-23", "2026-11-23T07:30", "monday", "", "1999-12-31T23:00:00Z", "\x1b[31m"]
)
def test_an_instant_without_offset_or_out_of_range_is_refused(text: str) -> None:
    with pytest.raises(UsageError):
        parse_instant(text)


def test_the_shifted_clock_starts_at_the_instant_given() -> None:
    real = FixedClock(datetime(2030, 5, 1, 12, 0, tzinfo=UTC))
    clock = ShiftedClock.starting_at(datetime(2026, 11, 23, 9, 0, tzinfo=UTC), real)
    assert clock.offset == datetime(2026, 11, 23, 9, 0, tzinfo=UTC) - real.now()
    with pytest.raises(ValueError, match="timezone-aware"):
        ShiftedClock.starting_at(datetime(2026, 11, 23, 9, 0), real)


def _config(tmp_path: Path) -> Path:
    p = tmp_path / "config.toml"
    p.write_text(
        f'[newsletter]\npostal_address = "{POSTAL}"\nbase_url = "https://news.example.com"\n'
        f'[data]\nsnapshots_dir = "{recent_snapshots(tmp_path)}"\n'
        f'[database]\nurl = "sqlite:///{tmp_path / "newsletter.db"}"\n'
        '[delivery]\nprovider = "file"\n',
        encoding="utf-8",
    )
    return p


def test_a_send_follows_the_instant_given(tmp_path: Path) -> None:
    """The week before its issue is due, the send refuses it (on any real date); from then
    on it goes ahead."""
    cfg = _config(tmp_path)
    add_subscribers(load_config(cfg), 2)
    send = ["--config", str(cfg), "send", "--week", "2026-11-23"]
    early = CliRunner().invoke(app, ["--now", "2026-11-17T09:00:00Z", *send])
    assert early.exit_code == 1, early.output
    assert "not due until Mon 2026-11-23" in early.stderr
    assert "(the current issue is 2026-11-16)" in early.stderr
    due = CliRunner().invoke(app, ["--now", "2026-11-23T09:00:00+00:00", *send])
    assert due.exit_code == 0, due.output


def test_a_bad_instant_and_the_schedule_are_one_line(tmp_path: Path) -> None:
    bad = CliRunner().invoke(app, ["--now", "next monday", "status"])
    assert bad.exit_code == 2 and bad.stderr.count("\n") == 1, bad.output
    assert bad.stderr.startswith("error: instant 'next monday' is not a date and time")
    sched = CliRunner().invoke(app, ["--now", "2026-11-23T09:00:00Z", "schedule"])
    assert sched.exit_code == 2 and sched.stderr.count("\n") == 1, sched.output
    assert "--now does not apply to `schedule`" in sched.stderr


def test_time_passes_on_the_shifted_clock() -> None:
    """Not a timing assertion: only that the clock is no fixed one (two readings a moment
    apart never go backwards and keep the offset)."""
    clock = ShiftedClock(timedelta(days=-400))
    a, b = clock.now(), clock.now()
    assert a <= b and a.tzinfo is UTC


def test_the_helpers_of_a_send_run_on_the_coordinators_time(tmp_path: Path) -> None:
    """`send --workers N` on a shifted (or fixed) clock starts its helpers at its own
    instant: on the real clock they took the rows it had just claimed (its leases looked
    days old to them) and sent them twice."""
    from newsletter.send.helpers import helper_command

    config = load_config(_config(tmp_path))
    week = datetime(2026, 11, 23, tzinfo=UTC).date()
    at = datetime(2026, 11, 23, 9, 0, 5, tzinfo=UTC)
    cmd = helper_command(config, week, "run-1", at)
    assert cmd[cmd.index("--now") + 1] == "2026-11-23T09:00:05+00:00"
    assert cmd.index("--now") < cmd.index("send-worker")  # a global option
    assert "--now" not in helper_command(config, week, "run-1")
