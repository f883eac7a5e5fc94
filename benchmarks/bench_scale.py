"""Benchmark two weeks end to end against bare polars: ingest x 2 + signals, then 10,000,000.

Two weeks of ``short`` exports (``benchmarks/shapes.py``; the second shares 90% of its
postings with the first, so 10% are new and 10% removed) go through ``newsletter ingest``
twice and ``newsletter signals`` once, each a child process as a user runs it (start-up
included); then ``benchmarks/bare_polars.py`` does a smaller version of the same work on the
same files in the same run. Printed: each step's wall time, CPU time (user + sys) and peak
RSS, the load average, and the ratio project / bare (goal: within 3x). Each step runs
``--repeat`` times (3 at 1M, once at 10M), project and bare in turns, and the medians count:
on a shared 2-core machine one run of the same step varies by a third.

The 10,000,000-posting week ends ``make bench`` (~2.8 GB of CSV per week, generated once
into ``.bench-data/`` and reused; ``BENCH_10M=0 make bench`` leaves it out), or alone:

    .venv/bin/python benchmarks/bench_scale.py --rows 10000000 --data /tmp/bench-10m

Goals (issue 15): two 1M weeks within 3x of bare polars; a 10M week's ingest + signals in
under 2 minutes and 8 GB peak on a 2-core machine. Ingest spools batches to disk and writes
with polars' streaming engine (sink_parquet), so its memory does not grow with the week.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from measure import Run, median_run, run, spread
from shapes import write_shape

BIN = Path(sys.executable).parent
HERE = Path(__file__).parent
WEEKS = ("2026-11-16", "2026-11-23")
ENV = {"NEWSLETTER_CONFIG": os.devnull}


def _weeks(data: Path, rows: int) -> list[Path]:
    """Two overlapping weeks of the short shape (generated once, reused)."""
    paths = []
    for i, _ in enumerate(WEEKS):
        raw = data / f"short-{rows}-week{i}.csv"
        if not raw.exists():
            t0 = time.perf_counter()
            write_shape("short", raw, rows, start=i * rows // 10)
            print(f"generated week {i}: {rows:,} rows, {raw.stat().st_size / 1e9:.2f} GB "
                  f"in {time.perf_counter() - t0:.0f} s")  # fmt: skip
        paths.append(raw)
    return paths


def project(raws: list[Path], out: Path) -> list[tuple[str, Run]]:
    steps = []
    for raw, week in zip(raws, WEEKS, strict=True):
        cmd = [str(BIN / "newsletter"), "ingest", str(raw), "--week", week,
               "--snapshots", str(out), "--json"]  # fmt: skip
        steps.append((f"newsletter ingest {raw.name}", run(cmd, ENV)))
    cmd = [str(BIN / "newsletter"), "signals", "--snapshots", str(out), "--format", "json"]
    steps.append(("newsletter signals (two weeks)", run(cmd, ENV)))
    return steps


def bare(raws: list[Path], out: Path) -> list[tuple[str, Run]]:
    out.mkdir(parents=True, exist_ok=True)
    script = str(HERE / "bare_polars.py")
    snaps = [out / f"{w}.parquet" for w in WEEKS]
    steps = [
        (f"bare ingest {raw.name}", run([sys.executable, script, "ingest", str(raw), str(snap)]))
        for raw, snap in zip(raws, snaps, strict=True)
    ]
    cmd = [sys.executable, script, "signals", str(snaps[1]), str(snaps[0])]
    steps.append(("bare signals (two weeks)", run(cmd)))
    return steps


def _by_step(rounds: list[list[tuple[str, Run]]]) -> list[tuple[str, list[Run]]]:
    """Each step's name and its runs over the rounds (the steps in the same order each round)."""
    return [(name, [r[i][1] for r in rounds]) for i, (name, _) in enumerate(rounds[0])]


def _total(steps: list[tuple[str, Run]]) -> tuple[float, float, float]:
    return (
        sum(r.wall for _, r in steps),
        sum(r.cpu for _, r in steps),
        max(r.peak_mb for _, r in steps),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = 10_000_000 if os.environ.get("NEWSLETTER_BENCH_10M") else 1_000_000
    parser.add_argument("--rows", type=int, default=default)
    parser.add_argument("--data", type=Path, help="folder for the CSVs (kept and reused)")
    parser.add_argument("--repeat", type=int, help="runs of each step (default 3, 1 at 10M)")
    args = parser.parse_args()
    repeat = args.repeat or (1 if args.rows >= 10_000_000 else 3)
    if args.data:
        args.data.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench-scale-", dir=args.data))
    try:
        raws = _weeks(args.data or tmp, args.rows)
        rounds = []
        for i in range(repeat):
            rounds.append((project(raws, tmp / f"snapshots-{i}"), bare(raws, tmp / f"bare-{i}")))
            shutil.rmtree(tmp / f"snapshots-{i}", ignore_errors=True)
            shutil.rmtree(tmp / f"bare-{i}", ignore_errors=True)
        steps = _by_step([r[0] for r in rounds]), _by_step([r[1] for r in rounds])
        ours, theirs = ([(name, median_run(runs)) for name, runs in side] for side in steps)
        if repeat > 1:
            print(f"medians of {repeat} runs of each step (project and bare in turns)")
        for (name, runs), (_, r) in zip(steps[0] + steps[1], ours + theirs, strict=True):
            print(f"{name:40s} {r.line()} {spread(runs)}")
        (pw, pc, pm), (bw, bc, bm) = _total(ours), _total(theirs)
        print(
            f"project, ingest x 2 + signals: {pw:6.1f} s wall, {pc:6.1f} s CPU, peak {pm:,.0f} MB"
        )
        print(
            f"bare polars, the same work:    {bw:6.1f} s wall, {bc:6.1f} s CPU, peak {bm:,.0f} MB"
        )
        print(f"ratio project / bare: {pw / bw:.1f}x wall, {pc / bc:.1f}x CPU (goal: <= 3x)")
        if args.rows >= 10_000_000:
            week = ours[1][1].wall + ours[2][1].wall
            peak = max(ours[1][1].peak_mb, ours[2][1].peak_mb)
            met = week < 120 and peak < 8192
            print(f"10M week, ingest + signals: {week:.0f} s wall, peak {peak:,.0f} MB "
                  f"(goal: < 120 s, < 8 GB): {'met' if met else 'NOT met'}")  # fmt: skip
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
