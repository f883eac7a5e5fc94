"""Pay signals: disclosure, levels (median, P75, P90), the median shift, and the roles
counted apart.

Only USD pay of **full-time** postings enters the pay statistics (:data:`IN_PAY_STATS`, the
one owner of that rule): ``currency == "USD"``, a finite positive ``salary_mid``, and
``employment`` ``full_time`` or not said (null; old snapshots without the column read as
null). Part-time, contract, temporary and internship postings are never in a full-time median
(guide §5.5): they form their own series (:func:`apart_plan`, ``Pay.apart``). Quantiles
interpolate linearly.
Levels are over the week's open postings (stock). The **shift** compares disjoint,
independent samples of *flows*, never two stocks (continuing postings keep their pay, so a
stock comparison hides any move and its test is degenerate; guide §1):

- ``new-vs-earlier-new``: new postings of the last 4 weeks against new postings of the up to
  4 weeks before (once 5 weeks of new postings exist);
- ``new-vs-removed``: with shorter history, this week's new postings against the postings
  removed this week. In a steady market the postings that leave have the pay mix of those that
  arrive whatever their time-to-fill, while last week's stock over-represents slow-to-fill pay
  levels; so removed, not the stock, is the baseline (docs/signals.md, Calibration).

Intervals are Bonett–Price on **tie-corrected** pay (:func:`untied`). Whether a shift
(overall or a role category's) is significant is decided by the joint test of the week's moves
(:mod:`newsletter.data.signals.moves`), on ``z = ln(ratio) / SE`` with the SE of its interval.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

from newsletter.data.signals.gates import (
    LFL_MIN_CELL_N,
    LFL_MIN_COVERAGE,
    MEDIAN_MIN_N,
    P75_MIN_N,
    P90_MIN_N,
    SHIFT_MIN_ABS_CHANGE,
    SHIFT_MIN_N,
    gated,
)
from newsletter.data.signals.models import (
    GroupRow,
    Method,
    MoveKind,
    MovesTest,
    MoveTest,
    Pay,
    PayApart,
    PayRank,
    PayShift,
)
from newsletter.data.signals.moves import Candidate, verdicts
from newsletter.data.signals.stats import (
    Interval,
    MedianEstimate,
    median_estimate,
    median_ratio,
)

PAY = "salary_mid"
EMPLOYMENT = "employment"
#: The ``employment`` value of a full-time posting (one of ``snapshots.EMPLOYMENT_TYPES``).
FULL_TIME_TYPE = "full_time"
#: Column of :func:`untied` pay.
UNTIED = "pay"
#: Rounded pay: a repeated value is spread over its rounding step, which reaches halfway to the
#: nearest other repeated value on each side but at most this fraction of the value.
TIE_MAX_HALF_STEP = 0.05
#: Hours of a working year: snapshots store hourly pay annualised at this rate (guide §5.3),
#: so an annual figure over it is the hourly equivalent readers of contract roles know.
HOURS_PER_YEAR = 2080

#: A posting counted as full-time: ``employment`` is ``full_time`` or not said (null).
FULL_TIME = pl.col(EMPLOYMENT).is_null() | (pl.col(EMPLOYMENT) == FULL_TIME_TYPE)
#: A posting of another kind (part-time, contract, temporary, internship): counted apart,
#: never in the full-time pay figures (guide §5.5).
APART = ~FULL_TIME
#: Annual USD pay as posted: a finite, positive ``salary_mid`` in USD (any employment).
USD_PAID = (pl.col("currency") == "USD") & pl.col(PAY).is_finite() & (pl.col(PAY) > 0)
#: The one rule of which pay enters the full-time pay statistics: USD pay of a full-time (or
#: unstated) posting. Every median, quantile, interval, shift and like-for-like cell of the
#: signals uses :data:`USD_PAY`; the company spotlight's range filters on this too.
IN_PAY_STATS = USD_PAID & FULL_TIME
#: Pay that enters the full-time USD statistics (:data:`IN_PAY_STATS`); null otherwise.
USD_PAY = pl.when(IN_PAY_STATS).then(pl.col(PAY)).otherwise(None)
#: USD pay of any posting (the series counted apart, :func:`apart_plan`).
POSTED_USD_PAY = pl.when(USD_PAID).then(pl.col(PAY)).otherwise(None)


#: The pay levels: their columns and quantiles (linear interpolation).
LEVELS = {"median": 0.5, "p75": 0.75, "p90": 0.9}


def quantile_exprs(value: pl.Expr = USD_PAY, *, order_stats: bool = True) -> list[pl.Expr]:
    """n, median, P75, P90 (linear interpolation) and the Bonett–Price order statistics.

    Works in ``select`` and in ``group_by().agg``; nulls are not counted.
    """
    levels = [
        value.count().alias("n"),
        *(value.quantile(q, interpolation="linear").alias(name) for name, q in LEVELS.items()),
    ]
    return [*levels, *_order_stats(value)] if order_stats else levels


def _order_stats(value: pl.Expr) -> list[pl.Expr]:
    """The Bonett–Price order statistics ``bp_lo`` and ``bp_hi`` of ``value``."""
    n = value.count()
    # 0-based rank of y_(c), c = max(1, round(n/2 - sqrt(n))) (round half to even, as R/Python)
    rank = pl.max_horizontal(pl.lit(1), (n / 2 - n.sqrt()).round(0).cast(pl.Int64)) - 1
    srt = value.drop_nulls().sort()
    return [
        srt.get(rank, null_on_oob=True).alias("bp_lo"),
        srt.get(n - 1 - rank, null_on_oob=True).alias("bp_hi"),
    ]


Row = dict[str, float | int | None]


def untied(frame: pl.LazyFrame, by: Sequence[str] = ()) -> pl.LazyFrame:
    """USD pay as column ``pay`` (with the ``by`` columns), repeated values spread out.

    Pay posted in round numbers ties at the median and at the Bonett–Price order statistics,
    which makes the interval too short and the median move in steps (docs/signals.md,
    Calibration). A value that occurs f >= 2 times in a group stands for f postings whose pay
    lies in its rounding step; the step reaches halfway to the nearest other repeated value on
    each side (the grid the rounding used), at most TIE_MAX_HALF_STEP of the value, and the f
    copies are placed at the midpoints of f equal parts of it (deterministic, no jitter).
    Values that occur once are kept, so pay without ties is unchanged.
    """
    keys = list(by)
    v, f = pl.col(UNTIED), pl.col("f")

    def within(e: pl.Expr) -> pl.Expr:
        return e.over(keys) if keys else e

    tied = pl.when(f >= 2).then(v)
    below = (v - within(tied.shift(1).forward_fill())) / 2
    above = (within(tied.shift(-1).backward_fill()) - v) / 2
    cap = TIE_MAX_HALF_STEP * v
    counts = (
        frame.select(*keys, USD_PAY.alias(UNTIED))
        .drop_nulls(UNTIED)
        .group_by(*keys, UNTIED)
        .agg(pl.len().alias("f"))
        .sort(*keys, UNTIED)
        .with_columns(
            pl.min_horizontal(pl.coalesce(below, above, cap), cap).alias("lo"),
            pl.min_horizontal(pl.coalesce(above, below, cap), cap).alias("hi"),
        )
    )
    step = pl.col("lo") + pl.col("hi")
    spread = pl.when(f >= 2).then(v - pl.col("lo") + (pl.col("j") + 0.5) / f * step).otherwise(v)
    return (
        counts.with_columns(pl.int_ranges(0, f).alias("j"))
        .explode("j")
        .select(*keys, spread.alias(UNTIED))
    )


def untied_plan(frame: pl.LazyFrame, by: Sequence[str] = ()) -> pl.LazyFrame:
    """n, median, P75, P90 and the Bonett–Price order statistics of :func:`untied` pay."""
    pay = untied(frame, by)
    if by:
        return pay.group_by(*by).agg(quantile_exprs(pl.col(UNTIED)))
    return levels_plan(pay, pl.col(UNTIED))


def estimate(row: Row) -> MedianEstimate | None:
    """Bonett–Price estimate from a row produced by :func:`quantile_exprs`."""
    n, med, lo, hi = row.get("n"), row.get("median"), row.get("bp_lo"), row.get("bp_hi")
    if not isinstance(n, int) or n < 2 or med is None or lo is None or hi is None:
        return None
    return median_estimate(n, float(med), float(lo), float(hi))


#: Columns a new-posting window needs for the shift and its like-for-like cells.
WINDOW_COLUMNS = ("salary_mid", "currency", EMPLOYMENT, "category", "seniority", "metro", "remote")


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


def levels_plan(frame: pl.LazyFrame, value: pl.Expr = USD_PAY) -> pl.LazyFrame:
    """One lazy row: n, median, p75, p90 and the Bonett–Price order statistics of ``value``
    (the columns of :func:`quantile_exprs`).

    The three levels come from one ``quantile`` call given the list of them: one selection
    over a week's million values where three calls made three (~0.06 -> ~0.02 s CPU), the
    same values to the bit. ``group_by().agg`` takes no list of quantiles: grouped, use
    :func:`quantile_exprs`.
    """
    together = value.quantile(list(LEVELS.values()), interpolation="linear").alias("_levels")
    levels = pl.col("_levels").list
    split = [levels.get(i, null_on_oob=True).alias(name) for i, name in enumerate(LEVELS)]
    stats = frame.select(value.count().alias("n"), together, *_order_stats(value))
    return stats.select("n", *split, "bp_lo", "bp_hi")


def disclosure_plan(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Open postings; the full-time (or unstated) ones and how many of them show any pay
    (the disclosure rate beside the full-time figures); postings with non-USD pay (all)."""
    paid = pl.col(PAY).is_not_null()
    return frame.select(
        pl.len().alias("rows"),
        FULL_TIME.sum().alias("full_time"),
        (paid & FULL_TIME).sum().alias("disclosed"),
        (paid & (pl.col("currency") != "USD")).sum().alias("non_usd"),
    )


