"""The data pipeline of a week, reading like a table of contents: snapshots -> signals (and
the week's new roles for the readers' picks)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from newsletter.config import Config
from newsletter.data.newroles import NewRoles, new_roles
from newsletter.data.signals import Signals
from newsletter.data.signals.compute import compute_week
from newsletter.data.signals.diff import ID, WeekFrame
from newsletter.data.snapshots import (
    CATEGORICAL_COLUMNS,
    SNAPSHOT_SCHEMA,
    read_snapshot,
    report_path,
    resolve_weeks,
    scan_snapshot,
)
from newsletter.errors import SnapshotError
from newsletter.models import SOURCE_KINDS, SourceKind

#: Older snapshots (before the previous one) the signals read: 4-week averages, the 8-week
#: repost window, 4+4-week pay windows and the 12-week skill background.
HISTORY_WEEKS = 12
#: Columns of older snapshots the methods need (the rest is never read from disk); ``source``
#: tells the postings of ``new`` feeds apart, ``employment`` whose pay is full-time (the trend
#: medians and pay-shift windows; a snapshot written before the column reads it as null).
HISTORY_COLUMNS = (
    "posting_id",
    "fingerprint",
    "category",
    "skills",
    "salary_mid",
    "currency",
    "employment",
    "remote",
    "work_mode",
    "seniority",
    "metro",
    "source",
)

#: Columns the signals read from this week's and the previous snapshot (the rest, titles,
#: locations, URLs, posting dates and countries, only the new roles of an issue need).
SIGNAL_COLUMNS = tuple(
    c for c in SNAPSHOT_SCHEMA if c not in ("title", "location", "url", "posted_at", "country")
)


def expand(frame: pl.LazyFrame) -> pl.LazyFrame:
    """``frame`` (of :data:`STORED_SCHEMA`'s types) with the snapshot's own string types
    back: the new roles get the week's new postings so."""
    have = frame.collect_schema()
    return frame.with_columns(
        pl.col(c).cast(SNAPSHOT_SCHEMA[c]) for c in (*CATEGORICAL_COLUMNS, "skills") if c in have
    )


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


def source_kinds(config: Config, directory: Path, weeks: Sequence[date]) -> dict[str, SourceKind]:
    """The kind of every declared source: ``[data.source_kinds]``, else the kind the latest
    ingest report of ``weeks`` (oldest first) recorded for it (``ingest --kind``)."""
    kinds: dict[str, SourceKind] = {}
    for w in weeks:
        report = read_ingest_report(directory, w)
        recorded = report.get("source_kinds") if report else None
        if isinstance(recorded, Mapping):
            for name, kind in recorded.items():
                if kind not in SOURCE_KINDS:
                    raise SnapshotError(
                        f"ingest report {report_path(directory, w)}: source {name!r} has kind "
                        f"{kind!r}, expected one of {', '.join(SOURCE_KINDS)}"
                    )
                kinds[str(name)] = kind
    return kinds | dict(config.data.source_kinds)


def open_stock(
    directory: Path,
    week: date,
    seen: Sequence[date],
    feeds: frozenset[str],
    columns: tuple[str, ...] | None = None,
) -> pl.LazyFrame:
    """A week's open postings when some sources are ``new`` feeds.

    Stock sources come from the week's own snapshot; a feed's postings from every snapshot of
    ``seen`` (the weeks within ``[data] open_window_days`` up to this one), each id once, from
    its latest delivery. ``columns`` None reads every column.
    """

    def load(w: date) -> pl.LazyFrame:
        if columns is None:
            return read_snapshot(directory, w, stored=True).lazy()
        return scan_snapshot(directory, w, columns)

    is_feed = pl.col("source").is_in(sorted(feeds)).fill_null(False)
    fed = pl.concat(
        [load(w).filter(is_feed).with_columns(pl.lit((week - w).days).alias("_age")) for w in seen]
    )
    latest = pl.col(ID).is_null() | (pl.col("_age") == pl.col("_age").min().over(ID))
    return pl.concat([load(week).filter(~is_feed), fed.filter(latest).drop("_age")])


def feed_deliveries(
    directory: Path,
    week: date,
    previous: date,
    every: Sequence[date],
    *,
    feeds: frozenset[str],
    window: int,
) -> dict[str, tuple[int, int]]:
    """Per feed, the weekly deliveries (snapshots holding its postings) within the open
    window of ``week`` and of ``previous``: unequal while a new feed's window fills, or when
    a week in one of the windows has no delivery (the open counts then move with the window).
    Reads the ``source`` column of the snapshots in the two windows."""

    def within(v: date, w: date) -> bool:
        return 0 <= (w - v).days < window

    weeks = [v for v in every if within(v, week) or within(v, previous)]
    feed = pl.col("source").cast(pl.String)
    plans = [
        scan_snapshot(directory, v, ("source",))
        .select(feed.unique())
        .filter(feed.is_in(sorted(feeds)))
        for v in weeks
    ]
    held = {
        v: set(f["source"].to_list()) for v, f in zip(weeks, pl.collect_all(plans), strict=True)
    }

    def count(name: str, w: date) -> int:
        return sum(1 for v in weeks if within(v, w) and name in held[v])

    return {name: (count(name, week), count(name, previous)) for name in sorted(feeds)}


@dataclass(frozen=True, slots=True)
class WeekData:
    """What an issue is made from: the week's signals and its new roles (candidates)."""

    signals: Signals
    new_roles: NewRoles


def build_signals(
    config: Config, week: date | None = None, snapshots_dir: Path | None = None
) -> Signals:
    """Signals for ``week`` (default: the latest snapshot) against the latest earlier one."""
    return build_week(config, week, snapshots_dir, with_roles=False).signals


def build_week(
    config: Config,
    week: date | None = None,
    snapshots_dir: Path | None = None,
    *,
    with_roles: bool = True,
) -> WeekData:
    """Signals for ``week`` (default: the latest snapshot) against the latest earlier one,
    and (``with_roles``) the week's new-role candidates (:mod:`newsletter.data.newroles`).

    Reads the week and the previous snapshot in full (without ``with_roles``, only
    :data:`SIGNAL_COLUMNS`), every week of :data:`STORED_SCHEMA`'s types (categoricals,
    whichever way its file was written, so the weeks stack alike), and only the needed
    columns of up to ``HISTORY_WEEKS`` older ones, lazily: their ids, fingerprints and trend
    points in one pass, their new postings in a second (docs/signals.md, Performance). When
    a source is a ``new`` feed (:func:`source_kinds`), every week's open stock holds its
    postings seen within
    ``[data] open_window_days`` (:func:`open_stock`).
    """
    directory = snapshots_dir or config.data.snapshots_dir
    pair = resolve_weeks(directory, week)
    older = pair.history[-HISTORY_WEEKS:]
    every = [*pair.history, *([pair.previous] if pair.previous else []), pair.week]
    kinds = source_kinds(config, directory, every)
    feeds = frozenset(s for s, k in kinds.items() if k == "new")
    window = config.data.open_window_days

    def frame(w: date, columns: tuple[str, ...] | None) -> pl.LazyFrame | pl.DataFrame:
        if not feeds:
            return (
                read_snapshot(directory, w, stored=True)
                if columns is None
                else scan_snapshot(directory, w, columns)
            )
        seen = [v for v in every if 0 <= (w - v).days < window]
        return open_stock(directory, w, seen, feeds, columns)

    def weekly(w: date, columns: tuple[str, ...] | None) -> pl.LazyFrame:
        return frame(w, columns).lazy()

    wanted = None if with_roles else SIGNAL_COLUMNS
    filling = (
        feed_deliveries(directory, pair.week, pair.previous, every, feeds=feeds, window=window)
        if feeds and pair.previous
        else {}
    )
    current = weekly(pair.week, wanted)
    previous = weekly(pair.previous, wanted) if pair.previous else None
    history = [WeekFrame(w, weekly(w, HISTORY_COLUMNS)) for w in older]
    result = compute_week(
        current,
        previous,
        week=pair.week,
        previous_week=pair.previous,
        top_n=config.email.top_n,
        history=history,
        ingest_report=read_ingest_report(directory, pair.week),
        source_kinds=kinds,
        open_window_days=window,
        feed_deliveries=filling,
    )
    roles = (
        new_roles(result.arrivals.pipe(expand), week=pair.week, previous_week=pair.previous)
        if with_roles
        else NewRoles(week=pair.week)
    )
    return WeekData(result.signals, roles)
