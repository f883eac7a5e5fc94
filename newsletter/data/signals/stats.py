"""Small, exact statistical methods the signals use (pure functions, stdlib only).

References (see docs/signals.md and the signals guide, section 3):

- Bonett & Price (2002), *Psychological Methods* 7(3): distribution-free CI of a median and of a
  difference or ratio of two medians (statpsych ``ci.median2``).
- Wilson (1927) score interval for a proportion.
- Rate ratio of a count against the mean of earlier counts, log-scale CI widened by the
  quasi-Poisson dispersion of the earlier counts (McCullagh & Nelder 1989, §6.2), with a
  Student t quantile (integer degrees of freedom; Abramowitz & Stegun 26.7.3-4).
- Monroe, Colaresi & Quinn (2008), *Political Analysis* 16(4): log-odds ratio with an
  informative prior ("Fightin' Words"), per posting (binomial with a Beta prior).
- Benjamini & Hochberg (1995) false discovery rate; its weighted form (Genovese, Roeder &
  Wasserman 2006, *Biometrika* 93(3); valid under positive dependence: Blanchard & Roquain 2008,
  *Electronic Journal of Statistics* 2) with adjusted p-values.
- Cochran–Mantel–Haenszel pooled odds ratio with the Robins–Breslow–Greenland variance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

Z95 = 1.959963984540054
_NORMAL = NormalDist()
#: Above this n the binomial tail of Bonett–Price uses the normal approximation (with
#: continuity correction); below it the tail is summed exactly.
EXACT_BINOM_MAX_N = 5000


def binom_cdf_half(k: int, n: int) -> float:
    """P(X <= k) for X ~ Binomial(n, 1/2)."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    if n > EXACT_BINOM_MAX_N:
        return _NORMAL.cdf((k + 0.5 - n / 2) / (math.sqrt(n) / 2))
    log_half_n = -n * math.log(2)
    lg_n = math.lgamma(n + 1)
    total = 0.0
    for i in range(k + 1):
        total += math.exp(lg_n - math.lgamma(i + 1) - math.lgamma(n - i + 1) + log_half_n)
    return min(total, 1.0)


@dataclass(frozen=True, slots=True)
class MedianEstimate:
    """A sample median with its Bonett–Price standard errors."""

    n: int
    median: float
    se: float  # SE of the median
    se_log: float | None  # SE of ln(median); None when the order statistics are not > 0

    def interval(self, z: float = Z95) -> Interval:
        """CI of the median: ``median ± z·SE``."""
        return Interval(self.median, self.median - z * self.se, self.median + z * self.se, self.se)


def _linear_median(values: Sequence[float]) -> float:
    n = len(values)
    mid = n // 2
    return values[mid] if n % 2 else (values[mid - 1] + values[mid]) / 2


def bp_rank(n: int) -> int:
    """Rank ``c`` of the order statistics ``y_(c)``, ``y_(n-c+1)`` used by Bonett–Price."""
    return max(1, round(n / 2 - math.sqrt(n)))


def median_estimate(n: int, median: float, lower: float, upper: float) -> MedianEstimate:
    """Bonett–Price SE from the median and the order statistics at :func:`bp_rank`."""
    p = binom_cdf_half(bp_rank(n) - 1, n)
    z0 = _NORMAL.inv_cdf(1 - p)
    se = (upper - lower) / (2 * z0)
    se_log = (math.log(upper) - math.log(lower)) / (2 * z0) if lower > 0 and upper > 0 else None
    return MedianEstimate(n=n, median=median, se=se, se_log=se_log)


def bonett_price(sorted_values: Sequence[float]) -> MedianEstimate | None:
    """Median and Bonett–Price SE from values sorted ascending (None when n < 2)."""
    n = len(sorted_values)
    if n < 2:
        return None
    c = bp_rank(n)
    return median_estimate(
        n, _linear_median(sorted_values), sorted_values[c - 1], sorted_values[n - c]
    )


@dataclass(frozen=True, slots=True)
class Interval:
    estimate: float
    low: float
    high: float
    se: float

    def excludes_value(self, value: float) -> bool:
        return value < self.low or value > self.high


def median_difference(a: MedianEstimate, b: MedianEstimate, z: float = Z95) -> Interval:
    """CI of ``median(a) - median(b)`` (Bonett–Price)."""
    d = a.median - b.median
    se = math.hypot(a.se, b.se)
    return Interval(d, d - z * se, d + z * se, se)