def apart_plan(current: pl.LazyFrame, new: pl.LazyFrame) -> pl.LazyFrame:
    """Per ``employment`` value other than full-time (:data:`APART`): open and new postings,
    those with USD pay (any employment's: :data:`POSTED_USD_PAY`) and their median."""
    name = pl.col(EMPLOYMENT).cast(pl.String).alias("name")
    which = pl.col("_f")
    tagged = pl.concat(
        [
            current.filter(APART).select(name, POSTED_USD_PAY.alias("pay"), _f=pl.lit(0)),
            new.filter(APART).select(name, pay=pl.lit(None, dtype=pl.Float64), _f=pl.lit(1)),
        ]
    )
    return tagged.group_by("name").agg(
        (which == 0).sum().cast(pl.Int64).alias("open"),
        (which == 1).sum().cast(pl.Int64).alias("new"),
        pl.col("pay").count().cast(pl.Int64).alias("n"),
        pl.col("pay").quantile(0.5, interpolation="linear").alias("median"),
    )


def build_apart(table: pl.DataFrame, suppressed: list[str]) -> list[PayApart]:
    """The series counted apart (rows of :func:`apart_plan`), most open first; each median
    gated like every other (MEDIAN_MIN_N), with its hourly equivalent."""
    rows = []
    for r in table.iter_rows(named=True):
        n = int(r["n"] or 0)
        median = gated(_f(r, "median"), n, MEDIAN_MIN_N)
        rows.append(
            PayApart(
                name=str(r["name"]),
                open=int(r["open"]),
                new=int(r["new"]),
                n=n,
                median=median,
                median_hourly=median / HOURS_PER_YEAR if median is not None else None,
            )
        )
    rows.sort(key=lambda a: (-a.open, a.name))
    held = sum(a.median is None for a in rows)
    if held:
        suppressed.append(
            f"pay.apart.median: {held} of {len(rows)} types with n < {MEDIAN_MIN_N} USD-paid"
        )
    return rows


