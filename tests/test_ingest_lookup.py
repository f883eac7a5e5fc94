"""looked_up: the left join of the ingest stages, without copying the frame's own columns."""

from __future__ import annotations

import polars as pl
import pytest

from newsletter.data.ingest.lookup import looked_up


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "city": ["Paris", None, "Oslo", "Paris", "Lima", None, "Oslo"],
            "kind": ["a", "b", None, "a", "b", "b", None],
            "text": [f"row {i}" for i in range(7)],
        }
    )


@pytest.mark.parametrize("nulls_equal", [False, True])
def test_equals_a_left_join_that_keeps_the_rows_in_order(nulls_equal: bool) -> None:
    frame = _frame()
    table = (
        frame.select("city", "kind")
        .unique()
        .with_columns(n=pl.col("city").str.len_chars(), k=pl.col("kind").str.to_uppercase())
    )
    got = looked_up(frame.lazy(), table.lazy(), ["city", "kind"], nulls_equal=nulls_equal)
    want = frame.join(
        table, on=["city", "kind"], how="left", nulls_equal=nulls_equal, maintain_order="left"
    )
    assert got.collect().equals(want)
    assert got.collect()["text"].to_list() == frame["text"].to_list()
    # null keys find their row only when nulls are equal
    assert got.collect()["k"][1] == ("B" if nulls_equal else None)


def test_a_key_absent_from_the_table_gives_nulls() -> None:
    table = pl.LazyFrame({"city": ["Oslo"], "metro": ["Oslo metro"]})
    got = looked_up(_frame().lazy(), table, "city").collect()
    assert got["metro"].to_list() == [None, None, "Oslo metro", None, None, None, "Oslo metro"]


def test_a_key_repeated_in_the_table_is_an_error_not_a_row_counted_twice() -> None:
    table = pl.LazyFrame({"city": ["Oslo", "Oslo"], "metro": ["one", "two"]})
    with pytest.raises(pl.exceptions.PolarsError):
        looked_up(_frame().lazy(), table, "city").collect()
