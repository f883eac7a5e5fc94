"""Skills: top skills by share of open postings, and rising/falling skills (S9, S10).

Rising and falling compare **new postings this week** (``A_t``) with **new postings of the
previous up to 4 weeks** (``A_{t-4..t-1}``): disjoint, independent samples (two stocks share
~90% of their postings, so a test between stocks is degenerate; signals guide §1). The
statistic is the Monroe–Colaresi–Quinn log-odds z with a Beta prior at the skill's
background rate over up to 12 weeks of new postings (``a0 = 100``; per skill empirical-Bayes
``a0`` once 8 weeks exist). With two snapshots only, the baseline is this week's removed
postings (docs/signals.md). A skill is listed only when it passes every gate of guide §3.3:
support, share change, lift and the within-role CMH check, and the joint test of the week's
moves (:mod:`newsletter.data.signals.moves`: Benjamini–Hochberg at q = 0.05 over every skill
tested and the pay shifts).

Deviation from the guide: it accepts ``|z| >= 2.58`` *or* a BH pass. In a null simulation
(50 skills, 500 new postings a week, tests/test_signals_skills.py) that rule listed a false
riser or faller in 7 of 40 weeks; BH alone (family: skills that could reach the support gate)
in 1 of 40. Readers act on every listed skill, so we keep the
stricter rule and accept some lost power on weak trends (docs/signals.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import takewhile

import polars as pl

from newsletter.data.signals.gates import (
    SKILL_CMH_Z,
    SKILL_EMPIRICAL_PRIOR_WEEKS,
    SKILL_MAX_COMPANY_SHARE,
    SKILL_MIN_LIFT,
    SKILL_MIN_POSTINGS,
    SKILL_MIN_SHARE_CHANGE,
    SKILL_PRIOR_A0,
)
from newsletter.data.signals.groups import UNKNOWN
from newsletter.data.signals.models import MoveTest, SkillMove, SkillRow
from newsletter.data.signals.moves import Candidate
from newsletter.data.signals.stats import (
    Stratum,
    cmh_log_or,
    log_odds_z,
    prior_strength,
)
from newsletter.util.shares import percent

SKILL = "skill"


def _exploded(frame: pl.LazyFrame, keep: Sequence[str] = ()) -> pl.LazyFrame:
    """One row per (posting, distinct skill), with the ``keep`` columns.

    A posting's skills are made distinct only when some posting repeats one (a canonical
    snapshot never does): ``list.unique`` took two thirds of a million postings' count.
    """
    skills = pl.col("skills")
    repeats = (skills.list.len() != skills.list.n_unique()).any()
    distinct = pl.when(repeats).then(skills.list.unique()).otherwise(skills)
    return frame.select(distinct.alias(SKILL), *keep).explode(SKILL).drop_nulls(SKILL)


def stock_counts_plan(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Open postings per skill: ``skill``, ``postings``."""
    return _exploded(frame).group_by(SKILL).agg(pl.len().alias("postings"))


def build_top(
    counts: pl.DataFrame,
    counts_prev: pl.DataFrame | None,
    n_open: int,
    n_prev: int | None,
    top_n: int,
) -> list[SkillRow]:
    """Top skills by share of open postings (at least SKILL_MIN_POSTINGS postings)."""
    if not n_open:
        return []
    prev = dict(counts_prev.iter_rows()) if counts_prev is not None else {}
    top = counts.filter(pl.col("postings") >= SKILL_MIN_POSTINGS).sort(
        ["postings", SKILL], descending=[True, False]
    )
    return [
        SkillRow(
            name=name,
            postings=k,
            share=k / n_open,
            postings_prev=prev.get(name, 0) if counts_prev is not None else None,
            share_prev=prev.get(name, 0) / n_prev if counts_prev is not None and n_prev else None,
        )
        for name, k in top.head(top_n).iter_rows()
    ]


def top_tied(counts: pl.DataFrame, top: Sequence[SkillRow], top_n: int) -> int:
    """The skills past the cut of :func:`build_top` (``top``) named by as many open postings as
    its last row: the cut between them was by name."""
    if len(top) < top_n or not top:
        return 0
    last = top[-1].postings
    return counts.filter(pl.col("postings") == last).height - sum(r.postings == last for r in top)


