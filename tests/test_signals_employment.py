"""Contract and other non-full-time roles: never in a full-time pay figure, counted apart.

Guide §5.5: "Contract/1099/C2C roles form a separate series, never in full-time medians."
The snapshot's ``employment`` column says the kind of a posting; null (the posting does not
say, or a snapshot written before the column) counts as full-time. Every week here plants
non-full-time postings whose (annualised hourly) pay would move the figure if it entered.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from newsletter.config import Config
from newsletter.data.pipeline import build_signals
from newsletter.data.signals.gates import MEDIAN_MIN_N
from newsletter.data.snapshots import EMPLOYMENT_TYPES
from tests.conftest import frame, posting
from tests.signals_support import linear_quantile, run

HOUR = 2080  # snapshots store hourly pay annualised at 2,080 hours (guide §5.3)


def paid(pid: str, pay: float, employment: str | None = None, **over: Any) -> dict[str, Any]:
    """A posting with annual USD pay ``pay`` (its range +-10%) and ``employment``."""
    return posting(
        pid,
        currency="USD",
        salary_mid=pay,
        salary_min=0.9 * pay,
        salary_max=1.1 * pay,
        employment=employment,
        skills=[],
        **over,
    )


def full_time(prefix: str, n: int, base: float = 100_000.0, **over: Any) -> list[dict[str, Any]]:
    return [paid(f"{prefix}{j}", base + 1_000.0 * j, **over) for j in range(n)]


def contract(prefix: str, n: int, hourly: float = 150.0, **over: Any) -> list[dict[str, Any]]:
    """Contract postings at ``hourly`` + j dollars an hour, annualised (far above the rest)."""
    return [paid(f"{prefix}{j}", (hourly + j) * HOUR, "contract", **over) for j in range(n)]


def pays(rows: list[dict[str, Any]]) -> list[float]:
    return [float(r["salary_mid"]) for r in rows if r["salary_mid"] is not None]


def test_full_time_is_the_one_value_counted_with_null() -> None:
    """The rule's value is one of the snapshot's employment types."""
    from newsletter.data.signals.pay import FULL_TIME_TYPE

    assert FULL_TIME_TYPE in EMPLOYMENT_TYPES


def test_contract_pay_stays_out_of_the_median_and_forms_its_own_series() -> None:
    staff = full_time("f", 40)
    hired = contract("c", 40) + [posting(f"cx{j}", employment="contract") for j in range(5)]
    s = run([staff, staff + hired])
    p = s.pay
    # the 40 contract postings at $150-189 an hour ($312k-$393k a year) would lift the
    # median from $119,500 to $159,500: they are not in it
    assert p.n == 40 and p.n_prev == 40
    assert p.median == pytest.approx(linear_quantile(pays(staff), 0.5)) == 119_500
    assert p.p75 == pytest.approx(linear_quantile(pays(staff), 0.75))
    assert p.median_prev == p.median
    assert s.history[-1].n_pay == 40 and s.history[-1].median_pay == p.median
    # the disclosure rate beside the figures is of the full-time postings (all 40 disclose);
    # data health still describes the whole snapshot (5 of 85 without pay)
    assert p.disclosure_rate == 1.0
    assert s.data_health.share_without_pay == pytest.approx(5 / 85)
    # ... and the contract roles are their own series, with the hourly figure readers know
    (row,) = p.apart
    assert (row.name, row.open, row.new, row.n) == ("contract", 45, 45, 40)
    annual = linear_quantile(pays(hired), 0.5)
    assert row.median == pytest.approx(annual) == 169.5 * HOUR
    assert row.median_hourly == pytest.approx(169.5)
    assert (p.apart_open, p.apart_n) == (45, 40)
    # open roles still count every posting
    assert s.totals.open == 85 and s.totals.new == 45


def test_null_employment_counts_as_full_time() -> None:
    unstated = full_time("u", 20)
    stated = full_time("s", 20, base=120_000.0, employment="full_time")
    week = unstated + stated + contract("c", 30)
    p = run([week]).pay
    assert p.n == 40
    assert p.median == pytest.approx(linear_quantile(pays(unstated + stated), 0.5))
    assert [(a.name, a.open) for a in p.apart] == [("contract", 30)]


def test_every_kind_other_than_full_time_is_apart_and_gated_like_any_median() -> None:
    staff = full_time("f", 35)
    others = (
        contract("c", 12)
        + [paid(f"p{j}", 30.0 * HOUR, "part_time") for j in range(8)]
        + [paid(f"t{j}", 90.0 * HOUR, "temporary") for j in range(4)]
        + [paid(f"i{j}", 40.0 * HOUR, "internship") for j in range(2)]
        + [paid("x0", 500_000.0, "freelance")]  # a value ingest does not write: still apart
    )
    s = run([staff + others])
    p = s.pay
    assert p.n == 35 and p.median == pytest.approx(linear_quantile(pays(staff), 0.5))
    # one row per kind, most open first
    assert [(a.name, a.open, a.new, a.n) for a in p.apart] == [
        ("contract", 12, 0, 12),
        ("part_time", 8, 0, 8),
        ("temporary", 4, 0, 4),
        ("internship", 2, 0, 2),
        ("freelance", 1, 0, 1),
    ]
    # below MEDIAN_MIN_N USD-paid postings a kind's median is held back, with its n, and said
    assert all(a.n < MEDIAN_MIN_N and a.median is None and a.median_hourly is None for a in p.apart)
    assert f"pay.apart.median: 5 of 5 types with n < {MEDIAN_MIN_N} USD-paid" in (
        s.data_health.suppressed
    )
    assert (p.apart_open, p.apart_n) == (27, 27)


def test_group_tables_and_top_categories_price_full_time_roles_only() -> None:
    ml = full_time("m", 35, category="AI/ML Engineer", seniority="senior")
    ds = full_time("d", 35, base=90_000.0, category="Data Scientist", seniority="mid")
    gigs = contract("c", 35, category="Data Scientist", seniority="mid")
    s = run([ml + ds + gigs])
    ml_median = linear_quantile(pays(ml), 0.5)
    ds_median = linear_quantile(pays(ds), 0.5)
    cats = {c.name: c for c in s.categories}
    assert cats["Data Scientist"].open == 70  # every posting is an open role...
    assert cats["Data Scientist"].n_pay == 35  # ...only full-time pay is priced
    assert cats["Data Scientist"].median_pay == pytest.approx(ds_median)
    assert cats["AI/ML Engineer"].median_pay == pytest.approx(ml_median)
    levels = {r.name: r for r in s.seniority}
    assert (levels["mid"].n_pay, levels["mid"].median_pay) == (35, pytest.approx(ds_median))
    (metro,) = s.metros
    assert metro.open == 105 and metro.n_pay == 70
    assert metro.median_pay == pytest.approx(linear_quantile(pays(ml + ds), 0.5))
    # highest-paying roles: Data Scientist contracts at $300k+ would top the ranking
    assert [(r.name, r.n) for r in s.pay.top_categories] == [
        ("AI/ML Engineer", 35),
        ("Data Scientist", 35),
    ]


def _spread(j: int) -> float:
    return 120_000.0 + 1_000.0 * (j % 60)


def test_the_pay_shift_and_like_for_like_leave_contract_arrivals_out() -> None:
    """9 weeks, each posting open two weeks; from week 5 on, contract roles arrive too."""
    arrivals = []
    for w in range(9):
        rows = [paid(f"{w}-{j}", _spread(j), company=f"Co{j % 20}") for j in range(120)]
        if w >= 5:
            rows += contract(f"{w}-c", 60, company="Gigs")
        arrivals.append(rows)
    s = run([arrivals[w] + (arrivals[w - 1] if w else []) for w in range(9)])
    p = s.pay
    assert p.method == "new-vs-earlier-new"
    assert (p.shift_n, p.shift_n_prev) == (480, 480)
    assert p.change_pct == pytest.approx(0.0) and not p.significant
    assert p.like_for_like_pct == pytest.approx(0.0)
    assert p.like_for_like_n == 960
    (shift,) = p.category_shifts
    assert (shift.n, shift.n_prev) == (480, 480) and shift.change_pct == pytest.approx(0.0)
    # the trend line's medians are full-time too
    assert {h.n_pay for h in s.history[1:]} == {240}


def test_the_short_history_shift_leaves_contract_arrivals_out() -> None:
    gone = full_time("g", 150)
    stay = full_time("s", 150)
    fresh = full_time("n", 150)
    s = run([gone + stay, stay + fresh + contract("c", 100)])
    p = s.pay
    assert p.method == "new-vs-removed"
    assert (p.shift_n, p.shift_n_prev) == (150, 150)
    assert p.change_pct == pytest.approx(0.0) and not p.significant


def test_the_spotlight_company_pay_is_of_its_full_time_roles() -> None:
    before = full_time("b", 20, company="Big")
    hires = full_time("h", 20, base=140_000.0, company="Big")
    gigs = contract("c", 30, company="Big")
    s = run([before, before + hires + gigs])
    spot = s.company_detail.spotlight
    assert spot is not None and spot.name == "Big" and spot.open == 70
    staff = before + hires
    assert spot.n_pay == 40
    assert spot.median_pay == pytest.approx(linear_quantile(pays(staff), 0.5))
    assert spot.pay_low == pytest.approx(linear_quantile([r["salary_min"] for r in staff], 0.1))
    assert spot.pay_high == pytest.approx(linear_quantile([r["salary_max"] for r in staff], 0.9))


def test_snapshots_written_before_the_column_still_read(tmp_path: Path, config: Config) -> None:
    """Older weeks' files have no ``employment`` column (read as null: full-time); the
    latest has it. Signals read them all, history and the previous week included."""
    folder = tmp_path / "snapshots"
    folder.mkdir()
    weeks = [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23)]
    staff = full_time("f", 40)
    for w in weeks[:-1]:
        old = frame(staff).drop("employment")
        assert "employment" not in old.columns
        old.write_parquet(folder / f"{w.isoformat()}.parquet")
    s = build_signals(config, snapshots_dir=folder)
    assert s.pay.n == 40 and s.pay.apart == [] and s.pay.apart_open == 0
    assert [h.n_pay for h in s.history] == [40, 40, 40]

    frame(staff + contract("c", 40)).write_parquet(folder / f"{weeks[-1].isoformat()}.parquet")
    s = build_signals(config, snapshots_dir=folder)
    assert s.week == weeks[-1]
    assert s.pay.n == 40 and s.pay.median == pytest.approx(linear_quantile(pays(staff), 0.5))
    assert [(h.n_pay, h.median_pay) for h in s.history] == [(40, s.pay.median)] * 4
    assert [(a.name, a.open, a.new, a.n) for a in s.pay.apart] == [("contract", 40, 40, 40)]
    assert s.pay.apart[0].median_hourly == pytest.approx(169.5)


def test_compact_employment_gives_the_same_figures_as_the_stored_strings(
    tmp_path: Path, config: Config
) -> None:
    """The pipeline holds ``employment`` as a categorical (snapshots.CATEGORICAL_COLUMNS): the
    signals and the new roles are those of the snapshots' own string column, to the byte."""
    from newsletter.data.newroles import new_roles
    from newsletter.data.pipeline import build_week
    from newsletter.data.signals.compute import compute_week
    from newsletter.data.snapshots import CATEGORICAL_COLUMNS, read_snapshot, write_snapshot

    assert "employment" in CATEGORICAL_COLUMNS
    folder = tmp_path / "snapshots"
    before, now = date(2026, 11, 16), date(2026, 11, 23)
    staff = full_time("f", 40, employment="full_time") + full_time("u", 20, base=90_000.0)
    interns = [paid(f"i{j}", (20.0 + j) * HOUR, "internship") for j in range(30)]
    write_snapshot(frame(staff + contract("a", 10)), folder, before)
    write_snapshot(frame(staff + contract("c", 35) + interns), folder, now)
    stored = compute_week(
        read_snapshot(folder, now),
        read_snapshot(folder, before),
        week=now,
        previous_week=before,
        top_n=config.email.top_n,
        source_kinds={},
        open_window_days=config.data.open_window_days,
    )
    compacted = build_week(config, None, folder)
    assert compacted.signals.model_dump_json() == stored.signals.model_dump_json()
    assert compacted.new_roles == new_roles(stored.arrivals, week=now, previous_week=before)
    p = compacted.signals.pay
    assert p.n == 60 and [(a.name, a.open, a.new) for a in p.apart] == [
        ("contract", 35, 35),
        ("internship", 30, 30),
    ]
    assert p.apart[1].median_hourly == pytest.approx(34.5)
