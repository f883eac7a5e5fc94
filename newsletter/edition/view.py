"""Turn Signals into the presentation model the templates print (all formatting in Python).

Numbers and dates are formatted with Babel for the configured locale. A value below its
publication gate is ``None`` in the signals and prints as "—" with its sample size. Templates
never compute: every string, width and colour they show is decided here.

Rows that a subscriber may filter (categories, metros, seniority) carry a ``key`` and a ``top``
flag; :mod:`newsletter.edition.personalize` keeps the top rows for everyone and the rows a
subscriber picked for those who set preferences.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from urllib.parse import quote

from newsletter.config import Config
from newsletter.data.ingest import NOT_OPEN_REASONS
from newsletter.data.newroles import NewRoles
from newsletter.data.signals.gates import (
    COMPANY_MIN_OPEN,
    MEDIAN_MIN_N,
    METRO_MIN_OPEN,
    P75_MIN_N,
    P90_MIN_N,
    PCT_CHANGE_MIN_BASE,
    REMOTE_SHARE_MIN_N,
    REMOTE_UNKNOWN_MAX_MOVE,
    SHARE_CHANGE_MIN_N,
    SKILL_MIN_POSTINGS,
)
from newsletter.data.signals.health import gap_weeks
from newsletter.data.signals.models import (
    GroupRow,
    HealthWarning,
    Pay,
    PayApart,
    Share,
    Signals,
    SkillMove,
    TrendPoint,
)
from newsletter.edition.blocks import (
    DOWN,
    FLAT,
    NO_CHANGE,
    NONE,
    UP,
    BarLine,
    BarList,
    Cell,
    Change,
    DataTable,
    Row,
    Segment,
    Spark,
    Stack,
)
from newsletter.edition.formatting import DASH, Formatter, whole_percents
from newsletter.edition.headline import (
    Sentence,
    is_quiet,
    mass_drop,
    open_change,
    pay_windows,
    plain,
    summary,
    tied_past_cut,
)
from newsletter.edition.heldback import held_back, short_of
from newsletter.edition.market import (
    SponsorView,
    SpotlightView,
    pay_ranks,
    remote_tables,
    sponsor,
    spotlight,
    top_skills,
)
from newsletter.edition.notes import Note
from newsletter.edition.palette import LIGHT
from newsletter.edition.picks import NewRolesView, new_roles_view
from newsletter.edition.render import breakable

#: Sections kept in the quiet-week variant (in the configured order).
QUIET_SECTIONS = frozenset(
    {"summary", "note", "kpis", "new_roles", "pay", "pay_ranks", "skills", "sponsor", "data_health"}
)
#: Sections that print only blocks inside a column: a run of them shares one MJML section.
SHARED_SECTIONS = frozenset(
    {"pay", "pay_ranks", "skills", "spotlight", "companies", "metros", "seniority", "remote"}
)
#: Preference dimensions, as named on :class:`newsletter.models.Preferences`.
DIM_CATEGORIES, DIM_METROS, DIM_SENIORITY = "categories", "metros", "seniority"


@lru_cache(maxsize=4096)
def row_key(name: str) -> str:
    """The filter key of a row name (case-insensitive, safe inside a marker comment)."""
    return "k" + quote(name.strip().casefold(), safe="")  # never empty


# --- presentation rows -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Kpi:
    label: str
    value: str
    change: Change
    notes: tuple[str, ...] = ()
    spark: Spark | None = None
    #: Blank lines / an empty sparkline row that keep the two tiles of a row equally tall.
    pad_lines: int = 0
    pad_spark: bool = False

    @property
    def direction(self) -> str:
        return self.change.direction

    @property
    def detail(self) -> str:
        """Change (its direction in words) and notes on one line, for the text part."""
        said = " ".join(w for w in (self.change.words, self.change.text) if w)
        head = [said] if said else []
        return " · ".join([*head, *self.notes])


@dataclass(frozen=True, slots=True)
class Footer:
    reason: str
    browser_url: str
    postal_address: str
    home_url: str
    #: The public page's links, in place of a subscriber's own (preferences, unsubscribe).
    subscribe_url: str = ""
    archive_index_url: str = ""
    #: How the figures are made (docs/signals.md on the web archive).
    methodology_url: str = ""
    #: The public copy's line in place of :attr:`reason` (the web archive's visitors did not
    #: subscribe).
    public_reason: str = ""


@dataclass(frozen=True, slots=True)
class SectionRun:
    """Sections printed one after another: in one shared MJML section, or one on its own."""

    names: tuple[str, ...]
    shared: bool


@dataclass(frozen=True, slots=True)
class IssueView:
    title: str
    tagline: str
    kicker: str
    week: date
    week_label: str
    subject: str
    preheader: str
    quiet: bool
    sections: tuple[str, ...]
    summary: tuple[Sentence, ...]
    kpis: tuple[Kpi, ...]
    pay_tables: tuple[DataTable, ...] = ()
    #: One line per kind of role counted apart from the pay figures (contract, ...).
    pay_apart: tuple[str, ...] = ()
    skill_lists: tuple[BarList, ...] = ()
    companies: DataTable | None = None
    metros: BarList | None = None
    mix: Stack | None = None
    health: tuple[str, ...] = ()
    note: Note | None = None
    new_roles: NewRolesView | None = None
    pay_ranks: DataTable | None = None  # (always set by build_view; may be empty)
    top_skills: DataTable | None = None
    remote_tables: tuple[DataTable, ...] = ()
    spotlight: SpotlightView | None = None
    sponsor: SponsorView | None = None
    footer: Footer = field(default_factory=lambda: Footer("", "", "", ""))
    #: Invisible filler after the preheader, so inbox previews don't run on into the body.
    preheader_pad: int = 40

    @property
    def summary_text(self) -> tuple[str, ...]:
        return tuple(map(plain, self.summary))

    @property
    def section_runs(self) -> tuple[SectionRun, ...]:
        """:attr:`sections` in order, consecutive :data:`SHARED_SECTIONS` grouped."""
        runs: list[SectionRun] = []
        for name in self.sections:
            shared = name in SHARED_SECTIONS
            if shared and runs and runs[-1].shared:
                runs[-1] = SectionRun((*runs[-1].names, name), True)
            else:
                runs.append(SectionRun((name,), shared))
        return tuple(runs)

    @property
    def kpi_rows(self) -> tuple[tuple[Kpi, ...], ...]:
        """KPI tiles two by two (they stay 2x2 on a phone)."""
        return tuple(self.kpis[i : i + 2] for i in range(0, len(self.kpis), 2))

    #: What the sparklines cover ("Last 8 weeks, Oct 5 to Nov 23, oldest first").
    trend_label: str = ""

    @property
    def sparks(self) -> tuple[Spark, ...]:
        """The KPI sparklines, whose values print as text under the tiles."""
        return tuple(k.spark for k in self.kpis if k.spark)


# --- helpers ---------------------------------------------------------------------------------


def _direction(delta: float | None) -> str:
    if delta is None:
        return NONE
    return UP if delta > 0 else (DOWN if delta < 0 else FLAT)


def _rel(cur: float | None, prev: float | None) -> float | None:
    if cur is None or prev is None or not prev:
        return None
    return cur / prev - 1


def _spark(
    values: Sequence[float | None], label: str, fmt: Callable[[float], str], height: int = 18
) -> Spark | None:
    vals = [v for v in values if v is not None]
    if len(vals) < 3 or len(vals) != len(values):
        return None
    lo, hi = min(vals), max(vals)
    span = hi - lo
    # Bars start at 25% so the lowest week still shows; flat series draw mid-height bars.
    heights = tuple(
        round(height * (0.25 + 0.75 * ((v - lo) / span if span else 0.5))) for v in vals
    )
    return Spark(heights, tuple(fmt(v) for v in vals), label)


def _bar(value: float, biggest: float) -> int:
    return max(2, round(100 * value / biggest)) if biggest > 0 else 0


def _label(name: str) -> str:
    return name.capitalize() if name.islower() else name


# --- the sections ----------------------------------------------------------------------------


def _kpis(signals: Signals, f: Formatter, spark_weeks: int) -> tuple[Kpi, ...]:
    t, pay, remote = signals.totals, signals.pay, signals.remote
    hist: list[TrendPoint] = list(signals.history)[-spark_weeks:] if spark_weeks else []
    open_pct = open_change(signals)
    open_kpi_change = (
        Change(
            f"{f.signed(t.net_change)}"
            + (f" ({f.change_pct(open_pct)})" if f.moved_pct(open_pct) else ""),
            _direction(t.net_change),
        )
        if t.net_change is not None
        else Change("first week")
    )
    genuinely_new = max(t.new - t.reposted, 0)
    new_notes = [
        f"{f.count(t.removed)} removed"
        + (f" ({f.count(t.removed_aged_out)} aged out)" if t.removed_aged_out else "")
    ]
    if t.reposted:
        new_notes.append(f"{f.counted(t.reposted, 'repost')} excluded")
    dropped = mass_drop(signals) is not None  # the stock lost a source at once
    pay_change = _pay_change(pay, f, dropped)
    remote_change = _remote_change(remote, f, dropped)
    remote_notes = (
        (f"of known work mode; {f.pct(remote.unknown_share, 0)} unknown",)
        if remote.unknown_share
        else ()
    )
    return _even_tiles(
        Kpi(
            "Open roles",
            f.count(t.open),
            open_kpi_change,
            spark=_spark([float(p.open) for p in hist], "Open roles", lambda v: f.count(int(v))),
        ),
        # New and removed postings need last week's snapshot: the first week has none (not 0).
        Kpi("New this week", f.count(genuinely_new), NO_CHANGE, tuple(new_notes))
        if signals.previous_week is not None
        else Kpi("New this week", DASH, Change("first week")),
        Kpi(
            "Median pay",
            f.money(pay.median) if pay.median is not None else DASH,
            pay_change,
            (short_of(pay.n, MEDIAN_MIN_N, f) or f"n={f.count(pay.n)}",),  # held: the gate too
            spark=_spark([p.median_pay for p in hist], "Median pay", f.money_k),
        ),
        Kpi(
            "Remote share",
            f.pct(remote.share_of_known, 1),
            remote_change,
            remote_notes,
            spark=_spark([p.remote_share for p in hist], "Remote share", lambda v: f.pct(v, 1)),
        ),
    )


#: Why a tile's change on last week gets no arrow in a week whose removals are mostly a
#: source's drop (a scrape failure or a rollover, the headline says): the lost source's pay
#: and work mode moved the stock's figure, not the market.
OVER_DROP = "after a source's mass removal"


def _remote_change(remote: Share, f: Formatter, dropped: bool = False) -> Change:
    """The remote share's change on last week in pp, or why it is not compared: a week with
    too few postings of a known work mode (its n and the n it needs), or an unknown share that
    moved (a change in what the sources say, not in remote work); after a source's drop
    (``dropped``) without an arrow (:data:`OVER_DROP`)."""
    if remote.known_change is not None:
        if dropped:
            return Change(f"{f.pp(remote.known_change)}, {OVER_DROP}")
        return Change(f.pp(remote.known_change), _direction(round(remote.known_change, 3)))
    if remote.unknown_share_prev is None or remote.unknown_share is None:
        return NO_CHANGE  # the first week, or a week without postings
    if abs(remote.unknown_share - remote.unknown_share_prev) > REMOTE_UNKNOWN_MAX_MOVE:
        return Change("not compared: unknown work mode moved")
    few = [
        (n, when)
        for n, when in ((remote.n_known, "this week"), (remote.n_known_prev, "last week"))
        if n is not None and n < REMOTE_SHARE_MIN_N
    ]
    if not few:
        return NO_CHANGE
    n, when = min(few)
    return Change(f"not compared: {when} {short_of(n, REMOTE_SHARE_MIN_N, f)}")


def _pay_change(pay: Pay, f: Formatter, dropped: bool = False) -> Change:
    """The median's change on last week: with its arrow only when the week's pay shift passed
    the test and like-for-like bears it out; else the figure says why it is no move (after a
    source's drop, ``dropped``: :data:`OVER_DROP`, the week's test leaving the drop out)."""
    rel = _rel(pay.median, pay.median_prev)
    if rel is None:
        return NO_CHANGE
    text = f.change_pct(rel)
    shift = pay.change_pct or 0.0
    if pay.significant and not pay.mix_driven and round(rel, 3) * shift < 0:
        # the stock's median went the other way from the tested shift of new postings: an
        # arrow would call the move the test found the wrong way round
        return Change(f"{text}; new postings {f.change_pct(shift)}")
    if (pay.significant and not pay.mix_driven) or round(rel, 3) == 0:  # a move, or none at all
        return Change(text, _direction(round(rel, 3)))
    if dropped:
        return Change(f"{text}, {OVER_DROP}")
    if pay.mix_driven:
        return Change(f"{text}, mix of roles")
    return Change(f"{text}, {'within noise' if pay.change_pct is not None else 'too few to test'}")


def _trend_label(signals: Signals, f: Formatter, spark_weeks: int) -> str:
    hist = list(signals.history)[-spark_weeks:] if spark_weeks else []
    if not hist:
        return ""
    first, last = f.day(hist[0].week, "MMM d"), f.day(hist[-1].week, "MMM d")
    span = gap_weeks(hist[-1].week, hist[0].week) + 1
    # weeks without a snapshot: the points are not consecutive weeks, and the label says so
    weeks, missing = f.over_weeks(len(hist), span, "over the last")
    if not missing:
        return f"Last {weeks}, {first} to {last}, oldest first"
    return f"{weeks}, {first} to {last}{missing}, oldest first"


def _even_tiles(*kpis: Kpi) -> tuple[Kpi, ...]:
    """Pad each pair of tiles to the same number of lines (tiles stay 2 x 2 and even)."""
    out: list[Kpi] = []
    for i in range(0, len(kpis), 2):
        pair = kpis[i : i + 2]
        lines = [max(1, bool(k.change.text) + len(k.notes)) for k in pair]
        spark = any(k.spark for k in pair)
        out.extend(
            replace(k, pad_lines=max(lines) - n, pad_spark=spark and k.spark is None)
            for k, n in zip(pair, lines, strict=True)
        )
    return tuple(out)


PAY_COLUMNS = ("Open", "Median", "P75", "P90")


def _pay_row(r: GroupRow, f: Formatter, top: bool) -> Row:
    # a figure held back says the n it needs; the row's n, once, beside the median
    held = [v is None for v in (r.median_pay, r.p75_pay, r.p90_pay)]

    def why(value: float | None, gate: int) -> str:
        return "" if value is not None else short_of(r.n_pay, gate, f, with_n=False)

    n = f"n={f.count(r.n_pay)}" if any(held) else ""
    return Row(
        head=_label(r.name),
        cells=(
            Cell(f.count(r.open)),
            Cell(
                f.money_k(r.median_pay),
                bold=True,
                note=", ".join(x for x in (n, why(r.median_pay, MEDIAN_MIN_N)) if x),
            ),
            Cell(f.money_k(r.p75_pay), tone="muted", note=why(r.p75_pay, P75_MIN_N)),
            Cell(f.money_k(r.p90_pay), tone="muted", note=why(r.p90_pay, P90_MIN_N)),
        ),
        key=row_key(r.name),
        top=top,
    )


def _no_pay_reason(rows: Sequence[GroupRow], f: Formatter, kind: str) -> str:
    """Why a pay table has nothing to show, or "" when one figure or more is published."""
    if not rows:
        return f"no open posting has a {kind} this week."
    if any(r.median_pay is not None or r.p75_pay is not None for r in rows):
        return ""
    largest = max(r.n_pay for r in rows)
    if largest == 0:
        return "no posting disclosed annual USD pay this week."
    return (
        f"too few postings disclosed pay to publish a median (n ≥ {MEDIAN_MIN_N} needed; "
        f"the largest group has n={f.count(largest)})."
    )


#: The two pay tables: title, row-header label, preference dimension, marker group, and what a
#: posting needs to have to count in it.
PAY_TABLES = (
    ("Pay tiers by role", "Role", DIM_CATEGORIES, "pay-role", "role category"),
    ("Pay tiers by seniority", "Level", DIM_SENIORITY, "pay-level", "seniority level"),
)
#: What the pay figures cover (the first pay table's note): full-time roles (signals: pay.py).
PAY_LABEL = (
    "Posted annual USD pay of full-time roles; a posting that doesn't say counts as full-time."
)
#: The kinds of role counted apart, as the issue names them, and whether their annual figure
#: is printed beside the hourly one: contract and temporary rates are annualised for a full
#: year of 2,080 hours, which a part-timer or an intern does not work.
APART_KINDS = {
    "contract": ("Contract roles", True),
    "temporary": ("Temporary roles", True),
    "part_time": ("Part-time roles", False),
    "internship": ("Internships", False),
}


def _pay_tables(signals: Signals, f: Formatter, top_n: int) -> tuple[DataTable, ...]:
    # Roles with no open posting this week have nothing to price: leave them out.
    groups = (
        [r for r in signals.categories if r.open > 0],
        [r for r in signals.seniority if r.open > 0],
    )
    tables: list[DataTable] = []
    for (title, head, dim, group, kind), rows in zip(PAY_TABLES, groups, strict=True):
        empty = _no_pay_reason(rows, f, kind)
        body = () if empty else tuple(_pay_row(r, f, i < top_n) for i, r in enumerate(rows))
        note = "" if tables else PAY_LABEL
        # roles are ranked by open roles; seniority levels come in their order, never ranked
        ranked = not empty and dim == DIM_CATEGORIES
        more = tied_past_cut([r.open for r in rows], top_n, f, "open role") if ranked else ""
        tables.append(
            DataTable(
                title, head, PAY_COLUMNS, body, note, group=group, dim=dim, empty=empty, more=more
            )
        )
    return tuple(tables)


def _apart_line(a: PayApart, f: Formatter) -> str:
    """``Contract roles are counted apart: 1,204 open, median $62 an hour ($129,000 a year)
    from 310 with pay.``; a median below its gate is held back, and says why."""
    label, annual = APART_KINDS.get(a.name, (f"{_label(a.name.replace('_', ' '))} roles", False))
    head = f"{label} are counted apart: {f.count(a.open)} open"
    if a.median is not None and a.median_hourly is not None:
        per_year = f" ({f.money(a.median)} a year)" if annual else ""
        return (
            f"{head}, median {f.hourly(a.median_hourly)} an hour{per_year} "
            f"from {f.count(a.n)} with pay."
        )
    if a.n:
        return f"{head}; median held back, {f.count(a.n)} with pay (the gate is {MEDIAN_MIN_N})."
    return f"{head}, none with annual USD pay."


def _pay_apart(signals: Signals, f: Formatter) -> tuple[str, ...]:
    """The roles left out of the full-time pay figures, a short line per kind (none: none)."""
    return tuple(_apart_line(a, f) for a in signals.pay.apart if a.open)


def _move_lines(moves: Sequence[SkillMove], f: Formatter, biggest: float) -> tuple[BarLine, ...]:
    return tuple(
        BarLine(
            name=m.name,
            bar_pct=_bar(m.share, biggest),
            value=f.pct(m.share, 1),
            change=Change(f.pp(m.share - m.share_prev), _direction(m.share - m.share_prev)),
            extra=f.z(m.z),
        )
        for m in moves
    )


def _skill_lists(signals: Signals, f: Formatter, top_n: int, quiet: bool) -> tuple[BarList, ...]:
    sk = signals.skills
    rising, falling = list(sk.rising[:top_n]), list(sk.falling[:top_n])
    biggest = max((m.share for m in [*rising, *falling]), default=0.0)
    method = (
        "Ranked by z of the log-odds change (this week's new postings against the postings "
        "that closed this week); only moves beyond noise are listed."
        if sk.method == "new-vs-removed"
        else "Ranked by z of the log-odds change of new postings against those of "
        f"{_skill_baseline(signals, f)}; only moves beyond noise are listed."
    )
    lists = []

    # ranked by z, which each line prints (one decimal): a move past the cut with the z the
    # last prints is said, as the other ranked lists' ties
    def more(moves: Sequence[SkillMove], past: Sequence[float]) -> str:
        zs = [m.z for m in moves] + list(past)
        return tied_past_cut(zs, min(top_n, len(moves)), f, "{}", printed=f.z)

    if rising and not quiet:
        lines = _move_lines(rising, f, biggest)
        lists.append(
            BarList("Rising skills", method, "mark_up", lines, more=more(sk.rising, sk.rising_past))
        )
    if falling and not quiet:
        lines = _move_lines(falling, f, biggest)
        lists.append(
            BarList("Fading skills", "", "mark_down", lines, more=more(sk.falling, sk.falling_past))
        )
    if not lists and not sk.top:  # (the most-requested skills are a table every week)
        empty = f"no skill we track was named by {SKILL_MIN_POSTINGS} or more postings this week."
        lists.append(BarList("Skills", "", "mark", (), empty=empty))
    return tuple(lists)


def _companies(signals: Signals, f: Formatter, top_n: int) -> DataTable:
    # the first week has no change to show: no column of dashes (a dash is a figure held back)
    first = signals.previous_week is None
    rows = []
    for c in signals.companies[:top_n]:
        net = c.net or (c.open - c.open_prev if c.open_prev is not None else 0)
        change = (
            Change(f.signed(net), _direction(net)) if c.open_prev is not None or c.net else None
        )
        shown = Cell(change.text, tone=change.tone, bold=True) if change else Cell(DASH)
        rows.append(
            Row(c.name, (Cell(f.count(c.open)),) if first else (Cell(f.count(c.open)), shown))
        )
    return DataTable(
        "Who is hiring",
        "Company",
        ("Open roles",) if first else ("Open roles", "Net change"),
        tuple(rows),
        note="Open roles this week." if first else "Open roles and the net change on last week.",
        empty="" if rows else f"no company had {COMPANY_MIN_OPEN} or more open roles this week.",
        more=tied_past_cut(
            [c.open for c in signals.companies],
            top_n,
            f,
            "open role",
            signals.company_detail.top_tied,
        ),
    )


def _metros(signals: Signals, f: Formatter, top_n: int) -> BarList:
    note = (
        f"Open roles and full-time median pay (shown where n ≥ {MEDIAN_MIN_N}, with its n "
        f"under {P90_MIN_N}); remote roles excluded."
    )
    if not signals.metros:
        empty = (
            f"no metro we track had {METRO_MIN_OPEN} or more open roles this week (remote roles "
            "are excluded)."
        )
        return BarList("Top metros", "", "mark", (), DIM_METROS, DIM_METROS, empty)
    biggest = max(m.open for m in signals.metros)
    lines = tuple(
        BarLine(
            name=m.name,
            bar_pct=_bar(m.open, biggest),
            value=f.count(m.open),
            change=Change(f.signed(m.open - m.open_prev), _direction(m.open - m.open_prev))
            if m.open_prev is not None
            else NO_CHANGE,
            # a median of few postings says so, as a pay table's row does (n where a figure
            # of the row, its P90, would be held back)
            extra=(
                f.money_k(m.median_pay)
                + (f" (n={f.count(m.n_pay)})" if m.n_pay < P90_MIN_N else "")
            )
            if m.median_pay is not None
            else f"{DASH} {short_of(m.n_pay, MEDIAN_MIN_N, f) or f'n={f.count(m.n_pay)}'}",
            key=row_key(m.name),
            top=i < top_n,
        )
        for i, m in enumerate(signals.metros)
    )
    more = tied_past_cut([m.open for m in signals.metros], top_n, f, "open role")
    return BarList("Top metros", note, "mark", lines, DIM_METROS, DIM_METROS, more=more)


def _mix(signals: Signals, f: Formatter) -> Stack:
    # a level with no posting this week but some last week stays, at 0% with its fall: left
    # out, the changes printed would not add up and the level's disappearance would go unsaid
    present = any(r.share for r in signals.seniority)
    rows = [r for r in signals.seniority if r.share or r.share_prev] if present else []
    parts = [r.share or 0.0 for r in rows]
    # the bar's widths fill it exactly; the printed shares add up to 100% and print equal
    # levels alike (Formatter.shares: 33% · 33% · 33% for three thirds, not 34% · 33% · 33%)
    widths = whole_percents(parts, split_ties=True)
    # a change in pp on a handful of postings is one posting's doing: shown from
    # SHARE_CHANGE_MIN_N open postings in each week, else the shares say what they are of
    t = signals.totals
    small = t.open < SHARE_CHANGE_MIN_N
    compared = t.open_prev is not None and not small and t.open_prev >= SHARE_CHANGE_MIN_N
    segments = tuple(
        Segment(
            name=_label(r.name),
            share=share,
            width_pct=w,
            mark=f"mix{i % len(LIGHT.mix)}",
            change=f.pp((r.share or 0) - r.share_prev)
            if compared and r.share_prev is not None
            else "",
        )
        for i, (r, w, share) in enumerate(zip(rows, widths, f.shares(parts), strict=True))
    )
    empty = "" if segments else "no posting gave a seniority level this week."
    note = ""
    if segments and (small or not compared):
        note = f"Shares of {f.counted(t.open, 'open role')}"
        if t.open_prev is not None and not small:
            note += f"; last week had {f.count(t.open_prev)}"
        if t.open_prev is not None:
            note += f", so no change is shown (it needs {SHARE_CHANGE_MIN_N} in each week)"
        note += "."
    return Stack("Seniority mix", segments, empty, note)


def _health(signals: Signals, f: Formatter) -> tuple[str, ...]:
    t, pay, dh = signals.totals, signals.pay, signals.data_health
    gap = max(gap_weeks(signals.week, signals.previous_week), 1)
    earlier = "a week earlier" if gap <= 1 else f"{gap} weeks earlier"
    lines = [
        f"How to read this: {f.counted(t.open, 'deduplicated open posting')}"
        + (f", compared with {f.count(t.open_prev)} {earlier}" if t.open_prev else "")
        + (
            f"; pay disclosed in {f.pct(pay.disclosure_rate)} of full-time roles"
            if pay.disclosure_rate
            else ""
        )
        + f" ({f.count(pay.n)} with annual USD pay).",
        f"Medians need n ≥ {MEDIAN_MIN_N}, P75 n ≥ {P75_MIN_N}, P90 n ≥ {P90_MIN_N}; "
        f"“{DASH}” marks a figure held back, with its n and the n it needs. Percent changes "
        f"need a base of at least {PCT_CHANGE_MIN_BASE}; a change in pp is a change of "
        "percentage points." + _methods_note(signals, f),
    ]
    lines.extend(_feed_notes(signals, f))
    if t.new:
        lines.append(
            f"New this week counts {f.counted(t.new, 'posting')} not in "
            + ("last week's snapshot" if gap <= 1 else f"the snapshot of {gap} weeks earlier")
            + (
                f", less {f.counted(t.reposted, 'repost')} of recently removed roles"
                if t.reposted
                else ""
            )
            + "."
        )
    ingest = []
    if dh.ingest_rows_read is not None:
        ingest.append(f"{f.counted(dh.ingest_rows_read, 'row')} read")
    if dh.ingest_rejected is not None:
        not_open = sum(dh.ingest_rejected_by_reason.get(r, 0) for r in NOT_OPEN_REASONS)
        if not_open:
            ingest.append(f"{f.counted(not_open, 'closed or hidden listing')} skipped")
        ingest.append(f"{f.count(dh.ingest_rejected - not_open)} rejected as invalid")
    if dh.ingest_duplicates is not None:
        ingest.append(f"{f.counted(dh.ingest_duplicates, 'duplicate')} removed")
    if ingest:
        lines.append("Ingest: " + ", ".join(ingest) + ".")
    if dh.cross_source:
        lines.append(
            f"{f.counted(dh.cross_source, 'open posting')} share company, title and place with "
            "a posting from another source: likely the same role listed twice, counted twice."
        )
    shares = [
        (dh.share_other_category, "in category Other"),
        (dh.share_unknown_metro, "with an unknown metro"),
        (dh.share_without_pay, "without pay"),
    ]
    known = [f"{f.pct(v)} {label}" for v, label in shares if v is not None]
    if dh.share_non_usd_pay:  # pay the USD figures leave out: said only when there is some
        known.append(
            f"{f.pct(dh.share_non_usd_pay)} with pay in another currency (not in the USD figures)"
        )
    if known:
        lines.append("Coverage: " + ", ".join(known) + ".")
    lines.extend(_warning_lines(dh.warnings, f))
    if dh.suppressed:
        held = "; ".join(dict.fromkeys(held_back(entry) for entry in dh.suppressed))
        lines.append(
            f"Held back this week (too few postings, not comparable, or one company's): {held}."
        )
    return tuple(lines)


def _skill_baseline(signals: Signals, f: Formatter) -> str:
    """The earlier new postings skill moves compare with: "the previous 4 weeks", or "the
    previous 4 weekly snapshots over 6 weeks (2 weeks without one)"."""
    sk = signals.skills
    return "the previous " + "".join(f.over_weeks(sk.baseline_weeks, sk.baseline_span_weeks))