def _f(row: Row | None, key: str) -> float | None:
    v = None if row is None else row.get(key)
    return None if v is None else float(v)


@dataclass(frozen=True, slots=True)
class ShiftRows:
    """The collected rows of one pay-shift comparison (see the module docstring)."""

    method: Method
    now: Row  # untied_plan of the recent side
    before: Row  # ... of the earlier side
    weeks_now: int
    weeks_before: int
    categories_now: pl.DataFrame  # untied_plan by category
    categories_before: pl.DataFrame
    cells: Mapping[str, pl.DataFrame]  # like_for_like_plan per kind of CELLS, finest first
    excluded: int = 0  # postings of groups with a drop warning, left out (new-vs-removed)
    span_now: int = 1  # calendar weeks the recent side covers (more with weeks missing)
    span_before: int = 1


def _ratio(now: Row, before: Row) -> Interval | None:
    a, b = estimate(now), estimate(before)
    return median_ratio(a, b) if a is not None and b is not None else None


def _n(row: Mapping[str, object] | None) -> int:
    v = None if row is None else row.get("n")
    return int(v) if isinstance(v, int) else 0


#: Name of the overall pay shift among the candidate moves.
OVERALL = "all"


@dataclass(frozen=True, slots=True)
class ShiftTests:
    """The ratios of the medians tested this week: overall and per role category, each only
    with >= SHIFT_MIN_N USD-paid postings per side."""

    overall: Interval | None = None
    categories: Mapping[str, Interval] = field(default_factory=dict)


