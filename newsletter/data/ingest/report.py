"""The ingest report: every input row accounted for, plus coverage shares.

Written to ``DIR/reports/YYYY-MM-DD.json``; the signals' data-health line reads
``rows_read``, ``kept``, ``rejected``, ``rejected_by_reason``, ``duplicates``,
``salary_unparsed``, ``salary_out_of_range``, ``salary_several_roles`` and
``salary_estimated``. Invariant:
``kept + rejected + duplicates == rows_read``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

import polars as pl
from pydantic import BaseModel, ConfigDict

from newsletter.data.ingest.normalize import NOT_OPEN_REASONS
from newsletter.models import SourceKind


class FileSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: str
    format: str
    source: str
    rows: int


class StaleSource(BaseModel):
    """A board that could not be fetched this week: its postings of ``last_good`` are carried
    into the snapshot unchanged (their ``source`` is ``source``), marked stale here."""

    model_config = ConfigDict(frozen=True)

    source: str
    company: str | None
    postings: int
    last_good: date
    weeks: int  # weeks since the last good collection
    reason: str


class SourceWarning(BaseModel):
    """A collection problem the data-health note must name (read by signals' health step)."""

    model_config = ConfigDict(frozen=True)

    #: source_stale | source_kept | source_expired | source_failed | source_incomplete |
    #: source_empty
    kind: str
    name: str  # the source, e.g. greenhouse:acme
    before: int
    after: int
    message: str


class IngestReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    week: date
    generated_at: datetime
    rules_version: str
    files: tuple[FileSummary, ...]
    rows_read: int
    kept: int
    rejected: int
    rejected_by_reason: dict[str, int]
    #: rejected rows the source itself marks as not open (closed / hidden listings)
    rejected_not_open: int
    duplicates: int
    salary_unparsed: int
    salary_out_of_range: int
    #: Postings whose pay text gives amounts for several roles (``Director: $225k,
    #: Engineering Manager: $195k``): none of them is the posting's, so no pay (pay status
    #: ``several_roles``, newsletter.data.ingest.pay).
    salary_several_roles: int = 0
    #: Postings whose pay is the site's estimate, not the employer's (Glassdoor's "$53K-$91K
    #: (Glassdoor est.)", Adzuna's ``salary_is_predicted``): no pay (pay status
    #: ``estimated``, newsletter.data.ingest.pay).
    salary_estimated: int = 0
    with_pay: int
    with_pay_usd: int
    with_metro: int
    with_category: int  # category other than the default ("Other")
    with_skills: int
    share_with_pay: float
    share_with_metro: float
    share_with_category: float
    share_with_skills: float
    sources: dict[str, int]
    work_mode: dict[str, int]
    seniority: dict[str, int]
    seniority_source: dict[str, int]
    #: Postings per employment type (``full_time``, ``part_time``, ``contract``,
    #: ``temporary``, ``internship``; ``(none)``: the posting does not say), and which reader
    #: decided it (``explicit``: an employment field, ``title``, ``pay``; ``none``).
    employment: dict[str, int] = {}
    employment_source: dict[str, int] = {}
    #: What became of the postings' dates: ``ok``, ``missing``, ``unparsed`` or
    #: ``implausible`` (before 2000, or after the week's Sunday and a day: dropped).
    posted_dates: dict[str, int] = {}
    #: Postings whose URL was not an absolute http(s) address of a public host
    #: (``javascript:``, ``data:``, relative, a private host): kept without a URL.
    urls_dropped: int = 0
    #: Postings whose title, company, location or description holds U+FFFD, the replacement
    #: character: bytes not valid in the file's encoding, replaced when read (or before, by
    #: whatever wrote the file). Kept; the rest of their text is as it was.
    text_replaced: int = 0
    skills_source: dict[str, int]
    categories: dict[str, int]
    currencies: dict[str, int]
    #: Where the currency of the postings with pay came from (``named`` by a currency field
    #: or the pay text; ``place_dollar``: a bare ``$`` read as the local dollar; ``place``:
    #: text naming none, in the currency of the posting's country; ``site``: naming none, in
    #: the currency of the job board's country site, Adzuna's; ``assumed_usd``: none of these,
    #: US dollars): what the ingest assumed is counted, never silent.
    currency_source: dict[str, int] = {}
    #: Set by ``newsletter collect``: postings carried from failed boards (in the snapshot,
    #: not in ``rows_read``; the snapshot holds ``kept + carried`` rows), which boards, and
    #: the warnings to show.
    carried: int = 0
    stale_sources: tuple[StaleSource, ...] = ()
    source_warnings: tuple[SourceWarning, ...] = ()
    #: Kinds declared for this run's sources (``--kind`` or ``[data.source_kinds]``); the
    #: signals read them (newsletter.data.pipeline.source_kinds). Empty: nothing declared.
    source_kinds: dict[str, SourceKind] = {}
    #: Seconds per stage of the run (newsletter.data.ingest.timing; ``total`` is the wall
    #: time), measured on the injected clock; empty when the run was not timed.
    timings: dict[str, float] = {}

    @property
    def balanced(self) -> bool:
        return self.kept + self.rejected + self.duplicates == self.rows_read


#: Columns of the kept rows the report counts by value.
_COUNTED = ("source", "work_mode", "seniority", "seniority_source", "employment",
            "employment_source", "skills_source", "category", "pay_status",
            "currency_source", "posted_status", "url_status", "text_status")  # fmt: skip


def report_inputs(kept: pl.LazyFrame) -> pl.LazyFrame:
    """The little of each kept row the report reads (the skills only as a count): a streamed
    ingest keeps these beside the snapshot as it writes it, never reading the snapshot back."""
    return kept.select(
        *_COUNTED,
        "salary_mid",
        "currency",
        "metro",
        n_skills=pl.col("skills").list.len().fill_null(0),
    )


def _counts(frame: pl.DataFrame) -> dict[str, int]:
    """``value -> rows`` from a ``group_by(...).len()`` frame, most rows first (then by
    value), null as ``(none)``."""
    key = frame.columns[0]
    rows = frame.with_columns(pl.col(key).cast(pl.String).fill_null("(none)")).sort(
        ["len", key], descending=[True, False]
    )
    return {str(k): int(v) for k, v in rows.iter_rows()}


def _share(n: int, total: int) -> float:
    return round(n / total, 4) if total else 0.0


def build_report(
    *,
    week: date,
    generated_at: datetime,
    rules_version: str,
    default_category: str,
    files: list[FileSummary],
    rows_read: int,
    kept: pl.LazyFrame,
    rejects: pl.LazyFrame,
    duplicates: int,
    engine: Literal["in-memory", "streaming"] = "in-memory",
) -> IngestReport:
    """The report of a run from its kept rows (:func:`report_inputs` of the snapshot columns +
    diagnostics) and rejects, aggregated lazily (``engine="streaming"`` for a week of any
    size)."""
    totals = kept.select(
        n=pl.len(),
        with_pay=pl.col("salary_mid").is_not_null().sum(),
        with_pay_usd=(pl.col("currency") == "USD").sum(),
        with_metro=pl.col("metro").is_not_null().sum(),
        with_cat=(pl.col("category") != default_category).sum(),
        with_skills=(pl.col("n_skills") > 0).sum(),
    )
    queries = [
        totals,
        rejects.group_by("reason").len(),
        kept.filter(pl.col("currency").is_not_null()).group_by("currency").len(),
        *(kept.group_by(c).len() for c in _COUNTED),
    ]
    done = pl.collect_all(queries, engine=engine)
    t = done[0].row(0, named=True)
    by_reason, currencies = _counts(done[1]), _counts(done[2])
    counted = dict(zip(_COUNTED, (_counts(f) for f in done[3:]), strict=True))
    n, pay_status = int(t["n"]), counted["pay_status"]
    with_pay, with_metro = int(t["with_pay"]), int(t["with_metro"])
    with_cat, with_skills = int(t["with_cat"]), int(t["with_skills"])
    return IngestReport(
        week=week,
        generated_at=generated_at,
        rules_version=rules_version,
        files=tuple(files),
        rows_read=rows_read,
        kept=n,
        rejected=sum(by_reason.values()),
        rejected_by_reason=by_reason,
        rejected_not_open=sum(v for k, v in by_reason.items() if k in NOT_OPEN_REASONS),
        duplicates=duplicates,
        salary_unparsed=pay_status.get("unparsed", 0),
        salary_out_of_range=pay_status.get("out_of_range", 0),
        salary_several_roles=pay_status.get("several_roles", 0),
        salary_estimated=pay_status.get("estimated", 0),
        with_pay=with_pay,
        with_pay_usd=int(t["with_pay_usd"]),
        with_metro=with_metro,
        with_category=with_cat,
        with_skills=with_skills,
        share_with_pay=_share(with_pay, n),
        share_with_metro=_share(with_metro, n),
        share_with_category=_share(with_cat, n),
        share_with_skills=_share(with_skills, n),
        sources=counted["source"],
        work_mode=counted["work_mode"],
        seniority=counted["seniority"],
        seniority_source=counted["seniority_source"],
        employment=counted["employment"],
        employment_source=counted["employment_source"],
        posted_dates=counted["posted_status"],
        urls_dropped=counted["url_status"].get("dropped", 0),
        text_replaced=counted["text_status"].get("replaced", 0),
        skills_source=counted["skills_source"],
        categories=counted["category"],
        currencies=currencies,
        currency_source={k: v for k, v in counted["currency_source"].items() if k != "(none)"},
    )
