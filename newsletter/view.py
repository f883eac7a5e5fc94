"""Turn Signals into the presentation context the templates print (formatting in Python).

Numbers and dates are formatted with Babel for the configured locale. Values below their
publication gate become "—" with the sample size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from newsletter.config import Config
from newsletter.signals.models import Signals

DASH = "—"


@dataclass(frozen=True, slots=True)
class Formatter:
    locale: str = "en_US"

    def count(self, n: int | None) -> str:
        return DASH if n is None else format_decimal(n, locale=self.locale)

    def money(self, v: float | None, n: int | None = None) -> str:
        if v is None:
            return f"{DASH} (n={self.count(n)})" if n is not None else DASH
        return "$" + format_decimal(round(v, -3), format="#,##0", locale=self.locale)

    def money_k(self, v: float | None) -> str:
        return DASH if v is None else f"${round(v / 1000):,.0f}k"

    def pct(self, share: float | None, digits: int = 0) -> str:
        if share is None:
            return DASH
        fmt = "#,##0" + ("." + "0" * digits if digits else "") + "%"
        return format_percent(share, format=fmt, locale=self.locale)

    def signed(self, n: int | None) -> str:
        if n is None:
            return DASH
        sign = "+" if n > 0 else ("−" if n < 0 else "±")
        return sign + format_decimal(abs(n), locale=self.locale)

    def day(self, d: date, fmt: str = "MMM d, y") -> str:
        return format_date(d, format=fmt, locale=self.locale)


@dataclass(frozen=True, slots=True)
class Kpi:
    label: str
    value: str
    change: str
    direction: str  # up | down | flat | none


@dataclass(frozen=True, slots=True)
class SkillLine:
    name: str
    share: str
    postings: str
    bar_pct: int


@dataclass(frozen=True, slots=True)
class IssueView:
    title: str
    tagline: str
    week_label: str
    subject: str
    preheader: str
    summary: list[str]
    kpis: list[Kpi]
    top_skills: list[SkillLine] = field(default_factory=list)
    postal_address: str = ""
    base_url: str = ""


def _direction(delta: float | None) -> str:
    if delta is None:
        return "none"
    return "up" if delta > 0 else ("down" if delta < 0 else "flat")


def build_view(signals: Signals, config: Config) -> IssueView:
    f = Formatter(config.newsletter.locale)
    t = signals.totals
    pay = signals.pay
    week_label = f.day(signals.week)
    summary = [
        f"{f.count(t.open)} open roles this week ({f.signed(t.net_change)} on last week): "
        f"{f.count(t.new)} new and {f.count(t.removed)} removed."
    ]
    if pay.median is not None:
        summary.append(
            f"The median posted base pay is {f.money(pay.median)} across {f.count(pay.n)} "
            f"postings that disclose pay."
        )
    kpis = [
        Kpi("Open roles", f.count(t.open), f.signed(t.net_change), _direction(t.net_change)),
        Kpi("New this week", f.count(t.new), f"{f.count(t.removed)} removed", "none"),
        Kpi("Median pay", f.money(pay.median, pay.n), f"n={f.count(pay.n)}", "none"),
        Kpi("Remote share", f.pct(signals.remote.share), "", "none"),
    ]
    top = signals.skills.top
    biggest = max((s.share for s in top), default=1.0) or 1.0
    skills = [
        SkillLine(s.name, f.pct(s.share), f.count(s.postings), round(100 * s.share / biggest))
        for s in top
    ]
    subject = config.newsletter.subject_template.format(
        week_start=f.day(signals.week, "MMM d"),
        open_roles=f.count(t.open),
        median_pay=f.money_k(pay.median),
    )
    return IssueView(
        title=config.newsletter.title,
        tagline=config.newsletter.tagline,
        week_label=week_label,
        subject=subject,
        preheader=summary[0],
        summary=summary,
        kpis=kpis,
        top_skills=skills,
        postal_address=config.newsletter.postal_address,
        base_url=config.newsletter.base_url,
    )