def _methods_note(signals: Signals, f: Formatter) -> str:
    """Which comparison produced the skill and pay moves, in words (docs/signals.md)."""
    sk, pay = signals.skills, signals.pay
    out = ""
    if sk.method == "new-vs-removed" and sk.tested:
        out += (
            f" With only two snapshots so far, skill moves compare this week's "
            f"{f.counted(sk.n_new, 'new posting')} with the {f.count(sk.n_baseline)} that "
            f"closed this week, ranked by z ({f.counted(sk.tested, 'skill')} tested)."
        )
    elif sk.tested:
        out += (
            " Skill moves compare this week's new postings with those of "
            f"{_skill_baseline(signals, f)}, ranked by z ({f.counted(sk.tested, 'skill')} "
            "tested)."
        )
    if pay.method == "new-vs-removed":
        out += (
            " The pay shift compares the median of this week's new postings with that of the "
            "postings that closed this week (Bonett–Price intervals), overall and by role."
        )
    elif pay.method == "new-vs-earlier-new":
        recent, earlier = pay_windows(pay, f)
        out += (
            f" The pay shift compares the median of {recent} with {earlier} (Bonett–Price "
            "intervals), overall and by role."
        )
    if signals.moves.tested:
        out += (
            " A skill or pay move is reported only if it stands out among "
            + ("all " if signals.moves.tested > 1 else "the ")
            + f"{f.counted(signals.moves.tested, 'candidate move')} tested together this week "
            "(Benjamini–Hochberg at 5%), so a week in which nothing really changed reports "
            "none at least 19 times in 20."
        )
    return out


