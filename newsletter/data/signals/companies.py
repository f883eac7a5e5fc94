"""Top hiring companies by open and by new roles, the biggest movers (S12), and the
company spotlight: the largest gated move with its hiring profile."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import polars as pl

from newsletter.data.signals.gates import (
    COMPANY_MIN_OPEN,
    MEDIAN_MIN_N,
    MOVER_MIN_NET,
    MOVER_MIN_SHARE,
    PAY_RANGE_MIN_N,
    SPOTLIGHT_MIN_OPEN,
    SPOTLIGHT_TOP,
    gated,
    pct_change,
)
from newsletter.data.signals.groups import first_rows, group_plan
from newsletter.data.signals.models import Companies, CompanyRow, NamedCount, Spotlight
from newsletter.data.signals.pay import IN_PAY_STATS, USD_PAY
from newsletter.data.snapshots import LEGAL_FORMS
from newsletter.models import REMOTE_PLACE
from newsletter.util.text import SHOWN_MAX, one_line

#: The column the companies table groups by.
KEY = "company"


#: Legal forms a company name ends with (:data:`~newsletter.data.snapshots.LEGAL_FORMS`;
#: guide §4: "strip legal suffixes and punctuation"): "Visa" and "Visa Inc", "Pyramid
#: Consulting, Inc." and "Pyramid Consulting Inc" are one employer.
_LEGAL = r"(?: (?:" + "|".join(LEGAL_FORMS) + r"))+$"


def _name_key(name: pl.Expr) -> pl.Expr:
    """The form two spellings of one employer share: lower case, punctuation as spaces, no
    legal suffix (a name that is all suffix keeps it)."""
    words = name.str.to_lowercase().str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars()
    bare = words.str.replace(_LEGAL, "")
    return pl.when(bare.str.len_bytes() > 0).then(bare).otherwise(words)


def one_spelling(frames: Sequence[pl.DataFrame]) -> list[pl.DataFrame]:
    """``frames`` with every company under one spelling: names that differ only in letter
    case, punctuation or a legal suffix (``Worldgate LLC`` and ``worldgate llc``, ``LEIDOS``
    and ``Leidos``, ``Visa`` and ``Visa Inc``, ``Snap Inc`` and ``Snap Inc.``: one export
    spells one employer several ways; :func:`_name_key`) are one company, in every table,
    warning and spotlight.
    Its spelling is the one most postings of the frames use; on a tie, one in mixed case
    (not all capitals or all small letters), then the first in code-point order.

    The frames are returned as they are when no two names differ only in case (the usual
    week), found on numbers: each distinct name's 64-bit hash beside its lower-case form's
    (grouping a million strings as text costs three times more: 0.7 s against 0.2 s on two
    weeks of a million postings). Only the names whose lower-case forms share a hash are
    then grouped as text, counted and replaced: a collision of lower-case forms only adds a
    name to look at; one of two names themselves (a chance in billions) could leave two
    spellings apart, as they were before this rule."""
    candidates = _case_candidates(frames)
    if candidates.is_empty():
        return list(frames)
    lower = _name_key(pl.col(KEY))
    names = (
        pl.concat([f.lazy().select(KEY) for f in frames])
        .filter(pl.col(KEY).hash().is_in(candidates.implode()))
        .group_by(KEY)
        .agg(pl.len().alias("_n"))
        .with_columns(lower.alias("_k"))
        .filter(pl.len().over("_k") > 1)
        .collect()
    )
    if names.is_empty():  # hash collisions only
        return list(frames)
    one_case = (pl.col(KEY) == pl.col(KEY).str.to_uppercase()) | (pl.col("_k") == pl.col(KEY))
    chosen = names.sort(
        ["_n", one_case, KEY], descending=[True, False, False], maintain_order=True
    ).select(pl.col(KEY), pl.col(KEY).first().over("_k").alias("_to"))
    old, to = chosen[KEY], chosen["_to"]
    return [f.with_columns(pl.col(KEY).replace(old, to)) for f in frames]


def _case_candidates(frames: Sequence[pl.DataFrame]) -> pl.Series:
    """Hashes of the distinct names of ``frames`` whose :func:`_name_key` (its hash) another
    distinct name shares (``Acme`` and ``ACME``): each frame's distinct names found by their
    hashes, so only those (not every row) are put in that form."""
    name = pl.col(KEY)
    pairs = pl.concat(
        [
            f.lazy()
            .select(name, _h=name.hash())
            .drop_nulls()
            .filter(pl.col("_h").is_first_distinct())
            .select("_h", _l=_name_key(name).hash())
            for f in frames
        ]
    )
    return (
        pairs.unique()
        .filter(pl.len().over("_l") > 1)
        .select(pl.col("_h").unique())
        .collect()
        .get_column("_h")
    )


def company_plan(
    current: pl.LazyFrame,
    previous: pl.LazyFrame | None,
    new: pl.LazyFrame,
    removed: pl.LazyFrame,
    *,
    continuing: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """One lazy row per company: open, open_prev, new, removed (no pay); counted from the
    ``continuing`` postings when given (:class:`~newsletter.data.signals.diff.Flows`)."""
    return group_plan(
        current, previous, new, removed, KEY, null_label=None, with_pay=False, continuing=continuing
    )


def _mover(net: pl.Expr) -> pl.Expr:
    return net.abs() >= pl.max_horizontal(pl.lit(MOVER_MIN_NET), MOVER_MIN_SHARE * pl.col("open"))


def build_companies(
    table: pl.DataFrame, top_n: int, spotlight: Spotlight | None = None
) -> Companies:
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

    top = first_rows(
        t.filter(pl.col("open") >= COMPANY_MIN_OPEN),
        top_n,
        ["open", "new", "name"],
        [True, True, False],
    )
    top_new = first_rows(
        t.filter(pl.col("new") > 0), top_n, ["new", "open", "name"], [True, True, False]
    )
    movers = (
        first_rows(
            t.filter(_mover(pl.col("net"))), top_n, [pl.col("net").abs(), "name"], [True, False]
        )
        if has_prev
        else t.clear()
    )
    return Companies(
        top=rows(top),
        top_new=rows(top_new),
        movers=rows(movers),
        spotlight=spotlight,
    )


def spotlight_company(table: pl.DataFrame, excluded: Collection[str]) -> dict[str, Any] | None:
    """The row of the company with the largest move (abs net, then name) that passes the mover
    gate, has at least SPOTLIGHT_MIN_OPEN open postings this week and is not ``excluded``
    (companies with removals in a drop warning: a scrape failure is no hiring move).

    Its move must be its own new and removed postings (``net == new - removed``): postings
    open in both weeks under another company's name in one of them (a board relabelling
    them, a name normalised anew) move the open count without any hiring."""
    if "open_prev" not in table.columns:
        return None
    net = pl.col("open") - pl.col("open_prev")
    own = pl.col("net") == pl.col("new") - pl.col("removed")
    hits = (
        table.with_columns(net.alias("net"))
        .filter((pl.col("open") >= SPOTLIGHT_MIN_OPEN) & _mover(pl.col("net")) & own)
        .sort([pl.col("net").abs(), "name"], descending=[True, False])
    )
    # excluded names may come from a warning, where a name is shown (cleaned, capped): a
    # company is out by its raw name or as it is shown
    for row in hits.iter_rows(named=True):
        if row["name"] not in excluded and one_line(row["name"], SHOWN_MAX) not in excluded:
            return row
    return None


def spotlight_plans(current: pl.LazyFrame, name: str) -> dict[str, pl.LazyFrame]:
    """Lazy plans of one company's profile: role categories, places and pay."""
    mine = current.filter(pl.col("company") == name)
    place = (
        pl.when(pl.col("remote").fill_null(False))
        .then(pl.lit(REMOTE_PLACE))
        .otherwise(pl.col("metro"))
        .alias("name")
    )
    usd = IN_PAY_STATS  # the range is of the pay behind n_pay and the median

    def top(expr: pl.Expr) -> pl.LazyFrame:
        return (
            mine.select(expr)
            .drop_nulls("name")
            .group_by("name")
            .agg(pl.len().alias("open"))
            .sort(["open", "name"], descending=[True, False])
        )

    return {
        "spot_categories": top(pl.col("category").fill_null("Other").alias("name")),
        "spot_places": top(place),
        "spot_pay": mine.select(
            USD_PAY.count().alias("n"),
            USD_PAY.quantile(0.5, interpolation="linear").alias("median"),
            pl.col("salary_min").filter(usd).quantile(0.1, interpolation="linear").alias("low"),
            pl.col("salary_max").filter(usd).quantile(0.9, interpolation="linear").alias("high"),
            pl.col("remote").fill_null(False).sum().alias("remote"),
        ),
    }


