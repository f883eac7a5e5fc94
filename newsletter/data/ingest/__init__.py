"""Ingest: raw job-posting exports -> validated canonical weekly snapshots.

One adapter per raw format (:mod:`~newsletter.data.ingest.tabular` for CSV/TSV/JSONL/JSON/Parquet,
:mod:`~newsletter.data.ingest.simplify`, :mod:`~newsletter.data.ingest.greenhouse`,
:mod:`~newsletter.data.ingest.lever`) returns a raw frame of canonical input columns
(:mod:`~newsletter.data.ingest.columns`); pure LazyFrame steps (:mod:`~newsletter.data.ingest.pay`,
:mod:`~newsletter.data.ingest.skills`, :mod:`~newsletter.data.ingest.titles`,
:mod:`~newsletter.data.ingest.locations`, :mod:`~newsletter.data.ingest.identity`) normalize
it with rules kept as data (:mod:`~newsletter.data.ingest.rules`);
:mod:`~newsletter.data.ingest.run` accounts for every row and writes atomically.
"""

from newsletter.data.ingest.normalize import NOT_OPEN_REASONS
from newsletter.data.ingest.report import IngestReport
from newsletter.data.ingest.rules import Rules, load_rules
from newsletter.data.ingest.run import IngestResult, Input, Written, ingest, ingest_into, write
from newsletter.models import Format

__all__ = [
    "NOT_OPEN_REASONS",
    "Format",
    "IngestReport",
    "IngestResult",
    "Input",
    "Rules",
    "Written",
    "ingest",
    "ingest_into",
    "load_rules",
    "write",
]
