"""Benchmark `newsletter ingest` on 1,000,000 postings of two differently shaped exports.

The shapes come from ``benchmarks/shapes.py`` (not the project's own generator only):
``short`` (aggregator rows: ~270-byte rows, plain descriptions, ~250,000 companies,
~60,000 location texts, pay text in two dozen formats; ~275 MB) and ``html``
(Greenhouse-style rows: 1.3-3 KB HTML descriptions, two in five escaped once more, pay per
location in the text; ~1.75 GB). Each ingest runs as a child process (the command as a user
runs it, start-up included) and prints its per-stage breakdown from the report
(``ingest --profile``), wall time, CPU time (user + sys) and peak RSS, with the load average.

    make bench                                   # all benchmarks
    .venv/bin/python benchmarks/bench_ingest.py  # this one
    .venv/bin/python benchmarks/bench_ingest.py --rows 200000 --shapes short
    .venv/bin/python benchmarks/bench_ingest.py --data /tmp/bench-data   # keep the CSVs

Stage seconds are summed over the two worker threads (so they add up to more than the wall
time). The same on the command line, for GNU time's own figures:

    .venv/bin/python benchmarks/shapes.py short /tmp/short.csv 1000000
    /usr/bin/time -v .venv/bin/newsletter ingest /tmp/short.csv --week 2026-11-23 \\
        --snapshots /tmp/bench-snapshots --profile

Goal (issue 15): 1M postings in at most 8 s and 1.5 GB peak on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from measure import run
from shapes import write_shape

BIN = Path(sys.executable).parent
GOAL_SECONDS, GOAL_MB = 8.0, 1536.0


def ingest_once(raw: Path, snapshots: Path, week: str = "2026-11-23") -> tuple[str, dict]:  # type: ignore[type-arg]
    cmd = [str(BIN / "newsletter"), "ingest", str(raw), "--week", week,
           "--snapshots", str(snapshots), "--json"]  # fmt: skip
    done = run(cmd, env={"NEWSLETTER_CONFIG": os.devnull})
    return done.line(), {"run": done, "report": json.loads(done.stdout)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--shapes", default="short,html")
    parser.add_argument("--data", type=Path, help="folder for the CSVs (kept, reused)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        data = args.data or Path(tmp)
        data.mkdir(parents=True, exist_ok=True)
        for shape in args.shapes.split(","):
            raw = data / f"{shape}-{args.rows}.csv"
            if not raw.exists():
                t0 = time.perf_counter()
                write_shape(shape, raw, args.rows)
                took = time.perf_counter() - t0
                print(f"generated {shape}: {args.rows:,} rows, {raw.stat().st_size / 1e6:,.0f} MB "
                      f"in {took:.1f} s")  # fmt: skip
            line, out = ingest_once(raw, Path(tmp) / f"snapshots-{shape}")
            report, done = out["report"], out["run"]
            size = raw.stat().st_size / 1e6
            print(f"== ingest {shape}, {args.rows:,} rows ({size:,.0f} MB): {line}")
            stages = {k: v for k, v in report["timings"].items() if k != "total"}
            print(
                "   stages (s, both threads): "
                + "  ".join(f"{k} {v:.2f}" for k, v in stages.items())
            )
            inside = report["timings"]["total"]
            print(f"   in-process {inside:.2f} s (start-up, exit {done.wall - inside:.2f} s); "
                  f"{args.rows / done.wall:,.0f} rows/s")  # fmt: skip
            print(f"   rows_read {report['rows_read']:,}  kept {report['kept']:,}  "
                  f"rejected {report['rejected']:,}  duplicates {report['duplicates']:,}  "
                  f"pay {report['share_with_pay']:.0%}  metro {report['share_with_metro']:.0%}  "
                  f"category {report['share_with_category']:.0%}  "
                  f"skills {report['share_with_skills']:.0%}")  # fmt: skip
            if args.rows == 1_000_000:
                ok = done.wall <= GOAL_SECONDS and done.peak_mb <= GOAL_MB
                print(f"   goal (<= {GOAL_SECONDS:.0f} s, <= {GOAL_MB / 1024:.1f} GB): "
                      f"{'met' if ok else 'NOT met'}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