def build_spotlight(row: Mapping[str, Any], profile: Mapping[str, pl.DataFrame]) -> Spotlight:
    """The spotlight from its companies-table row and its collected profile plans."""
    pay = profile["spot_pay"].row(0, named=True)
    n_pay = int(pay["n"] or 0)

    def named(frame: pl.DataFrame) -> list[NamedCount]:
        return [
            NamedCount(name=str(n), open=int(k)) for n, k in frame.head(SPOTLIGHT_TOP).iter_rows()
        ]

    low, high = pay["low"], pay["high"]
    ranged = n_pay >= PAY_RANGE_MIN_N and low is not None and high is not None
    open_, open_prev = int(row["open"]), int(row["open_prev"])
    return Spotlight(
        name=row["name"],
        open=open_,
        open_prev=open_prev,
        new=int(row["new"]),
        removed=int(row["removed"]),
        net=open_ - open_prev,
        change_pct=pct_change(open_, open_prev),
        categories=named(profile["spot_categories"]),
        places=named(profile["spot_places"]),
        remote=int(pay["remote"] or 0),
        n_pay=n_pay,
        pay_low=float(low) if ranged else None,
        pay_high=float(high) if ranged else None,
        median_pay=gated(pay["median"], n_pay, MEDIAN_MIN_N),
    )
