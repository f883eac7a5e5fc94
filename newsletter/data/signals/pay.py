"""Pay signals: disclosure, levels (median, P75, P90) and the median shift.

Only ``currency == "USD"`` pay enters USD statistics; quantiles interpolate linearly.
Levels are over the week's open postings (stock). The **shift** compares new postings of the
last 4 weeks with new postings of the 4 weeks before (disjoint, independent samples; a stock
comparison would be dominated by continuing postings whose pay does not change), with a
Bonett–Price CI of the ratio of medians.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import polars as pl

from newsletter.data.signals.gates import (
    LFL_MIN_CELL_N,
    LFL_MIN_COVERAGE,
    MEDIAN_MIN_N,
    P75_MIN_N,
    P90_MIN_N,
    SHIFT_MIN_ABS_CHANGE,
    SHIFT_MIN_N,
    SHIFT_WINDOW_WEEKS,
    gated,
)
from newsletter.data.signals.models import Pay
from newsletter.data.signals.stats import MedianEstimate, median_estimate, median_ratio

PAY = "salary_mid"


#: Pay that enters USD statistics: finite, positive ``salary_mid`` in USD; null otherwise.
USD_PAY = (
    pl.when((pl.col("currency") == "USD") & pl.col(PAY).is_finite() & (pl.col(PAY) > 0))
    .then(pl.col(PAY))
    .otherwise(None)
)


def quantile_exprs(value: pl.Expr = USD_PAY, *, order_stats: bool = True) -> list[pl.Expr]:
    """n, median, P75, P90 (linear interpolation) and the Bonett–Price order statistics.

    Works in ``select`` and in ``group_by().agg``; nulls are not counted.
    """
    n = value.count()
    levels = [
        n.alias("n"),
        value.quantile(0.5, interpolation="linear").alias("median"),
        value.quantile(0.75, interpolation="linear").alias("p75"),
        value.quantile(0.9, interpolation="linear").alias("p90"),
    ]
    if not order_stats:
        return levels
    # 0-based rank of y_(c), c = max(1, round(n/2 - sqrt(n))) (round half to even, as R/Python)
    rank = pl.max_horizontal(pl.lit(1), (n / 2 - n.sqrt()).round(0).cast(pl.Int64)) - 1
    srt = value.drop_nulls().sort()
    return [
        *levels,
        srt.get(rank, null_on_oob=True).alias("bp_lo"),
        srt.get(n - 1 - rank, null_on_oob=True).alias("bp_hi"),
    ]


Row = dict[str, float | int | None]


def estimate(row: Row) -> MedianEstimate | None:
    """Bonett–Price estimate from a row produced by :func:`quantile_exprs`."""
    n, med, lo, hi = row.get("n"), row.get("median"), row.get("bp_lo"), row.get("bp_hi")
    if not isinstance(n, int) or n < 2 or med is None or lo is None or hi is None:
        return None
    return median_estimate(n, float(med), float(lo), float(hi))


#: Columns a new-posting window needs for the shift and its like-for-like cells.
WINDOW_COLUMNS = ("salary_mid", "currency", "category", "seniority", "metro", "remote")


def window(frames: Sequence[pl.LazyFrame]) -> pl.LazyFrame:
    """New postings of several weeks pooled into one window (only the pay-related columns)."""
    return pl.concat([f.select(WINDOW_COLUMNS) for f in frames])


#: Like-for-like cells, finest first: the guide's cells, then coarser ones when the fine cells
#: with >= LFL_MIN_CELL_N per side cover too few paid new postings.
CELLS: dict[str, list[pl.Expr]] = {
    "category x seniority x metro-or-remote": [
        pl.col("category").fill_null("Other"),
        pl.col("seniority").fill_null("unknown"),
        pl.when(pl.col("remote").fill_null(False))
        .then(pl.lit("remote"))
        .otherwise(pl.col("metro").fill_null("unknown")),
    ],
    "category x seniority": [
        pl.col("category").fill_null("Other"),
        pl.col("seniority").fill_null("unknown"),
    ],
}


def like_for_like_plan(now: pl.LazyFrame, before: pl.LazyFrame, kind: str) -> pl.LazyFrame:
    """Per cell of ``kind`` (a key of CELLS): USD-paid n and median in both windows."""
    cell = CELLS[kind]
    tagged = pl.concat(
        [now.with_columns(pl.lit(1).alias("now")), before.with_columns(pl.lit(0).alias("now"))]
    ).select(pl.concat_str(cell, separator=" | ").alias("cell"), "now", USD_PAY.alias("pay"))
    pay_now, pay_before = (
        pl.col("pay").filter(pl.col("now") == 1),
        pl.col("pay").filter(pl.col("now") == 0),
    )
    return tagged.group_by("cell").agg(
        pay_now.count().alias("n"),
        pay_now.quantile(0.5, interpolation="linear").alias("median"),
        pay_before.count().alias("n_prev"),
        pay_before.quantile(0.5, interpolation="linear").alias("median_prev"),
    )


def like_for_like(cells: pl.DataFrame) -> tuple[float | None, int, int]:
    """Wage-Tracker style shift: n-weighted median of ln(median_now/median_before) over cells
    with >= LFL_MIN_CELL_N paid postings on both sides. Returns (relative change, cells, n
    covered on both sides)."""
    ok = cells.filter(
        (pl.col("n") >= LFL_MIN_CELL_N)
        & (pl.col("n_prev") >= LFL_MIN_CELL_N)
        & (pl.col("median") > 0)
        & (pl.col("median_prev") > 0)
    )
    if ok.is_empty():
        return None, 0, 0
    g = ok.select(
        (pl.col("median") / pl.col("median_prev")).log().alias("g"),
        (pl.col("n") + pl.col("n_prev")).alias("w"),
    ).sort("g")
    total = int(g["w"].sum())
    cumulative = g["w"].cum_sum()
    pick = int((cumulative >= total / 2).arg_max() or 0)
    return math.exp(float(g["g"][pick])) - 1, ok.height, total


def levels_plan(frame: pl.LazyFrame) -> pl.LazyFrame:
    """One lazy row: n, median, p75, p90 and the Bonett–Price order statistics of USD pay."""
    return frame.select(quantile_exprs())


def disclosure_plan(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Open postings, those with any pay, and those with non-USD pay."""
    return frame.select(
        pl.len().alias("rows"),
        pl.col(PAY).is_not_null().sum().alias("disclosed"),
        (pl.col(PAY).is_not_null() & (pl.col("currency") != "USD")).sum().alias("non_usd"),
    )


