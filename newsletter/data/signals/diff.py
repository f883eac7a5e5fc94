"""Week-over-week diff of posting stocks: new, removed, continuing, reposted (pure, lazy).

``S_t`` is a week's deduplicated stock. ``new = S_t \\ S_{t-1}`` and ``removed = S_{t-1} \\ S_t``
by ``posting_id`` (anti-joins both ways); ``continuing`` is open minus new. A new posting is
**reposted** when its ``fingerprint`` (company + title + metro) matches a posting removed within
the last 8 weeks (this week's removals included), and **returned** when its very id was open
in an older snapshot (it vanished for a week or more and came back, e.g. a scrape gap).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

#: Removals within this many weekly diffs make a matching new posting a repost (issue 4;
#: the guide's 60 days rounded to whole weeks).
REPOST_WINDOW_WEEKS = 8

ID = "posting_id"
FP = "fingerprint"


@dataclass(frozen=True, slots=True)
class WeekFrame:
    """One week's snapshot as a LazyFrame (any subset of the canonical columns incl. the id)."""

    week: date
    frame: pl.LazyFrame


def dedupe(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Drop rows without an id and repeated ids (first kept); counted in data health."""
    return frame.filter(pl.col(ID).is_not_null() & pl.col(ID).is_first_distinct())


def added(current: pl.LazyFrame, previous: pl.LazyFrame) -> pl.LazyFrame:
    """Rows of ``current`` whose id is not in ``previous``."""
    return current.join(previous.select(ID), on=ID, how="anti")


def removed(current: pl.LazyFrame, previous: pl.LazyFrame) -> pl.LazyFrame:
    """Rows of ``previous`` whose id is no longer in ``current``."""
    return previous.join(current.select(ID), on=ID, how="anti")


def _key() -> pl.Expr:
    """A posting id's 64-bit hash (joined on, it costs a fraction of the id's string)."""
    return pl.col(ID).hash().alias("_key")


def flows_by_hash(
    current: pl.LazyFrame, previous: pl.LazyFrame
) -> tuple[pl.LazyFrame, pl.LazyFrame, pl.LazyFrame]:
    """:func:`added` and :func:`removed` joined on the ids' hashes, and ``clashes``: one row,
    the pairs of postings whose hashes match but whose ids differ (or are null). Only when
    it is 0 are the two frames those of :func:`added` and :func:`removed` (an id is dropped
    for a matching hash only: equal ids have equal hashes); else use those."""
    keys = [f.select(_key()) for f in (current, previous)]
    new = current.with_columns(_key()).join(keys[1], on="_key", how="anti").drop("_key")
    gone = previous.with_columns(_key()).join(keys[0], on="_key", how="anti").drop("_key")
    other = f"{ID}_previous"
    pairs = current.select(ID, _key()).join(
        previous.select(pl.col(ID).alias(other), _key()), on="_key", how="inner"
    )
    clashes = pairs.select((pl.col(ID) == pl.col(other)).fill_null(False).not_().sum())
    return new, gone, clashes


def flag_reposts(
    new: pl.LazyFrame, removed_fps: pl.LazyFrame, older_ids: pl.LazyFrame | None = None
) -> pl.LazyFrame:
    """Add boolean ``reposted`` (fingerprint removed recently) and ``returned`` (id seen before)."""
    out = new.join(
        removed_fps.with_columns(pl.lit(True).alias("reposted")), on=FP, how="left"
    ).with_columns(pl.col("reposted").fill_null(False))
    if older_ids is None:
        return out.with_columns(pl.lit(False).alias("returned"))
    return out.join(
        older_ids.select(ID).unique().with_columns(pl.lit(True).alias("returned")),
        on=ID,
        how="left",
    ).with_columns(pl.col("returned").fill_null(False))
