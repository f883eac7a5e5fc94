"""The data pipeline of a week, reading like a table of contents: snapshots -> signals."""

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
from newsletter.errors import SnapshotError

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
