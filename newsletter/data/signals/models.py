"""The signals JSON contract: typed models that the computation fills and the email reads.

Pay is annual USD of full-time (or unstated) postings, other kinds counted apart; shares are
fractions in [0, 1]; lists are sorted by importance.
A value below its publication gate is ``None`` and its sample size is still given.
The JSON Schema in ``docs/signals.schema.json`` is generated from these models.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from newsletter.models import SourceKind
from newsletter.util.text import SHOWN_MAX, clean_line, one_line

#: "2": short-history methods (skills and pay shifts from two snapshots), `new` feeds, the
#: quasi-Poisson rate ratio, tie-corrected pay intervals, category pay shifts.
#: "3": one joint test of every candidate move of the week (rising/falling skills, the overall
#: pay shift, category pay shifts): `significant` and the rising/falling lists mean "passes the
#: joint Benjamini-Hochberg test and the kind's gates" (`moves`, `p_value`, `p_adjusted`).
#: "4": highest-paying categories (`pay.top_categories`), remote share by seniority and by
#: category (`remote.by_seniority`, `remote.by_category`), the company spotlight
#: (`company_detail.spotlight`).
#: "5": every pay figure is over full-time postings (`employment` `full_time` or not said);
#: part-time, contract, temporary and internship postings are counted apart (`pay.apart`,
#: `pay.apart_open`, `pay.apart_n`), and `pay.disclosure_rate` is over full-time postings.
DEFINITION_VERSION = "7"

#: Which comparison produced a list of moves or a pay shift (docs/signals.md):
#: ``new-vs-earlier-new``: this week's (or the last 4 weeks') new postings against new postings
#: of earlier weeks; ``new-vs-removed``: this week's new postings against the postings removed
#: this week (two snapshots suffice); ``none``: not enough data.
Method = Literal["new-vs-earlier-new", "new-vs-removed", "none"]

#: The kinds of candidate move of the joint test: a skill rising or falling, the overall pay
#: shift, a role category's pay shift.
MoveKind = Literal["skill", "pay", "pay_category"]


def _shown(value: str) -> str:
    return one_line(value, SHOWN_MAX)


#: A name that comes from the data (a skill, a company, a group, a source), as every reader
#: of the signals gets it: one line, no control or invisible characters, at most
#: :data:`~newsletter.util.text.SHOWN_MAX` characters. Snapshots are files: whatever wrote
#: one, nothing in a name can break the issue's markup, a terminal or a plain-text line.
Shown = Annotated[str, AfterValidator(_shown)]


def _line(value: str) -> str:
    return clean_line(value, LINE_MAX)


#: Longest sentence the signals compose (a warning's message).
LINE_MAX = 1000
#: A sentence the signals compose around names from the data: one line without control or
#: invisible characters, whatever the names hold.
Line = Annotated[str, AfterValidator(_line)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


#: A pay shift's two-sided p-value: from z = ln(ratio)/SE, the SE of its 95% interval.
ShiftP = Annotated[
    float | None, Field(description="Two-sided, from z = ln(ratio)/SE (the SE of the CI)")
]
#: Adjusted p-value of a candidate move in the joint test of the week's moves.
AdjustedP = Annotated[
    float | None, Field(description="Adjusted p-value of the joint test of the week's moves")
]


class Totals(_Model):
    open: int = Field(description="Open postings in this week's snapshot")
    open_prev: int | None = Field(description="Open postings in the previous snapshot")
    new: int = Field(description="Posting ids not in the previous snapshot")
    removed: int = Field(description="Posting ids of the previous snapshot no longer present")
    removed_aged_out: int = Field(
        default=0,
        description="Part of `removed` from `new` feeds: postings that aged out of the open "
        "window (not closures)",
    )
    reposted: int = Field(
        default=0,
        description="Part of `new` matching a posting removed within the last 8 weeks",
    )
    net_change: int | None = None
    change_pct: float | None = Field(
        default=None, description="Relative change of open roles; null when a base is < 20"
    )
    open_avg_4w: float | None = Field(
        default=None, description="Mean open roles over the last 4 snapshots (this week included)"
    )
    continuing: int = Field(default=0, description="Posting ids open in both snapshots")
    returned: int = Field(
        default=0,
        description="Part of `new` whose id was open in an older snapshot (vanished, came back)",
    )
    new_excluding_reposts: int = Field(
        default=0, description="`new` minus `reposted`: genuinely new roles"
    )
    removed_in_drops: int = Field(
        default=0,
        description="Part of `removed` from a source or company flagged by a data-health drop "
        "warning (likely a scrape failure or season rollover, not a market move)",
    )
    new_avg_4w: float | None = Field(
        default=None, description="Mean weekly new postings over up to 4 earlier weeks"
    )
    new_avg_weeks: int = Field(default=0, description="Weeks behind `new_avg_4w`")
    new_rate_ratio: float | None = Field(
        default=None,
        description="new / new_avg_4w; null unless both counts are >= 20",
    )
    new_rr_ci_low: float | None = Field(
        default=None,
        description="95% CI of new_rate_ratio, widened by the quasi-Poisson dispersion "
        "(t quantile); null with fewer than 3 earlier weeks of new postings",
    )
    new_rr_ci_high: float | None = None
    new_rr_dispersion: float | None = Field(
        default=None,
        description="Quasi-Poisson dispersion of earlier weeks' new postings (>= 1; 1 = Poisson)",
    )
    new_rr_dispersion_weeks: int = Field(
        default=0, description="Earlier weeks behind `new_rr_dispersion`"
    )


class PayShift(_Model):
    """The median pay shift of one role category (same comparison as `Pay.method`)."""

    name: Shown
    n: int = Field(description="USD-paid postings on the recent side")
    n_prev: int = Field(description="USD-paid postings on the earlier side")
    median: float | None = Field(default=None, description="Tie-corrected median, recent side")
    median_prev: float | None = None
    change_pct: float | None = Field(
        default=None, description="median / median_prev - 1; null below 100 per side"
    )
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: ShiftP = None
    p_adjusted: AdjustedP = None
    significant: bool = Field(
        default=False,
        description="Passes the joint test of the week's moves (p_adjusted <= 0.05) and abs "
        "change >= 2%",
    )


class PayRank(_Model):
    """A role category ranked by the median USD pay of its open postings."""

    name: Shown
    median: float = Field(description="Median USD pay of the open postings (n >= 30)")
    n: int = Field(description="USD-paid open postings of the category")
    open: int = Field(description="Open postings of the category")
    ci_low: float | None = Field(
        default=None, description="95% Bonett–Price CI of the median, tie-corrected"
    )
    ci_high: float | None = None


class PayApart(_Model):
    """Open postings of one kind other than full-time (part-time, contract, temporary,
    internship): never in the full-time pay figures, a series of their own."""

    name: Shown = Field(description="The `employment` value: contract, part_time, ...")
    open: int = Field(description="Open postings of this kind")
    new: int = Field(default=0, description="Of which new this week")
    n: int = Field(default=0, description="Open postings of this kind with annual USD pay")
    median: float | None = Field(
        default=None, description="Median annual USD pay (hourly pay x 2080); null when n < 30"
    )
    median_hourly: float | None = Field(
        default=None, description="`median` / 2080: its hourly equivalent; null with `median`"
    )


class Pay(_Model):
    n: int = Field(
        description="Full-time (or unstated) open postings with annual USD pay (salary_mid)"
    )
    n_prev: int | None = None
    disclosure_rate: float | None = Field(
        description="Share of full-time (or unstated) open postings with any pay"
    )
    median: float | None = None
    p75: float | None = None
    p90: float | None = None
    median_prev: float | None = None
    p75_prev: float | None = None
    p90_prev: float | None = None
    change_pct: float | None = Field(
        default=None, description="Relative median shift (see docs/signals.md for the windows)"
    )
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: ShiftP = None
    p_adjusted: AdjustedP = None
    significant: bool = Field(
        default=False,
        description="Passes the joint test of the week's moves (p_adjusted <= 0.05) and abs "
        "change >= 2%, with >= 100 per side",
    )
    method: Method = Field(
        default="none", description="Which postings the shift compares (docs/signals.md)"
    )
    ci_method: str = Field(
        default="bonett-price, tie-corrected",
        description="Intervals: Bonett-Price on order statistics of tie-corrected pay",
    )
    excluded_in_drops: int = Field(
        default=0,
        description="new-vs-removed only: postings of sources or companies with a drop warning, "
        "left out of both sides",
    )
    category_shifts: list[PayShift] = Field(
        default_factory=list, description="The shift per role category (BH across categories)"
    )
    median_ci_low: float | None = Field(
        default=None,
        description="95% Bonett–Price CI of this week's median (levels), tie-corrected",
    )
    median_ci_high: float | None = None
    shift_window_weeks: int = Field(
        default=0, description="Weeks of new postings in the recent window of the shift"
    )
    shift_window_weeks_prev: int = Field(
        default=0, description="Weeks of new (or removed) postings on the earlier side"
    )
    shift_window_span: int = Field(
        default=0,
        description="Calendar weeks the recent window's new postings cover: "
        "`shift_window_weeks`, or more when weeks lack a snapshot",
    )
    shift_window_span_prev: int = Field(
        default=0, description="`shift_window_span` of the earlier side"
    )
    shift_n: int = Field(default=0, description="New postings with USD pay, recent window")
    shift_n_prev: int = Field(default=0, description="USD-paid postings on the earlier side")
    shift_median: float | None = None
    shift_median_prev: float | None = None
    like_for_like_pct: float | None = Field(
        default=None,
        description="Shift within category x seniority x metro cells (n-weighted median of "
        "log ratios); differs from change_pct when the mix of new postings moved",
    )
    mix_driven: bool = Field(
        default=False,
        description="A significant shift that like-for-like does not bear out (like_for_like_pct "
        "short of the shift's 95% CI, on the side of no change or the other way, or under 2% in "
        "size): the mix of roles moved, not pay",
    )
    like_for_like_cells: int = Field(default=0, description="Cells with >= 20 per side")
    like_for_like_n: int = Field(default=0, description="Paid new postings in those cells")
    like_for_like_cell_kind: str = Field(default="", description="Cells used (finest that covers)")
    top_categories: list[PayRank] = Field(
        default_factory=list,
        description="Highest-paying role categories: those with a published median (n >= 30), "
        "by median, highest first (up to top_n)",
    )
    apart: list[PayApart] = Field(
        default_factory=list,
        description="Part-time, contract, temporary and internship postings, one row per kind "
        "present this week, most open first: counted apart from every pay figure above",
    )
    apart_open: int = Field(
        default=0, description="Open postings left out of the full-time pay figures (`apart`)"
    )
    apart_n: int = Field(default=0, description="Of which with annual USD pay")


class RemoteRow(_Model):
    """The remote share of one seniority level or role category."""

    name: Shown
    n: int = Field(description="Open postings of the group with a known work mode")
    remote: int = Field(description="Of which remote")
    share: float | None = Field(default=None, description="remote / n; null when n < 30")
    ci_low: float | None = Field(default=None, description="95% Wilson interval of `share`")
    ci_high: float | None = None
    vs_market: Literal["above", "below", "level"] | None = Field(
        default=None,
        description="`above`/`below` when the Wilson interval excludes the market-wide share, "
        "else `level`; null with the share",
    )


class Share(_Model):
    share: float | None = None
    share_prev: float | None = None
    n: int = 0
    n_prev: int | None = None
    ci_low: float | None = Field(default=None, description="95% Wilson interval of `share`")
    ci_high: float | None = None
    share_of_known: float | None = Field(
        default=None, description="Share among postings whose work mode is known"
    )
    unknown_share: float | None = Field(default=None, description="Share with unknown work mode")
    share_of_known_prev: float | None = Field(
        default=None, description="`share_of_known` of the previous snapshot"
    )
    unknown_share_prev: float | None = Field(
        default=None, description="`unknown_share` of the previous snapshot"
    )
    n_known: int = Field(default=0, description="Open postings with a known work mode")
    n_known_prev: int | None = Field(default=None, description="`n_known` of the previous snapshot")
    known_change: float | None = Field(
        default=None,
        description="share_of_known - share_of_known_prev; null without a previous snapshot, "
        "when either n_known is below 30, or when the unknown share moved by more than 5 pp "
        "(the change would be coverage)",
    )
    by_seniority: list[RemoteRow] = Field(
        default_factory=list, description="Remote share per seniority level (ladder order)"
    )
    by_category: list[RemoteRow] = Field(
        default_factory=list, description="Remote share per role category (by open postings)"
    )


class GroupRow(_Model):
    """A row of the by-seniority, by-category and by-metro tables."""

    name: Shown
    open: int
    open_prev: int | None = None
    new: int = 0
    removed: int = 0
    share: float | None = None
    share_prev: float | None = None
    median_pay: float | None = None
    median_pay_prev: float | None = None
    p75_pay: float | None = None
    p90_pay: float | None = None
    n_pay: int = 0
    n_pay_prev: int | None = None
    share_ci_low: float | None = Field(default=None, description="95% Wilson interval of share")
    share_ci_high: float | None = None
    change_pct: float | None = Field(
        default=None, description="Relative change of open vs open_prev; null when a base < 20"
    )


class CompanyRow(_Model):
    name: Shown
    open: int
    new: int = 0
    removed: int = 0
    open_prev: int | None = None
    net: int = 0


class SkillRow(_Model):
    name: Shown
    postings: int
    share: float
    share_prev: float | None = None
    postings_prev: int | None = None


class SkillMove(_Model):
    name: Shown
    share: float
    share_prev: float
    z: float
    postings: int = 0
    lift: float | None = None
    postings_prev: int = Field(default=0, description="Baseline new postings with the skill")
    n: int = Field(default=0, description="New postings this week")
    n_prev: int = Field(default=0, description="New postings in the baseline window")
    cmh_z: float | None = Field(
        default=None, description="Within-role check: ln(OR_MH)/SE over category strata"
    )
    stock_share: float | None = Field(default=None, description="Share of open postings")
    stock_share_prev: float | None = None
    p_value: float | None = Field(default=None, description="Two-sided p-value of `z`")
    p_adjusted: AdjustedP = None


class Skills(_Model):
    top: list[SkillRow] = Field(default_factory=list)
    top_tied: int = Field(
        default=0,
        description="Skills past `top`'s cut named by as many open postings as its last row "
        "(a tie at the cut, which is by name)",
    )
    rising: list[SkillMove] = Field(default_factory=list)
    falling: list[SkillMove] = Field(default_factory=list)
    rising_past: list[float] = Field(
        default_factory=list,
        description="The z of rising moves past `rising`'s cut within 0.1 of its last one's, "
        "in order (they may print the same z: a tie at the cut)",
    )
    falling_past: list[float] = Field(
        default_factory=list,
        description="As rising_past, for `falling`",
    )
    tested: int = 0
    method: Method = Field(
        default="none", description="Which postings rising/falling compare (docs/signals.md)"
    )
    statistic: str = "log-odds z with informative Beta prior"
    weeks: list[date] = Field(
        default_factory=list, description="Weeks whose snapshots fed rising/falling"
    )
    excluded_in_drops: int = Field(
        default=0,
        description="new-vs-removed only: postings of sources or companies with a drop warning, "
        "left out of both sides",
    )
    held: list[str] = Field(
        default_factory=list,
        description="Skills whose move is one company's doing (its template), not listed",
    )
    n_open: int = Field(default=0, description="Open postings behind `top` shares")
    n_new: int = Field(default=0, description="New postings this week (rising/falling)")
    n_baseline: int = Field(
        default=0, description="Postings on the baseline side (earlier new, or removed)"
    )
    baseline_weeks: int = Field(default=0, description="Weeks in the baseline window")
    baseline_span_weeks: int = Field(
        default=0,
        description="Calendar weeks the baseline's new postings cover: `baseline_weeks`, or "
        "more when weeks lack a snapshot",
    )
    background_weeks: int = Field(default=0, description="Weeks of new postings behind the prior")
    prior: str = Field(default="", description="Prior strength used (a0=100 or empirical)")


class NamedCount(_Model):
    name: Shown
    open: int


class Spotlight(_Model):
    """The company with the week's largest gated move, and its hiring profile."""

    name: Shown
    open: int
    open_prev: int
    new: int
    removed: int
    net: int = Field(description="open - open_prev")
    tied: int = Field(
        default=0,
        description="Other companies past the same gates whose move is as large (abs net): "
        "the spotlight is the first of them by name",
    )
    change_pct: float | None = Field(
        default=None, description="open / open_prev - 1; null when a base is < 20"
    )
    categories: list[NamedCount] = Field(
        default_factory=list, description="Its top role categories by open postings (up to 3)"
    )
    categories_more: int = Field(
        default=0,
        description="Its further role categories with as many open postings as the last one "
        "listed (a tie at the cut, which is by name)",
    )
    places: list[NamedCount] = Field(
        default_factory=list,
        description="Its top places by open postings (up to 3): metros, and `Remote` for its "
        "remote postings",
    )
    places_more: int = Field(
        default=0,
        description="Its further places with as many open postings as the last one listed "
        "(a tie at the cut, which is by name)",
    )
    remote: int = Field(default=0, description="Its remote open postings")
    n_pay: int = Field(default=0, description="Its open postings with USD pay")
    pay_low: float | None = Field(
        default=None,
        description="P10 of the USD minimums it discloses (annual); null when n_pay < 10",
    )
    pay_high: float | None = Field(
        default=None, description="P90 of the USD maximums it discloses; null when n_pay < 10"
    )
    median_pay: float | None = Field(default=None, description="Median USD pay; n_pay >= 30")


