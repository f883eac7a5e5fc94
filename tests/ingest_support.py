"""Helpers for the ingest tests: raw frames and one-shot normalization of literal rows."""

from __future__ import annotations

from typing import Any

import polars as pl

from newsletter.data.ingest.columns import RAW_SCHEMA
from newsletter.data.ingest.normalize import Prepared, clean, normalize, prepare
from newsletter.data.ingest.rules import Rules

_PREPARED: dict[int, Prepared] = {}


def raw(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """A raw frame (canonical input columns) from partial rows."""
    full = [{c: r.get(c) for c in RAW_SCHEMA} for r in rows]
    return pl.DataFrame(full, schema=RAW_SCHEMA)


def normalized(rules: Rules, rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Normalize literal rows (source defaults to "t")."""
    frame = raw([{"source": "t", "company": "Acme", **r} for r in rows])
    prepared = _PREPARED.get(id(rules))
    if prepared is None:
        prepared = _PREPARED[id(rules)] = prepare(rules)
    return normalize(frame.lazy().pipe(clean), prepared)
