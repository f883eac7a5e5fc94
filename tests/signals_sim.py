"""Seeded simulations of the signals' statistics, shared by tests (few replications) and
``benchmarks/bench_signals_calibration.py`` (many, with the figures docs/signals.md quotes).

- :func:`market`: a job market as weekly snapshots. A stock of open postings loses a random
  ``churn`` share every week (unbiased churn unless ``hazard`` says otherwise) and gains as many
  new postings; skills are independent Bernoulli draws at fixed rates, pay is log-normal per
  role category (σ_log = 0.3) posted rounded to $5k. :class:`Plant` changes the rates or pay
  of the new postings of the last weeks: a planted riser, faller or category pay shift.
- :func:`median_ci_coverage`, :func:`pay_shift_false_flags`: the Bonett–Price pay interval on
  rounded pay, tie-corrected (the product) or on raw order statistics (before).
- :func:`rate_ratio_false_calls`: the new-postings rate ratio under no trend but week-to-week
  volume variation, Poisson CI (before) or quasi-Poisson (the product).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

import polars as pl

from newsletter.data.signals import Signals, compute_signals
from newsletter.data.signals.diff import WeekFrame
from newsletter.data.signals.gates import MOVES_BUDGET, MOVES_FDR_Q
from newsletter.data.signals.moves import Budget, Candidate, joint_test
from newsletter.data.signals.pay import estimate, quantile_exprs, untied_plan
from newsletter.data.signals.stats import bh_adjusted, median_ratio, new_rate_ratio, rate_ratio
from newsletter.data.snapshots import conform

START = date(2026, 1, 5)
#: 30 skills at fixed rates among new postings (each rate three times).
SKILL_RATES: dict[str, float] = {
    f"S{i:02d}": r
    for i, r in enumerate([0.01, 0.02, 0.03, 0.05, 0.08, 0.10, 0.15, 0.20, 0.30, 0.50] * 3)
}
#: Role categories and the median of their (latent, unrounded) pay.
CATEGORY_PAY: dict[str, float] = {
    "AI/ML Engineer": 150_000.0,
    "Data Scientist": 170_000.0,
    "MLOps Engineer": 190_000.0,
    "Research Scientist": 210_000.0,
}
PAID_SHARE = 0.6
PAY_SIGMA = 0.3
PAY_UNIT = 5_000.0


def rounded(x: float, unit: float = PAY_UNIT) -> float:
    return round(x / unit) * unit


@dataclass(frozen=True)
class Plant:
    """Skill rates of the new postings of the last week, and a pay factor per category for
    the new postings of the last ``pay_weeks`` weeks (4: the recent window of the shift)."""

    rates: Mapping[str, float] = field(default_factory=dict)  # skill -> rate among them
    pay: Mapping[str, float] = field(default_factory=dict)  # category -> pay factor
    pay_weeks: int = 1

    def at(self, weeks_left: int) -> Plant | None:
        """What applies to the arrivals ``weeks_left`` weeks before the last (0: the last)."""
        rates = self.rates if weeks_left == 0 else {}
        pay = self.pay if weeks_left < self.pay_weeks else {}
        return Plant(rates, pay) if rates or pay else None


def _positions(rng: random.Random, n: int, rate: float) -> list[int]:
    """Indices in range(n) of the successes of n Bernoulli(rate) trials (geometric gaps)."""
    if rate <= 0:
        return []
    if rate >= 1:
        return list(range(n))
    out, i, log_q = [], -1, math.log(1 - rate)
    while True:
        i += 1 + int(math.log(1 - rng.random()) / log_q)
        if i >= n:
            return out
        out.append(i)


@dataclass
class _Gen:
    rng: random.Random
    skill_rates: Mapping[str, float] = field(default_factory=lambda: SKILL_RATES)
    next_id: int = 0

    def batch(self, n: int, plant: Plant | None) -> pl.DataFrame:
        """n new postings (skills, category, pay) as a canonical frame."""
        rng = self.rng
        ids = [f"sim:{self.next_id + j}" for j in range(n)]
        self.next_id += n
        cats = [rng.choice(list(CATEGORY_PAY)) for _ in range(n)]
        rates = {**self.skill_rates, **(plant.rates if plant else {})}
        skills: list[list[str]] = [[] for _ in range(n)]
        for name, rate in rates.items():
            for j in _positions(rng, n, rate):
                skills[j].append(name)
        pay: list[float | None] = []
        for c in cats:
            factor = plant.pay.get(c, 1.0) if plant else 1.0
            x = rounded(CATEGORY_PAY[c] * factor * math.exp(rng.gauss(0, PAY_SIGMA)))
            pay.append(x if rng.random() < PAID_SHARE else None)
        return pl.DataFrame(
            {
                "posting_id": ids,
                "source": ["sim"] * n,
                "fingerprint": ids,
                "title": ["Engineer"] * n,
                "company": [f"C{j % 97}" for j in range(self.next_id - n, self.next_id)],
                "category": cats,
                "seniority": ["mid"] * n,
                "metro": ["Metro"] * n,
                "remote": [False] * n,
                "work_mode": ["onsite"] * n,
                "salary_mid": pay,
                "currency": ["USD" if x is not None else None for x in pay],
                "skills": skills,
            },
            schema_overrides={"skills": pl.List(pl.String()), "salary_mid": pl.Float64()},
        )


def market(
    seed: int,
    *,
    weeks: int = 2,
    n_open: int = 5_000,
    churn: float = 0.10,
    plant: Plant | None = None,
    hazard: Callable[[pl.DataFrame], Sequence[float]] | None = None,
    arrivals: Sequence[int] | None = None,
    skill_rates: Mapping[str, float] = SKILL_RATES,
) -> list[pl.DataFrame]:
    """``weeks`` weekly snapshots (oldest first) of an evolving stock of open postings.

    Each week ``churn × n_open`` postings close (chosen at random, or with weights
    ``hazard(stock)``) and as many arrive (or ``arrivals[w]``); ``plant`` changes the arrivals
    of the last weeks (:meth:`Plant.at`); ``skill_rates`` the skills and their rates.
    """
    gen = _Gen(random.Random(seed), skill_rates)
    stock = gen.batch(n_open, None)
    frames = [stock]
    for w in range(1, weeks):
        k = round(churn * n_open)
        if hazard is None:
            gone = set(gen.rng.sample(range(stock.height), k))
        else:
            gone = _weighted_sample(gen.rng, list(hazard(stock)), k)
        planted = plant.at(weeks - 1 - w) if plant else None
        n_new = arrivals[w] if arrivals is not None else k
        keep = pl.Series([i not in gone for i in range(stock.height)])
        stock = pl.concat([stock.filter(keep), gen.batch(n_new, planted)])
        frames.append(stock)
    return [conform(f) for f in frames]


def _weighted_sample(rng: random.Random, weights: list[float], k: int) -> set[int]:
    """k distinct indices, each drawn with probability proportional to its weight
    (Efraimidis–Spirakis keys)."""
    keys = [(rng.random() ** (1 / w), i) for i, w in enumerate(weights)]
    return {i for _, i in sorted(keys, reverse=True)[:k]}


def signals_of(frames: Sequence[pl.DataFrame]) -> Signals:
    """The signals of the last of ``frames`` (weekly from START)."""
    last = len(frames) - 1
    week = [START + timedelta(weeks=i) for i in range(len(frames))]
    return compute_signals(
        frames[-1],
        frames[-2] if last else None,
        week=week[-1],
        previous_week=week[-2] if last else None,
        history=[WeekFrame(week[i], f.lazy()) for i, f in enumerate(frames[:-2])],
    )


@dataclass(frozen=True)
class Listed:
    """What one issue reports as beyond noise."""

    rising: tuple[str, ...]
    falling: tuple[str, ...]
    pay: bool
    categories: tuple[str, ...]

    @property
    def skills(self) -> bool:
        return bool(self.rising or self.falling)

    @property
    def anything(self) -> bool:
        return self.skills or self.pay or bool(self.categories)


def listed(s: Signals) -> Listed:
    return Listed(
        rising=tuple(m.name for m in s.skills.rising),
        falling=tuple(m.name for m in s.skills.falling),
        pay=s.pay.significant,
        categories=tuple(c.name for c in s.pay.category_shifts if c.significant),
    )


# --- pay intervals on rounded pay --------------------------------------------------------


def _pay_samples(
    n: int, reps: int, seed: int, unit: float, sides: int = 1
) -> tuple[pl.DataFrame, list[float]]:
    """``reps`` × ``sides`` samples of n log-normal pays (median drawn per rep), rounded."""
    rng = random.Random(seed)
    truth = [rng.uniform(80_000, 250_000) for _ in range(reps)]
    rep, side, pay = [], [], []
    for r in range(reps):
        for s in range(sides):
            for _ in range(n):
                x = truth[r] * math.exp(rng.gauss(0, PAY_SIGMA))
                rep.append(r)
                side.append(s)
                pay.append(rounded(x, unit) if unit else x)
    frame = pl.DataFrame({"rep": rep, "side": side, "salary_mid": pay}).with_columns(
        pl.lit("USD").alias("currency"), pl.lit(None, dtype=pl.String).alias("employment")
    )
    return frame, truth


def _estimates(frame: pl.DataFrame, by: list[str], corrected: bool) -> pl.DataFrame:
    """Bonett–Price rows per group: on tie-corrected pay, or on the raw order statistics."""
    if corrected:
        return untied_plan(frame.lazy(), by).collect()
    return frame.lazy().group_by(by).agg(quantile_exprs()).collect()


def median_ci_coverage(
    n: int, reps: int, seed: int = 0, *, unit: float = PAY_UNIT, corrected: bool = True
) -> float:
    """Share of 95% CIs of the median that hold the true (latent, unrounded) median."""
    frame, truth = _pay_samples(n, reps, seed, unit)
    hits = 0
    for row in _estimates(frame, ["rep"], corrected).iter_rows(named=True):
        est = estimate(row)
        assert est is not None
        ci = est.interval()
        hits += ci.low <= truth[row["rep"]] <= ci.high
    return hits / reps


def pay_shift_false_flags(
    n: int, reps: int, seed: int = 0, *, unit: float = PAY_UNIT, corrected: bool = True
) -> float:
    """Share of no-change pairs (same distribution on both sides) whose CI of the median ratio
    excludes 1 (the significance rule without the 2% floor, which n >= 200 never binds)."""
    frame, _ = _pay_samples(n, reps, seed, unit, sides=2)
    rows = {
        (r["rep"], r["side"]): r
        for r in _estimates(frame, ["rep", "side"], corrected).iter_rows(named=True)
    }
    flags = 0
    for r in range(reps):
        a, b = estimate(rows[(r, 0)]), estimate(rows[(r, 1)])
        assert a is not None and b is not None
        ratio = median_ratio(a, b)
        flags += bool(ratio and ratio.excludes_value(1.0))
    return flags / reps


# --- the new-postings rate ratio ------------------------------------------------------------


def _poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (normal approximation with continuity, fine for lam >= 100)."""
    return max(0, round(rng.gauss(lam, math.sqrt(lam))))


