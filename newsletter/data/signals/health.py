"""Data health (S14): sizes, ingest counts, composition shares, and drop warnings.

A **drop warning** fires when a source or a company with at least ``DROP_MIN_POSTINGS``
postings in the previous snapshot has more than ``DROP_MIN_SHARE`` of them removed at once.
That is far more often a scrape failure, an id change or a season rollover than a market
move. Its removals stay in ``totals.removed`` (the snapshot is what was open) and are also
counted in ``totals.removed_in_drops`` so that the issue can word them apart. Postings of
``new`` feeds are left out of the drop tables: their removals are postings ageing out of the
open window, by construction, never a scrape failure.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import polars as pl

from newsletter.data.signals.gates import (
    CONCENTRATION_MIN_NEW,
    CONCENTRATION_MIN_SHARE,
    DROP_MIN_POSTINGS,
    DROP_MIN_SHARE,
)
from newsletter.data.signals.groups import first_rows
from newsletter.data.signals.models import DataHealth, HealthWarning
from newsletter.util.shares import percent
from newsletter.util.weeks import weeks_between


def composition_plan(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Shares of the week's open postings: category Other, unknown metro, no pay, ... (null
    for a week without postings, never NaN)."""
    n = pl.len()

    def share(hits: pl.Expr) -> pl.Expr:
        return pl.when(n > 0).then(hits.sum() / n)

    unknown_metro = pl.col("metro").is_null() & ~pl.col("remote").fill_null(False)
    return frame.select(
        n.alias("rows"),
        share(pl.col("category").is_null() | (pl.col("category") == "Other")).alias(
            "share_other_category"
        ),
        share(unknown_metro).alias("share_unknown_metro"),
        share(pl.col("salary_mid").is_null()).alias("share_without_pay"),
        share(pl.col("seniority").is_null() | (pl.col("seniority") == "unknown")).alias(
            "share_unknown_seniority"
        ),
    )


def id_counts(raw: pl.DataFrame) -> dict[str, int]:
    """Rows, rows without id and distinct ids of a raw (not deduplicated) snapshot.

    The ids are counted by their 64-bit hashes first (a fifth of the time of counting a
    million strings): as many distinct hashes as ids means as many distinct ids; fewer (a
    repeated id, or two ids with one hash) are counted again by the ids themselves.
    """
    ids = raw["posting_id"]
    missing = ids.null_count()
    present = ids.drop_nulls() if missing else ids
    distinct = present.hash().n_unique()
    if distinct != len(present):
        distinct = present.n_unique()
    return {"rows": raw.height, "missing": missing, "distinct": distinct}


def drop_warnings(table: pl.DataFrame, kind: str, label: str) -> list[HealthWarning]:
    """Warnings for groups (rows of a ``group_plan`` table) that lost more than half at once."""
    if "open_prev" not in table.columns:
        return []
    hits = table.filter(
        (pl.col("open_prev") >= DROP_MIN_POSTINGS)
        & (pl.col("removed") > DROP_MIN_SHARE * pl.col("open_prev"))
    ).sort(["removed", "name"], descending=[True, False])
    out = []
    for r in hits.iter_rows(named=True):
        before, after, removed, new = r["open_prev"], r["open"], r["removed"], r["new"]
        out.append(
            HealthWarning(
                kind=kind,
                name=str(r["name"]),
                before=before,
                after=after,
                removed=removed,
                new=new,
                message=(
                    f"{label} {r['name']}: {removed:,} of its {before:,} postings were removed "
                    f"at once ({percent(removed / before)}; {new:,} new, {after:,} open now). "
                    "Likely a scrape failure, id change or season rollover, not a market move."
                ),
            )
        )
    return out


def returned_warning(
    returned: int, new: int, removed: int, open_now: int, open_prev: int | None
) -> list[HealthWarning]:
    """A warning when many new ids were open before: last week's drop was likely a gap.

    Like every warning, ``before``/``after`` are the group's (here: all sources') open postings
    last week and this week; the returned count is in the message and ``totals.returned``.
    """
    if returned < DROP_MIN_POSTINGS:
        return []
    return [
        HealthWarning(
            kind="returned",
            name="all sources",
            before=open_prev or 0,
            after=open_now,
            removed=removed,
            new=new,
            message=(
                f"{returned:,} of this week's {new:,} new postings were open in an earlier "
                "snapshot and came back: an earlier drop was likely a scrape gap, and these "
                "are not new roles."
            ),
        )
    ]


