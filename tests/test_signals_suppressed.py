"""``data_health.suppressed`` is complete: every gated figure that is null has its line."""

from __future__ import annotations

from datetime import date

from newsletter.data.signals import Signals, compute_signals
from newsletter.data.signals.groups import GATED_FIELDS
from newsletter.data.snapshots import read_snapshot
from tests.conftest import REPO, posting
from tests.signals_sim import market, signals_of
from tests.signals_support import run


def missing_lines(s: Signals) -> list[str]:
    """Null gated figures of ``s`` whose key no suppressed line starts with."""
    lines = s.data_health.suppressed
    expected: list[str] = []
    p, t = s.pay, s.totals
    for name in ("median", "p75", "p90"):
        if getattr(p, name) is None:
            expected.append(f"pay.{name}:")
        if s.previous_week is not None and getattr(p, f"{name}_prev") is None:
            expected.append(f"pay.{name}_prev:")
    if p.change_pct is None:
        expected.append("pay.change_pct:")
    elif p.like_for_like_pct is None:
        expected.append("pay.like_for_like_pct:")
    if p.method != "none":
        for name in ("shift_median", "shift_median_prev"):
            if getattr(p, name) is None:
                expected.append(f"pay.{name}:")
    if any(c.change_pct is None for c in p.category_shifts):
        expected.append("pay.category_shifts:")
    if any(a.median is None for a in p.apart):
        expected.append("pay.apart.median:")
    if t.open_prev is not None and t.change_pct is None:
        expected.append("totals.change_pct:")
    if t.new_avg_weeks and t.new_rate_ratio is None:
        expected.append("totals.new_rate_ratio:")
    if t.new_rate_ratio is not None and t.new_rr_ci_low is None:
        expected.append("totals.new_rr_ci_low/high:")
    if s.skills.method == "none":
        expected.append("skills.rising/falling:")
    for label, rows in (("seniority", s.seniority), ("categories", s.categories),
                        ("metros", s.metros)):  # fmt: skip
        for name, n_field, _ in GATED_FIELDS:  # null although there is a sample (maybe 0)
            if any(getattr(r, name) is None and getattr(r, n_field) is not None for r in rows):
                expected.append(f"{label}.{name}:")
        if any(r.open_prev is not None and r.change_pct is None for r in rows):
            expected.append(f"{label}.change_pct:")
    if any(h.median_pay is None for h in s.history):
        expected.append("history.median_pay:")
    rm = s.remote
    if rm.n_known_prev is not None and min(rm.n_known, rm.n_known_prev) < 30:
        expected.append("remote.known_change:")
    for label, remote_rows in (("remote.by_seniority", s.remote.by_seniority),
                               ("remote.by_category", s.remote.by_category)):  # fmt: skip
        if any(r.share is None for r in remote_rows):
            expected.append(f"{label}.share:")
    spot = s.company_detail.spotlight
    if spot is None:
        expected.append("company_detail.spotlight:")
    else:
        if spot.pay_low is None:
            expected.append("company_detail.spotlight.pay_low/high:")
        if spot.median_pay is None:
            expected.append("company_detail.spotlight.median_pay:")
    return [e for e in expected if not any(line.startswith(e) for line in lines)]


def test_bundled_weeks_list_every_withheld_figure() -> None:
    snaps = REPO / "snapshots"
    cur, prev = read_snapshot(snaps, date(2026, 11, 23)), read_snapshot(snaps, date(2026, 11, 16))
    two = compute_signals(cur, prev, week=date(2026, 11, 23), previous_week=date(2026, 11, 16))
    one = compute_signals(cur, None, week=date(2026, 11, 23), previous_week=None)
    for s in (two, one):
        assert missing_lines(s) == []
    # the gated table values are listed (27 of them on the latest bundled pair)
    tables = [x for x in two.data_health.suppressed if x.startswith(("categories.", "metros."))]
    assert sum(int(x.split(": ")[1].split(" of ")[0]) for x in tables) == 27


def test_small_markets_list_every_withheld_figure() -> None:
    tiny = [[posting(f"{w}-{j}", currency="USD", salary_mid=1e5 + j) for j in range(12 + w)]
            for w in range(4)]  # fmt: skip
    gigs = [posting(f"c{j}", currency="USD", salary_mid=3e5, employment="contract")
            for j in range(5)]  # fmt: skip
    for s in (run(tiny), run(tiny[:2]), run(tiny[:1]), signals_of(market(3, weeks=3, n_open=400)),
              run([tiny[0], tiny[1] + gigs])):  # fmt: skip
        assert missing_lines(s) == [], s.data_health.suppressed
    assert "pay.apart.median: 1 of 1 types with n < 30 USD-paid" in (
        run([tiny[0], tiny[1] + gigs]).data_health.suppressed
    )
    s = run(tiny)
    assert "totals.change_pct: open=15, open_prev=14 (both must be >= 20)" in (
        s.data_health.suppressed
    )
