"""The joint test of the week's candidate moves (newsletter/data/signals/moves.py): adjusted
p-values against plain and weighted Benjamini-Hochberg, the pay p-value against its interval,
the family-wise rate under a global null, and the JSON that lets anyone re-derive the verdicts."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from newsletter.config import parse_config
from newsletter.data.pipeline import build_signals
from newsletter.data.signals.gates import MOVES_BUDGET, MOVES_FDR_Q
from newsletter.data.signals.models import MoveKind, Signals
from newsletter.data.signals.moves import Candidate, joint_test, shares, weights
from newsletter.data.signals.stats import (
    Z95,
    Interval,
    benjamini_hochberg,
    bh_adjusted,
    median_estimate,
    median_ratio,
    two_sided_p,
)
from tests.conftest import REPO
from tests.signals_sim import Plant, market, signals_of


def test_bh_adjusted_matches_r_p_adjust() -> None:
    # R: p.adjust(c(0.005, 0.01, 0.03, 0.04, 0.5), "BH")
    assert bh_adjusted([0.005, 0.01, 0.03, 0.04, 0.5]) == pytest.approx(
        [0.025, 0.025, 0.05, 0.05, 0.5]
    )
    # R: p.adjust(c(0.01, 0.04, 0.03, 0.005, 0.5), "BH") (order kept)
    assert bh_adjusted([0.01, 0.04, 0.03, 0.005, 0.5]) == pytest.approx(
        [0.025, 0.05, 0.05, 0.025, 0.5]
    )
    assert bh_adjusted([]) == []


def test_weighted_bh_by_hand() -> None:
    # Q = p / w = (0.01 / 1.5, 0.02 / 0.5) = (0.00667, 0.04); m = 2
    adjusted = bh_adjusted([0.01, 0.02], [1.5, 0.5])
    assert adjusted == pytest.approx([min(0.04, 2 * 0.01 / 1.5), 0.04])
    assert bh_adjusted([0.01, 0.2], [2.0, 0.0]) == pytest.approx([0.01, 1.0])  # w = 0: never
    with pytest.raises(ValueError, match="weights"):
        bh_adjusted([0.1], [1.0, 1.0])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=40), st.floats(0.001, 0.2))
@example([0.0, 0.0, 0.11682851528273916], 0.11682851528273916)  # q·3/3 < q in floats
def test_adjusted_p_values_pass_exactly_where_bh_passes(p: list[float], q: float) -> None:
    assert [a <= q for a in bh_adjusted(p)] == benjamini_hochberg(p, q)


@settings(max_examples=200, deadline=None)
@given(st.floats(-0.5, 0.5), st.floats(1e-4, 0.5))
def test_a_lone_pay_shift_p_value_agrees_with_its_interval(log_ratio: float, se: float) -> None:
    """The 95% interval exp(ln r ± Z95·SE) excludes 1 exactly when p < 0.05, and a lone
    shift (one candidate) is then listed (when its gates pass)."""
    r = Interval(
        math.exp(log_ratio), math.exp(log_ratio - Z95 * se), math.exp(log_ratio + Z95 * se), se
    )
    z = math.log(r.estimate) / r.se
    if abs(abs(z) - Z95) < 1e-9:  # on the boundary itself rounding decides
        return
    assert r.excludes_value(1.0) == (two_sided_p(z) < 0.05)
    lone = joint_test([Candidate("pay", "all", z, gates=True)])
    assert lone.tests[0].listed == r.excludes_value(1.0)


def test_pay_z_uses_the_se_of_the_bonett_price_interval() -> None:
    a, b = median_estimate(400, 110.0, 100.0, 121.0), median_estimate(400, 100.0, 91.0, 110.0)
    r = median_ratio(a, b)
    assert r is not None and a.se_log is not None and b.se_log is not None
    assert r.se == pytest.approx(math.hypot(a.se_log, b.se_log))
    z = math.log(r.estimate) / r.se
    assert math.log(r.low) == pytest.approx(math.log(r.estimate) - Z95 * r.se)
    assert (two_sided_p(z) < 0.05) == r.excludes_value(1.0)


def _family(m_skills: int, m_categories: int = 4) -> list[tuple[MoveKind, str]]:
    return (
        [("skill", f"S{i}") for i in range(m_skills)]
        + [("pay", "all")]
        + [("pay_category", f"C{i}") for i in range(m_categories)]
    )


def test_weights_give_each_kind_its_budget_share_and_average_one() -> None:
    cands = [Candidate(k, n, 0.0, True) for k, n in _family(30)]
    assert MOVES_BUDGET == {"skill": 0.8, "pay": 0.1, "pay_category": 0.1}
    w = weights(cands, MOVES_BUDGET)
    assert sum(w) / len(w) == pytest.approx(1.0)
    assert shares(cands, MOVES_BUDGET) == pytest.approx(MOVES_BUDGET)
    assert w[0] == pytest.approx(0.8 * 35 / 30)  # a skill
    assert w[30] == pytest.approx(0.1 * 35)  # the overall shift
    assert w[31] == pytest.approx(0.1 * 35 / 4)  # a category
    # a lone overall shift needs p <= q x 0.1, whatever the number of skills
    for m_skills in (30, 150):
        family = [Candidate(k, n, 0.0, True) for k, n in _family(m_skills)]
        pay = next(i for i, c in enumerate(family) if c.kind == "pay")
        assert weights(family, MOVES_BUDGET)[pay] / len(family) == pytest.approx(0.1)
    # plain BH: every weight 1, shares follow the counts
    assert weights(cands, None) == [1.0] * 35
    # a kind not tested hands its share to the others
    skills_only = [c for c in cands if c.kind == "skill"]
    assert weights(skills_only, MOVES_BUDGET) == pytest.approx([1.0] * 30)
    no_categories = [c for c in cands if c.kind != "pay_category"]
    assert shares(no_categories, MOVES_BUDGET) == pytest.approx({"skill": 8 / 9, "pay": 1 / 9})


def test_under_a_global_null_any_move_is_listed_in_at_most_q_of_weeks() -> None:
    """Independent null z for 30 skills, the overall and 4 category shifts: the chance that
    anything is listed is q = 5% (exactly, in theory, for independent p-values; 6,000 seeded
    weeks give it within about ±0.6%), for both the weighted and the plain procedure; each kind
    alone at 5% (definition 2) listed far more often."""
    rng = random.Random(17)
    family = _family(30)
    hits = {"by kind": 0, "plain": 0, "separate": 0}
    weeks = 6000
    for _ in range(weeks):
        cands = [Candidate(k, n, rng.gauss(0, 1), True) for k, n in family]
        hits["by kind"] += joint_test(cands).listed > 0
        hits["plain"] += joint_test(cands, None).listed > 0
        separate = False
        for kind in ("skill", "pay", "pay_category"):
            p = [two_sided_p(c.z) for c in cands if c.kind == kind]
            separate |= any(a <= 0.05 for a in bh_adjusted(p))
        hits["separate"] += separate
    for design in ("by kind", "plain"):
        assert abs(hits[design] / weeks - MOVES_FDR_Q) <= 0.006, hits
    assert hits["separate"] / weeks >= 0.12


def test_the_p_value_cap_keeps_a_listed_shift_inside_its_own_95_percent_interval() -> None:
    """Many skill discoveries relax the step-up; a heavily weighted pay shift at p = 0.06
    could then pass it, but is not listed: its 95% interval includes 0."""
    strong = [Candidate("skill", f"S{i}", 8.0, True) for i in range(10)]
    pay = Candidate("pay", "all", 1.88, True)  # p = 0.060
    result = joint_test([*strong, pay])
    t = next(t for t in result.tests if t.kind == "pay")
    assert t.p_adjusted <= MOVES_FDR_Q and t.p_value > MOVES_FDR_Q
    assert not t.listed


def test_gates_still_apply_after_the_test() -> None:
    result = joint_test([Candidate("pay", "all", 6.0, False)])
    assert result.passed == 1 and result.listed == 0 and not result.tests[0].listed


def _check_rederivable(s: Signals) -> None:
    """The JSON holds every candidate: re-running the procedure on it gives its verdicts."""
    mv = s.moves
    tests = mv.tests
    assert mv.tested == len(tests) == sum(mv.tested_by_kind.values())
    assert mv.tested_by_kind.get("skill", 0) == s.skills.tested
    again = bh_adjusted([t.p_value for t in tests], [t.weight for t in tests])
    assert [t.p_adjusted for t in tests] == pytest.approx(again)
    assert [t.p_value for t in tests] == sorted(t.p_value for t in tests)
    for t in tests:
        assert t.p_value == pytest.approx(two_sided_p(t.z))
        assert t.listed == (t.p_adjusted <= mv.q and t.p_value < mv.q and t.gates)
    listed = {(t.kind, t.name) for t in tests if t.listed}
    rising = {m.name for m in s.skills.rising}
    falling = {m.name for m in s.skills.falling}
    assert {n for k, n in listed if k == "skill"} == rising | falling
    assert (("pay", "all") in listed) == s.pay.significant
    assert {n for k, n in listed if k == "pay_category"} == {
        c.name for c in s.pay.category_shifts if c.significant
    }
    for m in [*s.skills.rising, *s.skills.falling]:
        t = next(t for t in tests if t.kind == "skill" and t.name == m.name)
        assert (m.p_value, m.p_adjusted, m.z) == (t.p_value, t.p_adjusted, t.z)
    assert mv.listed == len(listed) and mv.passed >= mv.listed


def test_bundled_week_json_rederives_the_joint_test() -> None:
    s = build_signals(parse_config({}), None, REPO / "snapshots")
    assert s.moves.procedure == "benjamini-hochberg, weighted by kind"
    assert set(s.moves.tested_by_kind) == {"skill", "pay", "pay_category"}
    _check_rederivable(s)


def test_planted_two_snapshot_market_rederives_the_joint_test() -> None:
    plant = Plant(rates={"S03": 0.10, "S07": 0.12}, pay={"Data Scientist": 1.20})
    s = signals_of(market(2000, weeks=2, n_open=20_000, plant=plant))
    _check_rederivable(s)
    ds = next(c for c in s.pay.category_shifts if c.name == "Data Scientist")
    assert ds.significant and ds.p_adjusted is not None and ds.p_adjusted < 0.05
    overall = s.pay
    assert (
        overall.p_value is not None and overall.ci_low is not None and overall.ci_high is not None
    )
    assert (overall.p_value < 0.05) == (overall.ci_low > 0 or overall.ci_high < 0)


def test_one_snapshot_tests_nothing() -> None:
    s = signals_of(market(7, weeks=1, n_open=500))
    assert s.moves.tested == 0 and s.moves.tests == [] and s.moves.listed == 0
