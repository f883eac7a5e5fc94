"""Recruitee careers API: ``GET {company}.recruitee.com/api/offers/``.

``{"offers": [...]}``, no paging. Each offer: ``id``, ``title``, ``description`` and
``requirements`` (HTML), ``location`` / ``city`` / ``country`` / ``country_code``,
``remote`` / ``hybrid`` / ``on_site``, ``careers_url``, ``published_at``, ``company_name``,
``status``, ``employment_type_code`` (``fulltime``, ``fulltime_permanent``, ``parttime``,
``contract``, ``internship``, ``freelance``, ...), and on newer accounts ``salary {min, max,
currency, period}`` (a salary given as text instead is read as the pay text).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from newsletter.data.ingest._records import Record, board_token, build, dig, place, text
from newsletter.errors import IngestError


def looks_like(data: object) -> bool:
    offers = dig(data, "offers")
    return (
        isinstance(data, dict)
        and isinstance(offers, list)
        and (not offers or (isinstance(offers[0], dict) and "careers_url" in offers[0]))
    )


def _work_mode(rec: Record) -> str | None:
    for key, mode in (("remote", "remote"), ("hybrid", "hybrid"), ("on_site", "onsite")):
        if rec.get(key) is True:
            return mode
    return None


def _fields(rec: Record) -> Record:
    url = text(rec.get("careers_url"))
    parts = [text(rec.get("description")), text(rec.get("requirements"))]
    found = rec.get("salary")
    salary = found if isinstance(found, dict) else {}
    status = text(rec.get("status"))
    return {
        "source_id": text(rec.get("id")),
        "title": text(rec.get("title")),
        "company": text(rec.get("company_name")) or board_token(url),
        "location": place(rec.get("location")) or text(rec.get("city")),
        "country": text(rec.get("country_code")),
        "work_mode": _work_mode(rec),
        "employment": text(rec.get("employment_type_code")),
        "description": "\n".join(p for p in parts if p) or None,
        "salary": text(found),  # a salary stated as text ("60000-80000 EUR"): the pay text
        "salary_min": text(dig(salary, "min")),
        "salary_max": text(dig(salary, "max")),
        "currency": text(dig(salary, "currency")),
        "period": text(dig(salary, "period")),
        "posted_at": text(rec.get("published_at")) or text(rec.get("created_at")),
        "url": url,
        "source_open": status if status and status.lower() != "published" else None,
    }


def read(path: Path, data: object, *, known: bool = False) -> pl.DataFrame:
    """The raw frame of ``data``, the parsed JSON of ``path``."""
    offers = dig(data, "offers")
    if not isinstance(offers, list):
        raise IngestError(f'{path}: not a Recruitee offers response (no "offers" list)')
    return build(offers, _fields, source_file=str(path), kind="Recruitee offers API", known=known)
