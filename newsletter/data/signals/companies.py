"""Top hiring companies by open and by new roles, and the biggest movers (S12)."""

from __future__ import annotations

import polars as pl

from newsletter.data.signals.gates import COMPANY_MIN_OPEN, MOVER_MIN_NET, MOVER_MIN_SHARE
from newsletter.data.signals.groups import group_plan
from newsletter.data.signals.models import Companies, CompanyRow


def company_plan(
    current: pl.LazyFrame,
    previous: pl.LazyFrame | None,
    new: pl.LazyFrame,
    removed: pl.LazyFrame,
) -> pl.LazyFrame:
    """One lazy row per company: open, open_prev, new, removed (no pay)."""
    return group_plan(current, previous, new, removed, "company", null_label=None, with_pay=False)


def build_companies(table: pl.DataFrame, top_n: int) -> Companies:
    """Top by open (>= COMPANY_MIN_OPEN), top by new, and movers by net change.

    A mover has ``abs(net) >= max(MOVER_MIN_NET, MOVER_MIN_SHARE * open)``; with no previous
    snapshot there are no movers.
    """
    has_prev = "open_prev" in table.columns
    if not has_prev:
        table = table.with_columns(pl.lit(None, dtype=pl.Int64).alias("open_prev"))
    t = table.with_columns(
        (pl.col("open") - pl.col("open_prev").fill_null(0)).alias("net"),
    )

    def rows(f: pl.DataFrame) -> list[CompanyRow]:
        return [
            CompanyRow(
                name=r["name"],
                open=r["open"],
                new=r["new"],
                removed=r["removed"],
                open_prev=r["open_prev"],
                net=r["net"] if has_prev else 0,
            )
            for r in f.iter_rows(named=True)
        ]

    top = t.filter(pl.col("open") >= COMPANY_MIN_OPEN).sort(
        ["open", "new", "name"], descending=[True, True, False]
    )
    top_new = t.filter(pl.col("new") > 0).sort(
        ["new", "open", "name"], descending=[True, True, False]
    )
    movers = (
        t.filter(
            pl.col("net").abs()
            >= pl.max_horizontal(pl.lit(MOVER_MIN_NET), MOVER_MIN_SHARE * pl.col("open"))
        ).sort([pl.col("net").abs(), "name"], descending=[True, False])
        if has_prev
        else t.clear()
    )
    return Companies(
        top=rows(top.head(top_n)),
        top_new=rows(top_new.head(top_n)),
        movers=rows(movers.head(top_n)),
    )
