"""Rising/falling skills: planted trends are found; no change and pure noise flag nothing."""

from __future__ import annotations

import random
from typing import Any

from newsletter.config import parse_config
from newsletter.data.pipeline import build_signals
from newsletter.data.signals.models import Signals
from newsletter.data.signals.stats import log_odds_z
from tests.conftest import REPO, posting
from tests.signals_support import run

STABLE = {f"Stable{i}": (5 + 2 * i) / 100 for i in range(20)}
CATS = ("AI/ML Engineer", "Data Scientist", "MLOps Engineer")


def _has(j: int, salt: int, rate: float) -> bool:
    """Deterministic, evenly spread membership: exactly ``rate`` of every 100 postings."""
    return (j * 37 + salt * 11) % 100 < round(rate * 100)


def _weeks(
    drift: dict[str, tuple[float, float]], n_new: int = 600, n_weeks: int = 6
) -> list[list[dict[str, Any]]]:
    """Each posting lives two weeks, so the new postings of week w are exactly its arrivals.

    ``drift`` maps a skill to (baseline share, share in the last week's new postings).
    """
    arrivals = []
    for w in range(n_weeks):
        rows = []
        for j in range(n_new):
            rates = dict(STABLE)
            for name, (before, now) in drift.items():
                rates[name] = now if w == n_weeks - 1 else before
            skills = [s for k, (s, r) in enumerate(sorted(rates.items())) if _has(j, k, r)]
            rows.append(
                posting(f"{w}-{j}", skills=skills, category=CATS[j % 3], company=f"Co{j % 20}")
            )
        arrivals.append(rows)
    return [arrivals[w] + (arrivals[w - 1] if w else []) for w in range(n_weeks)]


def _names(s: Signals) -> tuple[list[str], list[str]]:
    return [m.name for m in s.skills.rising], [m.name for m in s.skills.falling]


def test_planted_rising_and_falling_are_found() -> None:
    s = run(_weeks({"Rising": (0.04, 0.12), "Falling": (0.12, 0.03)}))
    assert _names(s) == (["Rising"], ["Falling"])
    up, down = s.skills.rising[0], s.skills.falling[0]
    assert up.share == 0.12 and up.share_prev == 0.04 and up.z > 2.58
    assert up.postings == 72 and up.n == 600 and up.n_prev == 2400
    assert up.lift is not None and up.lift > 1.2 and up.cmh_z is not None and up.cmh_z > 1.96
    assert down.share == 0.03 and down.z < -2.58
    assert s.skills.baseline_weeks == 4 and s.skills.tested >= 22
    assert s.data_health.suppressed == [] or all(
        "skills" not in x for x in s.data_health.suppressed
    )


def test_no_change_control_flags_nothing() -> None:
    s = run(_weeks({"Flat": (0.08, 0.08)}))
    assert _names(s) == ([], [])
    assert s.skills.tested >= 21


def test_small_moves_below_support_or_lift_are_not_listed() -> None:
    # 1% -> 1.5% of 600: 9 postings this week (< 10) -> not listed however large z is
    s = run(_weeks({"Tiny": (0.01, 0.015), "Nudge": (0.50, 0.53)}))
    assert _names(s) == ([], [])


def test_mix_shift_without_within_role_change_is_not_listed() -> None:
    """Kubernetes is asked by MLOps roles; more MLOps arrivals lift it with no role changing."""

    def weeks(n_weeks: int = 6) -> list[list[dict[str, Any]]]:
        arrivals = []
        for w in range(n_weeks):
            mlops = 300 if w == n_weeks - 1 else 100
            k8s = ["Kubernetes"]
            rows = [
                posting(
                    f"{w}-m{j}",
                    category="MLOps Engineer",
                    skills=k8s * _has(j, 1, 0.6),
                    company=f"Co{j % 20}",
                )
                for j in range(mlops)
            ]
            rows += [
                posting(
                    f"{w}-o{j}",
                    category="Data Scientist",
                    skills=k8s * _has(j, 2, 0.05),
                    company=f"Co{j % 20}",
                )
                for j in range(500)
            ]
            arrivals.append(rows)
        return [arrivals[w] + (arrivals[w - 1] if w else []) for w in range(n_weeks)]

    s = run(weeks())
    assert _names(s) == ([], [])
    # ...although the pooled share jumps (60% x 300 + 5% x 500) / 800 vs (60 + 25) / 600:
    pooled = log_odds_z(205, 800, 4 * 85, 4 * 600, a0=100, pi=0.17)
    assert pooled.z > 5 and pooled.lift > 1.2


def test_null_simulation_flags_no_noise() -> None:
    """50 skills at fixed rates, binomial noise, 500 new postings a week, 20 seeded weeks."""
    rates = [0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5] * 5
    flagged = []
    for seed in range(20):
        rng = random.Random(seed)
        arrivals = [
            [
                posting(
                    f"{w}-{j}",
                    category=rng.choice(CATS),
                    skills=[f"S{i}" for i, r in enumerate(rates) if rng.random() < r],
                )
                for j in range(500)
            ]
            for w in range(6)
        ]
        weeks = [arrivals[w] + (arrivals[w - 1] if w else []) for w in range(6)]
        rising, falling = _names(run(weeks))
        flagged += rising + falling
    assert flagged == []


