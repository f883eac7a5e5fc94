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


#: A name :func:`_name_key` must clean beyond lower case: a character that is no letter,
#: digit or space, two spaces in a row, or a space at an end.
_UNTIDY = r"[^\p{L}\p{N} ]|  |^ | $"


def _name_keys(names: pl.LazyFrame) -> pl.LazyFrame:
    """``names`` (column ``_c``) with ``_k``, the form two spellings of one employer share:
    lower case, punctuation as spaces, no legal suffix (a name that is all suffix keeps it).
    Only the names with punctuation or stray spaces go through the replacing regex (most
    names have none; finding them costs a seventh of rewriting them all)."""
    lower = pl.col("_c").str.to_lowercase()
    untidy = pl.col("_c").str.contains(_UNTIDY)
    words = lower.str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars()
    spaced = pl.concat(
        [names.filter(~untidy).with_columns(_w=lower), names.filter(untidy).with_columns(_w=words)]
    )
    bare = pl.col("_w").str.replace(_LEGAL, "")
    key = pl.when(bare.str.len_bytes() > 0).then(bare).otherwise("_w")
    return spaced.with_columns(_k=key).drop("_w")


def one_spelling(frames: Sequence[pl.DataFrame]) -> list[pl.DataFrame]:
    """``frames`` with every company under one spelling: names that differ only in letter
    case, punctuation or a legal suffix (``Worldgate LLC`` and ``worldgate llc``, ``LEIDOS``
    and ``Leidos``, ``Visa`` and ``Visa Inc``, ``Snap Inc`` and ``Snap Inc.``: one export
    spells one employer several ways; :func:`_name_keys`) are one company, in every table,
    warning and spotlight.
    Its spelling is the one most postings of the frames use; on a tie, one in mixed case
    (not all capitals or all small letters), then the first in code-point order.

    Built for a million postings a week, on numbers where it can: each distinct name is
    found by its 64-bit hash (grouping a million strings as text costs several times more);
    only distinct names are put in their shared form; only the names that share it are
    counted; and only the rows whose name changes are looked up and rewritten. A row is
    rewritten only when its name is the very spelling looked up (a hash collision changes
    nothing); a collision between two distinct names (a chance in billions) can leave one
    of them under its own spelling, as it was before this rule. The frames are returned as
    they are when no two names share a form (the usual week)."""
    hashed = [f.select(_h=pl.col(KEY).hash(), _c=pl.col(KEY)) for f in frames]
    distinct = (
        pl.concat([h.lazy() for h in hashed])
        .drop_nulls("_c")
        .filter(pl.col("_h").is_first_distinct())
    )
    names = _name_keys(distinct).filter(pl.len().over("_k") > 1).collect()
    if names.is_empty():
        return list(frames)
    shared = names.get_column("_h").implode()
    counts = (
        pl.concat([h.lazy().select("_h").filter(pl.col("_h").is_in(shared)) for h in hashed])
        .group_by("_h")
        .agg(_n=pl.len())
    )
    one_case = (pl.col("_c") == pl.col("_c").str.to_uppercase()) | (pl.col("_k") == pl.col("_c"))
    moves = (
        names.lazy()
        .join(counts, on="_h")
        .sort(["_n", one_case, "_c"], descending=[True, False, False], maintain_order=True)
        .select("_h", _from="_c", _to=pl.col("_c").first().over("_k"))
        .filter(pl.col("_from") != pl.col("_to"))
        .collect()
    )
    if moves.is_empty():
        return list(frames)
    moved = moves.get_column("_h").implode()
    out = []
    for frame, h in zip(frames, hashed, strict=True):
        hit = h.get_column("_h").is_in(moved)
        renamed = (
            h.lazy()
            .filter(hit)
            .join(moves.lazy(), on="_h", how="left", maintain_order="left")
            .select(pl.when(pl.col("_from") == pl.col("_c")).then("_to").otherwise("_c"))
            .collect()
            .to_series()
        )
        column = frame.get_column(KEY).clone()
        column.scatter(hit.arg_true(), renamed)
        out.append(frame.with_columns(column))
    return out


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
    tied = 0
    if top.height == top_n:  # a cut: the companies past it with as many open as the last row
        last = top["open"][-1]
        tied = t.filter(pl.col("open") == last).height - top.filter(pl.col("open") == last).height
    return Companies(
        top=rows(top),
        top_tied=tied,
        top_new=rows(top_new),
        movers=rows(movers),
        spotlight=spotlight,
    )


def spotlight_company(table: pl.DataFrame, excluded: Collection[str]) -> dict[str, Any] | None:
    """The row of the company with the largest move (abs net, then name) that passes the mover
    gate, has at least SPOTLIGHT_MIN_OPEN open postings this week and is not ``excluded``
    (companies with removals in a drop warning: a scrape failure is no hiring move), with
    ``tied``: how many other such companies made a move as large.

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
    picked: dict[str, Any] | None = None
    for row in hits.iter_rows(named=True):
        if picked is not None and abs(row["net"]) < abs(picked["net"]):
            break  # sorted: no later move is as large
        if row["name"] not in excluded and one_line(row["name"], SHOWN_MAX) not in excluded:
            if picked is None:
                picked = {**row, "tied": 0}
            else:  # as large as the one picked by name: the issue says the move is shared
                picked["tied"] += 1
    return picked


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

    def more(frame: pl.DataFrame) -> int:
        """Names past the cut with as many open postings as the last one kept (cut by name)."""
        if frame.height <= SPOTLIGHT_TOP:
            return 0
        last = frame["open"][SPOTLIGHT_TOP - 1]
        return int(frame["open"].slice(SPOTLIGHT_TOP).eq(last).sum())

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
        tied=int(row.get("tied", 0)),
        change_pct=pct_change(open_, open_prev),
        categories=named(profile["spot_categories"]),
        categories_more=more(profile["spot_categories"]),
        places=named(profile["spot_places"]),
        places_more=more(profile["spot_places"]),
        remote=int(pay["remote"] or 0),
        n_pay=n_pay,
        pay_low=float(low) if ranged else None,
        pay_high=float(high) if ranged else None,
        median_pay=gated(pay["median"], n_pay, MEDIAN_MIN_N),
    )
