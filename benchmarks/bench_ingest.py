"""Benchmark `newsletter ingest` on a generated raw CSV (default 1,000,000 postings).

The CSV comes from the seeded generator (``newsletter.data.synth.write_raw_csv``): ~300-byte
descriptions, text salaries in six formats, city spellings, a few blank titles and repeated
ids. Only the ingest is timed; it runs as a child process, so the peak RSS reported is the
ingest's own.

    make bench                                   # all benchmarks
    .venv/bin/python benchmarks/bench_ingest.py  # this one; --rows N for another size
    .venv/bin/python benchmarks/bench_ingest.py --keep /tmp/raw.csv   # keep the CSV

For the kernel's own figures, time the command itself with GNU time:

    .venv/bin/python -c "from pathlib import Path; from newsletter.data.synth import \
        write_raw_csv; write_raw_csv(Path('/tmp/raw.csv'), 1_000_000)"
    /usr/bin/time -v .venv/bin/newsletter ingest /tmp/raw.csv --week 2026-11-23 \
        --snapshots /tmp/bench-snapshots
    # read "Elapsed (wall clock) time" and "Maximum resident set size (kbytes)"

Goal (issue 3): under 20 s and under 3 GB peak on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from newsletter.data.synth import write_raw_csv

BIN = Path(sys.executable).parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="also copy the generated CSV here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        raw = Path(tmp) / "raw.csv"
        t0 = time.perf_counter()
        write_raw_csv(raw, args.rows)
        gen = time.perf_counter() - t0
        size_mb = raw.stat().st_size / 1e6
        print(f"generated {args.rows:,} rows, {size_mb:,.0f} MB in {gen:.1f} s ({raw})")
        if args.keep:
            shutil.copyfile(raw, args.keep)
        snap = Path(tmp) / "snapshots"
        cmd = [str(BIN / "newsletter"), "ingest", str(raw), "--week", "2026-11-23",
               "--snapshots", str(snap), "--json"]  # fmt: skip
        env = {**os.environ, "NEWSLETTER_CONFIG": os.devnull}
        t0 = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        wall = time.perf_counter() - t0
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return done.returncode
        report = json.loads(done.stdout)
        print(
            f"ingest: {wall:.1f} s wall, peak RSS {peak_mb:,.0f} MB, "
            f"{args.rows / wall:,.0f} rows/s on {os.cpu_count()} cores"
        )
        print(
            f"rows_read {report['rows_read']:,}  kept {report['kept']:,}  "
            f"rejected {report['rejected']:,}  duplicates {report['duplicates']:,}  "
            f"pay {report['share_with_pay']:.0%}  metro {report['share_with_metro']:.0%}  "
            f"category {report['share_with_category']:.0%}  "
            f"skills {report['share_with_skills']:.0%}"
        )
        ok = wall < 20 and peak_mb < 3072
        print(f"goal (< 20 s, < 3 GB): {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
