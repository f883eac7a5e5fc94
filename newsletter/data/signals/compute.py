"""Compute the signals of one week (pure): plan every figure lazily, collect once, assemble.

Inputs are the week's snapshot, the previous one and up to ~12 older ones (only the columns
the methods need). Every figure is a lazy polars plan; ``pl.collect_all`` runs them together
so shared scans and joins are computed once, then small Python builders gate the values and
fill the typed contract (:mod:`newsletter.data.signals.models`). See docs/signals.md.

Which comparison the moves use depends on the history loaded: rising/falling skills compare
this week's new postings with those of up to 4 earlier weeks once 3 snapshots exist, else
with this week's removed postings (two snapshots); the pay shift compares 4-week windows of
new postings once 5 weeks of them exist, else this week's new with this week's removed. The
flow comparisons run after the drop warnings are known, so that postings of a source or
company that lost over half of them at once are left out of both sides.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import wraps
from typing import Any, ParamSpec

import polars as pl

from newsletter.data.signals import companies as co
from newsletter.data.signals import diff
from newsletter.data.signals import groups as gr
from newsletter.data.signals import health as hl
from newsletter.data.signals import pay as py
from newsletter.data.signals import skills as sk
from newsletter.data.signals.diff import WeekFrame
from newsletter.data.signals.gates import (
    MEDIAN_MIN_N,
    METRO_MIN_OPEN,
    PAY_RANGE_MIN_N,
    PCT_CHANGE_MIN_BASE,
    REMOTE_SHARE_MIN_N,
    REMOTE_UNKNOWN_MAX_MOVE,
    RR_MIN_DISPERSION_WEEKS,
    SHIFT_WINDOW_WEEKS,
    SKILL_BACKGROUND_WEEKS,
    SKILL_BASELINE_WEEKS,
    SKILL_PRIOR_A0,
    SPOTLIGHT_MIN_OPEN,
    gated,
    pct_change,
)
from newsletter.data.signals.models import (
    HealthWarning,
    Method,
    MovesTest,
    Share,
    Signals,
    Skills,
    Spotlight,
    Totals,
    TrendPoint,
)
from newsletter.data.signals.moves import joint_test, verdicts
from newsletter.data.signals.stats import new_rate_ratio, wilson
from newsletter.data.snapshots import SENIORITY_LEVELS
from newsletter.models import SourceKind
from newsletter.util.weeks import weeks_between

Frame = pl.DataFrame | pl.LazyFrame
P = ParamSpec("P")


ARRIVAL_COLUMNS = ("skills", *py.WINDOW_COLUMNS)


def _clean(frames: Sequence[Frame]) -> list[tuple[pl.DataFrame, dict[str, int]]]:
    """Each frame in memory without null or repeated ids, and its id counts for data health.
    The frames are read at once (this week's and the previous snapshot: two files, two cores)."""
    dfs = pl.collect_all([f.lazy() for f in frames])
    out = []
    for df in dfs:
        ids = hl.id_counts(df)
        clean = ids["missing"] == 0 and ids["distinct"] == ids["rows"]
        out.append((df if clean else diff.dedupe(df.lazy()).collect(), ids))
    return out


def _index(key: str) -> int:
    return int(key[3:])


def _remote_plan(frame: pl.LazyFrame) -> pl.LazyFrame:
    known = gr.known_mode()
    remote = pl.col("remote").fill_null(False)
    return frame.select(
        pl.len().alias("n"),
        remote.sum().alias("remote"),
        known.sum().alias("known"),
        (remote & known).sum().alias("remote_known"),
    )


def _remote_of_known() -> pl.Expr:
    """Remote postings / postings whose work mode is known (null when none is known)."""
    known = gr.known_mode()
    remote = pl.col("remote").fill_null(False) & known
    return pl.when(known.any()).then(remote.sum() / known.sum())


def _history_plan(frame: pl.LazyFrame) -> pl.LazyFrame:
    return frame.select(
        pl.len().alias("open"),
        py.USD_PAY.count().alias("n_pay"),
        py.USD_PAY.quantile(0.5, interpolation="linear").alias("median"),
        _remote_of_known().alias("remote_share"),
    )


class _Plans:
    """Named lazy plans, collected together with ``pl.collect_all``."""

    def __init__(self) -> None:
        self._names: list[str] = []
        self._plans: list[pl.LazyFrame] = []

    def add(self, name: str, plan: pl.LazyFrame) -> None:
        self._names.append(name)
        self._plans.append(plan)

    def collect(self) -> dict[str, pl.DataFrame]:
        return dict(zip(self._names, pl.collect_all(self._plans), strict=True))


def _of_known(counts: Mapping[str, Any] | None) -> float | None:
    """Remote share of the postings with a known work mode (counts of :func:`_remote_plan`)."""
    return counts["remote_known"] / counts["known"] if counts and counts["known"] else None


def _unknown(counts: Mapping[str, Any] | None) -> float | None:
    """Share of the postings whose work mode is unknown."""
    return 1 - counts["known"] / counts["n"] if counts and counts["n"] else None


def _known_change(now: Mapping[str, Any], before: Mapping[str, Any] | None) -> float | None:
    """The week's change in the remote share of known postings, unless the unknown share
    moved by more than REMOTE_UNKNOWN_MAX_MOVE or either side has fewer than
    REMOTE_SHARE_MIN_N postings with a known work mode (see :func:`_known_change_withheld`)."""
    share, share_prev = _of_known(now), _of_known(before)
    gone, gone_prev = _unknown(now), _unknown(before)
    if share is None or share_prev is None or gone is None or gone_prev is None or before is None:
        return None
    if min(now["known"], before["known"]) < REMOTE_SHARE_MIN_N:
        return None
    return share - share_prev if abs(gone - gone_prev) <= REMOTE_UNKNOWN_MAX_MOVE else None


def _known_change_withheld(now: Mapping[str, Any], before: Mapping[str, Any] | None) -> list[str]:
    """The ``data_health.suppressed`` line of a remote-share change held back for its sample."""
    if before is None or min(now["known"], before["known"]) >= REMOTE_SHARE_MIN_N:
        return []
    return [
        f"remote.known_change: n={now['known']} vs {before['known']} postings with a known "
        f"work mode < {REMOTE_SHARE_MIN_N}"
    ]


def _row(frame: pl.DataFrame) -> dict[str, Any]:
    return frame.row(0, named=True) if frame.height else {}


def _trend_point(remote: pl.DataFrame, level: pl.DataFrame) -> dict[str, Any]:
    """A loaded week's trend point (the row :func:`_history_plan` makes of an older week)
    from its :func:`_remote_plan` and pay levels, which count the same: two plans fewer."""
    rm, lv = _row(remote), _row(level)
    return {
        "open": rm["n"],
        "n_pay": lv["n"],
        "median": lv["median"],
        "remote_share": _of_known(rm),
    }


@dataclass(frozen=True, slots=True)
class _Flows:
    """Stage 0 and 1: the weeks, their trend points so far, and the flows between them."""

    weeks: list[WeekFrame]  # older weeks, previous, this week (oldest first)
    hist: list[dict[str, Any]]  # trend points of the older weeks
    new: pl.LazyFrame  # this week's new postings (all columns)
    removed: pl.LazyFrame  # this week's removed postings (all columns)
    # new postings the moves compare: [this week, last week, ...] (<= 12 weeks), without
    # those back after a gap (ids open in an older snapshot: not new roles)
    arrivals: list[pl.LazyFrame]
    earlier_new: list[int]  # new postings of the earlier weeks, latest first (all of them)
    flagged: pl.LazyFrame  # id, fingerprint, reposted, returned of this week's new postings
    # postings open in both weeks, each at one company in both (else None): diff.Flows
    continuing: pl.LazyFrame | None


def _flows(
    cur_df: pl.DataFrame,
    prev_df: pl.DataFrame | None,
    *,
    week: date,
    previous_week: date | None,
    history: Sequence[WeekFrame],
) -> _Flows:
    cur = cur_df.lazy()
    prev = prev_df.lazy() if prev_df is not None else None
    weeks = [WeekFrame(h.week, diff.dedupe(h.frame)) for h in history]
    # Stage 0: ids and fingerprints of older weeks (joined in memory below) and their trend
    # points, from one read of each older snapshot.
    stage0 = pl.collect_all(
        [w.frame.select(diff.ID, diff.FP) for w in weeks] + [_history_plan(w.frame) for w in weeks]
    )
    keys = [k.lazy() for k in stage0[: len(weeks)]]
    hist = [_row(h) for h in stage0[len(weeks) :]]
    if prev is not None and previous_week is not None:
        weeks.append(WeekFrame(previous_week, prev))
        keys.append(prev.select(diff.ID, diff.FP))
    weeks.append(WeekFrame(week, cur))
    keys.append(cur.select(diff.ID, diff.FP))

    # Stage 1: the joins (flows between consecutive weeks), each computed once.
    plans = _Plans()
    if prev is not None:
        plans.add("pairs", diff.matches(cur, prev))
    last = len(weeks) - 1  # index of this week; pairs (i - 1, i) for the older flows
    for i in range(1, last if prev is not None else 0):
        if last - i < SKILL_BACKGROUND_WEEKS:
            arrived = diff.added(weeks[i].frame, keys[i - 1])
            plans.add(f"arr{i}", arrived.select(diff.ID, *ARRIVAL_COLUMNS))
        if last - i < diff.REPOST_WINDOW_WEEKS:
            plans.add(f"gone{i}", diff.removed(keys[i], keys[i - 1]).select(diff.ID, diff.FP))
    if last >= 2:
        plans.add("older", pl.concat([k.select(diff.ID) for k in keys[:-2]]).unique())
    f1 = plans.collect()
    new, rem, continuing = cur.limit(0), cur.limit(0), None
    if prev_df is not None:
        flows = diff.split(cur_df, prev_df, f1.pop("pairs"), co.KEY)
        new, rem = flows.new.lazy(), flows.removed.lazy()
        continuing = flows.continuing.lazy() if flows.continuing is not None else None
    arr_keys = sorted((k for k in f1 if k.startswith("arr")), key=_index, reverse=True)
    earlier = [f1[k].height for k in arr_keys]
    # an earlier week's new postings removed the week before it came back after a gap (the
    # previous week's removals: loaded for the repost window, no join of a whole week more)
    older_arrivals = [
        diff.without(f1[k].lazy(), f1.get(f"gone{_index(k) - 1}")).select(ARRIVAL_COLUMNS)
        for k in arr_keys
    ]
    gone = [f1[k].lazy().select(diff.FP) for k in f1 if k.startswith("gone")]
    fps = pl.concat([rem.select(diff.FP), *gone]).drop_nulls().unique()
    older = f1["older"].lazy() if "older" in f1 else None
    # collected once: the totals, the warnings, the moves' arrivals and the picks read it
    flagged = diff.flag_reposts(new.select(diff.ID, diff.FP, "source"), fps, older).collect()
    back = flagged.filter("returned").select(diff.ID) if older is not None else None
    arrivals = ([diff.without(new, back)] if prev is not None else []) + older_arrivals
    return _Flows(weeks, hist, new, rem, arrivals, earlier, flagged.lazy(), continuing)


def _new_rate_ratio(
    n_new: int, earlier_all: list[int], suppressed: list[str], gap: int = 1
) -> dict[str, Any]:
    """Totals fields of the new-postings rate ratio (:func:`stats.new_rate_ratio`); none
    when the previous snapshot is ``gap`` > 1 weeks old (this "week's" new postings are then
    several weeks' worth)."""
    earlier = earlier_all[:SKILL_BASELINE_WEEKS]
    out: dict[str, Any] = {
        "new_avg_4w": sum(earlier) / len(earlier) if earlier else None,
        "new_avg_weeks": len(earlier),
    }
    if not earlier:
        return out
    if gap > 1:
        suppressed.append(
            f"totals.new_rate_ratio: the previous snapshot is {gap} weeks old, so the new "
            "postings are not one week's"
        )
        return out
    mean = sum(earlier) / len(earlier)
    if min(n_new, mean) < PCT_CHANGE_MIN_BASE:
        suppressed.append(
            f"totals.new_rate_ratio: new={n_new}, earlier mean={mean:.0f} "
            f"(both must be >= {PCT_CHANGE_MIN_BASE})"
        )
        return out
    call = new_rate_ratio(
        n_new,
        earlier_all,
        baseline_weeks=SKILL_BASELINE_WEEKS,
        min_weeks=RR_MIN_DISPERSION_WEEKS,
    )
    if call is None:  # pragma: no cover - counts are >= 20 here
        return out
    out["new_rate_ratio"] = call.estimate
    if call.interval is None:
        suppressed.append(
            f"totals.new_rr_ci_low/high: needs new postings of {RR_MIN_DISPERSION_WEEKS} "
            f"earlier weeks to estimate their week-to-week variation (have {call.weeks})"
        )
        return out
    return out | {
        "new_rr_ci_low": call.interval.low,
        "new_rr_ci_high": call.interval.high,
        "new_rr_dispersion": call.dispersion,
        "new_rr_dispersion_weeks": call.weeks,
    }


def _totals(
    *,
    hist: Sequence[Mapping[str, Any]],
    has_prev: bool,
    flows: Mapping[str, Any],
    n_removed: int,
    n_aged_out: int,
    earlier_new: list[int],
    removed_in_drops: int,
    gap: int,
    suppressed: list[str],
) -> Totals:
    n_open = int(hist[-1]["open"])
    n_prev = int(hist[-2]["open"]) if has_prev else None
    n_new = int(flows.get("new") or 0)
    reposted = int(flows.get("reposted") or 0)
    change = pct_change(n_open, n_prev)
    if n_prev is not None and change is None:
        suppressed.append(
            f"totals.change_pct: open={n_open}, open_prev={n_prev} "
            f"(both must be >= {PCT_CHANGE_MIN_BASE})"
        )
    last4 = [int(h["open"]) for h in hist[-4:]]
    return Totals(
        open=n_open,
        open_prev=n_prev,
        new=n_new,
        removed=n_removed,
        removed_aged_out=n_aged_out,
        reposted=reposted,
        returned=int(flows.get("returned") or 0),
        continuing=n_open - n_new,
        new_excluding_reposts=n_new - reposted,
        removed_in_drops=removed_in_drops,
        net_change=n_open - n_prev if n_prev is not None else None,
        change_pct=change,
        open_avg_4w=sum(last4) / 4 if len(last4) == 4 else None,
        **_new_rate_ratio(n_new, earlier_new, suppressed, gap),
    )


def _outside_drops(frame: pl.LazyFrame, warnings: list[HealthWarning]) -> pl.LazyFrame:
    hit = hl.in_drops(warnings)
    return frame if hit is None else frame.filter(~hit)


@dataclass(frozen=True, slots=True)
class _Sides:
    """The two samples a short- or long-history comparison uses, and how it is named."""

    method: Method
    now: pl.LazyFrame
    before: pl.LazyFrame
    weeks_now: int
    weeks_before: int
    span_now: int = 1  # calendar weeks each side's postings cover (more with weeks missing)
    span_before: int = 1


def _flow_stage(
    fl: _Flows,
    *,
    has_prev: bool,
    warnings: list[HealthWarning],
    skills_short: bool,
    extra: Mapping[str, pl.LazyFrame],
) -> tuple[_Sides | None, dict[str, pl.DataFrame]]:
    """Stage 3: the pay-shift samples and, with two snapshots, the new-vs-removed skill
    counts; collected together once the drop warnings are known (with the ``extra`` plans:
    the spotlight company's profile)."""
    now_w = fl.arrivals[:SHIFT_WINDOW_WEEKS]
    before_w = fl.arrivals[SHIFT_WINDOW_WEEKS : 2 * SHIFT_WINDOW_WEEKS]
    plans = _Plans()
    for name, plan in extra.items():
        plans.add(name, plan)
    sides: _Sides | None = None
    if len(now_w) == SHIFT_WINDOW_WEEKS and before_w:
        # arrivals[j] are the new postings of fl.weeks[-1 - j], since the snapshot before it
        ends = [fl.weeks[-1 - k].week for k in (0, len(now_w), len(now_w) + len(before_w))]
        sides = _Sides(
            "new-vs-earlier-new",
            py.window(now_w),
            py.window(before_w),
            len(now_w),
            len(before_w),
            weeks_between(ends[0], ends[1]),
            weeks_between(ends[1], ends[2]),
        )
    elif has_prev:
        # this week's new postings without those back after a gap (fl.arrivals[0])
        new, rem = _outside_drops(fl.arrivals[0], warnings), _outside_drops(fl.removed, warnings)
        sides = _Sides(
            "new-vs-removed",
            new.select(py.WINDOW_COLUMNS),
            rem.select(py.WINDOW_COLUMNS),
            1,
            1,
        )
        plans.add("kept", pl.concat([new.select(pl.len()), rem.select(pl.len())]))
        if skills_short:
            counts, sizes = sk.arrival_plans([new, rem])
            plans.add("ar_counts", counts)
            plans.add("ar_sizes", sizes)
    if sides is not None:
        cat = pl.col("category").fill_null("Other")
        plans.add("shift_now", py.untied_plan(sides.now))
        plans.add("shift_before", py.untied_plan(sides.before))
        plans.add("cat_now", py.untied_plan(sides.now.with_columns(cat), ["category"]))
        plans.add("cat_before", py.untied_plan(sides.before.with_columns(cat), ["category"]))
        for kind in py.CELLS:
            plans.add(f"cells:{kind}", py.like_for_like_plan(sides.now, sides.before, kind))
    return sides, plans.collect()


@dataclass(frozen=True, slots=True)
class _SkillSides:
    """Which comparison rising/falling use this week, and its tests (None: no comparison)."""

    method: Method
    weeks: list[date]
    baseline_weeks: int
    tests: sk.SkillTests | None
    baseline_span: int = 0  # calendar weeks the baseline's new postings cover


def _skill_tests(
    r: Mapping[str, pl.DataFrame],
    r3: Mapping[str, pl.DataFrame],
    *,
    weeks: Sequence[WeekFrame],
    n_arrivals: int,
) -> _SkillSides:
    """The skill tests by the comparison the loaded history allows."""
    baseline = min(SKILL_BASELINE_WEEKS, n_arrivals - 1)
    if baseline >= 1:
        counts, sizes = r["arr_counts"], r["arr_sizes"]
        used = [w.week for w in weeks[-1 - baseline :]]
        tests = sk.skill_tests(counts, sizes, baseline_weeks=baseline)
        # the new postings of weeks[-1 - baseline : -1], each since the snapshot before it
        span = weeks_between(weeks[-2].week, weeks[-2 - baseline].week)
        return _SkillSides("new-vs-earlier-new", used, baseline, tests, span)
    if "ar_counts" in r3:
        tests = sk.skill_tests(r3["ar_counts"], r3["ar_sizes"], baseline_weeks=1)
        return _SkillSides("new-vs-removed", [w.week for w in weeks[-2:]], 1, tests, 1)
    return _SkillSides("none", [], 0, None)


def _skills(
    r: Mapping[str, pl.DataFrame],
    sides: _SkillSides,
    moves: MovesTest,
    *,
    n_arrivals: int,
    n_open: int,
    n_prev: int | None,
    top_n: int,
    excluded: int,
    suppressed: list[str],
    held: set[str],
) -> Skills:
    """Top skills, and the rising/falling ones the joint test of the week's moves lists."""
    counts_prev = r.get("skills_prev")
    top = sk.build_top(r["skills"], counts_prev, n_open, n_prev, top_n)
    tied = sk.top_tied(r["skills"], top, top_n)
    stock = {s: k / n_open for s, k in r["skills"].iter_rows()} if n_open else {}
    stock_prev = (
        {s: k / n_prev for s, k in counts_prev.iter_rows()}
        if counts_prev is not None and n_prev
        else {}
    )
    tests, method = sides.tests, sides.method
    if tests is None:
        suppressed.append("skills.rising/falling: needs two snapshots")
        return Skills(top=top, top_tied=tied, n_open=n_open)
    mv = sk.build_moves(
        tests,
        verdicts(moves, "skill"),
        stock_share=stock,
        stock_share_prev=stock_prev,
        top_n=top_n,
    )
    if method == "new-vs-removed" and not tests.n_baseline:
        suppressed.append(
            "skills.rising/falling: no removed postings to compare this week's new ones with"
        )
    return Skills(
        top=top,
        top_tied=tied,
        rising=mv.rising,
        falling=mv.falling,
        rising_past=mv.rising_past,
        falling_past=mv.falling_past,
        tested=len(tests.tests),
        method=method,
        weeks=sides.weeks,
        excluded_in_drops=excluded if method == "new-vs-removed" else 0,
        held=sorted(held),
        n_open=n_open,
        n_new=tests.n_new,
        n_baseline=tests.n_baseline,
        baseline_weeks=sides.baseline_weeks,
        baseline_span_weeks=sides.baseline_span,
        background_weeks=n_arrivals if method == "new-vs-earlier-new" else 1,
        prior=tests.prior
        if method == "new-vs-earlier-new"
        else f"a0={SKILL_PRIOR_A0:g} at the rate of this week's new and removed postings pooled",
    )


def _companies_in_drops(removed: pl.DataFrame, warnings: list[HealthWarning]) -> set[str]:
    """Companies with a removed posting covered by a drop warning (never the spotlight)."""
    hit = hl.in_drops(warnings)
    if hit is None or removed.is_empty():
        return set()
    return {str(c) for c in removed.filter(hit)["company"].drop_nulls().unique()}


def _spotlight_withheld(
    spot: Spotlight | None, *, has_prev: bool, window: bool = False
) -> list[str]:
    """``data_health.suppressed`` lines of the company spotlight (``window``: companies of a
    feed whose open window is filling were left out)."""
    if spot is None:
        why = (
            f"no company with >= {SPOTLIGHT_MIN_OPEN} open postings moved past the mover gate"
            + (" (companies of a feed whose open window is filling are left out)" if window else "")
            if has_prev
            else "needs two snapshots"
        )
        return [f"company_detail.spotlight: {why}"]
    out = []
    if spot.pay_low is None:
        out.append(f"company_detail.spotlight.pay_low/high: n_pay={spot.n_pay} < {PAY_RANGE_MIN_N}")
    if spot.median_pay is None:
        out.append(f"company_detail.spotlight.median_pay: n_pay={spot.n_pay} < {MEDIAN_MIN_N}")
    return out


@dataclass(frozen=True, slots=True)
class WeekResult:
    """The signals of a week, and its new postings for the readers' picks."""

    signals: Signals
    #: This week's new postings (every snapshot column) with the flags ``reposted`` (a role
    #: removed within the repost window) and ``returned`` (an id open in an older snapshot).
    arrivals: pl.LazyFrame


def compute_week(
    current: Frame,
    previous: Frame | None,
    *,
    week: date,
    previous_week: date | None,
    top_n: int = 10,
    history: Sequence[WeekFrame] = (),
    ingest_report: Mapping[str, Any] | None = None,
    source_kinds: Mapping[str, SourceKind] | None = None,
    open_window_days: int | None = None,
    feed_deliveries: Mapping[str, tuple[int, int]] | None = None,
) -> WeekResult:
    """All signals for ``week`` compared with ``previous_week``, and the week's new postings.

    ``history`` holds older snapshots (oldest first, before ``previous_week``); it feeds the
    4-week averages, the repost window, the new-posting windows of pay shifts and skill trends.
    ``ingest_report`` is the week's ingest report (see ``snapshots.report_path``), if any.
    ``source_kinds`` names the kind of each source (default ``stock``); the frames of a ``new``
    feed must already hold its open stock (the pipeline builds it from ``open_window_days``);
    ``feed_deliveries`` gives, per feed, the weekly deliveries its window holds this week and
    last week (a ``feed_window`` warning when they differ).
    """
    kinds: dict[str, SourceKind] = dict(source_kinds or {})
    feeds = frozenset(s for s, k in kinds.items() if k == "new")
    cleaned = _clean([current] if previous is None else [current, previous])
    ids = cleaned[0][1]
    spelt = co.one_spelling([df for df, _ in cleaned])
    cur_df = spelt[0]
    prev_df = spelt[1] if previous is not None else None
    cur = cur_df.lazy()
    prev = prev_df.lazy() if prev_df is not None else None
    fl = _flows(cur_df, prev_df, week=week, previous_week=previous_week, history=history)
    weeks, hist, new, rem, arrivals = fl.weeks, fl.hist, fl.new, fl.removed, fl.arrivals

    p = _Plans()
    p.add("remote", _remote_plan(cur))
    p.add("level", py.levels_plan(cur))
    p.add("level_untied", py.untied_plan(cur))
    other = pl.col("category").fill_null("Other")
    p.add("level_categories", py.untied_plan(cur.with_columns(other), ["category"]))
    p.add("remote_seniority", gr.remote_plan(cur, "seniority", gr.UNKNOWN))
    p.add("remote_category", gr.remote_plan(cur, "category", "Other"))
    p.add("disclosure", py.disclosure_plan(cur))
    p.add("apart", py.apart_plan(cur, new))
    p.add("composition", hl.composition_plan(cur))
    p.add(
        "flows",
        fl.flagged.select(
            pl.len().alias("new"),
            pl.col("reposted").sum().alias("reposted"),
            pl.col("returned").sum().alias("returned"),
        ),
    )
    # A feed's posting seen again after ageing out is no sign of a scrape gap: no warning.
    if feeds:  # else the flows' count serves (one join of the flagged postings fewer)
        returned_stock = hl.of_kind(fl.flagged, feeds, feed=False)
        p.add("returned_stock", returned_stock.select(pl.col("returned").sum()))
    p.add("removed", rem.select("source", "company"))
    p.add("aged_out", hl.of_kind(rem, feeds, feed=True).select(pl.len()))
    for key, null_label in (("category", "Other"), ("seniority", gr.UNKNOWN)):
        p.add(key, gr.group_plan(cur, prev, new, rem, key, null_label=null_label))
    # S13: remote postings are left out of the metro table, also those that name a city too
    # ("Palo Alto, CA; Remote in USA"): the email says the table excludes remote roles
    on_site = ~pl.col("remote").fill_null(False)
    p.add(
        "metro",
        gr.group_plan(
            cur.filter(on_site),
            prev.filter(on_site) if prev is not None else None,
            new.filter(on_site),
            rem.filter(on_site),
            "metro",
            null_label=None,
        ),
    )
    p.add("companies", co.company_plan(cur, prev, new, rem, continuing=fl.continuing))
    p.add("skill_companies", sk.company_share_plan(new))
    # Drop warnings look at stock sources only: a feed's removals are postings ageing out.
    stock = [hl.of_kind(f, feeds, feed=False) for f in (cur, new, rem)]
    stock_prev = hl.of_kind(prev, feeds, feed=False) if prev is not None else None
    p.add(
        "sources", gr.group_plan(stock[0], stock_prev, stock[1], stock[2], "source", with_pay=False)
    )
    if feeds:  # else the companies table serves the warnings too
        p.add("drop_companies", co.company_plan(stock[0], stock_prev, stock[1], stock[2]))
    both = [cur, prev] if prev is not None else [cur]
    p.add("source_names", pl.concat([f.select("source") for f in both]).unique())
    p.add("skills", sk.stock_counts_plan(cur))
    filling = {k: v for k, v in (feed_deliveries or {}).items() if v[0] != v[1]}
    if filling and prev is not None:
        for key, f in (("feed_open", cur), ("feed_open_prev", prev)):
            p.add(key, hl.of_kind(f, frozenset(filling), feed=True).group_by("source").len())
        # their companies grow by a whole delivery with nothing ageing out: never the spotlight
        p.add("window_companies", hl.of_kind(new, frozenset(filling), feed=True).select("company"))
    if prev is not None:
        p.add("remote_prev", _remote_plan(prev))
        p.add("level_prev", py.levels_plan(prev))
        p.add("skills_prev", sk.stock_counts_plan(prev))
    if arrivals:
        counts, sizes = sk.arrival_plans(arrivals)
        p.add("arr_counts", counts)
        p.add("arr_sizes", sizes)
    r = p.collect()

    suppressed: list[str] = []
    # the trend points of this week and the previous one (older ones came with stage 0)
    own = [_trend_point(r["remote"], r["level"])]
    if len(weeks) - len(hist) == 2:
        own.insert(0, _trend_point(r["remote_prev"], r["level_prev"]))
    hist += own
    n_open = int(hist[-1]["open"])
    n_prev = int(hist[-2]["open"]) if prev is not None else None

    # Totals
    flows = _row(r["flows"])
    returned = int((r["returned_stock"].item() if feeds else flows.get("returned")) or 0)
    n_new, n_rem = int(flows.get("new") or 0), len(r["removed"])
    since = previous_week if prev is not None else None  # the snapshot compared with
    warnings = (
        hl.drop_warnings(r["sources"], "source_drop", "Source")
        + hl.drop_warnings(r.get("drop_companies", r["companies"]), "company_drop", "Company")
        + hl.returned_warning(returned, n_new, n_rem, n_open, n_prev)
        + hl.collect_warnings(ingest_report)
        + hl.gap_warning(week, since, n_open, n_prev)
        + hl.concentration_warning(r["companies"], n_new)
    )
    if "feed_open" in r:
        warnings += hl.window_warnings(
            filling,
            {str(k): int(v) for k, v in r["feed_open"].iter_rows()},
            {str(k): int(v) for k, v in r["feed_open_prev"].iter_rows()},
            open_window_days,
        )
    totals = _totals(
        hist=hist,
        has_prev=prev is not None,
        flows=flows,
        n_removed=n_rem,
        n_aged_out=int(r["aged_out"].item()),
        earlier_new=fl.earlier_new,
        gap=hl.gap_weeks(week, since),
        removed_in_drops=hl.removed_in_drops(r["removed"], warnings),
        suppressed=suppressed,
    )

    # Stage 3: the flow comparisons (pay shift; skills from two snapshots), and the profile
    # of the spotlight company (chosen now that the drop warnings are known)
    in_window = (
        {str(c) for c in r["window_companies"]["company"].drop_nulls().unique()}
        if "window_companies" in r
        else set()
    )
    spot_row = (
        co.spotlight_company(
            r["companies"],
            _companies_in_drops(r["removed"], warnings) | hl.newly_covered(warnings) | in_window,
        )
        if prev is not None
        else None
    )
    baseline = min(SKILL_BASELINE_WEEKS, len(arrivals) - 1)
    sides, r3 = _flow_stage(
        fl,
        has_prev=prev is not None,
        warnings=warnings,
        skills_short=baseline < 1,
        extra=co.spotlight_plans(cur, str(spot_row["name"])) if spot_row else {},
    )
    excluded = n_new + n_rem - int(r3["kept"]["len"].sum()) if "kept" in r3 else 0

    # Pay
    disclosure = {k: int(v) for k, v in _row(r["disclosure"]).items()}
    shift = (
        py.ShiftRows(
            method=sides.method,
            now=_row(r3["shift_now"]),
            before=_row(r3["shift_before"]),
            weeks_now=sides.weeks_now,
            weeks_before=sides.weeks_before,
            span_now=sides.span_now,
            span_before=sides.span_before,
            categories_now=r3["cat_now"],
            categories_before=r3["cat_before"],
            cells={k: r3[f"cells:{k}"] for k in py.CELLS},
            excluded=excluded,
        )
        if sides is not None
        else None
    )
    # The week's candidate moves (skills, overall and category pay shifts), tested together
    skill_sides = _skill_tests(r, r3, weeks=weeks, n_arrivals=len(arrivals))
    shift_tests = py.shift_tests(shift)
    held: set[str] = set()
    if skill_sides.tests:
        top_new = max(r["companies"]["new"].to_list(), default=0)
        held, why = sk.one_company_skills(
            skill_sides.tests, r["skill_companies"], top_new / n_new if n_new else 0.0
        )
        if held:
            suppressed.append(f"skills.rising/falling: {', '.join(sorted(held))} ({why})")
    moves = joint_test(
        (sk.candidates(skill_sides.tests, held) if skill_sides.tests else [])
        + py.candidates(shift_tests)
    )
    pay = py.build_pay(
        _row(r["level"]),
        _row(r["level_prev"]) if prev is not None else None,
        level_untied=_row(r["level_untied"]),
        disclosure=disclosure,
        shift=shift,
        tests=shift_tests,
        moves=moves,
        unavailable="needs two snapshots",
        suppressed=suppressed,
        apart=r["apart"],
    )

    # Remote
    rm = _row(r["remote"])
    rm_prev = _row(r["remote_prev"]) if prev is not None else None
    ci = wilson(int(rm["remote"]), int(rm["n"]))
    share = rm["remote"] / rm["n"] if rm["n"] else None
    known = _of_known(rm)
    remote = Share(
        share=share,
        share_prev=rm_prev["remote"] / rm_prev["n"] if rm_prev and rm_prev["n"] else None,
        n=int(rm["n"]),
        n_prev=int(rm_prev["n"]) if rm_prev else None,
        n_known=int(rm["known"]),
        n_known_prev=int(rm_prev["known"]) if rm_prev else None,
        ci_low=ci[0] if ci else None,
        ci_high=ci[1] if ci else None,
        share_of_known=known,
        unknown_share=_unknown(rm),
        share_of_known_prev=_of_known(rm_prev),
        unknown_share_prev=_unknown(rm_prev),
        known_change=_known_change(rm, rm_prev),
        by_seniority=gr.remote_rows(r["remote_seniority"], known, order=SENIORITY_LEVELS),
        by_category=gr.remote_rows(r["remote_category"], known),
    )
    suppressed.extend(_known_change_withheld(rm, rm_prev))
    suppressed.extend(gr.remote_withheld("remote.by_seniority", remote.by_seniority))
    suppressed.extend(gr.remote_withheld("remote.by_category", remote.by_category))

    # Groups and companies
    seniority = gr.group_rows(r["seniority"], n_open, n_prev, order=SENIORITY_LEVELS)
    categories = gr.group_rows(r["category"], n_open, n_prev)
    metros = gr.group_rows(r["metro"], n_open, n_prev, min_open=METRO_MIN_OPEN)
    # metros open this week but under the gate (not last week's, now at 0)
    hidden = r["metro"].filter((pl.col("open") > 0) & (pl.col("open") < METRO_MIN_OPEN)).height
    if hidden:
        suppressed.append(f"metros: {hidden} metro(s) with fewer than {METRO_MIN_OPEN} open")
    for label, table in (
        ("seniority", seniority),
        ("categories", categories),
        ("metros", metros),
    ):
        suppressed.extend(gr.withheld(label, table))
    pay = pay.model_copy(
        update={"top_categories": py.top_categories(categories, r["level_categories"], top_n)}
    )
    spotlight = co.build_spotlight(spot_row, r3) if spot_row else None
    suppressed.extend(
        _spotlight_withheld(spotlight, has_prev=prev is not None, window=bool(in_window))
    )
    companies = co.build_companies(r["companies"], top_n, spotlight)

    skills = _skills(
        r,
        skill_sides,
        moves,
        n_arrivals=len(arrivals),
        n_open=n_open,
        n_prev=n_prev,
        top_n=top_n,
        excluded=excluded,
        suppressed=suppressed,
        held=held,
    )

    # History and health
    points = [
        TrendPoint(
            week=w.week,
            open=int(h["open"]),
            median_pay=gated(h["median"], int(h["n_pay"]), MEDIAN_MIN_N),
            n_pay=int(h["n_pay"]),
            remote_share=h["remote_share"],
        )
        for w, h in zip(weeks, hist, strict=True)
    ]
    thin = [p.week.isoformat() for p in points if p.median_pay is None]
    if thin:
        suppressed.append(
            f"history.median_pay: {len(thin)} week(s) with n < {MEDIAN_MIN_N} ({', '.join(thin)})"
        )
    present = {str(s or gr.UNKNOWN) for s in r["source_names"]["source"]}
    rows = disclosure["rows"]
    health = hl.build_health(
        rows=n_open,
        rows_prev=n_prev,
        ids=ids,
        composition=_row(r["composition"]),
        flows={
            "new": n_new,
            "removed": n_rem,
            "continuing": totals.continuing,
            "reposted": totals.reposted,
        },
        non_usd=disclosure["non_usd"] / rows if rows else None,
        report=ingest_report,
        warnings=warnings,
        suppressed=suppressed,
        source_kinds={s: kinds.get(s, "stock") for s in sorted(present)},
        open_window_days=open_window_days if feeds & present else None,
        # one listing on two boards keeps both ids: counted (a week of one source: no cost)
        cross_source=int(hl.cross_source_plan(cur).collect().item() or 0)
        if len(present) > 1
        else None,
    )
    signals = Signals(
        week=week,
        previous_week=previous_week,
        totals=totals,
        pay=pay,
        remote=remote,
        seniority=seniority,
        categories=categories,
        metros=metros,
        companies=companies.top,
        company_detail=companies,
        skills=skills,
        moves=moves,
        history=points,
        data_health=health,
    )
    flags = fl.flagged.select(diff.ID, "reposted", "returned")
    return WeekResult(signals, new.join(flags, on=diff.ID, how="left"))


def _signals_only(compute: Callable[P, WeekResult]) -> Callable[P, Signals]:
    @wraps(compute)
    def signals_of(*args: P.args, **kwargs: P.kwargs) -> Signals:
        return compute(*args, **kwargs).signals

    return signals_of


#: All signals for ``week`` compared with ``previous_week``: :func:`compute_week` without the
#: new postings (same arguments).
compute_signals = _signals_only(compute_week)
