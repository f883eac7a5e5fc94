"""Workable job board API, as its career pages call it:
``POST apply.workable.com/api/v3/accounts/{account}/jobs`` with a JSON search body.

``{"total", "results": [...], "nextPage"?}``, paged by sending ``nextPage`` back as
``token``. Each job: ``id``, ``shortcode``, ``title``, ``remote``, ``location {city,
region, country, countryCode}``, ``locations``, ``workplace`` (``on_site`` / ``hybrid`` /
``remote``), ``published``, ``state``, ``type`` (the employment: ``full``, ``part``,
``contract``, ``temporary``, ...; ``employment_type`` in Workable's other APIs). The list
carries no description and no pay.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from newsletter.data.ingest._records import Record, build, dig, places, text
from newsletter.errors import IngestError

JOB_URL = "https://apply.workable.com/{account}/j/{shortcode}/"


def looks_like(data: object) -> bool:
    results = dig(data, "results")
    return (
        isinstance(data, dict)
        and "total" in data
        and isinstance(results, list)
        and (not results or (isinstance(results[0], dict) and "shortcode" in results[0]))
    )


def _place(loc: object) -> str | None:
    parts = [text(dig(loc, k)) for k in ("city", "region", "country")]
    kept = [p for p in parts if p]
    return ", ".join(kept) if kept else None


def _location(rec: Record) -> str | None:
    extra = rec.get("locations")
    more = [_place(loc) for loc in extra] if isinstance(extra, list) else []
    return places([_place(rec.get("location")), *more])


def _work_mode(rec: Record) -> str | None:
    mode = text(rec.get("workplace"))
    if mode:
        return {"on_site": "onsite", "remote": "remote", "hybrid": "hybrid"}.get(mode, mode)
    return "remote" if rec.get("remote") is True else None


def read(
    path: Path, data: object, account: str | None = None, *, known: bool = False
) -> pl.DataFrame:
    """The raw frame of ``data``, the parsed JSON of ``path``; ``account`` (the board) makes
    the job URLs."""
    results = dig(data, "results")
    if not isinstance(results, list):
        raise IngestError(f'{path}: not a Workable jobs response (no "results" list)')

    def fields(rec: Record) -> Record:
        code = text(rec.get("shortcode"))
        state = text(rec.get("state"))
        return {
            "source_id": text(rec.get("id")) or code,
            "title": text(rec.get("title")),
            "company": account,
            "location": _location(rec),
            "country": text(dig(rec, "location", "countryCode")),
            "work_mode": _work_mode(rec),
            "employment": text(rec.get("employment_type")) or text(rec.get("type")),
            "posted_at": text(rec.get("published")),
            "url": JOB_URL.format(account=account, shortcode=code) if account and code else None,
            "source_open": state if state and state.lower() != "published" else None,
        }

    return build(results, fields, source_file=str(path), kind="Workable jobs API", known=known)
