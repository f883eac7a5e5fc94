"""Send guards: never send stale data on a scheduled run.

A scheduled or ``run-week`` send needs this week's snapshot, written recently (by the time
the project recorded, :func:`snapshot_written_at`), not in the future, and with postings.
An explicit ``send --week`` of an earlier week is the operator's choice: it goes ahead with a
warning. A later week than the current issue (one not due yet) is refused: the send would
use up that week's ledger slot, and the scheduled run would then find it "already sent".
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl

from newsletter.data.snapshots import list_weeks, report_path, snapshot_path
from newsletter.errors import GuardError, first_line

#: How far "written" may be ahead of now before the snapshot counts as from the future (a
#: file system's clock a little ahead of this host's).
FUTURE_TOLERANCE = timedelta(seconds=60)
#: A report written this long before its snapshot was not written with it (the snapshot was
#: replaced by hand): the snapshot's own mtime says when it was written.
_TOGETHER = timedelta(seconds=60)


def snapshot_written_at(snapshots_dir: Path, week: date) -> datetime:
    """When the week's snapshot was written (aware, UTC).

    The time the project recorded, on its injected clock: ``generated_at`` of the ingest
    report written with the snapshot (``ingest`` and ``collect`` write both together). The
    snapshot file's mtime when there is no readable report or the report is older than the
    snapshot (a snapshot copied in by hand).
    """
    path = snapshot_path(snapshots_dir, week)
    mtime = path.stat().st_mtime
    report = report_path(snapshots_dir, week)
    try:
        if report.stat().st_mtime >= mtime - _TOGETHER.total_seconds():
            recorded = json.loads(report.read_text(encoding="utf-8"))["generated_at"]
            at = datetime.fromisoformat(str(recorded))
            if at.tzinfo is not None:
                return at.astimezone(UTC)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return datetime.fromtimestamp(mtime, tz=UTC)


def check_scheduled_snapshot(
    snapshots_dir: Path, week: date, now: datetime, max_age_days: int
) -> Path:
    """The snapshot for ``week``, or GuardError saying why a scheduled send must not run."""
    path = snapshot_path(snapshots_dir, week)
    if not path.exists():
        weeks = list_weeks(snapshots_dir) if snapshots_dir.is_dir() else []
        latest = f"the latest is {weeks[-1].isoformat()}" if weeks else "there are none"
        raise GuardError(
            f"refusing to send: no snapshot for this week ({week.isoformat()}) in "
            f"{snapshots_dir}; {latest}. Ingest this week's postings first"
        )
    written = snapshot_written_at(snapshots_dir, week)
    age = now - written
    if age < -FUTURE_TOLERANCE:
        raise GuardError(
            f"refusing to send: the snapshot {path.name} was written at "
            f"{written.isoformat(timespec='seconds')}, {-age.total_seconds() / 3600:.1f} h "
            "after now: a clock is wrong (this host's, or the one that wrote it)"
        )
    if age.total_seconds() > max_age_days * 86400:
        raise GuardError(
            f"refusing to send: the snapshot {path.name} was written {age.days} days ago, "
            f"more than [data] max_snapshot_age_days = {max_age_days}"
        )
    if _postings(path) == 0:
        raise GuardError(
            f"refusing to send: the snapshot {path.name} has no postings (every board "
            "answered with none, or an empty export): an issue of 0 open roles would use up "
            "this week's send. Collect or ingest the week again"
        )
    return path


def _postings(path: Path) -> int:
    """The rows of a snapshot (from the Parquet footer); a file that cannot be read is a
    GuardError."""
    try:
        return int(pl.scan_parquet(path, glob=False).select(pl.len()).collect().item())
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise GuardError(
            f"refusing to send: the snapshot {path.name} cannot be read ({first_line(exc)})"
        ) from None


def check_not_future(week: date, current_week: date, due: datetime) -> None:
    """GuardError when ``week`` is later than the current issue's (``due``: when the issue of
    ``week`` is due, in the schedule's zone)."""
    if week > current_week:
        raise GuardError(
            f"refusing to send the issue of {week.isoformat()}: it is not due until "
            f"{due.strftime('%a %Y-%m-%d %H:%M %Z')} (the current issue is "
            f"{current_week.isoformat()}); `send --dry-run` or `send --to` can check it now"
        )


def explicit_week_warning(week: date, current_week: date) -> str | None:
    """A warning for an explicit send of an earlier week (it still goes ahead)."""
    if week < current_week:
        return (
            f"sending the issue of {week.isoformat()}, an earlier week than the current one "
            f"({current_week.isoformat()}), as requested"
        )
    return None
