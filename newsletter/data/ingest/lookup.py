"""Values worked out once per distinct key, put back beside every row of a frame.

The ingest stages compute titles, places, pay and normalized names once per distinct value and
look them up for each row. A left join would do that, but it gathers every column of the frame
(the descriptions among them) into new memory; :func:`looked_up` joins only the key columns and
puts the looked-up columns beside the frame's own, which stay where they are.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl


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