def median_ratio(a: MedianEstimate, b: MedianEstimate, z: float = Z95) -> Interval | None:
    """CI of ``median(a) / median(b)`` on the log scale (Bonett–Price); None if not positive."""
    if a.se_log is None or b.se_log is None or a.median <= 0 or b.median <= 0:
        return None
    g = math.log(a.median) - math.log(b.median)
    se = math.hypot(a.se_log, b.se_log)
    return Interval(math.exp(g), math.exp(g - z * se), math.exp(g + z * se), se)


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval of a proportion ``k/n`` (None when n == 0)."""
    if n <= 0:
        return None
    p = k / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    # exactly 0 (1) when none (all) are: the formula leaves rounding dust there, and 3e-18
    # read as a share "above" a market of 0
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return low, high


def rate_ratio(x: int, x0: int, m: int, z: float = Z95, dispersion: float = 1.0) -> Interval | None:
    """``x`` against the mean of ``m`` earlier periods totalling ``x0`` (None if undefined).

    ``SE(ln RR) = sqrt(φ·(1/x + 1/x0))``: Poisson counts when ``dispersion`` φ is 1, a
    quasi-Poisson (or, at a steady level, negative-binomial) count with variance φ·mean above.
    """
    if x <= 0 or x0 <= 0 or m <= 0:
        return None
    rr = x / (x0 / m)
    se = math.sqrt(dispersion * (1 / x + 1 / x0))
    return Interval(rr, rr * math.exp(-z * se), rr * math.exp(z * se), se)


def quasi_poisson_dispersion(counts: Sequence[int]) -> float | None:
    """Pearson estimate of the dispersion φ of weekly counts around their mean, floored at 1.

    ``φ = Σ (x_k − x̄)² / x̄ / (K − 1)``; None with fewer than 2 counts or a zero mean. Posting
    volume that varies by a few percent from week to week makes φ grow with the level
    (``φ ≈ 1 + CV²·x̄``): 5% at 3,000 postings a week is φ ≈ 8.5.
    """
    k = len(counts)
    if k < 2:
        return None
    mean = sum(counts) / k
    if mean <= 0:
        return None
    chi2 = sum((c - mean) ** 2 for c in counts) / mean
    return max(1.0, chi2 / (k - 1))


@dataclass(frozen=True, slots=True)
class RateRatioCall:
    """``x`` against the mean of the last ``baseline_weeks`` earlier weeks (S2, guide §3.1)."""

    estimate: float
    interval: Interval | None  # None while too few weeks show the week-to-week variation
    dispersion: float | None  # quasi-Poisson φ of the earlier weeks (>= 1)
    weeks: int  # earlier weeks behind the dispersion


def new_rate_ratio(
    x: int, earlier: Sequence[int], *, baseline_weeks: int = 4, min_weeks: int = 3
) -> RateRatioCall | None:
    """The rate ratio of this week's count ``x`` with a quasi-Poisson CI.

    ``earlier`` holds the counts of every loaded earlier week, latest first; the baseline is
    the mean of the first ``baseline_weeks`` of them. The dispersion φ comes from all of them
    (:func:`quasi_poisson_dispersion`), and since it is estimated from K weeks the CI uses the
    t quantile with K − 1 degrees of freedom: ``exp(ln RR ± t·sqrt(φ·(1/x + 1/x0)))``. With
    fewer than ``min_weeks`` earlier weeks there is no CI (a Poisson CI over-calls: with 5%
    volume variation it excludes 1 in 19% of no-change weeks at 500 a week, 50% at 3,000).
    None when a count is zero.
    """
    base = list(earlier[:baseline_weeks])
    if x <= 0 or not base or sum(base) <= 0:
        return None
    k = len(earlier)
    dispersion = quasi_poisson_dispersion(earlier) if k >= min_weeks else None
    if dispersion is None:
        return RateRatioCall(x / (sum(base) / len(base)), None, None, k)
    rr = rate_ratio(x, sum(base), len(base), z=t_quantile(0.975, k - 1), dispersion=dispersion)
    assert rr is not None  # x, x0 and m are positive here
    return RateRatioCall(rr.estimate, rr, dispersion, k)


def _t_abs_cdf(t: float, df: int) -> float:
    """P(|T| <= t) for Student's t with integer ``df`` >= 1 (Abramowitz & Stegun 26.7.3-4)."""
    theta = math.atan(t / math.sqrt(df))
    s, c = math.sin(theta), math.cos(theta)
    term = total = c if df % 2 else 1.0
    for k in range(3 if df % 2 else 2, df - 1, 2):
        term *= c * c * (k - 1) / k
        total += term
    if df % 2 == 0:
        return s * total
    return 2 / math.pi * (theta + (s * total if df > 1 else 0.0))


def t_quantile(p: float, df: int) -> float:
    """The ``p`` quantile (p > 0.5) of Student's t with integer ``df`` >= 1, by bisection."""
    if df < 1 or not 0.5 < p < 1:
        raise ValueError(f"t_quantile needs df >= 1 and 0.5 < p < 1, got {df}, {p}")
    target = 2 * p - 1
    lo, hi = 0.0, 1.0
    while _t_abs_cdf(hi, df) < target:
        hi *= 2
    for _ in range(200):
        mid = (lo + hi) / 2
        if _t_abs_cdf(mid, df) < target:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12:
            break
    return (lo + hi) / 2


@dataclass(frozen=True, slots=True)
class LogOdds:
    delta: float
    z: float
    lift: float