class MoveTest(_Model):
    """One candidate move of the week in the joint test."""

    kind: MoveKind
    name: Shown = Field(description="Skill, role category, or `all` for the overall pay shift")
    z: float = Field(description="Signed z: log-odds z (skills), ln(ratio)/SE (pay)")
    p_value: float = Field(description="Two-sided p-value of z")
    weight: float = Field(description="Weight in the weighted Benjamini-Hochberg step-up")
    p_adjusted: float = Field(description="Weighted Benjamini-Hochberg adjusted p-value")
    gates: bool = Field(description="Passes the practical gates of its kind")
    listed: bool = Field(
        description="Reported: p_adjusted <= q, p_value < q and the gates (rising/falling list, "
        "`significant`)"
    )


class MovesTest(_Model):
    """The joint test of every candidate move of the week (docs/signals.md)."""

    procedure: str = Field(
        default="none", description="The multiple-testing procedure over the candidates"
    )
    q: float = Field(default=0.05, description="False discovery rate of the procedure")
    tested: int = Field(default=0, description="Candidate moves tested together")
    tested_by_kind: dict[MoveKind, int] = Field(default_factory=dict)
    budget: dict[MoveKind, float] = Field(
        default_factory=dict, description="Share of the error budget of each kind tested"
    )
    passed: int = Field(default=0, description="Candidates with p_adjusted <= q")
    listed: int = Field(default=0, description="Candidates reported (test and gates)")
    tests: list[MoveTest] = Field(
        default_factory=list, description="Every candidate, smallest p-value first"
    )


