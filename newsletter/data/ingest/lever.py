"""Lever postings API: ``GET api.lever.co/v0/postings/{company}?mode=json``.

A JSON array of postings: ``text`` is the title, ``categories.location`` /
``categories.allLocations`` the places, ``workplaceType`` remote/hybrid/onsite,
``createdAt`` milliseconds, ``salaryRange`` structured pay (its ``interval`` words, such as
``per-hour-wage``, are read by :mod:`~newsletter.data.ingest.pay`), else (no range, or one
whose ``min`` and ``max`` are null) the pay text ``salaryDescriptionPlain`` (or its HTML
``salaryDescription``), ``categories.commitment``
the employment (``Full-time``, ``Contract``, ``Intern``, ...). The company is the token of
``hostedUrl`` (``jobs.lever.co/<company>/<id>``).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from newsletter.data.ingest._records import (
    Record,
    board_token,
    build,
    dig,
    epoch_date,
    places,
    text,
)
from newsletter.errors import IngestError


def looks_like(data: object) -> bool:
    return (
        isinstance(data, list)
        and bool(data)
        and isinstance(data[0], dict)
        and "text" in data[0]
        and ("hostedUrl" in data[0] or "categories" in data[0])
    )


def _description(rec: Record) -> str | None:
    parts = [text(rec.get("descriptionPlain")) or text(rec.get("description"))]
    lists = rec.get("lists")
    if isinstance(lists, list):
        for item in lists:
            parts += [text(dig(item, "text")), text(dig(item, "content"))]
    parts.append(text(rec.get("additionalPlain")) or text(rec.get("additional")))
    kept = [p for p in parts if p]
    return "\n".join(kept) if kept else None


def _location(rec: Record) -> str | None:
    """``categories.allLocations`` (its strings only: a number or an object in the list is
    no place), else ``categories.location``; ``categories`` given as a plain string is the
    location."""
    categories = rec.get("categories")
    if isinstance(categories, str):
        return text(categories)
    found = dig(categories, "allLocations")
    listed = found if isinstance(found, list) else []
    return places(text(v) for v in listed if isinstance(v, str)) or text(
        dig(categories, "location")
    )


def _fields(rec: Record) -> Record:
    url = text(rec.get("hostedUrl")) or text(rec.get("applyUrl"))
    found = rec.get("salaryRange")
    salary: Record = found if isinstance(found, dict) else {}
    low, high = text(salary.get("min")), text(salary.get("max"))
    # the pay text where the range states no amount (none, or min and max null)
    said = None
    if low is None and high is None:
        said = text(rec.get("salaryDescriptionPlain")) or text(rec.get("salaryDescription"))
    return {
        "source_id": text(rec.get("id")),
        "title": text(rec.get("text")),
        "company": board_token(url),
        "location": _location(rec),
        "description": _description(rec),
        "salary": said,
        "salary_min": low,
        "salary_max": high,
        "currency": text(salary.get("currency")),
        "period": text(salary.get("interval")),  # "per-year-salary": pay knows these words
        "posted_at": epoch_date(rec.get("createdAt"), millis=True),
        "url": url,
        "work_mode": text(rec.get("workplaceType")),
        "employment": text(dig(rec, "categories", "commitment")),
        "country": text(rec.get("country")),
    }


def read(path: Path, data: object, *, known: bool = False) -> pl.DataFrame:
    """The raw frame of ``data``, the parsed JSON of ``path``."""
    if not isinstance(data, list):
        raise IngestError(f"{path}: not a Lever postings response (expected a JSON array)")
    return build(data, _fields, source_file=str(path), kind="Lever postings API", known=known)
