"""Greenhouse job board API: ``GET boards-api.greenhouse.io/v1/boards/{board}/jobs?content=true``.

The response is ``{"jobs": [...], "meta": {...}}`` (a bare list of jobs is accepted too).
``content`` is HTML-escaped HTML; pay comes from ``pay_input_ranges`` (``pay_transparency=true``)
where present, else from the description text. The company is ``company_name`` where the API
gives it, else the board token of ``absolute_url``.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from newsletter.data.ingest._records import Record, board_token, build, dig, text
from newsletter.errors import IngestError


def _jobs(data: object) -> object:
    return data.get("jobs") if isinstance(data, dict) else data


def looks_like(data: object) -> bool:
    jobs = _jobs(data)
    return (
        isinstance(jobs, list)
        and bool(jobs)
        and isinstance(jobs[0], dict)
        and "absolute_url" in jobs[0]
        and "title" in jobs[0]
    )


def _pay(rec: Record) -> Record:
    ranges = rec.get("pay_input_ranges")
    if not isinstance(ranges, list) or not ranges or not isinstance(ranges[0], dict):
        return {}
    first = ranges[0]
    lo, hi = first.get("min_cents"), first.get("max_cents")
    return {
        "salary_min": str(lo / 100) if isinstance(lo, int | float) else None,
        "salary_max": str(hi / 100) if isinstance(hi, int | float) else None,
        "currency": text(first.get("currency_type")),
        "period": "year",
    }


def _fields(rec: Record) -> Record:
    url = text(rec.get("absolute_url"))
    return {
        "source_id": text(rec.get("id")),
        "title": text(rec.get("title")),
        "company": text(rec.get("company_name")) or board_token(url),
        "location": text(dig(rec, "location", "name")),
        "description": text(rec.get("content")),
        "posted_at": text(rec.get("first_published")) or text(rec.get("updated_at")),
        "url": url,
        **_pay(rec),
    }


def read(path: Path, data: object) -> pl.DataFrame:
    """The raw frame of ``data``, the parsed JSON of ``path``."""
    jobs = _jobs(data)
    if not isinstance(jobs, list):
        raise IngestError(f'{path}: not a Greenhouse jobs response (no "jobs" list)')
    return build(jobs, _fields, source_file=str(path), kind="Greenhouse jobs API")