def arrival_plans(arrivals: Sequence[pl.LazyFrame]) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Per (weeks back ``w``, category, skill) counts and per (w, category) sizes.

    ``arrivals[0]`` is this week's new postings, ``arrivals[1]`` last week's, and so on.
    """
    tagged = pl.concat(
        [
            a.select(
                pl.lit(i, dtype=pl.Int32).alias("w"),
                pl.col("category").fill_null(UNKNOWN),
                pl.col("skills"),
            )
            for i, a in enumerate(arrivals)
        ]
    )
    counts = (
        _exploded(tagged, ("w", "category"))
        .group_by("w", "category", SKILL)
        .agg(pl.len().alias("y"))
    )
    sizes = tagged.group_by("w", "category").agg(pl.len().alias("n"))
    return counts, sizes


@dataclass(slots=True)
class _Tally:
    by_week: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    by_cat_now: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    by_cat_base: dict[str, int] = field(default_factory=lambda: defaultdict(int))


@dataclass(frozen=True, slots=True)
class SkillTest:
    """One skill's comparison of this week's new postings against the baseline window."""

    name: str
    y1: int  # new postings with the skill this week
    y2: int  # ... in the baseline window
    z: float
    lift: float
    cmh_z: float | None  # within-role check (CMH over category strata)
    up: bool  # passes every practical gate of a riser
    down: bool  # ... of a faller


@dataclass(frozen=True, slots=True)
class SkillTests:
    """Every skill tested this week (the skill candidates of the joint test of moves)."""

    tests: list[SkillTest]
    n_new: int
    n_baseline: int
    prior: str


@dataclass(frozen=True, slots=True)
class Moves:
    rising: list[SkillMove]
    falling: list[SkillMove]
    rising_past: list[float]
    falling_past: list[float]


def _add(t: _Tally, w: int, cat: str, k: int, baseline_weeks: int) -> None:
    t.by_week[w] += k
    if w == 0:
        t.by_cat_now[cat] += k
    elif w <= baseline_weeks:
        t.by_cat_base[cat] += k


def _cmh_z(t: _Tally, sizes: _Tally) -> float | None:
    cats = set(sizes.by_cat_now) | set(sizes.by_cat_base)
    strata = [
        Stratum(
            a=t.by_cat_now.get(c, 0),
            b=sizes.by_cat_now.get(c, 0) - t.by_cat_now.get(c, 0),
            c=t.by_cat_base.get(c, 0),
            d=sizes.by_cat_base.get(c, 0) - t.by_cat_base.get(c, 0),
        )
        for c in sorted(cats)
    ]
    cmh = cmh_log_or(strata)
    return cmh[0] / cmh[1] if cmh is not None and cmh[1] > 0 else None


def skill_tests(counts: pl.DataFrame, sizes: pl.DataFrame, *, baseline_weeks: int) -> SkillTests:
    """This week's new postings against the baseline window, for every skill that could reach
    the support gate: the log-odds z and the practical gates (guide §3.3). Which of them are
    beyond noise is decided by the joint test of the week's moves (:mod:`.moves`)."""
    size_tally = _Tally()
    for w, cat, n in sizes.select("w", "category", "n").iter_rows():
        _add(size_tally, w, cat, n, baseline_weeks)
    per_skill: dict[str, _Tally] = defaultdict(_Tally)
    for w, cat, skill, y in counts.select("w", "category", SKILL, "y").iter_rows():
        _add(per_skill[skill], w, cat, y, baseline_weeks)
    weeks = sorted(size_tally.by_week)
    n1 = size_tally.by_week.get(0, 0)
    n2 = sum(size_tally.by_week[w] for w in weeks if 1 <= w <= baseline_weeks)
    n_bg = sum(size_tally.by_week.values())
    empirical = len(weeks) >= SKILL_EMPIRICAL_PRIOR_WEEKS

    tested: list[SkillTest] = []
    for skill, t in sorted(per_skill.items()):
        y1 = t.by_week.get(0, 0)
        y2 = sum(t.by_week.get(w, 0) for w in range(1, baseline_weeks + 1))
        pi = sum(t.by_week.values()) / n_bg
        # The family tested (and corrected for multiplicity): skills that could reach the
        # support gate, by their background rate or by their count now or in the baseline (so
        # a brand-new skill with 30 postings this week is tested).
        eligible = max(pi * n1, y1, y2 / baseline_weeks) >= SKILL_MIN_POSTINGS
        if not eligible or not 0 < pi < 1 or n1 == 0 or n2 == 0:
            continue
        a0 = SKILL_PRIOR_A0
        if empirical:
            shares = [t.by_week.get(w, 0) / size_tally.by_week[w] for w in weeks]
            a0 = prior_strength(shares, [size_tally.by_week[w] for w in weeks], pi)
        lo = log_odds_z(y1, n1, y2, n2, a0=a0, pi=pi)
        change = y1 / n1 - y2 / n2
        up = lo.z > 0 and y1 >= SKILL_MIN_POSTINGS and change >= SKILL_MIN_SHARE_CHANGE
        up = up and lo.lift >= SKILL_MIN_LIFT
        down = lo.z < 0 and y2 / baseline_weeks >= SKILL_MIN_POSTINGS
        down = down and change <= -SKILL_MIN_SHARE_CHANGE and lo.lift <= 1 / SKILL_MIN_LIFT
        cmh_z = _cmh_z(t, size_tally) if up or down else None
        up = up and cmh_z is not None and cmh_z >= SKILL_CMH_Z
        down = down and cmh_z is not None and cmh_z <= -SKILL_CMH_Z
        tested.append(SkillTest(skill, y1, y2, lo.z, lo.lift, cmh_z, up, down))
    return SkillTests(
        tests=tested,
        n_new=n1,
        n_baseline=n2,
        prior=f"empirical-Bayes a0 per skill over {len(weeks)} weeks"
        if empirical
        else f"a0={SKILL_PRIOR_A0:g} at the background rate over {len(weeks)} weeks",
    )


