"""Which way round a file writes its slash dates: ``05/11/2026`` is May 11 in a US export
and the 5th of November in a European one.

A file's own dates decide, the whole file at once (a large export's slices must not each
decide on their own: an export sorted by date has no day over 12 in its first slice). The
slash dates of a file written day first are rewritten as ISO dates where the file is read
(:func:`as_read`), so every later step reads them like any other; without evidence they stay
month first, as in the US.
"""

from __future__ import annotations

import polars as pl

#: A date written with slashes: day or month, month or day, year (two or four digits).
SLASH_DATE = r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$"


def has_slash_dates(values: pl.Series) -> bool:
    """Whether any of ``values`` (a text column) is a slash date."""
    return values.dtype == pl.String and bool(
        values.str.strip_chars().str.contains(SLASH_DATE).any()
    )


def day_first(values: pl.Series) -> bool:
    """Whether the slash dates among ``values`` (the posting dates of one file) are written day
    first: at least one cannot be month first (``23/11/2026``) and none cannot be day first
    (``11/23/2026``). With both kinds, or neither, each value is read as it can be (month
    first where it may be)."""
    if values.dtype != pl.String:
        return False
    parts = (
        values.str.strip_chars()
        .str.extract_groups(SLASH_DATE)
        .struct.unnest()
        .select(pl.nth(0, 1).cast(pl.Int32))
        .drop_nulls()
    )
    if parts.is_empty():
        return False
    first, second = parts.to_series(0), parts.to_series(1)
    days = bool(((first > 12) & (second <= 12)).any())
    months = bool(((second > 12) & (first <= 12)).any())
    return days and not months


def as_read(expr: pl.Expr) -> pl.Expr:
    """A posting-date column of a file written day first: each slash date that is a day
    (``05/11/2026``, ``5/11/26``: a two-digit year is 20xx) as its ISO date, every other value
    as it is (``31/02/2026`` stays, and is no date later)."""
    t = expr.str.strip_chars()
    iso = pl.coalesce(
        t.str.to_date("%d/%m/%Y", strict=False), t.str.to_date("%d/%m/%y", strict=False)
    ).dt.to_string("%Y-%m-%d")
    return pl.when(t.str.contains(SLASH_DATE)).then(pl.coalesce(iso, expr)).otherwise(expr)
