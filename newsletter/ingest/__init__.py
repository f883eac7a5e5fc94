"""Ingest: raw job-posting exports -> validated canonical weekly snapshots.

One adapter per raw format (:mod:`~newsletter.ingest.tabular` for CSV/TSV/JSONL/JSON/Parquet,
:mod:`~newsletter.ingest.simplify`, :mod:`~newsletter.ingest.greenhouse`,
:mod:`~newsletter.ingest.lever`) returns a raw frame of canonical input columns
(:mod:`~newsletter.ingest.columns`); pure LazyFrame steps (:mod:`~newsletter.ingest.pay`,
:mod:`~newsletter.ingest.skills`, :mod:`~newsletter.ingest.titles`,
:mod:`~newsletter.ingest.locations`, :mod:`~newsletter.ingest.identity`) normalize it with
rules kept as data (:mod:`~newsletter.ingest.rules`); :mod:`~newsletter.ingest.run` accounts
for every row and writes atomically.
"""

from newsletter.ingest.formats import Format
from newsletter.ingest.report import IngestReport
from newsletter.ingest.rules import Rules, load_rules
from newsletter.ingest.run import IngestResult, Written, ingest, write

__all__ = [
    "Format",
    "IngestReport",
    "IngestResult",
    "Rules",
    "Written",
    "ingest",
    "load_rules",
    "write",
]
