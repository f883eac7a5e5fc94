"""CPU seconds of each ingest stage: one batch at a time, timed on the process's CPU clock.

``ingest --profile`` (and ``bench_ingest.py``) times the stages on the wall clock, summed over
the two worker threads, so on a busy machine they measure the load as much as the code. Here
the batches go through the same steps (``run._one_batch``) one after another, and each stage
is timed with ``time.process_time`` (every thread of the process, polars' pool included):
the CPU a stage costs, whatever else the machine runs. Reading is included; deduplication and
writing are not (``bench_ingest.py`` has the whole command).

    .venv/bin/python benchmarks/stage_cpu.py --shapes short,html --rows 100000
    .venv/bin/python benchmarks/stage_cpu.py --csv /tmp/short.csv
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from shapes import write_shape

from newsletter.config import parse_config
from newsletter.data.ingest import run as ingest_run
from newsletter.data.ingest.batches import Batches, Input
from newsletter.data.ingest.normalize import prepare
from newsletter.data.ingest.rules import load_rules
from newsletter.data.ingest.timing import Stages


class CpuClock:
    """A clock whose monotonic seconds are the process's CPU seconds."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.process_time()


def stage_cpu(raw: Path) -> tuple[int, dict[str, float]]:
    rules = load_rules(parse_config({}).data.rules_dir)
    stages = Stages(CpuClock())
    prepared = prepare(rules)
    batches = Batches([Input(raw)], {}, ingest_run.CHUNK_ROWS, ingest_run.GROUP_BYTES, stages)
    rows = 0
    for batch in batches:
        normalized, _ = ingest_run._one_batch(batch, prepared, stages)
        rows += normalized.height
    return rows, stages.seconds()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--shapes", default="short,html")
    parser.add_argument("--csv", type=Path, help="profile this file instead of the shapes")
    parser.add_argument("--data", type=Path, help="folder for the CSVs (kept, reused)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-stage-cpu-") as tmp:
        data = args.data or Path(tmp)
        data.mkdir(parents=True, exist_ok=True)
        files = [("file", args.csv)] if args.csv else []
        for shape in [] if args.csv else args.shapes.split(","):
            raw = data / f"{shape}-{args.rows}.csv"
            if not raw.exists():
                write_shape(shape, raw, args.rows)
            files.append((shape, raw))
        for name, raw in files:
            rows, seconds = stage_cpu(raw)
            total = seconds.pop("total")
            load = os.getloadavg()[0]
            print(
                f"== stage CPU, {name} ({raw.name}), {rows:,} rows normalized: {total:.2f} s "
                f"CPU (load average {load:.1f} on {os.cpu_count()} cores)"
            )
            print("   " + "  ".join(f"{k} {v:.2f}" for k, v in seconds.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