def test_bundled_snapshots_find_the_planted_trends() -> None:
    s = build_signals(parse_config({}), None, REPO / "snapshots")
    rising, falling = _names(s)
    assert "MCP" in rising
    assert set(rising) <= {"vLLM", "MCP", "Agents"}
    assert set(falling) <= {"TensorFlow"}
    assert s.skills.baseline_weeks == 4 and s.skills.background_weeks == 7
    top = [r.name for r in s.skills.top]
    assert top[0] == "Python" and len(top) == parse_config({}).email.top_n


def test_brand_new_skill_is_tested_and_found() -> None:
    s = run(_weeks({"Brand new": (0.0, 0.05)}))  # absent for 5 weeks, then 30 of 600
    assert _names(s) == (["Brand new"], [])
    assert s.skills.rising[0].postings == 30 and s.skills.rising[0].share_prev == 0.0


def _gap_weeks(weeks: int, gap: int) -> list[list[dict[str, Any]]]:
    """A board of 600 steady postings with 60 fresh ones a week (open two weeks), and board
    b's 300 Rust postings, missing from the snapshot of week ``gap`` only (a scrape gap)."""

    def fresh(k: int) -> list[dict[str, Any]]:
        return [posting(f"a{k}-{i}", source="a", company=f"A{i % 20}") for i in range(60)]

    steady = [posting(f"s{i}", source="a", company=f"A{i % 20}") for i in range(600)]
    b = [posting(f"b{i}", source="b", company=f"B{i % 20}", skills=["Rust", "Python"])
         for i in range(300)]  # fmt: skip
    return [
        steady + fresh(k) + (fresh(k - 1) if k else []) + (b if k != gap else [])
        for k in range(weeks)
    ]


def test_postings_back_after_a_scrape_gap_are_no_new_postings_of_a_skill() -> None:
    """Board b's 300 postings vanish from one snapshot and come back the next: the same ids,
    flagged ``returned`` ("not new roles"), yet they entered the week's new postings of the
    skill test: Rust 'rising' (z = 15.4) the week they came back and 'falling' (z = -6.0) the
    week after, while its baseline held them. Returned postings (ids open in an older
    snapshot) are left out of the new postings the moves compare."""
    weeks = _gap_weeks(8, gap=5)
    back = run(weeks[:7])
    assert back.totals.returned == 300 and back.totals.new == 360  # still counted as new ids
    assert back.skills.method == "new-vs-earlier-new" and back.skills.n_new == 60
    assert [m.name for m in back.skills.rising] == []
    after = run(weeks)
    assert [m.name for m in after.skills.falling] == []
    assert after.skills.n_baseline == 4 * 60


def test_the_names_tied_at_the_cut_of_top_skills_and_companies_are_counted() -> None:
    """The cut of `skills.top` and `company_detail.top` is by name among equal counts: the
    signals count the names past it that tie with the last row (the issue says them)."""
    counts = {"A": 40, "B": 30, "C": 20, "D": 20, "E": 20, "F": 10}
    companies = {"Co1": 9, "Co2": 8, "Co3": 6, "Co4": 6, "Co5": 5}
    rows, j = [], 0
    for skill, n in counts.items():
        for _ in range(n):
            company = next((c for c, k in companies.items() if k > 0), "Big")
            if company != "Big":
                companies[company] -= 1
            rows.append(posting(str(j), skills=[skill], company=company))
            j += 1
    s = run([rows], top_n=3)
    assert [(r.name, r.postings) for r in s.skills.top] == [("A", 40), ("B", 30), ("C", 20)]
    assert s.skills.top_tied == 2  # D and E, 20 each
    assert [(c.name, c.open) for c in s.company_detail.top][1:] == [("Co1", 9), ("Co2", 8)]
    assert s.company_detail.top_tied == 0  # Big, Co1, Co2: no tie at the cut
    s = run([rows], top_n=4)
    assert [c.name for c in s.company_detail.top][3:] == ["Co3"]
    assert s.company_detail.top_tied == 1  # Co4 has 6 open roles too
    assert s.skills.top_tied == 1  # E, 20 like D
    s = run([rows], top_n=6)
    assert s.skills.top_tied == 0 and s.company_detail.top_tied == 0  # no cut


def test_moves_past_the_cut_near_its_last_z_are_kept_for_the_issue(
    rich_signals: Signals,
) -> None:
    """The rising list is cut at top_n by z; the z of the moves just past it (within 0.1 of
    the last one's: they may print the same) were dropped, so the issue could not say them."""
    from newsletter.data.signals.skills import _near_cut

    m = rich_signals.skills.rising[0]
    moves = [m.model_copy(update={"name": f"s{i}", "z": z}) for i, z in
             enumerate([5.0, 3.24, 3.21, 3.15, 3.0])]  # fmt: skip
    assert _near_cut(moves, 2) == [3.21, 3.15]
    assert _near_cut(moves, 5) == []
