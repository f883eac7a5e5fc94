"""Ashby posting API:
``GET api.ashbyhq.com/posting-api/job-board/{board}?includeCompensation=true``.

``{"jobs": [...], "apiVersion": "1"}``. Each job: ``id``, ``title``, ``location``,
``secondaryLocations``, ``isRemote`` / ``workplaceType``, ``publishedAt``, ``isListed``,
``jobUrl``, ``employmentType`` (``FullTime``, ``PartTime``, ``Intern``, ``Contract``,
``Temporary``), ``descriptionHtml`` / ``descriptionPlain`` and, with ``includeCompensation``,
``compensation``: its salary ``summaryComponents`` are the pay; several
``compensationTiers`` with a salary each (per location or level) become labelled ranges
for the per-location rule. Unlisted jobs are rejected as ``hidden``.
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
    places,
    text,
)
from newsletter.data.ingest.pay import pay_lines
from newsletter.errors import IngestError

#: Ashby's ``interval`` words -> the period names of the pay step.
_INTERVALS = {
    "1 YEAR": "year",
    "1 MONTH": "month",
    "2 WEEK": "biweek",
    "1 WEEK": "week",
    "1 DAY": "day",
    "1 HOUR": "hour",
}


def looks_like(data: object) -> bool:
    jobs = dig(data, "jobs")
    return (
        isinstance(data, dict)
        and "apiVersion" in data
        and isinstance(jobs, list)
        and (not jobs or (isinstance(jobs[0], dict) and "jobUrl" in jobs[0]))
    )


def _salary(components: object) -> tuple[float | None, float | None, str, str] | None:
    """The first salary component: (min, max, currency, period), one of the two amounts
    possibly None (``maxValue: null`` is "from min", as the pay step reads an open range)."""
    for c in components if isinstance(components, list) else []:
        if dig(c, "compensationType") != "Salary":
            continue
        lo, hi = number(dig(c, "minValue")), number(dig(c, "maxValue"))
        cur = text(dig(c, "currencyCode"))
        period = _INTERVALS.get(str(dig(c, "interval")).upper())
        if cur and period and (lo is not None or hi is not None):
            return lo, hi, cur, period
    return None


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _pay(rec: Record) -> Record:
    comp = rec.get("compensation")
    tiers = dig(comp, "compensationTiers")
    found = [(text(dig(t, "title")), _salary(dig(t, "components"))) for t in _list(tiers)]
    salaries = [(title, s) for title, s in found if s is not None]
    labelled = [
        (title, lo, hi, cur, per)
        for title, (lo, hi, cur, per) in salaries
        if lo is not None and hi is not None  # a labelled line states both ends
    ]
    if len(labelled) > 1:
        return {"salary": pay_lines(labelled)}
    one_tier = salaries[0][1] if len(salaries) == 1 else None
    if len(labelled) == 1:
        one_tier = labelled[0][1:]
    summary = _salary(dig(comp, "summaryComponents")) or one_tier
    if summary is None:  # the summaries in words, read by the pay step as any pay text
        said = text(dig(comp, "scrapeableCompensationSalarySummary"))
        return {"salary": said or text(dig(comp, "compensationTierSummary"))}
    lo, hi, currency, period = summary
    return {
        "salary_min": None if lo is None else str(lo),
        "salary_max": None if hi is None else str(hi),
        "currency": currency,
        "period": period,
    }


def _location(rec: Record) -> str | None:
    extra = rec.get("secondaryLocations")
    more = [text(dig(loc, "location")) for loc in extra] if isinstance(extra, list) else []
    return places([place(rec.get("location")), *more])


def _work_mode(rec: Record) -> str | None:
    mode = text(rec.get("workplaceType"))
    if mode:
        return {"OnSite": "onsite", "Remote": "remote", "Hybrid": "hybrid"}.get(mode, mode)
    return "remote" if rec.get("isRemote") is True else None


def _fields(rec: Record) -> Record:
    return {
        "source_id": text(rec.get("id")),
        "title": text(rec.get("title")),
        "company": board_token(text(rec.get("jobUrl"))),
        "location": _location(rec),
        "description": text(rec.get("descriptionHtml")) or text(rec.get("descriptionPlain")),
        "posted_at": text(rec.get("publishedAt")),
        "url": text(rec.get("jobUrl")),
        "work_mode": _work_mode(rec),
        "employment": text(rec.get("employmentType")),
        "source_open": "hidden" if rec.get("isListed") is False else None,
        **_pay(rec),
    }


def read(path: Path, data: object, *, known: bool = False) -> pl.DataFrame:
    """The raw frame of ``data``, the parsed JSON of ``path``."""
    jobs = dig(data, "jobs")
    if not isinstance(jobs, list):
        raise IngestError(f'{path}: not an Ashby job board response (no "jobs" list)')
    return build(jobs, _fields, source_file=str(path), kind="Ashby posting API", known=known)
