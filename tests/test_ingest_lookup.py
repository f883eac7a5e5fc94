"""looked_up: the left join of the ingest stages, without copying the frame's own columns;
Memo: what the batches of a run work out per distinct key, once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import polars as pl
import pytest

from newsletter.data.ingest.columns import RAW_SCHEMA
from newsletter.data.ingest.lookup import Memo, looked_up
from newsletter.data.ingest.pay import parse_pay


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


# --- Memo: values worked out once per distinct key of a whole run ---------------------------


class _Counting:
    """A ``work_out`` that records the keys it is given: a key's length and its upper case."""

    def __init__(self) -> None:
        self.given: list[str | None] = []

    def __call__(self, keys: pl.DataFrame) -> pl.DataFrame:
        self.given += keys["k"].to_list()
        return keys.with_columns(n=pl.col("k").str.len_chars(), up=pl.col("k").str.to_uppercase())


def _keys(*values: str | None) -> pl.DataFrame:
    return pl.DataFrame({"k": list(values)}, schema={"k": pl.String})


def _by_key(table: pl.DataFrame) -> dict[str | None, tuple[int | None, str | None]]:
    assert table["k"].n_unique() == table.height  # one row per key
    return {row["k"]: (row["n"], row["up"]) for row in table.iter_rows(named=True)}


def test_memo_works_out_only_the_keys_no_batch_has_seen() -> None:
    memo, work = Memo(), _Counting()
    first = memo.values("t", _keys("ab", "c", None), work)
    second = memo.values("t", _keys("c", "def", None, "ab"), work)
    assert sorted(work.given, key=str) == sorted(["ab", "c", None, "def"], key=str)
    assert _by_key(first) == {"ab": (2, "AB"), "c": (1, "C"), None: (None, None)}
    assert _by_key(second) == {
        "ab": (2, "AB"), "c": (1, "C"), "def": (3, "DEF"), None: (None, None),
    }  # fmt: skip
    assert memo.rows("t") == 4
    # a batch of keys all seen works nothing out, and tables are kept apart by name
    memo.values("t", _keys("def"), work)
    assert len(work.given) == 4
    assert _by_key(memo.values("other", _keys("def"), work)) == {"def": (3, "DEF")}
    assert len(work.given) == 5


def test_a_full_memo_stops_growing_and_still_gives_every_value() -> None:
    memo, work = Memo(limit=3), _Counting()
    memo.values("t", _keys("a", "b"), work)
    got = memo.values("t", _keys("a", "cc", "ddd", "eeee"), work)
    assert memo.rows("t") == 3
    assert _by_key(got) == {"a": (1, "A"), "cc": (2, "CC"), "ddd": (3, "DDD"), "eeee": (4, "EEEE")}
    # keys beyond the limit are worked out again, batch by batch
    before = len(work.given)
    memo.values("t", _keys("a", "eeee"), work)
    assert work.given[before:] == ["eeee"]


def test_two_threads_at_once_add_each_key_once() -> None:
    memo = Memo()
    batches = [
        _keys(*(f"v{i}" for i in range(start, start + 600))) for start in range(0, 3000, 300)
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda keys: memo.values("t", keys, _Counting()), batches))
    assert memo.rows("t") == 3300
    for keys, got in zip(batches, results, strict=True):
        assert sorted(got["k"].to_list()) == sorted(keys["k"].to_list())
        assert _by_key(got) == {k: (len(k), k.upper()) for k in keys["k"]}


def test_pay_read_with_a_memo_batch_by_batch_equals_pay_read_alone() -> None:
    texts = [
        "$120,000 - $150,000", "€50.000 - €60.000 per year", None, "$45/hr", "up to £80k",
        "DOE", "$120,000 - $150,000", "CAD 84,000 - 163,000", "$215k+", "45.000 € brutto",
    ]  # fmt: skip
    frame = pl.DataFrame({c: [None] * 40 for c in RAW_SCHEMA}, schema=RAW_SCHEMA).with_columns(
        salary=pl.Series([texts[(i * 7) % len(texts)] for i in range(40)], dtype=pl.String),
        location=pl.Series(["Berlin, Germany", "Austin, TX"] * 20, dtype=pl.String),
        country=pl.Series(["DE", "US"] * 20, dtype=pl.String),
    )
    currencies = {"DE": "EUR", "US": "USD"}
    alone = parse_pay(frame.lazy(), currencies).collect()
    memo = Memo()
    parts = [
        parse_pay(frame.slice(i, 13).lazy(), currencies, memo).collect() for i in range(0, 40, 13)
    ]
    assert pl.concat(parts).equals(alone)
    assert memo.rows("pay") == frame.select("salary").n_unique()
    assert alone["pay_status"].value_counts().height > 2  # the texts read as several kinds