def rate_ratio_false_calls(
    mean: float,
    earlier_weeks: int,
    reps: int,
    seed: int = 0,
    *,
    cv: float = 0.05,
    quasi: bool = True,
) -> float:
    """Share of no-trend weeks whose rate-ratio CI excludes 1 ("up" or "down").

    Weekly new postings are Poisson around ``mean × exp(ε_w)``, ε_w ~ N(0, cv²): posting volume
    varying by ``cv`` from week to week. ``quasi=False`` is the Poisson CI used before.
    """
    rng = random.Random(seed)
    calls = 0
    for _ in range(reps):
        counts = [
            _poisson(rng, mean * math.exp(rng.gauss(0, cv) - cv * cv / 2))
            for _ in range(earlier_weeks + 1)
        ]
        x, earlier = counts[0], counts[1:]
        if quasi:
            call = new_rate_ratio(x, earlier)
            ci = call.interval if call else None
        else:
            ci = rate_ratio(x, sum(earlier[:4]), len(earlier[:4]))
        calls += bool(ci and ci.excludes_value(1.0))
    return calls / reps


# --- designs of the joint test of moves ----------------------------------------------------

#: Designs of the test of the week's moves: ``separate``, each kind tested on its own at 0.05
#: (definition 2: BH across skills, the overall shift's 95% CI, BH across categories); one BH
#: over all the candidates, ``plain`` (unweighted) or weighted by kind with each kind's share of
#: the budget: ``thirds`` (a third each), ``used`` (the product's, gates.MOVES_BUDGET).
DESIGNS: dict[str, Budget | Literal["separate"]] = {
    "separate": "separate",
    "plain": None,
    "thirds": {"skill": 1 / 3, "pay": 1 / 3, "pay_category": 1 / 3},
    "used": MOVES_BUDGET,
}


