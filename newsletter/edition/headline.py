"""The headline summary: two or three sentences written from the data, naming the week's
biggest moves with their evidence (change, pp, z, confidence interval), and the quiet-week test.

Units read from the signals: shares and ``Pay.change_pct`` / ``ci_low`` / ``ci_high`` are
fractions (0.057 = 5.7%), like every share in the contract. The open-roles change is computed
here from ``open`` / ``open_prev`` with the percent-change gate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import takewhile

from newsletter.config import Config
from newsletter.data.signals.gates import MEDIAN_MIN_N, PCT_CHANGE_MIN_BASE, SHIFT_MIN_N, pct_change
from newsletter.data.signals.health import gap_weeks
from newsletter.data.signals.models import (
    HealthWarning,
    NamedCount,
    Pay,
    Signals,
    Spotlight,
    Totals,
)
from newsletter.edition.formatting import MINUS, Formatter, is_figure
from newsletter.edition.render import Breakable, breakable
from newsletter.models import REMOTE_PLACE


@dataclass(frozen=True, slots=True)
class Frag:
    """A piece of a generated sentence; ``strong`` pieces are the figures and names."""

    text: str
    strong: bool = False

    def __post_init__(self) -> None:  # names of posting data: breakable in the HTML
        object.__setattr__(self, "text", breakable(self.text))

    @property
    def nowrap(self) -> bool:
        """A strong figure stays on one line; strong names and phrases wrap."""
        return self.strong and is_figure(self.text)


Sentence = tuple[Frag, ...]


def plain(sentence: Sentence) -> Breakable:
    """A sentence as one line of text: Breakable, as each of its pieces is, so the names in
    it keep their right-to-left isolates in the plain-text part."""
    return breakable("".join(fr.text for fr in sentence))


def open_change(signals: Signals) -> float | None:
    """Relative change of open roles, or None when either count is below its gate."""
    return pct_change(signals.totals.open, signals.totals.open_prev)


def is_quiet(signals: Signals, config: Config) -> bool:
    """Little changed: open roles moved less than the threshold and no significant mover."""
    if signals.previous_week is None or signals.totals.open_prev is None:
        return False
    pct = open_change(signals)
    if pct is None or abs(100 * pct) >= config.email.quiet_max_abs_change_pct:
        return False
    movers = len(signals.skills.rising) + len(signals.skills.falling)
    if signals.skills.held:  # moves held back are no calm: one company's week
        return False
    if mass_drop(signals) is not None:  # a stock replaced at once: the count held, the ids
        return False  # did not, and the summary must say so (_drop_clause)
    if _window_moves(signals):  # a feed's window filling: the summary says so (_window_clause)
        return False
    return movers <= config.email.quiet_max_movers and not signals.pay.significant


# --- the headline summary --------------------------------------------------------------------


def summary(signals: Signals, f: Formatter, quiet: bool) -> tuple[Sentence, ...]:
    t = signals.totals
    open_pct = open_change(signals)
    out: list[Sentence] = []
    moved = bool(signals.skills.rising or signals.skills.falling)
    gap = next((w for w in signals.data_health.warnings if w.kind == "snapshot_gap"), None)
    if gap is not None and signals.previous_week is not None:
        weeks = gap_weeks(signals.week, signals.previous_week)
        out.append(
            (
                Frag("Every change below compares with the snapshot of "),
                Frag(f.day(signals.previous_week), True),
                Frag(f", {weeks} weeks earlier: no snapshot was taken in between."),
            )
        )
    if t.net_change is None:
        noun = "open role" if t.open == 1 else "open roles"
        out.append(
            (
                Frag("This first issue counts "),
                Frag(f.count(t.open), True),
                Frag(f" {noun}; week-over-week changes start next week."),
            )
        )
    elif quiet:
        out.append(
            (
                Frag("A quiet week: open roles held at "),
                Frag(f.count(t.open), True),
                Frag(
                    f" ({f.signed(t.net_change)}"
                    + (f", {f.change_pct(open_pct)}" if f.moved_pct(open_pct) else "")
                    + (
                        "), and no skill moved beyond noise."
                        if signals.skills.tested and not moved
                        else ")."
                    )
                ),
            )
        )
    else:
        verb = "rose" if t.net_change > 0 else ("fell" if t.net_change < 0 else "held")
        lead: list[Frag] = [Frag(f"Open roles {verb} ")]
        if f.moved_pct(open_pct) and t.net_change:
            lead += [Frag(f.change_pct(open_pct).lstrip("+" + MINUS), True), Frag(" to ")]
        elif not t.net_change:
            lead += [Frag("at ")]
        else:
            lead += [Frag(f"by {f.count(abs(t.net_change))} to ")]
        lead += [
            Frag(f.count(t.open), True),
            Frag(f" ({_new_and_removed(t, f)})"),
            *(_drop_clause(signals, f) or _window_clause(signals, f) or _led_by(signals, f)),
            Frag("."),
        ]
        out.append(tuple(lead))
    # A quiet week may have moves too (up to ``[email] quiet_max_movers``): named all the same.
    if t.net_change is not None and signals.skills.rising:
        m = signals.skills.rising[0]
        out.append(
            (
                Frag(m.name, True),
                Frag(" is the week's fastest-rising skill ("),
                Frag(f.pct(m.share, 1), True),
                Frag(f" of new postings, {f.pp(m.share - m.share_prev)}, {f.z(m.z)})"),
                *_falling_clause(signals, f),
            )
        )
    elif t.net_change is not None and signals.skills.falling:
        out.append((*_falling_clause(signals, f, first=True),))
    out.append(_pay_sentence(signals, f))
    if signals.data_health.warnings:
        n = len(signals.data_health.warnings)
        what = "One data-health warning" if n == 1 else f"{n} data-health warnings"
        out.append((Frag(f"{what} this week: see the note at the end."),))
    return tuple(out)


def _drop_clause(signals: Signals, f: Formatter) -> list[Frag]:
    """When most removals came from sources that lost over half their postings at once, say
    so: that is a rollover or a scrape failure, not a market move (signals guide, S2 and §4)."""
    w = mass_drop(signals)
    if w is None:
        return []
    return [
        Frag("; "),
        Frag(f.count(w.removed), True),
        Frag(" of the removals came at once from source "),
        Frag(w.name, True),
        Frag(
            f" ({f.pct(w.removed / w.before)} of its {f.count(w.before)} postings), "
            "which points to a season rollover or a scrape failure rather than a market move"
        ),
    ]


def _window_moves(signals: Signals) -> list[HealthWarning]:
    """The feeds whose open window holds more or fewer weekly deliveries than last week."""
    return [w for w in signals.data_health.warnings if w.kind == "feed_window"]


def _window_clause(signals: Signals, f: Formatter) -> list[Frag]:
    """When a feed's open window holds another number of deliveries than last week (its first
    weeks), the change in open roles is the window's, not the market's: say so instead of
    naming the role that "led" it."""
    moved = _window_moves(signals)
    if not moved:
        return []
    names = ", ".join(w.name for w in moved)
    window = signals.data_health.open_window_days
    return [
        Frag(f"; source{'s' if len(moved) > 1 else ''} "),
        Frag(names, True),
        Frag(
            f" deliver{'' if len(moved) > 1 else 's'} only new postings, counted open for "
            f"{window} days, and {'their windows hold' if len(moved) > 1 else 'its window holds'}"
            " another number of weekly deliveries than last week, so the change follows "
            "that window rather than the market"
        ),
    ]


def mass_drop(signals: Signals) -> HealthWarning | None:
    """The source that lost the most postings at once, when such drops make up at least
    half of the week's removals; else None."""
    t = signals.totals
    drops = [w for w in signals.data_health.warnings if w.kind == "source_drop"]
    if not drops or not t.removed or 2 * t.removed_in_drops < t.removed:
        return None
    return max(drops, key=lambda d: d.removed)


