"""The statistical building blocks against published fixtures and hand computations."""

from __future__ import annotations

import math
import random

import polars as pl
import pytest

from newsletter.data.signals.pay import estimate, levels_plan, quantile_exprs
from newsletter.data.signals.stats import (
    Stratum,
    benjamini_hochberg,
    binom_cdf_half,
    bonett_price,
    cmh_log_or,
    log_odds_z,
    median_difference,
    median_ratio,
    prior_strength,
    rate_ratio,
    wilson,
)


@pytest.mark.parametrize(
    ("y1", "y2", "diff", "se", "low", "high"),
    [
        # statpsych 1.6 ci.median2 example
        (
            [32, 39, 26, 35, 43, 27, 40, 37, 34, 29],
            [36, 44, 47, 42, 49, 39, 46, 31, 33, 48],
            -8.5,
            4.316291,
            -16.95977,
            -0.04022524,
        ),
        # statpsych 2.0 ci.median2 example
        (
            [70, 394, 43, 95, 62, 128, 2, 203, 81, 436, 85, 35, 156, 1, 3, 27, 63, 181, 184, 18],
            [
                102,
                120,
                78,
                78,
                417,
                124,
                86,
                171,
                176,
                129,
                230,
                194,
                100,
                157,
                306,
                411,
                164,
                103,
                193,
                312,
            ],
            -85.0,
            37.11502,
            -157.7441,
            -12.25589,
        ),
    ],
)
def test_bonett_price_matches_statpsych(  # noqa: PLR0917
    y1: list[float], y2: list[float], diff: float, se: float, low: float, high: float
) -> None:
    a, b = bonett_price(sorted(y1)), bonett_price(sorted(y2))
    assert a is not None and b is not None
    ci = median_difference(a, b)
    assert ci.estimate == pytest.approx(diff)
    assert ci.se == pytest.approx(se, abs=5e-6)
    assert ci.low == pytest.approx(low, abs=1e-4)
    assert ci.high == pytest.approx(high, abs=1e-4)


def test_median_ratio_is_symmetric_on_log_scale() -> None:
    a = bonett_price([float(x) for x in range(100, 200)])
    b = bonett_price([float(x) for x in range(100, 200)])
    assert a is not None and b is not None
    r = median_ratio(a, b)
    assert r is not None
    assert r.estimate == pytest.approx(1.0)
    assert math.log(r.high) == pytest.approx(-math.log(r.low))
    assert not r.excludes_value(1.0)


def test_binomial_tail_exact_and_normal_agree_near_the_switch() -> None:
    assert binom_cdf_half(0, 1) == pytest.approx(0.5)
    assert binom_cdf_half(2, 4) == pytest.approx(11 / 16)
    assert binom_cdf_half(2400, 5000) == pytest.approx(binom_cdf_half(2401, 5002), abs=2e-3)


def test_wilson_known_values() -> None:
    lo, hi = wilson(0, 10) or (None, None)
    assert lo == 0.0 and hi == pytest.approx(0.2775, abs=1e-4)
    lo, hi = wilson(5, 10) or (None, None)
    assert lo == pytest.approx(0.2366, abs=1e-4) and hi == pytest.approx(0.7634, abs=1e-4)
    assert wilson(0, 0) is None


def test_rate_ratio() -> None:
    rr = rate_ratio(60, 120, 4)  # 60 vs a mean of 30
    assert rr is not None
    assert rr.estimate == pytest.approx(2.0)
    se = math.sqrt(1 / 60 + 1 / 120)
    assert rr.low == pytest.approx(2 * math.exp(-1.959964 * se), rel=1e-5)
    assert rate_ratio(0, 10, 2) is None


def test_log_odds_null_is_zero_and_sign_follows_direction() -> None:
    assert log_odds_z(50, 500, 200, 2000, a0=100, pi=0.1).z == pytest.approx(0.0)
    up = log_odds_z(80, 500, 200, 2000, a0=100, pi=0.1)
    down = log_odds_z(20, 500, 200, 2000, a0=100, pi=0.1)
    assert up.z > 2.58 and up.lift > 1.2
    assert down.z < -2.58 and down.lift < 1 / 1.2


def test_prior_strength_clips() -> None:
    # identical weekly shares: no excess variance -> the upper clip
    assert prior_strength([0.1] * 8, [500] * 8, 0.1) == 500
    # wildly varying shares -> strong between-week variance -> the lower clip
    assert prior_strength([0.01, 0.3] * 4, [5000] * 8, 0.155) == 20


