"""Benchmark: signals for two 1,000,000-posting snapshots (goal, issue 15: `newsletter signals`
in at most 2 s wall, start-up included, on 2 cores).

Snapshots come from the project's own generator (``newsletter.data.synth``): a few seeded weeks of
~4,300 postings are tiled (vectorised, ids and fingerprints suffixed per copy) up to 1,000,000
rows a week, which keeps the weekly churn (~11%), skills, pay and categories realistic.

Prints: the pure computation on in-memory frames, the end-to-end ``build_signals`` from
Parquet files (2 weeks), the command a user runs (``newsletter signals`` as a child process:
wall, CPU and peak RSS, start-up included), and ``build_signals`` with 6 weeks so every
method (skill trends, pay shift windows, reposts) runs.
Run: ``make bench`` or ``python benchmarks/bench_signals.py [ROWS]``.
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

from newsletter.config import parse_config
from newsletter.data.newroles import NewRoles, new_roles
from newsletter.data.pipeline import build_signals, build_week
from newsletter.data.signals import compute_signals
from newsletter.data.signals.compute import compute_week
from newsletter.data.snapshots import write_snapshot
from newsletter.data.synth import SynthParams, generate
from newsletter.util.clock import SYSTEM_CLOCK

sys.path.insert(0, str(Path(__file__).parent))
from measure import run

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000


def tile(frame: pl.DataFrame, rows: int) -> pl.DataFrame:
    """Repeat ``frame`` with per-copy ids and fingerprints until it has ``rows`` rows."""
    copies = math.ceil(rows / frame.height)
    out = pl.concat(
        [
            frame.with_columns(
                (pl.col("posting_id") + f"~{k}").alias("posting_id"),
                (pl.col("fingerprint") + f"~{k}").alias("fingerprint"),
            )
            for k in range(copies)
        ]
    )
    return out.head(rows).rechunk()


def best_of(n: int, fn: Callable[[], object]) -> str:
    """Best wall time of ``n`` runs and the CPU time of that run (all threads)."""
    runs = []
    for _ in range(n):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        runs.append((time.perf_counter() - w0, time.process_time() - c0))
    wall, cpu = min(runs)
    return f"{wall:6.2f} s wall, {cpu:6.2f} s CPU"


def main() -> None:
    t0 = time.perf_counter()
    weeks = generate(SynthParams(weeks=6))
    big = {w: tile(f, ROWS) for w, f in weeks.items()}
    days = sorted(big)
    print(f"generated {len(days)} weeks x {ROWS:,} postings in {time.perf_counter() - t0:.1f} s")
    prev, cur = big[days[-2]], big[days[-1]]
    print(f"polars {pl.__version__}, threads {pl.thread_pool_size()}, cpus {os.cpu_count()}")

    def pure() -> object:
        return compute_signals(cur, prev, week=days[-1], previous_week=days[-2])

    s = compute_signals(cur, prev, week=days[-1], previous_week=days[-2])
    t = s.totals
    print(f"two snapshots: open {t.open:,} (prev {t.open_prev:,}), new {t.new:,}, "
          f"removed {t.removed:,}, reposted {t.reposted:,}")  # fmt: skip
    print(f"compute_signals, 2 x {ROWS:,} in memory:      {best_of(3, pure)} (best of 3)")

    def roles() -> object:  # the issue's new-role candidate table (data/newroles.py)
        week = compute_week(cur, prev, week=days[-1], previous_week=days[-2])
        return new_roles(week.arrivals, week=days[-1], previous_week=days[-2])

    table = roles()
    assert isinstance(table, NewRoles)
    print(f"compute_week + new-role table, in memory:       {best_of(2, roles)} (best of 2; "
          f"{table.count:,} candidates -> {len(table.rows):,} rows)")  # fmt: skip

    config = parse_config({})
    with tempfile.TemporaryDirectory() as tmp:
        two = Path(tmp) / "two"
        six = Path(tmp) / "six"
        for w in days[-2:]:
            write_snapshot(big[w], two, w)
        for w in days:
            write_snapshot(big[w], six, w)

        def end_to_end(d: Path) -> Callable[[], object]:
            return lambda: build_signals(config, None, d)

        issue_data = best_of(2, lambda: build_week(config, None, two))
        print(f"build_week (+ new roles), 2 x {ROWS:,}:       {issue_data} (best of 2)")

        e2 = best_of(2, end_to_end(two))
        print(f"build_signals, 2 x {ROWS:,} from Parquet:    {e2} (best of 2)")
        cli = [str(Path(sys.executable).parent / "newsletter"), "signals", "--snapshots", str(two),
               "--format", "json"]  # fmt: skip
        done = min((run(cli, {"NEWSLETTER_CONFIG": os.devnull}) for _ in range(2)),
                   key=lambda r: r.wall)  # fmt: skip
        print(
            f"newsletter signals, 2 x {ROWS:,} (command):  {done.line()} (best of 2; "
            f"goal <= 2 s wall: {'met' if done.wall <= 2 else 'NOT met'})"
        )
        e6 = best_of(1, end_to_end(six))
        s6 = build_signals(config, None, six)
        print(f"build_signals, 6 x {ROWS:,} from Parquet:    {e6} (one run; "
              f"skill trends on {s6.skills.n_new:,} vs {s6.skills.n_baseline:,} new postings, "
              f"{len(s6.skills.rising)} rising, {len(s6.skills.falling)} falling)")  # fmt: skip
    print(f"(run {SYSTEM_CLOCK.now().date().isoformat()}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")  # fmt: skip


if __name__ == "__main__":
    main()