def _led_by(signals: Signals, f: Formatter) -> list[Frag]:
    """The role category that moved the most in the direction of the total, with its change."""
    net = signals.totals.net_change or 0
    moves = [
        (c.open - c.open_prev, c)
        for c in signals.categories
        if c.open_prev is not None and c.open_prev >= PCT_CHANGE_MIN_BASE
    ]
    same_way = [(d, c) for d, c in moves if d * net > 0]
    if not same_way:
        return []
    d, c = max(same_way, key=lambda m: abs(m[0]))
    pct = pct_change(c.open, c.open_prev)
    return [
        Frag(", led by "),
        Frag(c.name, True),
        Frag(f" ({f.signed(d)}" + (f", {f.change_pct(pct)})" if f.moved_pct(pct) else ")")),
    ]


def _falling_clause(signals: Signals, f: Formatter, first: bool = False) -> list[Frag]:
    if not signals.skills.falling:
        return [Frag(".")]
    m = signals.skills.falling[0]
    evidence = (
        f" ({f.pct(m.share, 1)} of new postings, {f.pp(m.share - m.share_prev)}, {f.z(m.z)})."
    )
    if first:
        return [Frag(m.name, True), Frag(" fades the most" + evidence)]
    return [Frag("; "), Frag(m.name, True), Frag(" fades the most" + evidence)]


