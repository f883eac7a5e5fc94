"""The signals JSON contract: typed models that the computation fills and the email reads.

Pay is annual USD; shares are fractions in [0, 1]; lists are sorted by importance.
A value below its publication gate is ``None`` and its sample size is still given.
The JSON Schema in ``docs/signals.schema.json`` is generated from these models.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

DEFINITION_VERSION = "1"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Totals(_Model):
    open: int = Field(description="Open postings in this week's snapshot")
    open_prev: int | None = Field(description="Open postings in the previous snapshot")
    new: int = Field(description="Posting ids not in the previous snapshot")
    removed: int = Field(description="Posting ids of the previous snapshot no longer present")
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


class Pay(_Model):
    n: int = Field(description="Open postings with annual USD pay (salary_mid)")
    n_prev: int | None = None
    disclosure_rate: float | None = Field(description="Share of open postings with any pay")
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
    significant: bool = False
    method: str = "bonett-price"


class Share(_Model):
    share: float | None = None
    share_prev: float | None = None
    n: int = 0
    n_prev: int | None = None


class GroupRow(_Model):
    """A row of the by-seniority, by-category and by-metro tables."""

    name: str
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


class CompanyRow(_Model):
    name: str
    open: int
    new: int = 0
    removed: int = 0
    open_prev: int | None = None
    net: int = 0


class SkillRow(_Model):
    name: str
    postings: int
    share: float
    share_prev: float | None = None


class SkillMove(_Model):
    name: str
    share: float
    share_prev: float
    z: float
    postings: int = 0
    lift: float | None = None


class Skills(_Model):
    top: list[SkillRow] = Field(default_factory=list)
    rising: list[SkillMove] = Field(default_factory=list)
    falling: list[SkillMove] = Field(default_factory=list)
    tested: int = 0
    method: str = "log-odds z with informative Dirichlet prior"


class Companies(_Model):
    top: list[CompanyRow] = Field(default_factory=list)
    top_new: list[CompanyRow] = Field(default_factory=list)
    movers: list[CompanyRow] = Field(default_factory=list)


class HealthWarning(_Model):
    kind: str = Field(description="e.g. source_drop, company_drop")
    name: str
    before: int
    after: int
    message: str


class DataHealth(_Model):
    snapshot_rows: int
    snapshot_rows_prev: int | None = None
    ingest_rows_read: int | None = None
    ingest_rejected: int | None = None
    ingest_duplicates: int | None = None
    share_other_category: float | None = None
    share_unknown_metro: float | None = None
    share_without_pay: float | None = None
    warnings: list[HealthWarning] = Field(default_factory=list)
    suppressed: list[str] = Field(
        default_factory=list, description="Figures withheld below their gate, and why"
    )


class TrendPoint(_Model):
    week: date
    open: int
    median_pay: float | None = None
    remote_share: float | None = None


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
    history: list[TrendPoint] = Field(default_factory=list)
    data_health: DataHealth
