"""Greenhouse job board API: ``GET boards-api.greenhouse.io/v1/boards/{board}/jobs?content=true``.

The response is ``{"jobs": [...], "meta": {...}}`` (a bare list of jobs is accepted too).
``content`` is HTML-escaped HTML (made plain text by the normalization); pay comes from
``pay_input_ranges`` (``pay_transparency=true``) where present, else from the description
text. The company is ``company_name`` where the API gives it, else the board token of
``absolute_url``. Greenhouse has no employment field of its own: a board's custom field in
``metadata`` whose name is an employment column's name (``Employment Type``, ``Job Type``,
``Commitment``: :data:`~newsletter.data.ingest.columns.ALIASES`) is read as the employment.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from newsletter.data.ingest._records import (
    Record,
    board_token,
    build,
    dig,
    number,
    place,
    text,
    text_list,
)
from newsletter.data.ingest.columns import ALIASES, fold
from newsletter.data.ingest.pay import pay_lines, period_of
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


def _ranges(rec: Record) -> list[tuple[str | None, float, float, str, str]]:
    found = rec.get("pay_input_ranges")
    out = []
    for r in found if isinstance(found, list) else []:
        lo, hi = number(dig(r, "min_cents")), number(dig(r, "max_cents"))
        cur = text(dig(r, "currency_type"))
        if lo is not None and hi is not None and cur:
            label = text(dig(r, "title"))
            out.append((label, lo / 100, hi / 100, cur, period_of(label, max(lo, hi) / 100)))
    return out


def _pay(rec: Record) -> Record:
    """``pay_input_ranges`` (``pay_transparency=true``): one range as structured pay; several
    (per location or zone) as labelled lines for the per-location rule of
    :mod:`~newsletter.data.ingest.pay`."""
    ranges = _ranges(rec)
    if len(ranges) > 1:
        return {"salary": pay_lines(ranges)}
    if not ranges:
        return {}
    _, lo, hi, currency, period = ranges[0]
    return {"salary_min": str(lo), "salary_max": str(hi), "currency": currency, "period": period}


def _employment(rec: Record) -> str | None:
    """The value of the ``metadata`` field named like an employment column, the names in the
    order of the aliases (``Employment Type`` before ``Work Type``); a multiple choice as its
    choices joined (``Full-time; Contract``)."""
    found = rec.get("metadata")
    named: dict[str, object] = {}
    for field in found if isinstance(found, list) else []:
        name = text(dig(field, "name"))
        if name is not None:
            named.setdefault(fold(name), dig(field, "value"))
    for alias in ALIASES["employment"]:
        if alias in named:
            value = named[alias]
            choices = text_list(value)
            return "; ".join(choices) if choices else text(value)
    return None


def _fields(rec: Record) -> Record:
    url = text(rec.get("absolute_url"))
    return {
        "source_id": text(rec.get("id")),
        "title": text(rec.get("title")),
        "company": text(rec.get("company_name")) or board_token(url),
        "location": place(rec.get("location")),  # {"name": ...}, or a plain string
        "description": text(rec.get("content")),
        "posted_at": text(rec.get("first_published")) or text(rec.get("updated_at")),
        "url": url,
        "employment": _employment(rec),
        **_pay(rec),
    }


def read(path: Path, data: object, *, known: bool = False) -> pl.DataFrame:
    """The raw frame of ``data``, the parsed JSON of ``path``."""
    jobs = _jobs(data)
    if not isinstance(jobs, list):
        raise IngestError(f'{path}: not a Greenhouse jobs response (no "jobs" list)')
    return build(jobs, _fields, source_file=str(path), kind="Greenhouse jobs API", known=known)