def _by_category(frame: pl.DataFrame) -> dict[str, Row]:
    return {str(r["category"]): r for r in frame.iter_rows(named=True)}


def shift_tests(shift: ShiftRows | None) -> ShiftTests:
    """Ratio of the medians (Bonett–Price, tie-corrected), overall and per role category."""
    if shift is None:
        return ShiftTests()
    overall = (
        _ratio(shift.now, shift.before)
        if min(_n(shift.now), _n(shift.before)) >= SHIFT_MIN_N
        else None
    )
    now, before = _by_category(shift.categories_now), _by_category(shift.categories_before)
    categories = {}
    for name in sorted(set(now) & set(before)):
        if min(_n(now[name]), _n(before[name])) >= SHIFT_MIN_N:
            ratio = _ratio(now[name], before[name])
            if ratio is not None:
                categories[name] = ratio
    return ShiftTests(overall, categories)


def _z(ratio: Interval) -> float | None:
    """``ln(ratio) / SE``: the SE of the ratio's 95% interval ``exp(ln r ± Z95·SE)``."""
    return math.log(ratio.estimate) / ratio.se if ratio.se > 0 else None


def _practical(ratio: Interval) -> bool:
    return abs(ratio.estimate - 1) >= SHIFT_MIN_ABS_CHANGE


def candidates(tests: ShiftTests) -> list[Candidate]:
    """The pay shifts tested, as candidates of the joint test of the week's moves."""
    out = []
    tested: list[tuple[MoveKind, str, Interval]] = [
        ("pay_category", name, r) for name, r in tests.categories.items()
    ]
    if tests.overall is not None:
        tested.insert(0, ("pay", OVERALL, tests.overall))
    for kind, name, ratio in tested:
        z = _z(ratio)
        if z is not None:
            out.append(Candidate(kind, name, z, _practical(ratio)))
    return out


def category_shifts(
    now: pl.DataFrame,
    before: pl.DataFrame,
    tests: ShiftTests,
    verdict: Mapping[str, MoveTest],
    suppressed: list[str],
) -> list[PayShift]:
    """Per role category: the median shift (gated at SHIFT_MIN_N per side), significant when
    the joint test of the week's moves lists it (``verdict``)."""
    rows_n, rows_b = _by_category(now), _by_category(before)
    names = sorted(set(rows_n) | set(rows_b), key=lambda c: (-_n(rows_n.get(c)), c))
    out = []
    for name in names:
        rn, rb = rows_n.get(name, {}), rows_b.get(name, {})
        n, n_prev = _n(rn), _n(rb)
        r, v = tests.categories.get(name), verdict.get(name)
        out.append(
            PayShift(
                name=name,
                n=n,
                n_prev=n_prev,
                median=gated(_f(rn, "median"), n, MEDIAN_MIN_N),
                median_prev=gated(_f(rb, "median"), n_prev, MEDIAN_MIN_N),
                change_pct=r.estimate - 1 if r else None,
                ci_low=r.low - 1 if r else None,
                ci_high=r.high - 1 if r else None,
                p_value=v.p_value if v else None,
                p_adjusted=v.p_adjusted if v else None,
                significant=bool(v and v.listed),
            )
        )
    held = len(names) - len(tests.categories)
    if held:
        suppressed.append(
            f"pay.category_shifts: {held} of {len(names)} categories with fewer than "
            f"{SHIFT_MIN_N} USD-paid postings on a side"
        )
    return out