def _feed_notes(signals: Signals, f: Formatter) -> list[str]:
    """A line for each source that is a feed of new postings (its open stock is a window)."""
    dh, t = signals.data_health, signals.totals
    feeds = [name for name, kind in dh.source_kinds.items() if kind == "new"]
    if not feeds or dh.open_window_days is None:
        return []
    names = ", ".join(feeds)
    # the first week has no removals to tell apart (not "0 of this week's removals")
    aged = (
        f", so {f.count(t.removed_aged_out)} of this week's removals aged out of that window "
        "rather than closed"
        if signals.previous_week is not None
        else ""
    )
    return [
        f"Source{'s' if len(feeds) > 1 else ''} {names} deliver{'' if len(feeds) > 1 else 's'} "
        f"only new postings: each counts as open for {dh.open_window_days} days after it was "
        f"first seen{aged}."
    ]


#: Company-level drop warnings shown in the email; the rest are summed up in one line (the
#: signals JSON keeps every one). A source outage can empty dozens of companies at once.
MAX_COMPANY_WARNINGS = 3


def _warning_lines(warnings: Sequence[HealthWarning], f: Formatter) -> list[str]:
    companies = [w for w in warnings if w.kind == "company_drop"]
    shown = {id(w) for w in companies[:MAX_COMPANY_WARNINGS]}
    # each a sentence with its full stop, also a message of an older ingest report without one
    lines = [
        f"Data health: {w.message.rstrip()}" + ("" if w.message.rstrip().endswith(".") else ".")
        for w in warnings
        if w.kind != "company_drop" or id(w) in shown
    ]
    rest = companies[MAX_COMPANY_WARNINGS:]
    if rest:
        lines.append(
            f"Data health: {f.counted(len(rest), 'more company', 'more companies')} lost "
            "over half their postings "
            f"at once ({f.count(sum(w.removed for w in rest))} postings in all)."
        )
    return lines


