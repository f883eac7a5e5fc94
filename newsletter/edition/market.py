"""The market page's full picture, as the issue prints it: highest-paying roles, remote share
by seniority and by role, the company spotlight, and the sponsor block.

Every string is decided here (templates print only), from the gated figures of the signals
(docs/signals.md, definition 4). Tables are :class:`~newsletter.edition.blocks.DataTable`s,
printed by ``sections/_table`` as real data tables (``<th scope="col">`` / ``<th
scope="row">``) with every value as text; a table with nothing to show says why in one line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from newsletter.config import SponsorSettings
from newsletter.data.signals.gates import (
    MEDIAN_MIN_N,
    PAY_RANGE_MIN_N,
    REMOTE_SHARE_MIN_N,
    SHARE_CHANGE_MIN_N,
    SKILL_MIN_POSTINGS,
    SPOTLIGHT_MIN_OPEN,
)
from newsletter.data.signals.models import NamedCount, RemoteRow, Signals
from newsletter.edition.blocks import Cell, DataTable, Row
from newsletter.edition.formatting import DASH, Formatter
from newsletter.edition.headline import (
    Sentence,
    plain,
    spotlight_paragraph,
    tied_at_cut,
    tied_past_cut,
)
from newsletter.edition.heldback import short_of
from newsletter.edition.render import breakable

#: Rows of the market tables everyone sees (a reader's own picks may add rows).
MARKET_ROWS = 5
#: The filter key of a row name (``newsletter.edition.view.row_key``, its one owner).
KeyOf = Callable[[str], str]


# --- most-requested skills, every week ------------------------------------------------------


def top_skills(signals: Signals, f: Formatter, top_n: int) -> DataTable | None:
    sk = signals.skills
    if not sk.top:
        return None
    moved = bool(sk.rising or sk.falling)  # a quiet week may have some (quiet_max_movers)
    # a change in pp on a handful of postings is one posting's doing (as the seniority mix)
    t = signals.totals
    small_prev = t.open_prev is not None and min(t.open, t.open_prev) < SHARE_CHANGE_MIN_N
    # the first week has no change to show: no column of dashes (a dash is a figure held back)
    first = signals.previous_week is None
    rows = []
    for s in sk.top[:top_n]:
        delta = s.share - s.share_prev if s.share_prev is not None and not small_prev else None
        change = Cell(f.pp(delta) if delta is not None else DASH, tone="muted")
        share, postings = Cell(f.pct(s.share, 1), bold=True), Cell(f.count(s.postings))
        rows.append(Row(s.name, (share, postings) if first else (share, change, postings)))
    what = f"Share of open postings that ask for each skill (at least {SKILL_MIN_POSTINGS})" + (
        "."  # the first week has no change (the headline says changes start next week)
        if first or t.open_prev is None
        else ", with its change in pp on last week's share"
        + (
            f" (shown from {SHARE_CHANGE_MIN_N} open postings in each week: this week "
            f"{f.count(t.open)}, last week {f.count(t.open_prev)})."
            if small_prev
            else "."
        )
    )
    if sk.held and not moved:
        what = (
            "Skill moves are held back this week: one company posted most of the new postings "
            "that name them (its template, not the market); these are the most requested. "
        ) + what
    elif sk.tested and not moved:
        what = "No skill moved beyond noise this week; these are the most requested. " + what
    return DataTable(
        title="Most-requested skills",
        head="Skill",
        columns=("Share", "Postings") if first else ("Share", "Change", "Postings"),
        rows=tuple(rows),
        note=what,
        more=tied_past_cut([s.postings for s in sk.top], top_n, f, "posting", sk.top_tied),
    )


# --- highest-paying roles --------------------------------------------------------------------


def pay_ranks(signals: Signals, f: Formatter) -> DataTable:
    ranks = signals.pay.top_categories[:MARKET_ROWS]
    rows = tuple(
        Row(
            head=r.name,
            cells=(
                Cell(f.money_k(r.median), note=f"n={f.count(r.n)}", bold=True),
                Cell(f.money_k_range(r.ci_low, r.ci_high), tone="muted"),
            ),
        )
        for r in ranks
    )
    # the ranking is the signals' (pay.top_categories: by median, from the roles with a
    # published median); a role past the cut whose median prints as the last's ("$212k")
    # is said: the raw medians differ, the reader sees two equal figures
    medians = sorted((c.median_pay for c in signals.categories if c.median_pay is not None),
                     reverse=True)  # fmt: skip
    more = tied_past_cut(medians, len(ranks), f, "a {} median", printed=f.money_k)
    return DataTable(
        title="Highest-paying roles",
        head="Role",
        columns=("Median", "95% CI"),
        rows=rows,
        note=(
            f"Median posted pay of open full-time roles, where at least {MEDIAN_MIN_N} disclose "
            "annual USD pay; roles whose intervals overlap are not clearly apart."
        ),
        more=more,
        empty=""
        if rows
        else f"no role has {MEDIAN_MIN_N} or more open postings with annual USD pay this week.",
    )


# --- remote share by seniority and by role ---------------------------------------------------


def _remote_rows(
    rows: Sequence[RemoteRow], f: Formatter, top_n: int, key: KeyOf, *, capital: bool
) -> tuple[Row, ...]:
    out = []
    for i, r in enumerate(rows):
        name = r.name.capitalize() if capital and r.name.islower() else r.name
        if r.share is None:
            cells = (
                Cell(DASH, note=short_of(r.n, REMOTE_SHARE_MIN_N, f), tone="muted"),
                Cell(DASH, tone="muted"),
            )
        else:
            call = {"above": ("above", "up"), "below": ("below", "down")}.get(
                r.vs_market or "", ("", "text")
            )
            cells = (
                Cell(f.pct(r.share, 1), note=call[0], bold=True, tone=call[1]),
                Cell("–".join(f.ends(f.pct, r.ci_low, r.ci_high)), tone="muted"),
            )
        out.append(Row(name, cells, key=key(r.name), top=i < top_n))
    return tuple(out)


def remote_tables(signals: Signals, f: Formatter, top_n: int, key: KeyOf) -> tuple[DataTable, ...]:
    rm = signals.remote
    market = f.pct(rm.share_of_known, 1)
    note = (
        "Share of open roles with a known work mode that are remote "
        f"(all roles: {market}), with its 95% Wilson "
        f"interval, from n ≥ {REMOTE_SHARE_MIN_N}; “above” or “below” only when the interval "
        "leaves out the market share."
    )
    specs = (
        ("Remote share by seniority", "Level", rm.by_seniority, "remote-level", "seniority"),
        ("Remote share by role", "Role", rm.by_category, "remote-role", "categories"),
    )
    tables: list[DataTable] = []
    for title, head, rows, group, dim in specs:
        shown = [r for r in rows if r.n > 0]
        if not shown:
            continue
        levels = dim == "seniority"  # every level is shown; roles: the largest few
        # No tie line under the roles' cut (headline.tied_past_cut, as the ranked lists):
        # they are ranked by size (roles with a known work mode, groups.remote_rows), a
        # number this table does not print, and a role past the cut with the same printed
        # share as the last is no tie in that ranking; "1 more with 41.2% remote, not
        # listed." would read as a ranking by share the table does not have. Roles of equal
        # size at the cut go by name, as every filtered list's rows past its top.
        top = len(shown) if levels else min(top_n, MARKET_ROWS)
        grid_rows = _remote_rows(shown, f, top, key, capital=levels)
        tables.append(
            DataTable(
                title,
                head,
                ("Remote", "95% CI"),
                grid_rows,
                note="" if tables else note,
                group=group,
                dim=dim,
            )
        )
    return tuple(tables)


# --- the company spotlight -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpotlightView:
    title: str
    paragraph: Sentence
    grid: DataTable

    @property
    def text(self) -> str:
        return plain(self.paragraph)


def _top_three(items: Sequence[NamedCount], more: int, f: Formatter) -> str:
    """A spotlight list as the table prints it, with the names tied at its cut counted."""
    named = [f"{c.name} {f.count(c.open)}" for c in items]
    if more and items:
        named.append(tied_at_cut(more, items[-1].open, f))
    return ", ".join(named) or DASH


def spotlight(signals: Signals, f: Formatter) -> SpotlightView | None:
    spot = signals.company_detail.spotlight
    if spot is None:
        return None
    change = f.signed(spot.net) + (
        f", {f.change_pct(spot.change_pct)}" if spot.change_pct is not None else ""
    )
    rows = [
        Row(
            "Open roles",
            (
                Cell(
                    f"{f.count(spot.open)}",
                    note=change,
                    bold=True,
                    tone="up" if spot.net > 0 else "down",
                ),
            ),
        ),
        Row("This week", (Cell(f"{f.count(spot.new)} new, {f.count(spot.removed)} removed"),)),
        Row("Hires for", (Cell(_top_three(spot.categories, spot.categories_more, f), wrap=True),)),
        Row("Where", (Cell(_top_three(spot.places, spot.places_more, f), wrap=True),)),
        Row(
            "Pay range",
            (
                Cell(
                    f.money_k_range(spot.pay_low, spot.pay_high),
                    note=f"n={f.count(spot.n_pay)}",
                )
                if spot.pay_low is not None and spot.pay_high is not None
                else Cell(DASH, note=short_of(spot.n_pay, PAY_RANGE_MIN_N, f), tone="muted"),
            ),
        ),
    ]
    if spot.median_pay is not None:
        rows.append(Row("Median pay", (Cell(f.money_k(spot.median_pay), bold=True),)))
    grid = DataTable(
        title="",  # the section prints the title above the paragraph
        head="",  # a table of facts: a row header and its value, no column headers
        columns=("",),
        rows=tuple(rows),
        note=(
            f"The company with the week's largest move past the mover gate, among those with at "
            f"least {SPOTLIGHT_MIN_OPEN} open roles; a drop flagged as a data problem never "
            "counts. Pay range: the 10th percentile of disclosed minimums to the 90th of "
            "disclosed maximums."
        ),
    )
    title = breakable(f"Spotlight: {spot.name}")
    return SpotlightView(title, spotlight_paragraph(spot, f), grid)


# --- the sponsor -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SponsorView:
    label: str
    name: str
    text: str
    url: str | None


def sponsor(settings: SponsorSettings) -> SponsorView | None:
    if not settings.shown:
        return None
    # the config's words, printed as text like a name: breakable in the HTML
    name, text = breakable(settings.name), breakable(settings.text)
    return SponsorView("Sponsored", name, text, settings.url)
