"""Values worked out once per distinct key, put back beside every row of a frame.

The ingest stages compute titles, places, pay and normalized names once per distinct value and
look them up for each row. A left join would do that, but it gathers every column of the frame
(the descriptions among them) into new memory; :func:`looked_up` joins only the key columns and
puts the looked-up columns beside the frame's own, which stay where they are.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

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


#: Most rows a :class:`Memo` keeps of one table: a week of many millions of distinct names
#: stops adding to it there (its memory stays bounded; later values are worked out per batch).
MEMO_ROWS = 500_000


class Memo:
    """Values worked out once per distinct key for a whole ingest run, not once per batch.

    A week's batches repeat most of each other's titles, companies, places and pay texts (a
    1,000,000-posting export read in five batches: 243,000 pay texts parsed batch by batch,
    144,000 distinct in the week). Each table (by name) keeps the key columns and the values
    worked out for them; a batch's keys are looked up, and only the ones no batch has seen
    are worked out. The values must depend on the key alone (the rules are the run's), so a
    result never depends on the batches: the same as without the memo. Two batch threads may
    use it at once; each table stops growing at :data:`MEMO_ROWS` rows."""

    def __init__(self, limit: int = MEMO_ROWS) -> None:
        self._limit = limit
        self._tables: dict[str, pl.DataFrame] = {}
        self._lock = threading.Lock()

    def rows(self, name: str) -> int:
        """How many keys the table ``name`` holds."""
        with self._lock:
            table = self._tables.get(name)
        return 0 if table is None else table.height

    def values(
        self,
        name: str,
        keys: pl.DataFrame,
        work_out: Callable[[pl.DataFrame], pl.DataFrame],
    ) -> pl.DataFrame:
        """``work_out(keys)`` for ``keys`` (distinct rows; its key columns are ``keys``'s, then
        the values, one row per key, in any order): the keys seen before taken from the table
        ``name``, the others worked out and added to it."""
        on = keys.columns
        with self._lock:
            known = self._tables.get(name)
        if known is None:
            fresh = work_out(keys)
            seen = fresh.clear()
        else:
            new = keys.join(known.select(on), on=on, how="anti", nulls_equal=True)
            seen = known.join(keys, on=on, how="semi", nulls_equal=True)
            fresh = work_out(new) if new.height else seen.clear()
        with self._lock:
            table = self._tables.get(name)
            if table is None:
                self._tables[name] = fresh.head(self._limit)
            elif table.height < self._limit and fresh.height:
                # another thread may have added some of the same keys meanwhile: once each
                added = fresh.join(table.select(on), on=on, how="anti", nulls_equal=True)
                room = self._limit - table.height
                self._tables[name] = pl.concat(
                    [table, added.head(room)], how="vertical_relaxed", rechunk=False
                )
        return pl.concat([seen, fresh], how="vertical_relaxed", rechunk=False)