def _f(row: Row | None, key: str) -> float | None:
    v = None if row is None else row.get(key)
    return None if v is None else float(v)


def build_pay(
    level: Row,
    level_prev: Row | None,
    *,
    disclosure: dict[str, int],
    shift_now: Row | None,
    shift_before: Row | None,
    weeks_now: int,
    weeks_before: int,
    cells: Mapping[str, pl.DataFrame] | None = None,
    suppressed: list[str],
) -> Pay:
    """Assemble :class:`Pay` from the collected level and window rows; note what is gated."""
    n = int(level.get("n") or 0)
    n_prev = int(level_prev.get("n") or 0) if level_prev is not None else None
    for label, gate in (("median", MEDIAN_MIN_N), ("p75", P75_MIN_N), ("p90", P90_MIN_N)):
        if n < gate:
            suppressed.append(f"pay.{label}: n={n} < {gate}")
    est = estimate(level) if n >= MEDIAN_MIN_N else None
    ci = est.interval() if est else None

    change = low = high = None
    significant = False
    s_now = int(shift_now.get("n") or 0) if shift_now else 0
    s_before = int(shift_before.get("n") or 0) if shift_before else 0
    if shift_now is not None and shift_before is not None:
        if min(s_now, s_before) >= SHIFT_MIN_N:
            a, b = estimate(shift_now), estimate(shift_before)
            ratio = median_ratio(a, b) if a is not None and b is not None else None
            if ratio is not None:
                change, low, high = ratio.estimate - 1, ratio.low - 1, ratio.high - 1
                significant = ratio.excludes_value(1.0) and abs(change) >= SHIFT_MIN_ABS_CHANGE
        else:
            suppressed.append(
                f"pay.change_pct: new postings with pay n={s_now} vs {s_before} "
                f"< {SHIFT_MIN_N} per side"
            )
    else:
        suppressed.append(
            f"pay.change_pct: needs {SHIFT_WINDOW_WEEKS + 1} weeks of new postings "
            f"({SHIFT_WINDOW_WEEKS} recent, 1 to {SHIFT_WINDOW_WEEKS} earlier; "
            f"have {weeks_now + weeks_before})"
        )
    lfl: float | None = None
    lfl_cells = lfl_n = 0
    lfl_kind = ""
    if change is not None and cells is not None:
        for kind, table in cells.items():  # finest first
            lfl, lfl_cells, lfl_n = like_for_like(table)
            lfl_kind = kind
            if lfl is not None and lfl_n >= LFL_MIN_COVERAGE * (s_now + s_before):
                break
        else:
            suppressed.append(
                f"pay.like_for_like_pct: cells with >= {LFL_MIN_CELL_N} per side cover "
                f"{lfl_n} of {s_now + s_before} paid new postings (< {LFL_MIN_COVERAGE:.0%})"
            )
            lfl, lfl_kind = None, ""
    rows = disclosure["rows"]
    return Pay(
        like_for_like_pct=lfl,
        like_for_like_cells=lfl_cells,
        like_for_like_n=lfl_n,
        like_for_like_cell_kind=lfl_kind,
        n=n,
        n_prev=n_prev,
        disclosure_rate=disclosure["disclosed"] / rows if rows else None,
        median=gated(_f(level, "median"), n, MEDIAN_MIN_N),
        p75=gated(_f(level, "p75"), n, P75_MIN_N),
        p90=gated(_f(level, "p90"), n, P90_MIN_N),
        median_prev=gated(_f(level_prev, "median"), n_prev or 0, MEDIAN_MIN_N)
        if level_prev
        else None,
        p75_prev=gated(_f(level_prev, "p75"), n_prev or 0, P75_MIN_N) if level_prev else None,
        p90_prev=gated(_f(level_prev, "p90"), n_prev or 0, P90_MIN_N) if level_prev else None,
        change_pct=change,
        ci_low=low,
        ci_high=high,
        significant=significant,
        median_ci_low=ci.low if ci else None,
        median_ci_high=ci.high if ci else None,
        shift_window_weeks=weeks_now,
        shift_window_weeks_prev=weeks_before,
        shift_n=s_now,
        shift_n_prev=s_before,
        shift_median=gated(_f(shift_now, "median"), s_now, MEDIAN_MIN_N) if shift_now else None,
        shift_median_prev=gated(_f(shift_before, "median"), s_before, MEDIAN_MIN_N)
        if shift_before
        else None,
    )