def gap_weeks(week: date, previous_week: date | None) -> int:
    """Weeks between this snapshot and the previous one (1 for consecutive weeks, 0 without
    a previous snapshot)."""
    return weeks_between(week, previous_week) if previous_week is not None else 0


def concentration_warning(companies: pl.DataFrame, n_new: int) -> list[HealthWarning]:
    """A warning when one company posted CONCENTRATION_MIN_SHARE or more of the week's new
    postings (and CONCENTRATION_MIN_NEW of them): the week's flows, rising skills and pay
    shift then speak for one employer (or a board newly covered), not the market."""
    if not n_new or "new" not in companies.columns or companies.is_empty():
        return []
    top = first_rows(companies, 1, ["new", "name"], [True, False]).row(0, named=True)
    new = int(top["new"])
    if new < CONCENTRATION_MIN_NEW or new < CONCENTRATION_MIN_SHARE * n_new:
        return []
    name = str(top["name"])
    fresh = (
        "; it was not in last week's data (a board newly covered?)"
        if not top.get("open_prev")
        else ""
    )
    return [
        HealthWarning(
            kind="new_concentration",
            name=name,
            before=int(top.get("open_prev") or 0),
            after=int(top["open"]),
            new=new,
            message=(
                f"{name} posted {new:,} of this week's {n_new:,} new postings "
                f"({percent(new / n_new)}){fresh}. The week's moves are largely one employer's."
            ),
        )
    ]


def newly_covered(warnings: list[HealthWarning]) -> set[str]:
    """Companies of a ``new_concentration`` warning absent last week: a board newly covered
    more likely than a hiring move (never the spotlight)."""
    return {w.name for w in warnings if w.kind == "new_concentration" and w.before == 0}


def gap_warning(
    week: date, previous_week: date | None, open_now: int, open_prev: int | None
) -> list[HealthWarning]:
    """A warning when the previous snapshot is not last week's: every "this week" flow and
    change then spans several weeks (weeks without a snapshot: a collection that did not
    run)."""
    gap = gap_weeks(week, previous_week)
    if gap <= 1 or previous_week is None:
        return []
    missing = gap - 1
    return [
        HealthWarning(
            kind="snapshot_gap",
            name=previous_week.isoformat(),
            before=open_prev or 0,
            after=open_now,
            message=(
                f"The previous snapshot is from {previous_week.isoformat()}, {gap} weeks "
                f"earlier ({missing} week{'s' if missing > 1 else ''} without a snapshot): new, "
                f"removed and every change here span {gap} weeks, not one."
            ),
        )
    ]


def window_warnings(
    deliveries: Mapping[str, tuple[int, int]],
    open_now: Mapping[str, int],
    open_prev: Mapping[str, int],
    window_days: int | None,
) -> list[HealthWarning]:
    """A warning per ``new`` feed whose open window holds a different number of weekly
    deliveries this week than last week (``deliveries``: this week's, last week's): its
    first weeks, while the window fills, or a week without a delivery. The feed's open
    postings then grow or shrink with its window, not with the market, and so do the
    week's changes."""
    out = []
    for name, (now, before) in sorted(deliveries.items()):
        if now == before:
            continue
        grow = "grow" if now > before else "shrink"
        out.append(
            HealthWarning(
                kind="feed_window",
                name=name,
                before=open_prev.get(name, 0),
                after=open_now.get(name, 0),
                message=(
                    f"Source {name} delivers only new postings, and its {window_days}-day "
                    f"window holds {now} weekly deliver{'y' if now == 1 else 'ies'} this week "
                    f"against {before} last week: its open postings "
                    f"({open_prev.get(name, 0):,} to {open_now.get(name, 0):,}) and the "
                    f"week's changes {grow} with that window, not with the market."
                ),
            )
        )
    return out


