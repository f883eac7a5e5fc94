"""By-group tables (role category, seniority, metro): counts, flows, shares and gated pay."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import polars as pl

from newsletter.data.signals.gates import (
    MEDIAN_MIN_N,
    P75_MIN_N,
    P90_MIN_N,
    PCT_CHANGE_MIN_BASE,
    REMOTE_SHARE_MIN_N,
    gated,
    pct_change,
)
from newsletter.data.signals.models import GroupRow, RemoteRow
from newsletter.data.signals.pay import USD_PAY, quantile_exprs
from newsletter.data.signals.stats import wilson

UNKNOWN = "unknown"


def _name(key: str, null_label: str | None) -> pl.Expr:
    col = pl.col(key)
    return (col.fill_null(null_label) if null_label is not None else col).alias("name")


def group_plan(
    current: pl.LazyFrame,
    previous: pl.LazyFrame | None,
    new: pl.LazyFrame,
    removed: pl.LazyFrame,
    key: str,
    *,
    null_label: str | None = UNKNOWN,
    with_pay: bool = True,
    continuing: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """One lazy row per group value: open, open_prev, new, removed and pay statistics.

    With ``null_label=None`` postings whose ``key`` is null are left out (e.g. remote postings
    have no metro). ``continuing``: the postings open in both weeks, each with the same
    ``key`` in both (:class:`~newsletter.data.signals.diff.Flows`); a table without pay then
    counts them, the new and the removed ones, not both weeks whole (:func:`_flow_counts`).
    """

    def keyed(f: pl.LazyFrame) -> pl.LazyFrame:
        out = f.with_columns(_name(key, null_label))
        return out if null_label is not None else out.filter(pl.col("name").is_not_null())

    if not with_pay:
        if continuing is not None and previous is not None:
            return _flow_counts([continuing, new, removed], keyed)
        return _count_plan([current, new, removed, previous], keyed)
    pay = quantile_exprs(order_stats=False)
    cur = keyed(current).group_by("name").agg(pl.len().alias("open"), *pay)
    cur = cur.rename({"n": "n_pay"})
    flows = [
        keyed(new).group_by("name").agg(pl.len().alias("new")),
        keyed(removed).group_by("name").agg(pl.len().alias("removed")),
    ]
    if previous is not None:
        pay_prev = [
            USD_PAY.count().alias("n_pay_prev"),
            USD_PAY.quantile(0.5, interpolation="linear").alias("median_prev"),
        ]
        flows.append(keyed(previous).group_by("name").agg(pl.len().alias("open_prev"), *pay_prev))
    out = cur
    for f in flows:
        out = out.join(f, on="name", how="full", coalesce=True)
    counts = ["open", "new", "removed"] + (["open_prev"] if previous is not None else [])
    return out.with_columns(pl.col(counts).fill_null(0).cast(pl.Int64))


def first_rows(
    table: pl.DataFrame, n: int, by: Sequence[str | pl.Expr], descending: Sequence[bool]
) -> pl.DataFrame:
    """``table.sort(by, descending=descending).head(n)`` for a first key sorted descending,
    sorting only the rows that can be among the first ``n``: those whose first key is null
    (sorted first) or reaches its n-th largest value. A week's companies table has a couple
    of hundred thousand rows, and sorting them all by name took ~0.1 s a sort."""
    if table.height <= n:
        return table.sort(by, descending=descending).head(n)
    key = pl.col(by[0]) if isinstance(by[0], str) else by[0]
    cut = table.select(key.drop_nulls().top_k(n).min()).item()
    if cut is not None:
        table = table.filter(key.is_null() | (key >= cut))
    return table.sort(by, descending=descending).head(n)


#: The counts of a table without pay, by the frame they come from.
_COUNTS = ("open", "new", "removed", "open_prev")


def _count_plan(
    frames: list[pl.LazyFrame | None], keyed: Callable[[pl.LazyFrame], pl.LazyFrame]
) -> pl.LazyFrame:
    """Open, new, removed (and open_prev) per name in one group-by over the stacked frames
    (current, new, removed, previous), rather than four and three joins: on a week with
    hundreds of thousands of companies, the joins cost as much as the counting."""
    parts = [
        keyed(f).select("name", _f=pl.lit(i, dtype=pl.UInt8))
        for i, f in enumerate(frames)
        if f is not None
    ]
    which = pl.col("_f")
    return (
        pl.concat(parts)
        .group_by("name")
        .agg(
            (which == i).sum().cast(pl.Int64).alias(c) for i, c in enumerate(_COUNTS[: len(parts)])
        )
    )


def _flow_counts(
    frames: list[pl.LazyFrame], keyed: Callable[[pl.LazyFrame], pl.LazyFrame]
) -> pl.LazyFrame:
    """:func:`_count_plan`'s table from the continuing, new and removed postings: this week
    is the continuing and the new ones, last week the continuing and the removed ones, when
    each continuing posting is in one group both weeks. A million rows stacked, not two: the
    companies table (~230,000 names a week) 0.55 -> 0.27 s CPU on two 1,000,000-posting
    weeks, for a check of the continuing postings' companies that costs ~0.05 s."""
    parts = [keyed(f).select("name", _f=pl.lit(i, dtype=pl.UInt8)) for i, f in enumerate(frames)]
    kept, new, removed = ((pl.col("_f") == i).sum().cast(pl.Int64) for i in range(3))
    return (
        pl.concat(parts)
        .group_by("name")
        .agg(open=kept + new, new=new, removed=removed, open_prev=kept + removed)
    )


