"""The weekly pipeline, reading like a table of contents: snapshots -> signals -> issue."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from newsletter.config import Config
from newsletter.data.signals import Signals, compute_signals
from newsletter.data.signals.diff import WeekFrame
from newsletter.data.snapshots import (
    SNAPSHOT_SCHEMA,
    read_snapshot,
    report_path,
    resolve_weeks,
    snapshot_path,
)
from newsletter.edition.issue import RenderedIssue, render_issue
from newsletter.errors import SnapshotError
from newsletter.models import Recipient
from newsletter.util.files import atomic_write_text

#: Older snapshots (before the previous one) the signals read: 4-week averages, the 8-week
#: repost window, 4+4-week pay windows and the 12-week skill background.
HISTORY_WEEKS = 12
#: Columns of older snapshots the methods need (the rest is never read from disk).
HISTORY_COLUMNS = (
    "posting_id",
    "fingerprint",
    "category",
    "skills",
    "salary_mid",
    "currency",
    "remote",
    "seniority",
    "metro",
)


def scan_columns(directory: Path, week: date, columns: tuple[str, ...]) -> pl.LazyFrame:
    """A lazy scan of some canonical columns of one snapshot (types checked, missing -> null)."""
    path = snapshot_path(directory, week)
    try:
        lf = pl.scan_parquet(path)
        have = lf.collect_schema()
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise SnapshotError(f"cannot read snapshot {path}: {exc}") from None
    exprs = []
    for c in columns:
        dtype = SNAPSHOT_SCHEMA[c]
        if c not in have:
            exprs.append(pl.lit(None, dtype=dtype).alias(c))
        elif have[c] != dtype:
            raise SnapshotError(f"snapshot {path}: column {c} is {have[c]}, expected {dtype}")
        else:
            exprs.append(pl.col(c))
    return lf.select(exprs)


def read_ingest_report(directory: Path, week: date) -> dict[str, Any] | None:
    """The week's ingest report (written by ``newsletter ingest``), or None when absent."""
    path = report_path(directory, week)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SnapshotError(f"cannot read ingest report {path}: {exc}") from None
    if not isinstance(data, dict):
        raise SnapshotError(f"ingest report {path} is not a JSON object")
    return data


def build_signals(
    config: Config, week: date | None = None, snapshots_dir: Path | None = None
) -> Signals:
    """Signals for ``week`` (default: the latest snapshot) against the latest earlier one.

    Reads the week and the previous snapshot in full, and only the needed columns of up to
    ``HISTORY_WEEKS`` older ones, lazily: their ids, fingerprints and trend points in one pass,
    their new postings in a second (docs/signals.md, Performance).
    """
    directory = snapshots_dir or config.data.snapshots_dir
    pair = resolve_weeks(directory, week)
    current = read_snapshot(directory, pair.week)
    previous = read_snapshot(directory, pair.previous) if pair.previous else None
    history = [
        WeekFrame(w, scan_columns(directory, w, HISTORY_COLUMNS))
        for w in pair.history[-HISTORY_WEEKS:]
    ]
    return compute_signals(
        current,
        previous,
        week=pair.week,
        previous_week=pair.previous,
        top_n=config.email.top_n,
        history=history,
        ingest_report=read_ingest_report(directory, pair.week),
    )


def write_preview(issue: RenderedIssue, out: Path) -> tuple[Path, Path]:
    """Write the HTML and its plain-text twin (same name, ``.txt``) atomically."""
    html_path = out if out.suffix.lower() in {".html", ".htm"} else out.with_suffix(".html")
    text_path = html_path.with_suffix(".txt")
    atomic_write_text(html_path, issue.html)
    atomic_write_text(text_path, issue.text)
    return html_path, text_path


def preview(
    config: Config,
    out: Path,
    week: date | None = None,
    snapshots_dir: Path | None = None,
    recipient: Recipient | None = None,
) -> tuple[Path, Path, Signals]:
    """Render the week's issue (for ``recipient``, else a preview stand-in) to HTML + text."""
    signals = build_signals(config, week, snapshots_dir)
    issue = render_issue(signals, config, recipient)
    html_path, text_path = write_preview(issue, out)
    return html_path, text_path, signals