def listed_under(s: Signals, design: str) -> Listed:
    """What the issue would report under a design of the test (a key of DESIGNS), from the
    candidates recorded in ``s.moves`` (same z and practical gates); ``used`` gives
    ``listed(s)`` again."""
    tests = s.moves.tests
    verdict: dict[tuple[str, str], bool] = {}
    budget = DESIGNS[design]
    if budget == "separate":
        for kind in {t.kind for t in tests}:
            of_kind = [t for t in tests if t.kind == kind]
            adjusted = bh_adjusted([t.p_value for t in of_kind])
            for t, adj in zip(of_kind, adjusted, strict=True):
                verdict[(t.kind, t.name)] = adj <= MOVES_FDR_Q and t.gates
    else:
        again = joint_test([Candidate(t.kind, t.name, t.z, t.gates) for t in tests], budget)
        verdict = {(t.kind, t.name): t.listed for t in again.tests}
    hits = [t for t in tests if verdict[(t.kind, t.name)]]
    return Listed(
        rising=tuple(t.name for t in hits if t.kind == "skill" and t.z > 0),
        falling=tuple(t.name for t in hits if t.kind == "skill" and t.z < 0),
        pay=any(t.kind == "pay" for t in hits),
        categories=tuple(t.name for t in hits if t.kind == "pay_category"),
    )


def skill_rates(copies: int) -> dict[str, float]:
    """``copies`` x 10 skills at the rates of SKILL_RATES (3 copies: SKILL_RATES itself)."""
    rates = list(SKILL_RATES.values())[:10]
    return {f"S{i:02d}": r for i, r in enumerate(rates * copies)}
