"""Definition 4: highest-paying categories, remote share by group, the company spotlight."""

from __future__ import annotations

from typing import Any

from tests.conftest import posting
from tests.signals_support import linear_quantile, run


def _paid(pid: str, pay: float, **over: Any) -> dict[str, Any]:
    return posting(pid, currency="USD", salary_min=pay - 10_000, salary_max=pay + 10_000,
                   salary_mid=pay, **over)  # fmt: skip


def test_highest_paying_categories_rank_published_medians_only() -> None:
    rows = (
        [_paid(f"a{i}", 150_000 + 1_000 * i, category="Data Scientist") for i in range(40)]
        + [_paid(f"b{i}", 250_000 + 1_000 * i, category="Research Scientist") for i in range(35)]
        # the best paid of all, but only 29 paid postings: held back, never ranked
        + [_paid(f"c{i}", 400_000, category="AI Architect") for i in range(29)]
        + [posting(f"d{i}", category="AI Architect") for i in range(10)]
    )
    s = run([rows, rows])
    ranked = [(c.name, c.n) for c in s.pay.top_categories]
    assert ranked == [("Research Scientist", 35), ("Data Scientist", 40)]
    top = s.pay.top_categories[0]
    pays = [250_000 + 1_000 * i for i in range(35)]
    assert top.median == linear_quantile(pays, 0.5)
    assert top.ci_low is not None and top.ci_high is not None
    assert top.ci_low < top.median < top.ci_high
    assert any(x.startswith("categories.median_pay: 1 of") for x in s.data_health.suppressed)


def test_remote_share_by_group_is_wilson_gated_and_compared_with_the_market() -> None:
    senior = [posting(f"s{i}", seniority="senior", remote=i < 30, work_mode="remote" if i < 30
                      else "onsite") for i in range(40)]  # fmt: skip
    entry = [posting(f"e{i}", seniority="entry", remote=i < 2) for i in range(60)]
    lead = [posting(f"l{i}", seniority="leadership", remote=True) for i in range(12)]
    rows = senior + entry + lead
    s = run([rows, rows])
    by = {r.name: r for r in s.remote.by_seniority}
    assert [r.name for r in s.remote.by_seniority] == ["entry", "senior", "leadership"]
    assert by["senior"].share == 30 / 40 and by["senior"].vs_market == "above"
    assert by["entry"].share == 2 / 60 and by["entry"].vs_market == "below"
    low, high = by["senior"].ci_low, by["senior"].ci_high
    assert low is not None and high is not None and low < 0.75 < high
    # 12 postings, all remote: below the gate, so no share and no call
    assert by["leadership"].share is None and by["leadership"].vs_market is None
    assert by["leadership"].remote == 12
    assert "remote.by_seniority.share: 1 of 3 rows with n < 30" in s.data_health.suppressed


def _company(name: str, n: int, tag: str, **over: Any) -> list[dict[str, Any]]:
    return [posting(f"{tag}{name}{i}", company=name, **over) for i in range(n)]


def test_spotlight_is_the_largest_gated_move_of_a_company_with_20_open() -> None:
    before = (
        _company("Grower", 20, "x")
        + _company("Small", 2, "x")
        + _company("Steady", 50, "x")
        + _company("Shrinker", 60, "x")
    )
    after = (
        _company("Grower", 20, "x")
        + _company("Grower", 12, "y", metro="New York", category="Data Scientist",
                   currency="USD", salary_min=150_000, salary_max=190_000, salary_mid=170_000)
        + _company("Small", 19, "y")  # +17 but only 19 open: never the spotlight
        + _company("Steady", 50, "x")
        + _company("Shrinker", 48, "x")  # -12 < 0.2 x 48: not past the mover gate
    )  # fmt: skip
    s = run([before, after])
    spot = s.company_detail.spotlight
    assert spot is not None and spot.name == "Grower"
    assert (spot.open, spot.open_prev, spot.net, spot.new) == (32, 20, 12, 12)
    assert spot.change_pct is not None and abs(spot.change_pct - 0.6) < 1e-9
    assert [(c.name, c.open) for c in spot.categories] == [
        ("AI/ML Engineer", 20),
        ("Data Scientist", 12),
    ]
    assert spot.places[0].name == "San Francisco Bay Area" and spot.places[1].name == "New York"
    assert spot.n_pay == 12 and (spot.pay_low, spot.pay_high) == (150_000, 190_000)
    assert spot.median_pay is None  # 12 < 30
    assert "company_detail.spotlight.median_pay: n_pay=12 < 30" in s.data_health.suppressed