def _pay_sentence(signals: Signals, f: Formatter) -> Sentence:
    pay = signals.pay
    roles = _category_pay_clause(pay, f)
    shifted = pay.significant and pay.change_pct is not None
    if pay.median is None:
        # the stock's median is held back; a shift the week's test flagged (new postings over
        # weeks, overall or by role) is named all the same: a shrinking week's pay drop
        moved = _shift_clause(pay, f, "median pay") if shifted else []
        if pay.n == 0:
            held = "pay figures are" if not (moved or roles) else "this week's median is"
            head = [Frag(f"No posting discloses annual USD pay this week: {held} held back")]
        else:
            head = [
                Frag(
                    f"Median pay{' of full-time roles' if pay.apart_open else ''} is held back "
                    "this week: only "
                ),
                Frag(f.count(pay.n), True),
                Frag(
                    f" posting{' discloses' if pay.n == 1 else 's disclose'} annual USD pay "
                    f"(the gate is {MEDIAN_MIN_N})"
                ),
            ]
        return (*head, *moved, *(roles or [Frag(".")]))
    # Name the population when some roles are counted apart (contract, internships...).
    of = " of full-time roles" if pay.apart_open else ""
    base = [
        Frag(f"Median posted pay{of} is "),
        Frag(f.money(pay.median), True),
        Frag(f" (n\u00a0=\u00a0{f.count(pay.n)})"),
    ]
    if shifted:
        return (*base, *_shift_clause(pay, f, "it"), *(roles or [Frag(".")]))
    if pay.change_pct is None:
        # postings of a source or company with a drop warning sit out the new-vs-removed
        # test: "too few with pay" alone would contradict the week's pay disclosed
        left_out = (
            f" once the {f.count(pay.excluded_in_drops)} new and removed postings under a "
            "drop warning are left out"
            if pay.excluded_in_drops
            else ""
        )
        t = signals.totals
        why = (
            ", with no earlier postings to test a pay shift against"
            if pay.method == "none"
            # two identical snapshots: nothing arrived or left, no postings are "too few"
            else ", with no new or removed postings to test a pay shift on"
            if pay.method == "new-vs-removed" and not t.new and not t.removed
            else f", with too few postings with pay to test a shift ({f.count(pay.shift_n)} "
            f"and {f.count(pay.shift_n_prev)}{left_out}; the test needs {SHIFT_MIN_N} a side)"
        )
        return (*base, Frag(why), *(roles or [Frag(".")]))
    if roles:
        return (*base, Frag(", with no overall pay shift beyond noise"), *roles)
    return (*base, Frag(", with no pay shift beyond noise."))