def _mix_driven(ratio: Interval, like_for_like: float | None) -> bool:
    """Whether the like-for-like shift does not bear out the raw one (guide, like-for-like:
    "if they disagree, the story is mix, not pay"): short of the raw shift's 95% interval,
    on the side of no change or the other way, or too small to count (under
    SHIFT_MIN_ABS_CHANGE). Beyond the interval in the shift's own direction it bears the
    shift out: pay moved more than the mix let the raw median show (+4.7% raw and +10.3%
    like for like is a rise, not "the mix of roles moved, not pay")."""
    if like_for_like is None:
        return False
    if ratio.estimate >= 1:
        borne_out = like_for_like >= ratio.low - 1
    else:
        borne_out = like_for_like <= ratio.high - 1
    return not borne_out or abs(like_for_like) < SHIFT_MIN_ABS_CHANGE


def _like_for_like(
    cells: Mapping[str, pl.DataFrame], paid: int, suppressed: list[str]
) -> tuple[float | None, int, int, str]:
    lfl: float | None = None
    lfl_cells = lfl_n = 0
    for kind, table in cells.items():  # finest first
        lfl, lfl_cells, lfl_n = like_for_like(table)
        if lfl is not None and lfl_n >= LFL_MIN_COVERAGE * paid:
            return lfl, lfl_cells, lfl_n, kind
    suppressed.append(
        f"pay.like_for_like_pct: cells with >= {LFL_MIN_CELL_N} per side cover "
        f"{lfl_n} of {paid} paid new postings (< {LFL_MIN_COVERAGE:.0%})"
    )
    return None, lfl_cells, lfl_n, ""


