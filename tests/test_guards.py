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
