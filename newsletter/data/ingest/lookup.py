"""Values worked out once per distinct key, put back beside every row of a frame.

The ingest stages compute titles, places, pay and normalized names once per distinct value and
look them up for each row. A left join would do that, but it gathers every column of the frame
(the descriptions among them) into new memory; :func:`looked_up` joins only the key columns and
puts the looked-up columns beside the frame's own, which stay where they are.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

#: Above this share of distinct values, :func:`per_distinct` runs its steps on every value
#: (no distinct + join).
MOSTLY_DISTINCT = 0.5


def looked_up(
    frame: pl.LazyFrame,
    table: pl.LazyFrame,
    on: str | Sequence[str],
    *,
    nulls_equal: bool = False,
) -> pl.LazyFrame:
    """``frame`` with the other columns of ``table`` (at most one row per key) for each row's
    key, null where the key is absent: a left join that keeps ``frame``'s rows and order.

    A key repeated in ``table`` raises (the frames would differ in height), never a row
    counted twice."""
    keys = [on] if isinstance(on, str) else list(on)
    values = (
        frame.select(keys)
        .join(table, on=keys, how="left", nulls_equal=nulls_equal, maintain_order="left")
        .drop(keys)
    )
    return pl.concat([frame, values], how="horizontal")


def per_distinct(frame: pl.DataFrame, column: str, *exprs: pl.Expr) -> pl.DataFrame:
    """``frame`` with ``exprs`` added, one after the other (named expressions of ``column``
    and of the ones before them): worked out once per distinct value of ``column`` and
    joined back, unless most values are distinct (then on every value)."""

    def added(values: pl.DataFrame) -> pl.DataFrame:
        for expr in exprs:
            values = values.with_columns(expr)
        return values

    if frame.height == 0 or frame[column].n_unique() > MOSTLY_DISTINCT * frame.height:
        return added(frame)
    distinct = added(frame.select(pl.col(column).unique()))
    # Joined as DataFrames (the in-memory engine), on the key column alone: several times
    # faster than a lazy join collected on the default streaming engine.
    values = frame.select(column).join(
        distinct, on=column, how="left", nulls_equal=True, maintain_order="left"
    )
    return frame.hstack(values.drop(column))
