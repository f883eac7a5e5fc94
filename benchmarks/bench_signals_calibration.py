"""Calibration of the signals' statistics by seeded simulation (docs/signals.md, Calibration).

Prints, with the simulation sizes (tests/signals_sim.py has the generators; tests run small
seeded versions of each and assert the bounds):

A. coverage of the 95% median CI on $5k-rounded pay: raw order statistics (before) and
   tie-corrected (now), n = 50, 200, 1,000, plus $10k-rounded and unrounded controls;
B. false pay-shift flags between two samples of the same rounded distribution;
C. false "up/down" calls of the new-postings rate ratio with 5% week-to-week volume variation:
   Poisson CI (before) and quasi-Poisson (now), 500 and 3,000 new postings a week;
D. two snapshots (20,000 open, 10% weekly churn): null pairs and planted riser, faller and
   category pay shift, through ``compute_signals``; the family-wise rate (any move listed in a
   null pair) with its Wilson interval, and the first 100 pairs apart (the issue's check);
E. the same for six-week histories (the new-vs-earlier-new methods);
F. why flows, not stocks: with skill-dependent time-to-fill and a 30% surge of new postings,
   the stock-share test (guide §1 method 3) against new vs removed (method 2, used); with
   pay-dependent time-to-fill, new vs last week's stock against new vs removed;
G. designs of the joint test of moves on the same runs: each kind on its own at 5%
   (definition 2), one plain BH over all candidates, one BH weighted a third per kind, and the
   one used (80% skills, 10% overall pay, 10% categories): the null pairs of part D, and the
   power for a moderate overall pay shift and a moderate riser with 30 and 150 skills tested.

``python benchmarks/bench_signals_calibration.py [--quick] [--write-doc]``: ``--quick`` runs
fewer replications; ``--write-doc`` puts the table into docs/signals.md (between the
``calibration`` markers), else the run says whether the table there is up to date.
Takes ~10 minutes of CPU (29 minutes wall on the shared 2-core machine under load; ``--quick``:
~1 minute of CPU).
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsletter.data.signals import Signals  # noqa: E402
from newsletter.data.signals.diff import added, removed  # noqa: E402
from newsletter.data.signals.pay import estimate, untied_plan  # noqa: E402
from newsletter.data.signals.stats import (  # noqa: E402
    benjamini_hochberg,
    median_ratio,
    two_sided_p,
    wilson,
)
from newsletter.util.files import atomic_write_text  # noqa: E402
from tests.signals_sim import (  # noqa: E402
    CATEGORY_PAY,
    DESIGNS,
    SKILL_RATES,
    Listed,
    Plant,
    listed,
    listed_under,
    market,
    median_ci_coverage,
    pay_shift_false_flags,
    rate_ratio_false_calls,
    signals_of,
    skill_rates,
)

DOC = ROOT / "docs" / "signals.md"
BEGIN, END = "<!-- calibration:begin -->", "<!-- calibration:end -->"
QUICK = "--quick" in sys.argv
PLANT = Plant(rates={"S03": 0.10, "S07": 0.12}, pay={"Data Scientist": 1.20})
rows: list[tuple[str, str, str]] = []


def record(what: str, sizes: str, figure: str) -> None:
    rows.append((what, sizes, figure))
    print(f"  {what:<90} {figure:>22}   ({sizes})", flush=True)


def pct(x: float, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f}%"


def part_a() -> None:
    print("A. 95% CI of the median on rounded pay (coverage of the latent median)")
    reps = 500 if QUICK else 2000
    for n in (50, 200, 1000):
        before = median_ci_coverage(n, reps, seed=n, corrected=False)
        now = median_ci_coverage(n, reps, seed=n)
        record(f"median CI coverage, $5k-rounded, n = {n:,}: raw -> tie-corrected",
               f"{reps:,} samples", f"{before:.3f} -> {now:.3f}")  # fmt: skip
    for unit, label in ((10_000.0, "$10k-rounded"), (0.0, "unrounded")):
        now = median_ci_coverage(1000, reps // 2, seed=7, unit=unit)
        record(f"median CI coverage, {label}, n = 1,000: tie-corrected", f"{reps // 2:,} samples",
               f"{now:.3f}")  # fmt: skip


def part_b() -> None:
    print("B. false pay-shift flags, no change, $5k-rounded pay")
    reps = 500 if QUICK else 2000
    for n in (200, 1000):
        before = pay_shift_false_flags(n, reps, seed=n + 1, corrected=False)
        now = pay_shift_false_flags(n, reps, seed=n + 1)
        record(f"false pay-shift flags, n = {n:,} per side: raw -> tie-corrected",
               f"{reps:,} pairs", f"{pct(before)} -> {pct(now)}")  # fmt: skip


def part_c() -> None:
    print("C. false up/down of the new-postings rate ratio (no trend)")
    reps = 5000 if QUICK else 20000
    for mean in (500, 3000):
        poisson = rate_ratio_false_calls(mean, 4, reps, seed=mean, quasi=False)
        record(f"rate ratio false up/down, {mean:,}/week, 5% volume CV, Poisson CI (before)",
               f"{reps:,} weeks",
               pct(poisson))  # fmt: skip
        for k in (3, 4, 8, 11):
            quasi = rate_ratio_false_calls(mean, k, reps, seed=mean + k)
            record(f"rate ratio false up/down, {mean:,}/week, 5% volume CV, quasi-Poisson, "
                   f"{k} earlier weeks",
                   f"{reps:,} weeks", pct(quasi))  # fmt: skip
    for cv in (0.0, 0.10):
        quasi = rate_ratio_false_calls(3000, 11, reps, seed=11, cv=cv)
        record(f"rate ratio false up/down, 3,000/week, {cv:.0%} volume CV, quasi-Poisson, "
               "11 earlier weeks",
               f"{reps:,} weeks", pct(quasi))  # fmt: skip


def _signals(
    label: str, count: int, make: Callable[[int], Sequence[pl.DataFrame]]
) -> list[Signals]:
    t0 = time.perf_counter()
    out = [signals_of(make(seed)) for seed in range(count)]
    print(f"  ({label}: {count} runs in {time.perf_counter() - t0:.0f} s)", flush=True)
    return out


def _share(k: int, n: int) -> str:
    ci = wilson(k, n)
    assert ci is not None
    return f"{k} of {n} ({pct(k / n)}; 95% CI {pct(ci[0])}-{pct(ci[1])})"


def _report_null(kind: str, runs: list[Signals], first: int | None = None) -> None:
    nulls = [listed(s) for s in runs]
    n = len(nulls)
    record(f"{kind}, null: skill lists empty", f"{n} runs",
           f"{sum(not r.skills for r in nulls)} of {n}")  # fmt: skip
    record(f"{kind}, null: overall pay shift flagged", f"{n} runs",
           f"{sum(r.pay for r in nulls)} of {n}")  # fmt: skip
    record(f"{kind}, null: a category pay shift flagged", f"{n} runs",
           f"{sum(bool(r.categories) for r in nulls)} of {n}")  # fmt: skip
    if first is not None:
        quiet = sum(not r.anything for r in nulls[:first])
        record(f"{kind}, null: nothing at all listed or flagged, first {first} runs",
               f"{first} runs", f"{quiet} of {first}")  # fmt: skip
    record(f"{kind}, null: something listed or flagged (family-wise rate)", f"{n} runs",
           _share(sum(r.anything for r in nulls), n))  # fmt: skip
    for move in ("skill", "pay", "pay_category"):
        p = [t.p_value for s in runs for t in s.moves.tests if t.kind == move]
        if p:
            tails = " / ".join(f"{sum(x < a for x in p)}" for a in TAILS)
            expected = " / ".join(f"{len(p) * a:g}" for a in TAILS)
            record(f"{kind}, null: {move} tests with p < {' / '.join(map(str, TAILS))}",
                   f"{len(p):,} tests in {n} runs", f"{tails} (expected {expected})")  # fmt: skip


def _report_planted(kind: str, runs: list[Signals]) -> None:
    planted = [listed(s) for s in runs]
    p = len(planted)
    record(f"{kind}, planted: riser S03 (5% -> 10%) listed", f"{p} runs",
           f"{sum('S03' in r.rising for r in planted)} of {p}")  # fmt: skip
    record(f"{kind}, planted: faller S07 (20% -> 12%) listed", f"{p} runs",
           f"{sum('S07' in r.falling for r in planted)} of {p}")  # fmt: skip
    record(f"{kind}, planted: Data Scientist pay +20% flagged", f"{p} runs",
           f"{sum('Data Scientist' in r.categories for r in planted)} of {p}")  # fmt: skip
    record(f"{kind}, planted: overall pay shift (+5% by the mix) flagged", f"{p} runs",
           f"{sum(r.pay for r in planted)} of {p}")  # fmt: skip
    false = sum(len(set(r.rising + r.falling) - {"S03", "S07"}) for r in planted)
    false_cat = sum(len(set(r.categories) - {"Data Scientist"}) for r in planted)
    record(f"{kind}, planted: other skills / categories listed (false)", f"{p} runs",
           f"{false} / {false_cat}")  # fmt: skip


#: Tail levels at which the null p-values of each kind of move are counted.
TAILS = (0.05, 0.01, 0.001)
#: Kept from part D for part G (the same null pairs under the other designs).
_NULL_PAIRS: list[Signals] = []


def part_d() -> None:
    print("D. two snapshots, 20,000 open, 10% churn (new-vs-removed)")
    n, p = (40, 10) if QUICK else (400, 30)
    nulls = _signals("null", n, lambda s: market(1000 + s, weeks=2, n_open=20_000))
    _NULL_PAIRS[:] = nulls
    planted = _signals(
        "planted", p, lambda s: market(2000 + s, weeks=2, n_open=20_000, plant=PLANT)
    )
    _report_null("two snapshots", nulls, first=min(n, 100))
    _report_planted("two snapshots", planted)


def part_e() -> None:
    print("E. six-week histories, 20,000 open, 10% churn (new-vs-earlier-new)")
    n, p = (10, 5) if QUICK else (100, 20)
    six = Plant(PLANT.rates, PLANT.pay, pay_weeks=4)
    nulls = _signals("null", n, lambda s: market(3000 + s, weeks=6, n_open=20_000))
    planted = _signals("planted", p, lambda s: market(4000 + s, weeks=6, n_open=20_000, plant=six))
    _report_null("six weeks", nulls, first=min(n, 50))
    _report_planted("six weeks", planted)


def _moderate(label: str, n: int, seed: int, plant: Plant, copies: int) -> list[Signals]:
    """n two-snapshot markets (20,000 open) with ``plant`` and ``10 x copies`` skills."""
    rates = skill_rates(copies)
    return _signals(
        label,
        n,
        lambda s: market(seed + s, weeks=2, n_open=20_000, plant=plant, skill_rates=rates),
    )


def _by_design(what: str, runs: list[Signals], hit: Callable[[Listed], bool]) -> None:
    counts = " / ".join(str(sum(hit(listed_under(s, d)) for s in runs)) for d in DESIGNS)
    record(f"{what}: {' / '.join(DESIGNS)}", f"{len(runs)} runs",
           f"{counts} of {len(runs)}")  # fmt: skip


def part_g() -> None:
    """The designs of the test on the same runs (tests/signals_sim.py, DESIGNS): each kind on its
    own (definition 2), one plain BH, one BH weighted a third per kind, the one used; on the
    null pairs of part D and on moderate moves."""
    print("G. designs of the joint test: separate / plain / thirds / used")
    n = 10 if QUICK else 60
    _by_design("two snapshots, null: something listed", _NULL_PAIRS, lambda r: r.anything)
    pay = Plant(pay=dict.fromkeys(CATEGORY_PAY, 1.04))
    riser = Plant(rates={"S03": 0.075})
    for copies in (3, 15):
        skills = 10 * copies
        runs = _moderate(f"pay +4%, {skills} skills", n, 7000, pay, copies)
        _by_design(f"two snapshots, {skills} skills, pay +4% in every role: overall flagged",
                   runs, lambda r: r.pay)  # fmt: skip
        runs = _moderate(f"riser, {skills} skills", n, 8000, riser, copies)
        _by_design(f"two snapshots, {skills} skills, riser S03 5% -> 7.5%: listed",
                   runs, lambda r: "S03" in r.rising)  # fmt: skip


def _stock_z_discoveries(prev: pl.DataFrame, cur: pl.DataFrame) -> int:
    """BH discoveries (q = 0.05) of the stock-share test with flow-aware variance (guide §1,
    method 3) over the simulated skills."""
    new, rem = added(cur.lazy(), prev.lazy()).collect(), removed(cur.lazy(), prev.lazy()).collect()
    n_t, n_p, a, r = cur.height, prev.height, new.height, rem.height

    def count(frame: pl.DataFrame) -> dict[str, int]:
        exploded = frame.select(pl.col("skills").explode()).drop_nulls()
        return dict(exploded.group_by("skills").len().iter_rows())

    k_t, k_p, k_a, k_r = count(cur), count(prev), count(new), count(rem)
    p_values = []
    for s in SKILL_RATES:
        pbar = (k_a.get(s, 0) + k_r.get(s, 0)) / (a + r)
        var = pbar * (1 - pbar) * (a / n_t**2 + r / n_p**2)
        delta = k_t.get(s, 0) / n_t - k_p.get(s, 0) / n_p
        p_values.append(two_sided_p(delta / math.sqrt(var)) if var > 0 else 1.0)
    return sum(benjamini_hochberg(p_values, 0.05))


def part_f() -> None:
    print("F. flows, not stocks (steady state after a 30-week burn-in)")
    n = 10 if QUICK else 40
    weeks, base = 32, 2_000

    def slow_s09(stock: pl.DataFrame) -> list[float]:  # S09 postings stay open twice as long
        return [0.5 if "S09" in (sk or []) else 1.0 for sk in stock["skills"].to_list()]

    surge = [base] * (weeks - 1) + [round(1.3 * base)]
    stock_hits = flow_hits = 0
    t0 = time.perf_counter()
    for seed in range(n):
        frames = market(5000 + seed, weeks=weeks, n_open=20_000, hazard=slow_s09, arrivals=surge)
        stock_hits += _stock_z_discoveries(frames[-2], frames[-1]) > 0
        flow_hits += listed(signals_of(frames[-2:])).skills
    print(f"  ({n} runs in {time.perf_counter() - t0:.0f} s)")
    record("S09 open 2x as long, +30% new postings: stock-share test", f"{n} runs",
           f"{stock_hits} of {n} list a skill")  # fmt: skip
    record("... same weeks, new vs removed (used)", f"{n} runs",
           f"{flow_hits} of {n} list a skill")  # fmt: skip

    medians = {c: m for c, m in CATEGORY_PAY.items()}

    def fast_high_pay(stock: pl.DataFrame) -> list[float]:  # above-median pay fills 2x faster
        rows = stock.select("category", "salary_mid").iter_rows()
        return [2.0 if pay is not None and pay > medians[c] else 1.0 for c, pay in rows]

    vs_stock = vs_removed = 0
    t0 = time.perf_counter()
    for seed in range(n):
        frames = market(6000 + seed, weeks=weeks, n_open=20_000, hazard=fast_high_pay)
        prev, cur = frames[-2].lazy(), frames[-1].lazy()
        new_row, stock_row = (untied_plan(f).collect().row(0, named=True) for f in (
            added(cur, prev), prev))  # fmt: skip
        a, b = estimate(new_row), estimate(stock_row)
        ratio = median_ratio(a, b) if a and b else None
        vs_stock += bool(ratio and ratio.excludes_value(1.0))
        vs_removed += signals_of(frames[-2:]).pay.significant
    print(f"  ({n} runs in {time.perf_counter() - t0:.0f} s)")
    record("above-median pay fills 2x faster: new vs last week's stock", f"{n} runs",
           f"{vs_stock} of {n} flag a shift")  # fmt: skip
    record("... same weeks, new vs removed (used)", f"{n} runs",
           f"{vs_removed} of {n} flag a shift")  # fmt: skip


def table() -> str:
    lines = [
        BEGIN,
        "| check | figure | simulation |",
        "|---|---|---|",
        *(f"| {what} | {figure} | {sizes} |" for what, sizes, figure in rows),
        END,
    ]
    return "\n".join(lines)


def main() -> None:
    t0 = time.perf_counter()
    print(f"signals calibration ({'quick' if QUICK else 'full'}; seeded, deterministic)")
    for part in (part_a, part_b, part_c, part_d, part_e, part_f, part_g):
        part()
    print(f"total {time.perf_counter() - t0:.0f} s")
    doc = DOC.read_text(encoding="utf-8")
    if BEGIN not in doc or END not in doc:
        print(f"{DOC}: no calibration markers")
        return
    head, rest = doc.split(BEGIN, 1)
    current = BEGIN + rest.split(END, 1)[0] + END
    if "--write-doc" in sys.argv and not QUICK:
        atomic_write_text(DOC, head + table() + rest.split(END, 1)[1])
        print(f"{DOC}: calibration table written")
    elif not QUICK:
        state = "up to date" if current == table() else "DIFFERS (run with --write-doc)"
        print(f"{DOC}: calibration table {state}")


if __name__ == "__main__":
    main()
