from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from newsletter.data.snapshots import write_snapshot
from newsletter.errors import GuardError
from newsletter.send.guards import check_scheduled_snapshot, explicit_week_warning
from tests.conftest import frame, posting

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_missing_week_refused_naming_latest(tmp_path: Path) -> None:
    write_snapshot(frame([posting("a")]), tmp_path, date(2026, 11, 16))
    with pytest.raises(GuardError, match=r"no snapshot for this week \(2026-11-23\).*2026-11-16"):
        check_scheduled_snapshot(tmp_path, date(2026, 11, 23), NOW, 8)


def test_stale_snapshot_refused(tmp_path: Path) -> None:
    p = write_snapshot(frame([posting("a")]), tmp_path, date(2026, 11, 23))
    old = (NOW - timedelta(days=10)).timestamp()
    os.utime(p, (old, old))
    with pytest.raises(GuardError, match="10 days ago"):
        check_scheduled_snapshot(tmp_path, date(2026, 11, 23), NOW, 8)
    fresh = (NOW - timedelta(days=1)).timestamp()
    os.utime(p, (fresh, fresh))
    assert check_scheduled_snapshot(tmp_path, date(2026, 11, 23), NOW, 8) == p


def test_explicit_earlier_week_warns() -> None:
    assert explicit_week_warning(date(2026, 11, 16), date(2026, 11, 23)) is not None
    assert explicit_week_warning(date(2026, 11, 23), date(2026, 11, 23)) is None


def test_a_week_not_due_yet_is_refused() -> None:
    from newsletter.send.guards import check_not_future

    due = datetime(2026, 11, 30, 7, 30, tzinfo=UTC)
    with pytest.raises(GuardError, match="not due until Mon 2026-11-30 07:30 UTC"):
        check_not_future(date(2026, 11, 30), date(2026, 11, 23), due)
    check_not_future(date(2026, 11, 23), date(2026, 11, 23), due)
    check_not_future(date(2026, 11, 16), date(2026, 11, 23), due)


def _report(directory: Path, week: date, generated_at: str) -> None:
    from newsletter.data.snapshots import report_path

    path = report_path(directory, week)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'{{"week": "{week}", "generated_at": "{generated_at}"}}', "utf-8")


def test_a_snapshot_from_the_future_is_not_fresh(tmp_path: Path) -> None:
    p = write_snapshot(frame([posting("a")]), tmp_path, date(2026, 11, 23))
    ahead = (NOW + timedelta(days=9)).timestamp()
    os.utime(p, (ahead, ahead))
    with pytest.raises(GuardError, match=r"216\.0 h after now: a clock is wrong"):
        check_scheduled_snapshot(tmp_path, date(2026, 11, 23), NOW, 8)


def test_freshness_is_the_time_the_ingest_recorded(tmp_path: Path) -> None:
    """The report's generated_at (the injected clock's) wins over the file's mtime (the real
    clock's); a report older than the snapshot was not written with it."""
    from newsletter.send.guards import snapshot_written_at

    week = date(2026, 11, 23)
    p = write_snapshot(frame([posting("a")]), tmp_path, week)
    ahead = (NOW + timedelta(days=30)).timestamp()  # written on a real clock a month later
    _report(tmp_path, week, "2026-11-23T06:00:00Z")
    os.utime(p, (ahead, ahead))
    os.utime(tmp_path / "reports" / "2026-11-23.json", (ahead, ahead))
    assert snapshot_written_at(tmp_path, week) == datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    assert check_scheduled_snapshot(tmp_path, week, NOW, 8) == p
    _report(tmp_path, week, "2026-11-01T06:00:00Z")  # recorded 22 days before NOW
    os.utime(tmp_path / "reports" / "2026-11-23.json", (ahead, ahead))
    with pytest.raises(GuardError, match="22 days ago"):
        check_scheduled_snapshot(tmp_path, week, NOW, 8)
    # an old report beside a snapshot replaced later: the snapshot's mtime counts
    recent = (NOW - timedelta(hours=2)).timestamp()
    os.utime(p, (recent, recent))
    os.utime(tmp_path / "reports" / "2026-11-23.json", (recent - 86400, recent - 86400))
    assert snapshot_written_at(tmp_path, week) == NOW - timedelta(hours=2)


def test_a_scheduled_send_of_a_week_with_no_postings_is_refused(tmp_path: Path) -> None:
    """A snapshot with no postings (every board answered with none, an empty export) went
    out to the whole list unattended ("0 open roles, median —") and used up the week's
    ledger slot, so the issue rebuilt from a good snapshot could not go out. The guard
    refuses it; nothing is sent or recorded."""
    from newsletter.config import Secrets
    from newsletter.send.ledger import SendLedger
    from newsletter.send.service import send_week
    from newsletter.store import open_store
    from newsletter.util.clock import FixedClock
    from newsletter.util.weeks import iso_week_key
    from tests.send_support import add_subscribers, send_config

    week = date(2026, 11, 23)
    snaps = tmp_path / "snapshots"
    write_snapshot(frame([posting("a")]), snaps, week - timedelta(days=7))
    p = write_snapshot(frame([]), snaps, week)
    written = (NOW - timedelta(hours=2)).timestamp()
    os.utime(p, (written, written))
    with pytest.raises(GuardError, match=r"2026-11-23\.parquet has no postings"):
        check_scheduled_snapshot(snaps, week, NOW, 8)
    config = send_config(tmp_path)
    config = config.model_copy(
        update={"data": config.data.model_copy(update={"snapshots_dir": snaps})}
    )
    add_subscribers(config, 2)
    with pytest.raises(GuardError, match="has no postings"):
        send_week(config, Secrets(), clock=FixedClock(NOW), trigger="run-week")
    assert not (tmp_path / "outbox").exists() or not any((tmp_path / "outbox").rglob("*.eml"))
    with open_store(config) as db:
        assert SendLedger(db).issue(iso_week_key(week)) is None