def log_odds_z(y1: int, n1: int, y2: int, n2: int, *, a0: float, pi: float) -> LogOdds:
    """Log-odds ratio of presence in group 1 vs group 2 with a Beta(a0·π, a0·(1−π)) prior."""
    a = a0 * pi
    b = a0 * (1 - pi)
    s1, f1 = y1 + a, n1 - y1 + b
    s2, f2 = y2 + a, n2 - y2 + b
    delta = math.log(s1 / f1) - math.log(s2 / f2)
    var = 1 / s1 + 1 / f1 + 1 / s2 + 1 / f2
    lift = (s1 / (n1 + a0)) / (s2 / (n2 + a0))
    return LogOdds(delta=delta, z=delta / math.sqrt(var), lift=lift)


def prior_strength(
    shares: Sequence[float], sizes: Sequence[int], pi: float, lo: float = 20, hi: float = 500
) -> float:
    """Empirical-Bayes prior strength ``a0`` of one skill from its weekly shares.

    ``V_between = Var_w(p_w) − mean_w(p_w(1−p_w)/n_w)``; ``a0 = π(1−π)/V_between − 1`` clipped
    to ``[lo, hi]``; ``hi`` when there is no excess variance.
    """
    k = len(shares)
    if k < 2 or not 0 < pi < 1:
        return hi
    mean = sum(shares) / k
    var = sum((p - mean) ** 2 for p in shares) / (k - 1)
    noise = sum(p * (1 - p) / n for p, n in zip(shares, sizes, strict=True) if n > 0) / k
    between = var - noise
    if between <= 0:
        return hi
    return min(hi, max(lo, pi * (1 - pi) / between - 1))


def two_sided_p(z: float) -> float:
    """Two-sided normal p-value of ``z``: ``2·(1 − Φ(|z|))`` (as ``erfc``, exact in the tails).

    With the 95% interval ``estimate ± Z95·SE`` of the same ``z = estimate/SE``, "the interval
    excludes 0" and "p < 0.05" are the same statement.
    """
    return math.erfc(abs(z) / math.sqrt(2))


def benjamini_hochberg(p_values: Sequence[float], q: float = 0.05) -> list[bool]:
    """Which hypotheses pass the Benjamini–Hochberg step-up procedure at FDR ``q``."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    cutoff = -1
    for rank, i in enumerate(order, start=1):
        if m * p_values[i] / rank <= q:  # bh_adjusted's expression: the two agree to the bit
            cutoff = rank
    passed = [False] * m
    for rank, i in enumerate(order, start=1):
        if rank <= cutoff:
            passed[i] = True
    return passed


def bh_adjusted(p_values: Sequence[float], weights: Sequence[float] | None = None) -> list[float]:
    """Benjamini–Hochberg adjusted p-values, weighted when ``weights`` are given.

    Hypothesis i passes BH at FDR ``q`` exactly when its adjusted p-value is ``<= q``. Weighted
    (Genovese, Roeder & Wasserman 2006): with weights ``w_i >= 0`` averaging 1, the step-up runs
    on ``p_i / w_i``; ``adj_(j) = min over k >= j of min(1, m·Q_(k)/k)`` for ``Q = p/w`` sorted
    ascending (``w_i = 0``: ``Q_i = inf``, never passes). Equal weights give plain BH
    (R's ``p.adjust(p, "BH")``).
    """
    m = len(p_values)
    if weights is None:
        weights = [1.0] * m
    if len(weights) != m:
        raise ValueError(f"bh_adjusted: {m} p-values but {len(weights)} weights")
    ratio = [p / w if w > 0 else math.inf for p, w in zip(p_values, weights, strict=True)]
    order = sorted(range(m), key=lambda i: ratio[i])
    adjusted = [1.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, m * ratio[i] / rank)
        adjusted[i] = min(1.0, running)
    return adjusted


@dataclass(frozen=True, slots=True)
class Stratum:
    """2x2 table of one stratum: a/b = group 1 with/without, c/d = group 2 with/without."""

    a: float
    b: float
    c: float
    d: float


def cmh_log_or(strata: Sequence[Stratum]) -> tuple[float, float] | None:
    """Mantel–Haenszel ln(OR) and its Robins–Breslow–Greenland SE (None when undefined).

    When a sum of cross-products is zero (a skill absent from one side, e.g. brand new), every
    non-empty stratum gets the Haldane–Anscombe 0.5 correction so the estimate stays finite.
    """
    used = [t for t in strata if t.a + t.b + t.c + t.d > 0]
    res = _cmh(used)
    if res is None and used:
        res = _cmh([Stratum(t.a + 0.5, t.b + 0.5, t.c + 0.5, t.d + 0.5) for t in used])
    return res


def _cmh(strata: Sequence[Stratum]) -> tuple[float, float] | None:
    r_sum = s_sum = pr = ps_qr = qs = 0.0
    for t in strata:
        n = t.a + t.b + t.c + t.d
        if n <= 0:
            continue
        r = t.a * t.d / n
        s = t.b * t.c / n
        p = (t.a + t.d) / n
        qv = (t.b + t.c) / n
        r_sum += r
        s_sum += s
        pr += p * r
        ps_qr += p * s + qv * r
        qs += qv * s
    if r_sum <= 0 or s_sum <= 0:
        return None
    var = pr / (2 * r_sum**2) + ps_qr / (2 * r_sum * s_sum) + qs / (2 * s_sum**2)
    return math.log(r_sum / s_sum), math.sqrt(var)
