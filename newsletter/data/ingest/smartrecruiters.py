"""SmartRecruiters postings API: ``GET api.smartrecruiters.com/v1/companies/{company}/postings``.

``{"offset", "limit", "totalFound", "content": [...]}``, paged with ``offset`` + ``limit``.
Each posting: ``id``, ``name`` (the title), ``company {identifier, name}``, ``releasedDate``,
``location {city, region, country, remote, hybrid, fullLocation}``, ``experienceLevel``,
``typeOfEmployment {id, label}`` (``permanent`` / ``Full-time``, ``contract``, ``intern``...).
The list carries no description and rarely pay: skills come from the title.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from newsletter.data.ingest._records import Record, build, dig, text
from newsletter.errors import IngestError

POSTING_URL = "https://jobs.smartrecruiters.com/{company}/{id}"


def looks_like(data: object) -> bool:
    content = dig(data, "content")
    return (
        isinstance(data, dict)
        and "totalFound" in data
        and isinstance(content, list)
        and (not content or (isinstance(content[0], dict) and "name" in content[0]))
    )


def _location(loc: object) -> str | None:
    full = text(dig(loc, "fullLocation"))
    if full:
        return full
    parts = [text(dig(loc, k)) for k in ("city", "region", "country")]
    kept = [p for p in parts if p]
    return ", ".join(kept) if kept else None


def _work_mode(loc: object) -> str | None:
    if dig(loc, "remote") is True:
        return "remote"
    if dig(loc, "hybrid") is True:
        return "hybrid"
    return None


def _fields(rec: Record) -> Record:
    company = text(dig(rec, "company", "identifier"))
    pid = text(rec.get("id"))
    loc = rec.get("location")
    return {
        "source_id": pid,
        "title": text(rec.get("name")),
        "company": text(dig(rec, "company", "name")) or company,
        "location": _location(loc),
        "country": text(dig(loc, "country")),
        "work_mode": _work_mode(loc),
        "seniority": text(dig(rec, "experienceLevel", "label")),
        "employment": text(dig(rec, "typeOfEmployment", "label"))
        or text(dig(rec, "typeOfEmployment", "id")),
        "posted_at": text(rec.get("releasedDate")),
        "url": POSTING_URL.format(company=company, id=pid) if company and pid else None,
    }


def read(path: Path, data: object, *, known: bool = False) -> pl.DataFrame:
    """The raw frame of ``data``, the parsed JSON of ``path``."""
    content = dig(data, "content")
    if not isinstance(content, list):
        raise IngestError(f'{path}: not a SmartRecruiters postings response (no "content" list)')
    return build(
        content, _fields, source_file=str(path), kind="SmartRecruiters postings API", known=known
    )