def collect_warnings(report: Mapping[str, Any] | None) -> list[HealthWarning]:
    """Warnings ``newsletter collect`` wrote into the ingest report (``source_warnings``):
    boards carried forward (stale), no longer carried, failing or suddenly empty, each
    naming its source."""
    found = report.get("source_warnings") if report else None
    out = []
    for w in found if isinstance(found, list) else []:
        if isinstance(w, Mapping):
            out.append(
                HealthWarning(
                    kind=str(w.get("kind", "source")),
                    name=str(w.get("name", "")),
                    before=_int(w, "before") or 0,
                    after=_int(w, "after") or 0,
                    message=str(w.get("message", "")),
                )
            )
    return out


def in_drops(warnings: list[HealthWarning]) -> pl.Expr | None:
    """True for postings whose source or company carries a drop warning (None: no warning)."""
    sources = [w.name for w in warnings if w.kind in ("source_drop", "source_expired")]
    companies = [w.name for w in warnings if w.kind == "company_drop"]
    if not sources and not companies:
        return None
    return pl.col("source").fill_null("unknown").is_in(sources) | pl.col("company").is_in(
        companies
    ).fill_null(False)


def removed_in_drops(removed: pl.DataFrame, warnings: list[HealthWarning]) -> int:
    """Removed postings whose source or company carries a drop warning (each counted once)."""
    hit = in_drops(warnings)
    if hit is None or removed.is_empty():
        return 0
    return removed.filter(hit).height


def of_kind(frame: pl.LazyFrame, feeds: frozenset[str], feed: bool) -> pl.LazyFrame:
    """Postings of ``new`` feeds (``feed=True``) or of stock sources (``feed=False``)."""
    if not feeds:
        return frame if not feed else frame.limit(0)
    is_feed = pl.col("source").is_in(sorted(feeds)).fill_null(False)
    return frame.filter(is_feed if feed else ~is_feed)


def _int(report: Mapping[str, Any], key: str) -> int | None:
    v = report.get(key)
    return int(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def ingest_fields(report: Mapping[str, Any] | None) -> dict[str, Any]:
    """DataHealth fields from an ingest report (absent report: all None)."""
    if not report:
        return {}
    reasons = report.get("rejected_by_reason")
    return {
        "ingest_rows_read": _int(report, "rows_read"),
        "ingest_kept": _int(report, "kept"),
        "ingest_rejected": _int(report, "rejected"),
        "ingest_duplicates": _int(report, "duplicates"),
        "ingest_salary_unparsed": _int(report, "salary_unparsed"),
        "ingest_salary_out_of_range": _int(report, "salary_out_of_range"),
        "ingest_salary_several_roles": _int(report, "salary_several_roles"),
        "ingest_salary_estimated": _int(report, "salary_estimated"),
        "ingest_rejected_by_reason": {str(k): int(v) for k, v in reasons.items()}
        if isinstance(reasons, Mapping)
        else {},
    }


def cross_source_plan(frame: pl.LazyFrame) -> pl.LazyFrame:
    """How many postings share their fingerprint with a posting of another source."""
    return (
        frame.group_by("fingerprint")
        .agg(k=pl.col("source").n_unique(), n=pl.len())
        .filter(pl.col("k") > 1)
        .select(pl.col("n").sum())
    )


def build_health(
    *,
    rows: int,
    rows_prev: int | None,
    ids: Mapping[str, int],
    composition: Mapping[str, Any],
    flows: Mapping[str, int],
    non_usd: float | None,
    report: Mapping[str, Any] | None,
    warnings: list[HealthWarning],
    suppressed: list[str],
    source_kinds: Mapping[str, str],
    open_window_days: int | None,
    cross_source: int | None = None,
) -> DataHealth:
    distinct, missing = ids["distinct"], ids["missing"]
    return DataHealth(
        snapshot_rows=rows,
        snapshot_rows_prev=rows_prev,
        ids_missing=missing,
        ids_repeated=ids["rows"] - missing - distinct,
        posting_intensity=(ids["rows"] - missing) / distinct if distinct else None,
        cross_source=cross_source,
        share_other_category=composition.get("share_other_category"),
        share_unknown_metro=composition.get("share_unknown_metro"),
        share_without_pay=composition.get("share_without_pay"),
        share_unknown_seniority=composition.get("share_unknown_seniority"),
        share_non_usd_pay=non_usd,
        warnings=warnings,
        suppressed=suppressed,
        source_kinds=dict(source_kinds),
        open_window_days=open_window_days,
        **flows,
        **ingest_fields(report),
    )
