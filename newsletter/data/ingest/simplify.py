"""SimplifyJobs ``listings.json`` (New-Grad-Positions / Summer-Internships).

A cumulative list: closed listings stay in the file with ``active: false`` and hidden ones
with ``is_visible: false``. Open this week = ``active and is_visible``; the rest are read,
counted and saved among the rejects with reason ``closed`` or ``hidden``. The ``source``
field names the contributor, not a system, so it is not used as the posting source. Every
listing is a new-grad role, so ``seniority`` is hinted as "new grad" (a title rule still wins).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from newsletter.data.ingest._records import Record, build, epoch_date, text, text_list
from newsletter.errors import IngestError


def looks_like(data: object) -> bool:
    return (
        isinstance(data, list)
        and bool(data)
        and isinstance(data[0], dict)
        and {"company_name", "title", "locations"} <= data[0].keys()
        and ("active" in data[0] or "is_visible" in data[0])
    )


def _fields(rec: Record) -> Record:
    active = rec.get("active", True)
    visible = rec.get("is_visible", True)
    locations = text_list(rec.get("locations"))
    return {
        "source_id": text(rec.get("id")),
        "title": text(rec.get("title")),
        "company": text(rec.get("company_name")),
        "location": "; ".join(locations) if locations else None,
        "posted_at": epoch_date(rec.get("date_posted")),
        "url": text(rec.get("url")),
        "seniority": "new grad",  # the list holds new-grad roles only
        "source_open": None if active is not False and visible is not False
        else ("closed" if active is False else "hidden"),
    }  # fmt: skip


def read(path: Path, data: object) -> pl.DataFrame:
    """The raw frame of ``data``, the parsed JSON of ``path``."""
    if not isinstance(data, list):
        raise IngestError(f"{path}: not a SimplifyJobs listings.json (expected a JSON array)")
    return build(data, _fields, source_file=str(path), kind="SimplifyJobs listings.json")