def build_pay(
    level: Row,
    level_prev: Row | None,
    *,
    level_untied: Row,
    disclosure: dict[str, int],
    shift: ShiftRows | None,
    tests: ShiftTests,
    moves: MovesTest,
    unavailable: str,
    suppressed: list[str],
    apart: pl.DataFrame | None = None,
) -> Pay:
    """Assemble :class:`Pay` from the collected rows; note what is gated.

    ``shift`` is None when no comparison is possible; ``unavailable`` then says why.
    ``tests`` are its ratios (:func:`shift_tests`), ``moves`` the joint test of the week's
    moves, which says which shifts are significant. ``apart`` is the :func:`apart_plan` table.
    """
    n = int(level.get("n") or 0)
    n_prev = int(level_prev.get("n") or 0) if level_prev is not None else None
    for label, gate in (("median", MEDIAN_MIN_N), ("p75", P75_MIN_N), ("p90", P90_MIN_N)):
        if n < gate:
            suppressed.append(f"pay.{label}: n={n} < {gate}")
        if level_prev is not None and (n_prev or 0) < gate:
            suppressed.append(f"pay.{label}_prev: n={n_prev} < {gate}")
    est = estimate(level_untied) if n >= MEDIAN_MIN_N else None
    ci = est.interval() if est else None

    ratio = tests.overall
    s_now = _n(shift.now) if shift else 0
    s_before = _n(shift.before) if shift else 0
    lfl: tuple[float | None, int, int, str] = (None, 0, 0, "")
    shifts: list[PayShift] = []
    if shift is None:
        suppressed.append(f"pay.change_pct: {unavailable}")
    elif min(s_now, s_before) < SHIFT_MIN_N:
        suppressed.append(
            f"pay.change_pct: USD-paid postings n={s_now} vs {s_before} "
            f"< {SHIFT_MIN_N} per side ({shift.method})"
        )
    else:
        lfl = _like_for_like(shift.cells, s_now + s_before, suppressed)
    if shift is not None:
        shifts = category_shifts(
            shift.categories_now,
            shift.categories_before,
            tests,
            verdicts(moves, "pay_category"),
            suppressed,
        )
        for label, k in (("shift_median", s_now), ("shift_median_prev", s_before)):
            if k < MEDIAN_MIN_N:
                suppressed.append(f"pay.{label}: n={k} < {MEDIAN_MIN_N}")
    full_time = disclosure["full_time"]
    overall = verdicts(moves, "pay").get(OVERALL)
    significant = bool(overall and overall.listed)
    kinds = build_apart(apart, suppressed) if apart is not None else []
    return Pay(
        apart=kinds,
        apart_open=sum(a.open for a in kinds),
        apart_n=sum(a.n for a in kinds),
        like_for_like_pct=lfl[0],
        mix_driven=significant and ratio is not None and _mix_driven(ratio, lfl[0]),
        like_for_like_cells=lfl[1],
        like_for_like_n=lfl[2],
        like_for_like_cell_kind=lfl[3],
        n=n,
        n_prev=n_prev,
        disclosure_rate=disclosure["disclosed"] / full_time if full_time else None,
        median=gated(_f(level, "median"), n, MEDIAN_MIN_N),
        p75=gated(_f(level, "p75"), n, P75_MIN_N),
        p90=gated(_f(level, "p90"), n, P90_MIN_N),
        median_prev=gated(_f(level_prev, "median"), n_prev or 0, MEDIAN_MIN_N)
        if level_prev
        else None,
        p75_prev=gated(_f(level_prev, "p75"), n_prev or 0, P75_MIN_N) if level_prev else None,
        p90_prev=gated(_f(level_prev, "p90"), n_prev or 0, P90_MIN_N) if level_prev else None,
        change_pct=ratio.estimate - 1 if ratio else None,
        ci_low=ratio.low - 1 if ratio else None,
        ci_high=ratio.high - 1 if ratio else None,
        p_value=overall.p_value if overall else None,
        p_adjusted=overall.p_adjusted if overall else None,
        significant=significant,
        method=shift.method if shift else "none",
        excluded_in_drops=shift.excluded if shift else 0,
        category_shifts=shifts,
        median_ci_low=ci.low if ci else None,
        median_ci_high=ci.high if ci else None,
        shift_window_weeks=shift.weeks_now if shift else 0,
        shift_window_weeks_prev=shift.weeks_before if shift else 0,
        shift_window_span=shift.span_now if shift else 0,
        shift_window_span_prev=shift.span_before if shift else 0,
        shift_n=s_now,
        shift_n_prev=s_before,
        shift_median=gated(_f(shift.now, "median"), s_now, MEDIAN_MIN_N) if shift else None,
        shift_median_prev=gated(_f(shift.before, "median"), s_before, MEDIAN_MIN_N)
        if shift
        else None,
    )


def top_categories(
    categories: Sequence[GroupRow], untied_by_category: pl.DataFrame, top_n: int
) -> list[PayRank]:
    """Highest-paying role categories: those whose median is published (the group table's
    gate, n >= MEDIAN_MIN_N), by that median, highest first; each with the Bonett–Price CI of
    its median on tie-corrected pay (``untied_plan`` by category, null category ``Other``)."""
    est = {str(r["category"]): r for r in untied_by_category.iter_rows(named=True)}
    ranked = sorted(
        (c for c in categories if c.median_pay is not None),
        key=lambda c: (-(c.median_pay or 0), -c.n_pay, c.name),
    )
    out = []
    for c in ranked[:top_n]:
        e = estimate(est.get(c.name, {}))
        ci = e.interval() if e else None
        out.append(
            PayRank(
                name=c.name,
                median=float(c.median_pay or 0),
                n=c.n_pay,
                open=c.open,
                ci_low=ci.low if ci else None,
                ci_high=ci.high if ci else None,
            )
        )
    return out