def _shift_clause(pay: Pay, f: Formatter, subject: str) -> list[Frag]:
    """ "; in new postings of the last 4 weeks it fell 12.5% against the 4 weeks before (95%
    CI ...)", with its like-for-like shift: the week's pay shift that passed the joint test."""
    change = pay.change_pct or 0.0
    ci = (
        " (95% CI {} to {})".format(*f.ends(f.change_pct, pay.ci_low, pay.ci_high))
        if pay.ci_low is not None and pay.ci_high is not None
        else ""
    )
    if pay.method == "new-vs-removed":
        where, against = "this week's new postings", "the postings that closed this week"
    else:
        where, against = pay_windows(pay, f)
    return [
        Frag(f"; in {where} {subject} {'rose' if change > 0 else 'fell'} "),
        Frag(f.change_pct(change).lstrip("+" + MINUS), True),
        Frag(f" against {against}{ci}"),
        *_like_for_like_clause(pay, f),
    ]


def _like_for_like_clause(pay: Pay, f: Formatter) -> list[Frag]:
    """The like-for-like shift beside the raw one (guide: print both); when they disagree
    (``pay.mix_driven``) the clause says the mix of roles moved, not pay."""
    lfl = pay.like_for_like_pct
    if lfl is None:
        return []
    if pay.mix_driven:
        return [
            Frag(", but "),
            Frag(f.change_pct(lfl), True),
            Frag(" like for like (same role, level and place): the mix of roles moved, not pay"),
        ]
    return [Frag(f" ({f.change_pct(lfl)} like for like)")]


def _new_and_removed(t: Totals, f: Formatter) -> str:
    """The counts that make the net change ("502 new, 60 of them reposts, and 529 removed"),
    with the reposts the "New this week" figure leaves out named, so the two agree."""
    reposts = (
        f", {f.counted(t.reposted, 'of them a repost', 'of them reposts')}," if t.reposted else ""
    )
    return f"{f.count(t.new)} new{reposts} and {f.count(t.removed)} removed"


def pay_windows(pay: Pay, f: Formatter) -> tuple[str, str]:
    """The two windows of a ``new-vs-earlier-new`` pay shift, in words: ("new postings of the
    last 4 weeks", "the 4 weeks before"), and with weeks that lack a snapshot ("new postings
    of the last 4 weekly snapshots over 5 weeks (1 week without one)", ...)."""
    recent = "".join(f.over_weeks(pay.shift_window_weeks, pay.shift_window_span))
    earlier, missing = f.over_weeks(pay.shift_window_weeks_prev, pay.shift_window_span_prev)
    return f"new postings of the last {recent}", f"the {earlier} before{missing}"


#: Role categories named in the pay sentence at most (biggest significant shifts first).
MAX_CATEGORY_SHIFTS = 2


def _category_pay_clause(pay: Pay, f: Formatter) -> list[Frag]:
    """ "; by role, X pay rose 6.1% (95% CI ...)." for categories whose shift passed BH."""
    hits = sorted(
        (c for c in pay.category_shifts if c.significant and c.change_pct is not None),
        key=lambda c: -abs(c.change_pct or 0),
    )[:MAX_CATEGORY_SHIFTS]
    out: list[Frag] = []
    for i, c in enumerate(hits):
        change = c.change_pct or 0
        out += [
            Frag("; by role, " if i == 0 else " and "),
            Frag(c.name, True),
            Frag(f" pay {'rose' if change > 0 else 'fell'} "),
            Frag(f.change_pct(change).lstrip("+" + MINUS), True),
            Frag(" (95% CI {} to {})".format(*f.ends(f.change_pct, c.ci_low, c.ci_high))),
        ]
    return [*out, Frag(".")] if out else []


# --- the company spotlight -------------------------------------------------------------------


def tied_at_cut(
    more: int, last: int, f: Formatter, noun: str = "", unit: str = "", *, figure: str = ""
) -> str:
    """The names a top list left out with as many as its last (``more`` of them, ``last``
    each): "2 more roles with 6 each", "2 more with 12 open roles each" (``unit``), "2 more
    with a $212k median each" (``figure``: the last's figure as printed, in words); the cut
    was by name, so they are said, not hidden."""
    what = f" {noun}{'' if more == 1 else 's'}" if noun else ""
    figure = figure or (f.counted(last, unit) if unit else f.count(last))
    return f"{f.count(more)} more{what} with {figure}{' each' if more > 1 else ''}"