def candidates(tests: SkillTests, held: Collection[str] = ()) -> list[Candidate]:
    """The skills tested, as candidates of the joint test of the week's moves; a ``held``
    skill (one company's template: :func:`one_company_skills`) is never listed."""
    return [
        Candidate("skill", t.name, t.z, (t.up or t.down) and t.name not in held)
        for t in tests.tests
    ]


def company_share_plan(new: pl.LazyFrame) -> pl.LazyFrame:
    """Per skill named by this week's new postings: the share of them its biggest company
    posted (``share``) and how many there are (``n``)."""
    return (
        new.select(pl.col("company").cast(pl.String).fill_null(""), pl.col("skills"))
        .explode("skills")
        .drop_nulls("skills")
        .group_by("skills", "company")
        .len()
        .group_by("skills")
        .agg(n=pl.col("len").sum(), top=pl.col("len").max())
        .select(
            pl.col("skills").cast(pl.String).alias(SKILL), "n", share=pl.col("top") / pl.col("n")
        )
    )


def one_company_skills(
    tests: SkillTests, shares: pl.DataFrame, top_new_share: float
) -> tuple[set[str], str]:
    """The tested skills whose move is one company's doing (more than
    SKILL_MAX_COMPANY_SHARE): a rising skill whose new postings that company posted, or
    every move when it posted the week's new postings themselves. With the reason."""
    if top_new_share > SKILL_MAX_COMPANY_SHARE:
        why = f"one company posted {percent(top_new_share)} of this week's new postings"
        return {t.name for t in tests.tests if t.up or t.down}, why
    mostly = set(shares.filter(pl.col("share") > SKILL_MAX_COMPANY_SHARE)[SKILL].to_list())
    why = f"their new postings came mostly (> {SKILL_MAX_COMPANY_SHARE:.0%}) from one company"
    return {t.name for t in tests.tests if t.up and t.name in mostly}, why


def build_moves(
    tests: SkillTests,
    verdict: Mapping[str, MoveTest],
    *,
    stock_share: dict[str, float],
    stock_share_prev: dict[str, float],
    top_n: int,
) -> Moves:
    """Rising and falling skills: those the joint test of moves lists (``verdict``)."""
    rising: list[SkillMove] = []
    falling: list[SkillMove] = []
    n1, n2 = tests.n_new, tests.n_baseline
    for t in tests.tests:
        v = verdict.get(t.name)
        if v is None or not v.listed:
            continue
        move = SkillMove(
            name=t.name,
            share=t.y1 / n1,
            share_prev=t.y2 / n2,
            z=t.z,
            postings=t.y1,
            postings_prev=t.y2,
            lift=t.lift,
            n=n1,
            n_prev=n2,
            cmh_z=t.cmh_z,
            stock_share=stock_share.get(t.name, 0.0),
            stock_share_prev=stock_share_prev.get(t.name) if stock_share_prev else None,
            p_value=v.p_value,
            p_adjusted=v.p_adjusted,
        )
        (rising if t.up else falling).append(move)
    rising.sort(key=lambda m: (-m.z, m.name))
    falling.sort(key=lambda m: (m.z, m.name))
    return Moves(
        rising=rising[:top_n],
        falling=falling[:top_n],
        rising_past=_near_cut(rising, top_n),
        falling_past=_near_cut(falling, top_n),
    )


def _near_cut(moves: Sequence[SkillMove], top_n: int) -> list[float]:
    """The z of the moves past the cut within 0.1 of the last listed one's, in order: the
    ones that may print the same z (to one decimal); the issue compares them as printed."""
    if top_n <= 0 or len(moves) <= top_n:
        return []
    last = moves[top_n - 1].z
    return [m.z for m in takewhile(lambda m: abs(m.z - last) <= 0.1, moves[top_n:])]