def group_rows(
    table: pl.DataFrame,
    total: int,
    total_prev: int | None,
    *,
    order: Sequence[str] = (),
    min_open: int = 0,
) -> list[GroupRow]:
    """Rows sorted by ``order`` (known names first) then by open roles; gated values nulled."""
    rows: list[GroupRow] = []
    has_prev = "open_prev" in table.columns
    for r in table.iter_rows(named=True):
        open_ = int(r["open"])
        if open_ < min_open:
            continue
        open_prev = int(r.get("open_prev") or 0) if has_prev else None
        n_pay = int(r["n_pay"] or 0)
        n_pay_prev = int(r.get("n_pay_prev") or 0) if has_prev else None
        ci = wilson(open_, total)
        rows.append(
            GroupRow(
                name=str(r["name"]),
                open=open_,
                open_prev=open_prev,
                new=int(r["new"]),
                removed=int(r["removed"]),
                share=open_ / total if total else None,
                share_prev=(open_prev / total_prev)
                if open_prev is not None and total_prev
                else None,
                share_ci_low=ci[0] if ci else None,
                share_ci_high=ci[1] if ci else None,
                change_pct=pct_change(open_, open_prev),
                median_pay=gated(r["median"], n_pay, MEDIAN_MIN_N),
                median_pay_prev=gated(r.get("median_prev"), n_pay_prev or 0, MEDIAN_MIN_N),
                p75_pay=gated(r["p75"], n_pay, P75_MIN_N),
                p90_pay=gated(r["p90"], n_pay, P90_MIN_N),
                n_pay=n_pay,
                n_pay_prev=n_pay_prev,
            )
        )
    rank = {name: i for i, name in enumerate(order)}
    rows.sort(key=lambda g: (rank.get(g.name, len(rank)), -g.open, -(g.open_prev or 0), g.name))
    return rows


#: Gated values of a GroupRow, with the sample size field and the gate behind each.
GATED_FIELDS = (
    ("median_pay", "n_pay", MEDIAN_MIN_N),
    ("median_pay_prev", "n_pay_prev", MEDIAN_MIN_N),
    ("p75_pay", "n_pay", P75_MIN_N),
    ("p90_pay", "n_pay", P90_MIN_N),
)


def withheld(label: str, rows: Sequence[GroupRow]) -> list[str]:
    """One ``data_health.suppressed`` line per gated field that is null in some rows."""
    out = []
    for name, n_field, gate in GATED_FIELDS:
        held = [r for r in rows if getattr(r, name) is None and getattr(r, n_field) is not None]
        if held:
            out.append(f"{label}.{name}: {len(held)} of {len(rows)} rows with {n_field} < {gate}")
    base = [r for r in rows if r.open_prev is not None and r.change_pct is None]
    if base:
        out.append(
            f"{label}.change_pct: {len(base)} of {len(rows)} rows with open or open_prev "
            f"< {PCT_CHANGE_MIN_BASE}"
        )
    return out


def known_mode() -> pl.Expr:
    """A posting's work mode is known: not null, not ``unknown`` (the remote share's
    denominator, market-wide and per group)."""
    mode = pl.col("work_mode")
    return mode.is_not_null() & (mode != UNKNOWN)


def remote_plan(frame: pl.LazyFrame, key: str, null_label: str) -> pl.LazyFrame:
    """Per group value: open postings whose work mode is known (``n``: the share's
    denominator, as the market-wide one) and how many are remote."""
    return (
        frame.filter(known_mode())
        .with_columns(_name(key, null_label))
        .group_by("name")
        .agg(pl.len().alias("n"), pl.col("remote").fill_null(False).sum().alias("remote"))
    )


def remote_rows(
    table: pl.DataFrame, market: float | None, *, order: Sequence[str] = ()
) -> list[RemoteRow]:
    """Remote share per group with its Wilson interval, gated at REMOTE_SHARE_MIN_N; a group
    is ``above``/``below`` the market only when its interval excludes the ``market`` share."""
    rows = []
    for r in table.iter_rows(named=True):
        n, k = int(r["n"]), int(r["remote"])
        ci = wilson(k, n) if n >= REMOTE_SHARE_MIN_N else None
        vs = None
        if ci is not None and market is not None:
            vs = "above" if ci[0] > market else ("below" if ci[1] < market else "level")
        rows.append(
            RemoteRow(
                name=str(r["name"]),
                n=n,
                remote=k,
                share=k / n if ci else None,
                ci_low=ci[0] if ci else None,
                ci_high=ci[1] if ci else None,
                vs_market=vs,
            )
        )
    rank = {name: i for i, name in enumerate(order)}
    rows.sort(key=lambda g: (rank.get(g.name, len(rank)), -g.n, g.name))
    return rows


def remote_withheld(label: str, rows: Sequence[RemoteRow]) -> list[str]:
    """The ``data_health.suppressed`` line of remote shares held back (n below the gate)."""
    held = [r for r in rows if r.share is None]
    if not held:
        return []
    return [f"{label}.share: {len(held)} of {len(rows)} rows with n < {REMOTE_SHARE_MIN_N}"]