# --- entry point -----------------------------------------------------------------------------


def archive_url(base_url: str, week: date) -> str:
    """The "view in browser" address of an issue (see :mod:`newsletter.edition.archive`)."""
    return f"{base_url}/archive/{week.isoformat()}.html"


def methodology_url(base_url: str) -> str:
    """The methodology page of the web archive (docs/signals.md, rendered)."""
    return f"{base_url}/archive/methodology.html"


#: Where a subject template's clauses meet: a clause holding a placeholder the week has no
#: value for is left out with the separator before it (the first clause: the one after it).
_SUBJECT_SEPARATORS = re.compile(r"(\s*[,;:|·–—]\s+|\s+[-–—]\s+)")


def fill_subject(template: str, **values: str | None) -> str:
    """The subject line from ``[newsletter] subject_template``: a subject never shows a
    placeholder ("median —" in a week where no posting gives USD pay). Each clause that
    holds a placeholder without a value (None) is left out ("AI jobs, week of Nov 23: 2,000
    open roles"); when no placeholder is left, the week and its open roles are the subject."""
    missing = [name for name, value in values.items() if value is None]
    if missing:
        parts = _SUBJECT_SEPARATORS.split(template)  # clause, separator, clause, ...
        kept: list[str] = []
        for i in range(0, len(parts), 2):
            clause = parts[i]
            if any(re.search(rf"\{{{name}[}}!:.\[]", clause) for name in missing):
                continue
            if kept:
                kept.append(parts[i - 1])  # the separator before this clause
            kept.append(clause)
        template = "".join(kept).strip()
        if "{" not in template.replace("{{", ""):  # no fact left ("Pay: median {median_pay}")
            template = "Week of {week_start}: {open_roles_counted}"
    return template.format(**{k: "" if v is None else v for k, v in values.items()})