def test_spotlight_never_a_company_whose_drop_is_a_data_failure() -> None:
    before = _company("Vanished", 60, "x") + _company("Grower", 20, "x")
    after = _company("Vanished", 60, "x")[:25] + _company("Grower", 20, "x")
    after += _company("Grower", 10, "y")
    s = run([before, after])
    assert [w.name for w in s.data_health.warnings if w.kind == "company_drop"] == ["Vanished"]
    spot = s.company_detail.spotlight
    assert spot is not None and spot.name == "Grower"  # not Vanished (-35): a drop warning


def test_spotlight_never_a_company_whose_postings_only_changed_name() -> None:
    """30 of Alpha's postings stay open but are labelled Zeta this week (a board relabelling
    them): Alpha's open count falls by 30 with nothing removed. The spotlight said "Alpha
    pulled back the most: 10 open roles, -30 on last week (0 new, 0 removed)"; a move is
    now the company's own arrivals and removals, so Grower (+10 new) is the spotlight."""
    alpha = _company("Alpha", 40, "x")
    before = alpha + _company("Grower", 25, "x")
    relabelled = [{**r, "company": "Zeta"} for r in alpha[10:]]
    after = alpha[:10] + relabelled + _company("Grower", 25, "x") + _company("Grower", 10, "y")
    s = run([before, after])
    rows = {c.name: (c.open, c.net, c.new, c.removed) for c in s.company_detail.top}
    assert rows["Alpha"] == (10, -30, 0, 0) and rows["Zeta"] == (30, 30, 0, 0)
    spot = s.company_detail.spotlight
    assert spot is not None and (spot.name, spot.net, spot.new, spot.removed) == (
        "Grower",
        10,
        10,
        0,
    )


def test_no_spotlight_without_a_qualifying_move_or_with_one_snapshot() -> None:
    rows = _company("Steady", 40, "x")
    s = run([rows, rows])
    assert s.company_detail.spotlight is None
    assert any(x.startswith("company_detail.spotlight: no company") for x in
               s.data_health.suppressed)  # fmt: skip
    one = run([rows])
    assert one.company_detail.spotlight is None
    assert "company_detail.spotlight: needs two snapshots" in one.data_health.suppressed


def test_spotlight_says_when_its_move_or_its_top_three_tie() -> None:
    """Two companies make the same largest move and the spotlight's fourth place has as many
    postings as its third: the pick and the cut were made by name, and the paragraph read
    "Alpha made the week's largest hiring move" and "in Austin (2), Boston (2) and Chicago
    (2)" as if Beta's +12 and Denver's 2 were smaller. The signals now say how many tie."""
    places = ["Austin", "Boston", "Chicago", "Denver"]
    before = _company("Alpha", 20, "x") + _company("Beta", 20, "x")
    before += _company("Gamma", 60, "x")
    after = _company("Alpha", 20, "x", metro="Seattle") + _company("Beta", 20, "x")
    after += _company("Gamma", 60, "x")
    for m in places:
        after += _company("Alpha", 3, f"y{m}", metro=m, category="Data Scientist")
    after += _company("Beta", 12, "y")
    s = run([before, after])
    spot = s.company_detail.spotlight
    assert spot is not None and (spot.name, spot.net) == ("Alpha", 12)
    assert spot.tied == 1  # Beta, +12 too
    assert [(p.name, p.open) for p in spot.places] == [("Seattle", 20), ("Austin", 3),
                                                        ("Boston", 3)]  # fmt: skip
    assert spot.places_more == 2  # Chicago and Denver: 3 each, cut by name
    assert spot.categories_more == 0  # AI/ML Engineer 20, Data Scientist 12: no cut
    one = run([before, _company("Alpha", 20, "x") + _company("Alpha", 12, "y")
               + _company("Beta", 20, "x") + _company("Gamma", 60, "x")])  # fmt: skip
    alone = one.company_detail.spotlight
    assert alone is not None and (alone.name, alone.tied, alone.places_more) == ("Alpha", 0, 0)
