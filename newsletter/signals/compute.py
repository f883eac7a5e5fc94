"""Compute the signals of one week from its snapshot and the previous one (pure functions)."""

from __future__ import annotations

from datetime import date

import polars as pl

from newsletter.signals.gates import MEDIAN_MIN_N, P75_MIN_N, P90_MIN_N, gated
from newsletter.signals.models import DataHealth, Pay, Share, Signals, SkillRow, Skills, Totals


def _usd_pay(frame: pl.DataFrame) -> pl.Series:
    return frame.filter((pl.col("currency") == "USD") & pl.col("salary_mid").is_not_null())[
        "salary_mid"
    ]


def _quantile(values: pl.Series, q: float) -> float | None:
    if values.len() == 0:
        return None
    v = values.quantile(q, interpolation="linear")
    return None if v is None else float(v)


def _pay(current: pl.DataFrame, previous: pl.DataFrame | None) -> Pay:
    pay = _usd_pay(current)
    n = pay.len()
    rows = current.height
    disclosed = current.filter(pl.col("salary_mid").is_not_null()).height
    prev = _usd_pay(previous) if previous is not None else None
    n_prev = prev.len() if prev is not None else None
    return Pay(
        n=n,
        n_prev=n_prev,
        disclosure_rate=disclosed / rows if rows else None,
        median=gated(_quantile(pay, 0.5), n, MEDIAN_MIN_N),
        p75=gated(_quantile(pay, 0.75), n, P75_MIN_N),
        p90=gated(_quantile(pay, 0.9), n, P90_MIN_N),
        median_prev=gated(_quantile(prev, 0.5), n_prev or 0, MEDIAN_MIN_N)
        if prev is not None
        else None,
    )


def _remote(current: pl.DataFrame, previous: pl.DataFrame | None) -> Share:
    def share(f: pl.DataFrame) -> float | None:
        if not f.height:
            return None
        return f.filter(pl.col("remote").fill_null(False)).height / f.height

    return Share(
        share=share(current),
        share_prev=share(previous) if previous is not None else None,
        n=current.height,
        n_prev=previous.height if previous is not None else None,
    )


def _top_skills(current: pl.DataFrame, previous: pl.DataFrame | None, top: int) -> list[SkillRow]:
    def counts(f: pl.DataFrame) -> pl.DataFrame:
        return (
            f.select(pl.col("skills").list.unique().explode().alias("name"))
            .drop_nulls()
            .group_by("name")
            .len("postings")
        )

    cur = counts(current).sort(["postings", "name"], descending=[True, False]).head(top)
    prev_counts = counts(previous) if previous is not None and previous.height else None
    prev_map: dict[str, int] = (
        dict(zip(prev_counts["name"].to_list(), prev_counts["postings"].to_list(), strict=True))
        if prev_counts is not None
        else {}
    )
    rows = []
    for name, postings in cur.iter_rows():
        rows.append(
            SkillRow(
                name=name,
                postings=postings,
                share=postings / current.height,
                share_prev=(prev_map.get(name, 0) / previous.height)
                if previous is not None and previous.height
                else None,
            )
        )
    return rows


def compute_signals(
    current: pl.DataFrame,
    previous: pl.DataFrame | None,
    *,
    week: date,
    previous_week: date | None,
    top_n: int = 10,
) -> Signals:
    """All signals for ``week`` compared with ``previous_week``."""
    ids = current.select("posting_id").unique()
    prev_ids = previous.select("posting_id").unique() if previous is not None else None
    new = ids.join(prev_ids, on="posting_id", how="anti").height if prev_ids is not None else 0
    removed = prev_ids.join(ids, on="posting_id", how="anti").height if prev_ids is not None else 0
    open_prev = previous.height if previous is not None else None
    totals = Totals(
        open=current.height,
        open_prev=open_prev,
        new=new,
        removed=removed,
        net_change=current.height - open_prev if open_prev is not None else None,
    )
    return Signals(
        week=week,
        previous_week=previous_week,
        totals=totals,
        pay=_pay(current, previous),
        remote=_remote(current, previous),
        skills=Skills(top=_top_skills(current, previous, top_n)),
        data_health=DataHealth(snapshot_rows=current.height, snapshot_rows_prev=open_prev),
    )
