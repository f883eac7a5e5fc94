"""Totals, pay levels and group tables agree exactly with independent hand computations."""

from __future__ import annotations

import random
import statistics
from collections import Counter
from typing import Any

import pytest

from newsletter.data.signals.models import GroupRow
from tests.conftest import posting
from tests.signals_support import linear_quantile, run

CATS = ("AI/ML Engineer", "Data Scientist", "Other")
LEVELS = ("entry", "mid", "senior", "leadership")


def _world(seed: int = 7) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Two weeks: 300 postings, 40 removed, 55 new; pay on most, some in EUR."""
    rng = random.Random(seed)

    def one(i: int) -> dict[str, Any]:
        pay = rng.random() < 0.8
        cur = "USD" if rng.random() < 0.9 else "EUR"
        mid = float(rng.randrange(90, 300) * 1000) if pay else None
        return posting(
            str(i),
            category=rng.choice(CATS),
            seniority=rng.choice(LEVELS),
            metro=rng.choice(["New York", "Seattle", None]),
            remote=rng.random() < 0.25,
            company=rng.choice(["A", "B", "C", "D"]),
            salary_min=mid,
            salary_max=mid,
            salary_mid=mid,
            currency=cur if pay else None,
        )

    prev = [one(i) for i in range(300)]
    cur = prev[40:] + [one(1000 + i) for i in range(55)]
    return prev, cur


def _usd(rows: list[dict[str, Any]]) -> list[float]:
    return [r["salary_mid"] for r in rows if r["currency"] == "USD" and r["salary_mid"]]


def test_totals_match_set_arithmetic() -> None:
    prev, cur = _world()
    s = run([prev, cur])
    a, b = {r["posting_id"] for r in cur}, {r["posting_id"] for r in prev}
    t = s.totals
    assert (t.open, t.open_prev, t.new, t.removed) == (len(a), len(b), len(a - b), len(b - a))
    assert (t.open, t.new, t.removed) == (315, 55, 40)
    assert t.net_change == 15 and t.continuing == 260
    assert t.change_pct == pytest.approx(315 / 300 - 1)
    assert t.open_avg_4w is None  # only two weeks of history


def test_pay_levels_match_independent_quantiles() -> None:
    prev, cur = _world()
    s = run([prev, cur])
    usd, usd_prev = _usd(cur), _usd(prev)
    assert s.pay.n == len(usd) and s.pay.n_prev == len(usd_prev)
    assert s.pay.median == statistics.median(usd)
    assert s.pay.p75 == linear_quantile(usd, 0.75)
    assert s.pay.p90 == linear_quantile(usd, 0.9)
    assert s.pay.median_prev == statistics.median(usd_prev)
    disclosed = sum(r["salary_mid"] is not None for r in cur)
    assert s.pay.disclosure_rate == disclosed / len(cur)
    assert s.pay.median_ci_low is not None and s.pay.median_ci_low < s.pay.median


def test_pay_gates_null_values_but_keep_n() -> None:
    usd = {"currency": "USD", "salary_mid": 100_000.0}
    rows = [posting(str(i), **usd) for i in range(29)]
    rows += [posting(f"e{i}", currency="EUR", salary_mid=90_000.0) for i in range(50)]
    s = run([rows])
    assert s.pay.n == 29 and s.pay.median is None and s.pay.p75 is None
    assert any(x.startswith("pay.median: n=29 < 30") for x in s.data_health.suppressed)
    assert s.data_health.share_non_usd_pay == pytest.approx(50 / 79)
    rows.append(posting("x", **usd))
    s = run([rows])
    assert (s.pay.n, s.pay.median, s.pay.p75, s.pay.p90) == (30, 100_000.0, None, None)


def _by_name(rows: list[GroupRow]) -> dict[str, GroupRow]:
    return {g.name: g for g in rows}


@pytest.mark.parametrize("key", ["category", "seniority"])
def test_group_tables_match_counters(key: str) -> None:
    prev, cur = _world()
    s = run([prev, cur])
    table = _by_name(s.categories if key == "category" else s.seniority)
    ids_prev = {r["posting_id"] for r in prev}
    ids_cur = {r["posting_id"] for r in cur}
    open_, before = Counter(r[key] for r in cur), Counter(r[key] for r in prev)
    new = Counter(r[key] for r in cur if r["posting_id"] not in ids_prev)
    gone = Counter(r[key] for r in prev if r["posting_id"] not in ids_cur)
    assert set(table) == set(open_)
    for name, g in table.items():
        assert (g.open, g.open_prev, g.new, g.removed) == (
            open_[name],
            before[name],
            new[name],
            gone[name],
        )
        assert g.share == open_[name] / len(cur)
        pay = _usd([r for r in cur if r[key] == name])
        assert g.n_pay == len(pay)
        assert g.median_pay == (statistics.median(pay) if len(pay) >= 30 else None)
    if key == "seniority":
        assert [g.name for g in s.seniority] == list(LEVELS)


def test_metros_exclude_unknown_remote_and_small() -> None:
    prev, cur = _world()
    s = run([prev, cur])
    counts = Counter(r["metro"] for r in cur if r["metro"] is not None and not r["remote"])
    assert {g.name: g.open for g in s.metros} == {k: v for k, v in counts.items() if v >= 30}
    remote = sum(bool(r["remote"]) for r in cur)
    assert s.remote.share == remote / len(cur) and s.remote.n == len(cur)


def test_metros_leave_out_remote_postings_that_name_a_city() -> None:
    """A remote posting that also names a city ("Palo Alto, CA; Remote in USA", as the
    Simplify list has them) is no role in that metro: the email says the metro table
    excludes remote roles (guide S13), and such postings must not lift a metro past its
    gate nor count in its flows."""

    def at(i: str, *, remote: bool) -> dict[str, Any]:
        mode = "remote" if remote else "onsite"
        return posting(i, metro="San Francisco Bay Area", remote=remote, work_mode=mode)

    prev = [*(at(f"o{i}", remote=False) for i in range(29)), at("r0", remote=True)]
    cur = [*prev[:29], at("r1", remote=True)]
    s = run([prev, cur])
    assert s.metros == []  # 29 on-site postings: under the gate of 30
    assert "metros: 1 metro(s) with fewer than 30 open" in s.data_health.suppressed
    cur = prev[:29] + [at(f"n{i}", remote=False) for i in range(3)] + [at("r1", remote=True)]
    s = run([prev, cur])
    (sf,) = s.metros
    assert (sf.open, sf.open_prev, sf.new, sf.removed) == (32, 29, 3, 0)


def test_companies_top_new_and_movers() -> None:
    prev = [posting(f"a{i}", company="Alpha") for i in range(30)]
    prev += [posting(f"b{i}", company="Beta") for i in range(10)]
    prev += [posting(f"c{i}", company="Gamma") for i in range(3)]
    cur = prev[:20] + prev[30:] + [posting(f"n{i}", company="Beta") for i in range(12)]
    s = run([prev, cur])
    top = {c.name: (c.open, c.new, c.removed) for c in s.companies}
    assert top == {"Alpha": (20, 0, 10), "Beta": (22, 12, 0)}  # Gamma < 5 open
    assert [c.name for c in s.company_detail.top_new] == ["Beta"]
    movers = {c.name: c.net for c in s.company_detail.movers}
    assert movers == {"Beta": 12, "Alpha": -10}


def test_no_previous_week_is_all_flows_zero() -> None:
    s = run([[posting(str(i)) for i in range(5)]])
    assert s.previous_week is None and s.totals.open_prev is None
    assert (s.totals.new, s.totals.removed) == (0, 0)


def test_duplicate_and_missing_ids_are_counted_not_silently_kept() -> None:
    rows = [posting("1"), posting("1"), posting("2"), {**posting("3"), "posting_id": None}]
    s = run([rows])
    assert s.totals.open == 2
    assert (s.data_health.ids_repeated, s.data_health.ids_missing) == (1, 1)
    assert s.data_health.posting_intensity == 1.5


def test_company_names_from_an_older_snapshot_are_shown_clean_and_capped() -> None:
    # Snapshots written before ingest dropped invisible characters may still hold them.
    from newsletter.util.text import SHOWN_MAX

    long = "Mega" * 60 + " Corporation"
    before = [posting(f"a{i}", company="\u202eevilCo") for i in range(6)]
    before += [posting(f"c{i}", company=long) for i in range(10)]  # known: no board newly seen
    after = before + [posting(f"b{i}", company=long) for i in range(30)]
    s = run([before, after])
    names = [c.name for c in s.company_detail.top]
    assert "evilCo" in names and not any("\u202e" in n for n in names)
    shown = next(n for n in names if n.startswith("Mega"))
    assert len(shown) == SHOWN_MAX and shown.endswith("…")
    assert s.company_detail.spotlight is not None
    assert s.company_detail.spotlight.name == shown  # the spotlight: the same name


def _modes(remote: int, onsite: int, unknown: int, start: int = 0) -> list[dict[str, Any]]:
    modes = ["remote"] * remote + ["onsite"] * onsite + ["unknown"] * unknown
    return [posting(str(start + i), work_mode=m, remote=m == "remote") for i, m in enumerate(modes)]


def test_remote_share_is_of_known_work_modes_with_the_unknown_share_beside_it() -> None:
    """Guide S5: the share of known postings, with the unknown share; a board that stops
    sending work modes is no fall in remote work (the change is not compared)."""
    from newsletter.config import parse_config
    from newsletter.edition.view import build_view

    prev = _modes(400, 500, 100)
    lost = [dict(r, work_mode="unknown", remote=False) if i % 2 else r for i, r in enumerate(prev)]
    s = run([prev, lost])
    assert s.remote.share_of_known_prev == pytest.approx(400 / 900)
    assert s.remote.share_of_known == pytest.approx(200 / 450)
    assert s.remote.unknown_share == pytest.approx(0.55)
    assert s.remote.share == pytest.approx(0.2)  # of all postings: would read as a halving
    assert s.remote.known_change is None
    kpi = {k.label: k for k in build_view(s, parse_config({})).kpis}["Remote share"]
    assert kpi.value == "44.4%" and kpi.direction == "none"
    assert kpi.change.text == "not compared: unknown work mode moved"
    assert kpi.notes == ("of known work mode; 55% unknown",)

    # last week's work modes all unknown: no change to give, and the tile says why
    blind = run([_modes(0, 0, 1000), prev])
    assert blind.remote.known_change is None
    tile = {k.label: k for k in build_view(blind, parse_config({})).kpis}["Remote share"]
    assert tile.change.text == "not compared: unknown work mode moved"

    steady = run([prev, _modes(380, 520, 100)])
    assert steady.remote.known_change == pytest.approx(380 / 900 - 400 / 900)
    assert {g.name: g.n for g in steady.remote.by_seniority} == {"mid": 900}  # known only


def test_the_remote_share_change_needs_30_postings_of_known_work_mode_each_week() -> None:
    """Last week 2 of 3 postings were remote, this week 100 of 300: the tile read "−33.3 pp",
    a change of two postings. The change is held back with the n it had and the n it needs,
    as a level's remote share is."""
    from newsletter.config import parse_config
    from newsletter.edition.view import build_view

    s = run([_modes(2, 1, 0), _modes(100, 200, 0, start=1000)])
    assert (s.remote.n_known, s.remote.n_known_prev) == (300, 3)
    assert s.remote.share_of_known == pytest.approx(1 / 3) and s.remote.known_change is None
    assert "remote.known_change: n=300 vs 3 postings with a known work mode < 30" in (
        s.data_health.suppressed
    )
    view = build_view(s, parse_config({}))
    tile = {k.label: k for k in view.kpis}["Remote share"]
    assert tile.value == "33.3%" and tile.direction == "none"
    assert tile.change.text == "not compared: last week n=3, needs\u00a030"
    assert "the change in the remote share" in view.health[-1]
    # 30 a side is enough (last week's postings stay open: no source drop)
    s = run([_modes(20, 10, 0), _modes(20, 10, 0) + _modes(80, 190, 0, start=1000)])
    assert s.remote.known_change == pytest.approx(1 / 3 - 2 / 3)
    tile = {k.label: k for k in build_view(s, parse_config({})).kpis}["Remote share"]
    assert tile.change.text == "−33.3\u00a0pp"


def test_a_company_new_to_the_data_is_no_spotlight_whatever_its_name() -> None:
    """The warning names it as shown (cleaned, capped at 120): the spotlight matched raw
    names only, and a long one slipped through as the week's 'largest hiring move'."""
    long = "Mega" * 60 + " Corporation"
    before = [posting(f"a{i}", company=f"Co{i}") for i in range(40)]
    s = run([before, before + [posting(f"b{i}", company=long) for i in range(30)]])
    assert [w.kind for w in s.data_health.warnings] == ["new_concentration"]
    assert s.company_detail.spotlight is None