def test_benjamini_hochberg_textbook() -> None:
    p = [0.01, 0.04, 0.03, 0.005, 0.5]
    # sorted: .005 (<=.01), .01 (<=.02), .03 (<=.03), .04 (>.04? .04<=.04 yes), .5
    assert benjamini_hochberg(p, 0.05) == [True, True, True, True, False]
    assert benjamini_hochberg([0.2, 0.3], 0.05) == [False, False]


def test_cmh_matches_hand_computation() -> None:
    strata = [Stratum(10, 90, 5, 95), Stratum(20, 80, 10, 90)]
    res = cmh_log_or(strata)
    assert res is not None
    r = 10 * 95 / 200 + 20 * 90 / 200
    s = 90 * 5 / 200 + 80 * 10 / 200
    assert res[0] == pytest.approx(math.log(r / s))
    assert res[1] > 0
    # no difference within strata -> OR 1 even when strata sizes differ (Simpson guard)
    same = cmh_log_or([Stratum(10, 90, 30, 270), Stratum(50, 50, 5, 5)])
    assert same is not None and same[0] == pytest.approx(0.0, abs=1e-12)
    # absent from the baseline: Haldane-Anscombe correction keeps it finite and positive
    new = cmh_log_or([Stratum(15, 185, 0, 800), Stratum(15, 185, 0, 800)])
    assert new is not None and new[0] > 0 and math.isfinite(new[1])
    assert cmh_log_or([]) is None


def test_log_odds_z_is_calibrated_under_the_null() -> None:
    """Guide §3.3: n1 = 1,500, n2 = 6,000, a0 = 100, same rate -> z has SD close to 1."""
    import random
    import statistics

    rng = random.Random(4)
    p = 0.08
    zs = []
    for _ in range(300):
        y1 = sum(rng.random() < p for _ in range(1500))
        y2 = sum(rng.random() < p for _ in range(6000))
        zs.append(log_odds_z(y1, 1500, y2, 6000, a0=100, pi=p).z)
    assert abs(statistics.fmean(zs)) < 0.15
    assert 0.85 < statistics.stdev(zs) < 1.1


@pytest.mark.parametrize("n", [2, 3, 9, 25, 30, 49, 100, 121, 1001, 5001])
def test_polars_order_statistics_match_bonett_price(n: int) -> None:
    """The lazy path the signals use (quantile_exprs -> estimate) equals the reference on the
    same USD pay, nulls, non-positive values and non-full-time roles left out (odd squares hit
    round-half ties)."""
    rng = random.Random(n)
    values = [float(rng.randrange(50, 400) * 1000) for _ in range(n)]
    df = pl.DataFrame(
        {
            "salary_mid": [*values, None, -5.0, 9e5, 9e5],
            "currency": ["USD"] * (n + 2) + ["EUR", "USD"],
            "employment": [None] * (n + 3) + ["contract"],
        },
        schema_overrides={"employment": pl.String},
    )
    got = estimate(df.select(quantile_exprs()).row(0, named=True))
    want = bonett_price(sorted(values))
    assert got is not None and want is not None
    assert (got.n, got.median) == (want.n, want.median)
    assert got.se == pytest.approx(want.se, rel=1e-12)
    assert got.se_log == pytest.approx(want.se_log, rel=1e-12)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 10, 37, 1001, 20000])
def test_pay_levels_of_a_whole_frame_equal_the_grouped_expressions_to_the_bit(n: int) -> None:
    """levels_plan takes the three levels from one quantile call with their list; the values
    are those of quantile_exprs' three calls (what the group tables use) to the bit."""
    rng = random.Random(n)
    pick = (
        lambda: None,
        lambda: rng.uniform(1e4, 5e5),
        lambda: float(rng.randrange(50, 400) * 1000),
        lambda: rng.random() * 1e-3,
    )
    values = [rng.choice(pick)() for _ in range(n)]
    df = pl.DataFrame({"v": values}, schema={"v": pl.Float64}).lazy()
    value = pl.col("v")
    assert (
        levels_plan(df, value).collect().rows() == df.select(quantile_exprs(value)).collect().rows()
    )


def test_wilson_is_exactly_zero_or_one_at_the_edges() -> None:
    """0 of 30 had a lower bound of 3e-18: "above" a market share of 0."""
    from newsletter.data.signals.stats import wilson

    for n in range(1, 400):
        none, every = wilson(0, n), wilson(n, n)
        assert none is not None and none[0] == 0.0 and 0 < none[1] < 1, n
        assert every is not None and every[1] == 1.0 and 0 < every[0] < 1, n
