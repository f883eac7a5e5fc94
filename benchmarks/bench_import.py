"""Import 100,000 subscribers from CSV into a fresh SQLite file; print rows/s.

Run: .venv/bin/python benchmarks/bench_import.py [ROWS]
Measures the first import (all rows added), the same file again (all unchanged: the
idempotent path) and a CSV export of the result.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

from newsletter.audience.subscribers import SubscriberStore
from newsletter.audience.transfer import export_csv, import_csv
from newsletter.store import open_database

CATEGORIES = ["AI/ML Engineer", "Data Scientist", "Data Engineer", "MLOps Engineer", ""]
METROS = ["Seattle", "New York", "Boston", "Austin", ""]


def make_csv(path: Path, rows: int) -> None:
    rng = random.Random(6)
    lines = ["email,name,categories,metros,seniority"]
    for i in range(rows):
        cats = ";".join(sorted(set(rng.sample(CATEGORIES, 2)) - {""}))
        metro = rng.choice(METROS)
        lines.append(f"Reader.{i}@Example{i % 97}.com,Reader {i},{cats},{metro},senior")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "subscribers.csv"
        make_csv(src, rows)
        with open_database(f"sqlite:///{Path(tmp) / 'bench.db'}") as db:
            store = SubscriberStore(db)
            c0, t0 = time.process_time(), time.perf_counter()
            first = import_csv(store, src)
            c1, t1 = time.process_time(), time.perf_counter()
            again = import_csv(store, src)
            t2 = time.perf_counter()
            text = export_csv(store.list_all())
            t3 = time.perf_counter()
    assert first.added == rows and again.added == again.updated == 0
    print(f"rows: {rows:,}")
    print(f"first import:  {t1 - t0:6.2f} s  {rows / (t1 - t0):10,.0f} rows/s  (all added)")
    print(f"  of which CPU time in this process: {c1 - c0:.2f} s (less sensitive to other load)")
    print(f"same file again: {t2 - t1:4.2f} s  {rows / (t2 - t1):10,.0f} rows/s  (changed nothing)")
    print(
        f"csv export:    {t3 - t2:6.2f} s  {rows / (t3 - t2):10,.0f} rows/s  ({len(text):,} bytes)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
