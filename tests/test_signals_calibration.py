"""Calibration of the statistics, seeded small versions of the calibration benchmark
(benchmarks/bench_signals_calibration.py): tie-corrected pay intervals on rounded pay, the
quasi-Poisson rate ratio, the t quantile."""

from __future__ import annotations

import polars as pl
import pytest

from newsletter.data.signals.pay import TIE_MAX_HALF_STEP, UNTIED, untied
from newsletter.data.signals.stats import (
    new_rate_ratio,
    quasi_poisson_dispersion,
    rate_ratio,
    t_quantile,
)
from tests.signals_sim import median_ci_coverage, pay_shift_false_flags, rate_ratio_false_calls


def _untied(values: list[float]) -> list[float]:
    frame = pl.LazyFrame(
        {"salary_mid": values, "currency": ["USD"] * len(values), "employment": None},
        schema_overrides={"employment": pl.String},
    )
    return sorted(untied(frame).collect()[UNTIED].to_list())


def test_untied_keeps_distinct_pay_and_spreads_repeated_pay_over_its_step() -> None:
    assert _untied([90_000.0, 100_000.0, 123_456.0]) == [90_000.0, 100_000.0, 123_456.0]
    # 4 postings at $100k between other repeated values $5k away: a $5k step, 4 equal parts
    spread = _untied([95_000.0] * 2 + [100_000.0] * 4 + [105_000.0] * 2)
    assert spread[2:6] == [97_500.0 + 625.0 + 1_250.0 * j for j in range(4)]
    assert sum(spread[2:6]) / 4 == 100_000.0  # the copies keep their mean
    # a single repeated value gets at most TIE_MAX_HALF_STEP either side
    lone = _untied([100_000.0, 100_000.0, 50_000.0])
    assert lone == pytest.approx(
        [
            50_000.0,
            100_000.0 * (1 - TIE_MAX_HALF_STEP / 2),
            100_000.0 * (1 + TIE_MAX_HALF_STEP / 2),
        ]
    )
    # other currencies, missing pay and a contract role's pay never enter
    frame = pl.LazyFrame(
        {
            "salary_mid": [1.0, None, 5.0, 7.0],
            "currency": ["EUR", "USD", "USD", "USD"],
            "employment": [None, None, "full_time", "contract"],
        }
    )
    assert untied(frame).collect()[UNTIED].to_list() == [5.0]


def test_untied_is_scale_free() -> None:
    values = [100_000.0] * 3 + [110_000.0] * 5 + [125_000.0, 130_000.0] * 2
    assert _untied([1.1 * v for v in values]) == pytest.approx([1.1 * v for v in _untied(values)])


def test_median_ci_covers_on_5k_rounded_pay() -> None:
    """The issue's bar: 0.93-0.97 at n = 200 and 1,000 (400 seeded samples each; the
    benchmark runs 2,000). The raw order statistics miss it badly at n = 1,000."""
    for n in (200, 1000):
        assert 0.93 <= median_ci_coverage(n, 400, seed=n) <= 0.97, n
    assert median_ci_coverage(1000, 400, seed=1000, corrected=False) < 0.88


def test_no_change_pay_pairs_are_rarely_flagged_on_rounded_pay() -> None:
    assert pay_shift_false_flags(1000, 300, seed=5) <= 0.07
    assert pay_shift_false_flags(1000, 300, seed=5, corrected=False) >= 0.09


def test_rate_ratio_null_with_5pct_volume_variation_calls_at_most_6pct() -> None:
    for mean in (500, 3000):
        for k in (4, 11):
            assert rate_ratio_false_calls(mean, k, 3000, seed=mean + k) <= 0.06, (mean, k)
        # the Poisson interval over-calls (the audit's 19% and 50%)
        assert rate_ratio_false_calls(mean, 4, 3000, seed=mean, quasi=False) >= 0.15


def test_quasi_poisson_dispersion_and_interval() -> None:
    assert quasi_poisson_dispersion([100]) is None
    assert quasi_poisson_dispersion([100, 100, 100]) == 1.0  # floored: never below Poisson
    # counts 90, 110: chi2 = (100 + 100) / 100 = 2 on 1 df
    assert quasi_poisson_dispersion([90, 110]) == pytest.approx(2.0)
    wide = rate_ratio(120, 400, 4, dispersion=4.0)
    plain = rate_ratio(120, 400, 4)
    assert wide is not None and plain is not None
    assert wide.se == pytest.approx(2 * plain.se)
    call = new_rate_ratio(120, [100, 110, 90, 100, 100, 100])
    assert call is not None and call.interval is not None and call.weeks == 6
    assert call.estimate == pytest.approx(120 / 100)
    # the interval uses t with 5 df on the dispersion of all six earlier weeks
    phi = quasi_poisson_dispersion([100, 110, 90, 100, 100, 100])
    assert phi is not None
    expected = rate_ratio(120, 400, 4, z=t_quantile(0.975, 5), dispersion=phi)
    assert expected is not None and call.interval.low == pytest.approx(expected.low)
    short = new_rate_ratio(120, [100, 100])
    assert short is not None and short.interval is None and short.estimate == 1.2


@pytest.mark.parametrize(
    ("df", "expected"),
    [(1, 12.706205), (2, 4.302653), (3, 3.182446), (5, 2.570582), (10, 2.228139), (30, 2.042272)],
)
def test_t_quantile_matches_tables(df: int, expected: float) -> None:
    assert t_quantile(0.975, df) == pytest.approx(expected, abs=1e-6)