class Companies(_Model):
    top: list[CompanyRow] = Field(default_factory=list)
    top_tied: int = Field(
        default=0,
        description="Companies past `top`'s cut with as many open postings as its last row "
        "(a tie at the cut, which is by new postings, then name)",
    )
    top_new: list[CompanyRow] = Field(default_factory=list)
    movers: list[CompanyRow] = Field(default_factory=list)
    spotlight: Spotlight | None = Field(
        default=None,
        description="The company with the largest move passing the mover gate (>= 20 open, "
        "none of its removals in a drop warning); null when none qualifies",
    )


class HealthWarning(_Model):
    kind: str = Field(description="e.g. source_drop, company_drop")
    name: Shown
    before: int
    after: int
    message: Line
    removed: int = Field(default=0, description="Postings of this group removed this week")
    new: int = Field(default=0, description="Postings of this group new this week")


class DataHealth(_Model):
    snapshot_rows: int
    snapshot_rows_prev: int | None = None
    ingest_rows_read: int | None = None
    ingest_rejected: int | None = None
    ingest_duplicates: int | None = None
    ingest_kept: int | None = None
    ingest_rejected_by_reason: dict[str, int] = Field(default_factory=dict)
    ingest_salary_unparsed: int | None = None
    ingest_salary_out_of_range: int | None = None
    ingest_salary_several_roles: int | None = Field(
        default=None,
        description="Postings whose pay text gives amounts for several roles: no pay (ingest "
        "report; null in a report written before it was counted)",
    )
    ingest_salary_estimated: int | None = Field(
        default=None,
        description="Postings whose pay is the site's estimate, not the employer's: no pay "
        "(ingest report; null in a report written before it was counted)",
    )
    ids_missing: int = Field(default=0, description="Rows without posting_id, left out")
    ids_repeated: int = Field(default=0, description="Repeated posting_id rows, left out")
    posting_intensity: float | None = Field(
        default=None, description="Snapshot rows with an id / distinct ids (1.0 = no repeats)"
    )
    cross_source: int | None = Field(
        default=None,
        description="Open postings whose fingerprint (company, title, place) a posting of "
        "another source shares: likely one role listed twice (kept: ids differ); null with one "
        "source",
    )
    new: int = 0
    removed: int = 0
    continuing: int = 0
    reposted: int = 0
    share_unknown_seniority: float | None = None
    share_non_usd_pay: float | None = Field(
        default=None, description="Share of open postings whose pay is not in USD"
    )
    share_other_category: float | None = None
    share_unknown_metro: float | None = None
    share_without_pay: float | None = None
    source_kinds: dict[str, SourceKind] = Field(
        default_factory=dict, description="Kind of each source of this or last week's stock"
    )
    open_window_days: int | None = Field(
        default=None, description="Days a `new` feed's postings stay open (when a feed is used)"
    )
    warnings: list[HealthWarning] = Field(default_factory=list)
    suppressed: list[str] = Field(
        default_factory=list, description="Figures withheld below their gate, and why"
    )


class TrendPoint(_Model):
    week: date
    open: int
    median_pay: float | None = None
    remote_share: float | None = Field(
        default=None, description="Remote share of the postings whose work mode is known"
    )
    n_pay: int = Field(default=0, description="Open postings with USD pay behind `median_pay`")


class Signals(_Model):
    """All the signals of one issue."""

    week: date
    previous_week: date | None
    definition_version: str = DEFINITION_VERSION
    totals: Totals
    pay: Pay
    remote: Share
    seniority: list[GroupRow] = Field(default_factory=list)
    categories: list[GroupRow] = Field(default_factory=list)
    metros: list[GroupRow] = Field(default_factory=list)
    companies: list[CompanyRow] = Field(default_factory=list)
    company_detail: Companies = Field(default_factory=Companies)
    skills: Skills = Field(default_factory=Skills)
    moves: MovesTest = Field(default_factory=MovesTest)
    history: list[TrendPoint] = Field(default_factory=list)
    data_health: DataHealth