def build_view(
    signals: Signals,
    config: Config,
    *,
    new_roles: NewRoles | None = None,
    note: Note | None = None,
) -> IssueView:
    """The complete presentation model of one issue (not yet personalized): the signals,
    the week's new-role candidates (the picks are per reader) and the editor's note."""
    nl, em = config.newsletter, config.email
    f = Formatter(nl.locale)
    top_n = em.top_n
    quiet = is_quiet(signals, config)
    sections = tuple(s for s in em.sections if not quiet or s in QUIET_SECTIONS)
    sentences = summary(signals, f, quiet)
    t = signals.totals
    subject = fill_subject(
        nl.subject_template,
        week_start=f.day(signals.week, "MMM d"),
        open_roles=f.count(t.open),  # the number alone, kept for templates written before
        open_roles_counted=f.counted(t.open, "open role"),  # "1 open role", "2,000 open roles"
        median_pay=None if signals.pay.median is None else f.money_k(signals.pay.median),
    )
    preheader = " ".join(map(plain, sentences[:2]))
    if len(preheader) > 140:
        preheader = preheader[:139].rsplit(" ", 1)[0] + "…"
    return IssueView(
        title=nl.title,
        tagline=f"{nl.tagline} This week: {f.counted(t.open, 'open posting')}.",
        kicker=f"Weekly · {f.day(signals.week, 'EEEE MMM d, y')}",
        week=signals.week,
        week_label=f.day(signals.week),
        subject=subject,
        preheader=preheader,
        quiet=quiet,
        sections=sections,
        summary=sentences,
        kpis=_kpis(signals, f, em.sparkline_weeks),
        trend_label=_trend_label(signals, f, em.sparkline_weeks),
        pay_tables=_pay_tables(signals, f, top_n),
        pay_apart=tuple(map(breakable, _pay_apart(signals, f))),
        skill_lists=_skill_lists(signals, f, top_n, quiet),
        companies=_companies(signals, f, top_n),
        metros=_metros(signals, f, top_n),
        mix=_mix(signals, f),
        health=tuple(map(breakable, _health(signals, f))),  # warnings name companies
        note=note,
        new_roles=new_roles_view(new_roles, f, t.new_excluding_reposts)
        if new_roles is not None
        else None,
        pay_ranks=pay_ranks(signals, f),
        top_skills=top_skills(signals, f, top_n),
        remote_tables=remote_tables(signals, f, top_n, row_key),
        spotlight=spotlight(signals, f),
        sponsor=sponsor(em.sponsor),
        footer=Footer(
            reason=f"You get this because you subscribed to {nl.title}.",
            public_reason=f"You are reading the web copy of {nl.title}.",
            browser_url=archive_url(nl.base_url, signals.week),
            postal_address=nl.postal_address,
            home_url=nl.base_url,
            subscribe_url=f"{nl.base_url}/subscribe",
            archive_index_url=f"{nl.base_url}/archive/",
            methodology_url=methodology_url(nl.base_url),
        ),
    )
