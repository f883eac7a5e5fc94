"""New roles for each reader: the week's candidate table, and the rules that pick from it.

**Candidates** are postings *first seen this week*: new against the previous snapshot, not a
repost of a role removed within the repost window, not an id that was open in an older
snapshot (``returned``), with a title and a company, and (when the posting says when it was
posted) posted no earlier than the previous snapshot's Monday: a posting from an earlier week
that a new source brings in is not a new role. With one snapshot there are none.

**The rules** (docs/signals.md, "New roles for you"), applied to the candidates that match a
reader's preferences (within a dimension any picked value, across dimensions all of them;
``Remote`` among the metros matches remote postings):

1. postings that disclose pay first (any currency), then the others;
2. within each, the newest first (``posted_at``; unknown last), then the best paid (USD),
   then the posting id, so the order is total and the same on every run: stable for a week;
3. at most one posting per company (its first in that order);
4. at most :data:`PICKS`.

A reader without preferences gets the best-paid new postings with disclosed annual USD pay
across the market, one per company: full-time (or unstated) postings only, whose pay enters the
pay figures (:data:`~newsletter.data.signals.pay.IN_PAY_STATS`); a contract rate annualised
at 2,080 hours is not a salary to rank against. A picked posting of another kind says so
(``employment``).

The table is computed once per issue and kept **compact**: per cell (role category x place x
seniority) only the first :data:`PICKS` postings of distinct companies in rule order. That
loses nothing: a posting picked for any preference set is among the first five companies of
its own cell (every company ahead of it in its cell is ahead of it in the reader's list too).
A preference set then merges the lists of its matching cells, a few hundred rows at most,
once; readers who share preferences share the result (:mod:`newsletter.edition.personalize`).

Posting text is untrusted: titles, companies and places are made one plain line of at most
:data:`SHOWN_MAX` characters, and a URL is kept only when it is an absolute ``http(s)`` URL
without spaces or control characters (:func:`safe_url`). The templates escape the rest.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from itertools import chain

import polars as pl

from newsletter.data.signals.pay import FULL_TIME_TYPE, USD_PAY
from newsletter.data.snapshots import EMPLOYMENT_TYPES
from newsletter.models import REMOTE_PLACE, Preferences
from newsletter.util.text import SHOWN_MAX, one_line
from newsletter.util.urls import safe_url

#: Roles shown to a reader at most.
PICKS = 5
Cell = tuple[str, str, str]  # (category, place, seniority), case-folded


#: Kinds of posting a pick names (every employment type but full-time).
APART_TYPES = frozenset(EMPLOYMENT_TYPES) - {FULL_TIME_TYPE}


def _key(value: str | None) -> str:
    return " ".join((value or "").split()).casefold()


@dataclass(frozen=True, slots=True)
class NewRole:
    """One candidate posting, as the issue shows it."""

    posting_id: str
    title: str
    company: str
    place: str
    url: str | None
    pay_min: float | None
    pay_max: float | None
    currency: str | None
    posted_at: date | None
    remote: bool
    cell: Cell
    #: The posting's kind when not full-time (``part_time``, ``contract``, ...), else None.
    employment: str | None = None

    @property
    def company_key(self) -> str:
        return _key(self.company)


def _place(location: str | None, metro: str | None, remote: bool) -> str:
    place = one_line(location, SHOWN_MAX) or one_line(metro, SHOWN_MAX)
    place = place or (REMOTE_PLACE if remote else "")
    if remote and "remote" not in place.casefold():
        place = f"{place} (remote)" if place else REMOTE_PLACE
    return place


def _pay(v: object) -> float | None:
    return float(v) if isinstance(v, int | float) and math.isfinite(v) and v > 0 else None


@dataclass(frozen=True)
class NewRoles:
    """The week's candidate table (compact) and the pick rules over it."""

    week: date
    #: Candidates before compaction: postings first seen this week.
    count: int = 0
    #: The compact table in rule order (a row's index is its rank).
    rows: tuple[NewRole, ...] = ()
    #: The best-paid candidates with disclosed USD pay, one per company (indexes into rows).
    best_paid: tuple[int, ...] = ()
    _cells: dict[Cell, tuple[int, ...]] = field(default_factory=dict, repr=False)
    _by_dim: tuple[dict[str, frozenset[Cell]], ...] = field(default=(), repr=False)
    _picked: dict[Preferences | None, tuple[NewRole, ...]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @classmethod
    def of(cls, week: date, count: int, rows: Iterable[NewRole], best: Iterable[int]) -> NewRoles:
        table = tuple(rows)
        cells: dict[Cell, list[int]] = {}
        by_dim: tuple[dict[str, set[Cell]], ...] = ({}, {}, {})
        for i, r in enumerate(table):
            cells.setdefault(r.cell, []).append(i)
        for cell in cells:
            for d, value in enumerate(cell):
                by_dim[d].setdefault(value, set()).add(cell)
        return cls(
            week=week,
            count=count,
            rows=table,
            best_paid=tuple(best),
            _cells={c: tuple(ix) for c, ix in cells.items()},
            _by_dim=tuple({v: frozenset(cs) for v, cs in d.items()} for d in by_dim),
        )

    def pick(self, prefs: Preferences | None) -> tuple[NewRole, ...]:
        """The roles of a reader with ``prefs`` (None or no picks: the best-paid roles),
        picked once per preference set."""
        cached = self._picked.get(prefs)
        if cached is None:
            cached = self._pick(prefs, PICKS)
            if len(self._picked) < 65_536:
                self._picked[prefs] = cached
        return cached

    def _pick(self, prefs: Preferences | None, limit: int) -> tuple[NewRole, ...]:
        if prefs is None or prefs.is_default:
            return tuple(self.rows[i] for i in self.best_paid[:limit])
        wanted = (prefs.categories, prefs.metros, prefs.seniority)
        cells: set[Cell] | None = None
        for d, values in enumerate(wanted):
            if not values:
                continue
            index = self._by_dim[d] if self._by_dim else {}
            hit: set[Cell] = set()
            for v in values:
                hit |= index.get(_key(v), frozenset())
            cells = hit if cells is None else cells & hit
        if not cells:
            return ()
        ranked = heapq.merge(*(self._cells[c] for c in cells))
        out: list[NewRole] = []
        seen: set[str] = set()
        for i in ranked:
            role = self.rows[i]
            if role.company_key in seen:
                continue
            seen.add(role.company_key)
            out.append(role)
            if len(out) == limit:
                break
        return tuple(out)


_HAS_PAY = pl.col("salary_mid").is_finite() & (pl.col("salary_mid") > 0)
_CELL = ["_k_cat", "_k_place", "_k_sen"]


def candidates_plan(
    arrivals: pl.LazyFrame, *, previous_week: date | None
) -> tuple[pl.LazyFrame, pl.LazyFrame, pl.LazyFrame]:
    """Lazy plans: the candidates' count, the compact cell table (with ``_rank``) and the
    best-paid rows; see the module docstring for the rules."""
    keep = (
        ~pl.col("reposted").fill_null(False)
        & ~pl.col("returned").fill_null(False)
        & pl.col("posting_id").is_not_null()
        & (pl.col("title").str.strip_chars() != "")
        & (pl.col("company").str.strip_chars() != "")
    )
    if previous_week is not None:
        keep &= pl.col("posted_at").is_null() | (pl.col("posted_at") >= previous_week)
    remote = pl.col("remote").fill_null(False)
    ranked = (
        arrivals.filter(keep.fill_null(False))
        .with_columns(
            _HAS_PAY.fill_null(False).alias("_paid"),
            USD_PAY.alias("_usd"),
            pl.col("company").str.to_lowercase().str.strip_chars().alias("_k_co"),
            pl.col("category").fill_null("Other").str.to_lowercase().alias("_k_cat"),
            pl.when(remote)
            .then(pl.lit(REMOTE_PLACE.lower()))
            .otherwise(pl.col("metro").str.to_lowercase())
            .fill_null("")
            .alias("_k_place"),
            pl.col("seniority").fill_null("unknown").str.to_lowercase().alias("_k_sen"),
        )
        .sort(
            ["_paid", "posted_at", "_usd", "posting_id"],
            descending=[True, True, True, False],
            nulls_last=True,
        )
        .with_row_index("_rank")
    )
    count = ranked.select(pl.len().alias("n"))
    cells = ranked.unique(subset=[*_CELL, "_k_co"], keep="first", maintain_order=True).filter(
        pl.int_range(pl.len()).over(_CELL) < PICKS
    )
    best = (
        ranked.filter(pl.col("_usd").is_not_null())
        .sort(["_usd", "_rank"], descending=[True, False])
        .unique(subset="_k_co", keep="first", maintain_order=True)
        .head(PICKS)
    )
    return count, cells, best


def _kind(value: object) -> str | None:
    """A posting's kind when it is one of the snapshot's non-full-time types, else None."""
    return value if isinstance(value, str) and value in APART_TYPES else None


def _role(r: Mapping[str, object]) -> NewRole:
    remote = bool(r["remote"])
    posted = r["posted_at"]
    currency = r["currency"]
    return NewRole(
        posting_id=str(r["posting_id"]),
        title=one_line(r["title"], SHOWN_MAX),
        company=one_line(r["company"], SHOWN_MAX),
        place=_place(
            r["location"] if isinstance(r["location"], str) else None,
            r["metro"] if isinstance(r["metro"], str) else None,
            remote,
        ),
        url=safe_url(r["url"]),
        pay_min=_pay(r["salary_min"]),
        pay_max=_pay(r["salary_max"]),
        currency=one_line(currency, 8) if isinstance(currency, str) and currency else None,
        posted_at=posted if isinstance(posted, date) else None,
        remote=remote,
        employment=_kind(r.get("employment")),
        cell=(
            _key(str(r["category"] or "Other")),
            _key(REMOTE_PLACE)
            if remote
            else _key(r["metro"] if isinstance(r["metro"], str) else ""),
            _key(str(r["seniority"] or "unknown")),
        ),
    )


def build_new_roles(
    week: date, count: pl.DataFrame, cells: pl.DataFrame, best: pl.DataFrame
) -> NewRoles:
    """The :class:`NewRoles` of ``week`` from the collected :func:`candidates_plan`."""
    by_rank: dict[int, Mapping[str, object]] = {}
    for r in chain(cells.iter_rows(named=True), best.iter_rows(named=True)):
        by_rank.setdefault(int(r["_rank"]), r)
    order = sorted(by_rank)
    position = {rank: i for i, rank in enumerate(order)}
    rows = [_role(by_rank[rank]) for rank in order]
    best_ix = [position[int(r)] for r in best["_rank"]]
    return NewRoles.of(week, int(count.item()) if count.height else 0, rows, best_ix)


def new_roles(arrivals: pl.LazyFrame, *, week: date, previous_week: date | None) -> NewRoles:
    """The week's candidate table from its new postings (``compute_week(...).arrivals``)."""
    if previous_week is None:
        return NewRoles(week=week)
    count, cells, best = pl.collect_all(
        list(candidates_plan(arrivals, previous_week=previous_week))
    )
    return build_new_roles(week, count, cells, best)