def tied_past_cut(
    values: Sequence[float],
    n: int,
    f: Formatter,
    unit: str,
    beyond: int = 0,
    *,
    printed: Callable[[float], str] | None = None,
) -> str:
    """A ranked list's line for the names past its first ``n`` with the same printed number
    as the n-th (``values``: the list's numbers, largest first; ``beyond``: the names tied
    with the list's last that the list itself left out): "2 more with 12 open roles each, not
    listed."; "" when the cut splits no tie. The order among them is by name (or a figure
    not printed), so the cut is said, not hidden. ``printed`` (a figure rounded as the list
    prints it, e.g. ``Formatter.money_k``) compares the printed figures, not the raw ones:
    $212,300 and $211,800 both read "$212k", and ``unit`` then words it ("a {} median")."""
    if n <= 0 or len(values) < n:
        return ""
    shown: Callable[[float], object] = printed or (lambda v: v)
    last, past = values[n - 1], values[n:]
    run = len(list(takewhile(lambda v: shown(v) == shown(last), past)))
    more = run + (beyond if run == len(past) else 0)
    if not more:
        return ""
    figure = unit.format(printed(last)) if printed else ""
    return f"{tied_at_cut(more, int(last), f, unit=unit, figure=figure)}, not listed."


def _listing(items: list[NamedCount], f: Formatter, more: str = "") -> str:
    named = [f"{c.name} ({f.count(c.open)})" for c in items] + ([more] if more else [])
    if len(named) <= 1:
        return "".join(named)
    return ", ".join(named[:-1]) + " and " + named[-1]


def spotlight_paragraph(spot: Spotlight, f: Formatter) -> Sentence:
    """One short paragraph about the spotlight company, from its gated figures."""
    grew = spot.net > 0
    change = f" ({f.change_pct(spot.change_pct)})" if spot.change_pct is not None else ""
    # a move another company matched was picked by name: never "the largest" alone
    what = (
        f" tied with {f.counted(spot.tied, 'other company', 'other companies')} for the "
        "week's largest move: "
        if spot.tied
        else (" made the week's largest hiring move: " if grew else " pulled back the most: ")
    )
    out: list[Frag] = [
        Frag(spot.name, True),
        Frag(what),
        Frag(f.count(spot.open), True),
        Frag(" open roles, "),
        Frag(f.signed(spot.net), True),
        Frag(f"{change} on last week ({f.count(spot.new)} new, {f.count(spot.removed)} removed)."),
    ]
    if spot.categories:
        roles = spot.categories_more and tied_at_cut(
            spot.categories_more, spot.categories[-1].open, f, "role"
        )
        out.append(Frag(f" It hires most for {_listing(spot.categories, f, roles or '')}"))
        metros = [p for p in spot.places if p.name != REMOTE_PLACE]
        places = (
            tied_at_cut(spot.places_more, spot.places[-1].open, f, "place")
            if spot.places_more and spot.places
            else ""
        )
        if metros or places:
            out.append(Frag(f", in {_listing(metros, f, places)}"))
        if spot.remote:
            out.append(Frag(f", with {f.count(spot.remote)} remote"))
        out.append(Frag("."))
    if spot.pay_low is not None and spot.pay_high is not None:
        out += [
            Frag(" Its postings disclose "),
            Frag(f.money_k_range(spot.pay_low, spot.pay_high), True),
        ]
        if spot.median_pay is not None:
            out.append(
                Frag(
                    f" (median {f.money_k(spot.median_pay)}, n\u00a0=\u00a0{f.count(spot.n_pay)})."
                )
            )
        else:
            out.append(Frag(f" (n\u00a0=\u00a0{f.count(spot.n_pay)} with pay)."))
    return tuple(out)
