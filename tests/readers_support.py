"""Hand-made inputs of the reader-facing sections: new-role candidates and an editor's note."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from newsletter.data.newroles import NewRoles, new_roles
from newsletter.data.signals.compute import compute_week
from newsletter.edition.notes import Note, render_note
from tests.conftest import frame, posting

WEEK = date(2026, 11, 23)
PREV = WEEK - timedelta(weeks=1)

NOTE = """A steady week on the surface, but **Rust** keeps climbing and pay for *MLOps
Engineers* moved beyond noise.

- The spotlight is new: one company's largest move, gated like every figure.
- New roles now come picked for you; [tell us what you think](mailto:editor@example.com).

How we measure: [the methodology](https://news.example.com/archive/methodology.html).
"""


def _new(pid: str, title: str, company: str, **over: Any) -> dict[str, Any]:
    row = {
        "title": title,
        "company": company,
        "fingerprint": f"fp-{pid}",
        "posted_at": WEEK + timedelta(days=1),
        "url": f"https://jobs.example.com/{pid}",
    }
    return posting(pid, **(row | over))


def _usd(lo: float, hi: float) -> dict[str, Any]:
    return {"currency": "USD", "salary_min": lo, "salary_max": hi, "salary_mid": (lo + hi) / 2}


def sample_postings() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Last week's and this week's postings: a few roles first seen this week."""
    before = [posting("old", company="Old Co", **_usd(400_000, 500_000))]
    new = [
        _new("r1", "Staff ML Engineer, Inference", "Anthropic", **_usd(340_000, 425_000),
             posted_at=WEEK + timedelta(days=2)),
        _new("r2", "Senior Research Scientist", "Anthropic", **_usd(320_000, 410_000),
             category="Research Scientist", seniority="senior"),
        _new("r3", "MLOps Engineer", "Harvey", metro="Austin", location="Austin, TX",
             category="MLOps Engineer", **_usd(150_000, 190_000)),
        _new("r4", "Platform Engineer, ML", "Smith & Wesson <AI>", metro="Boston",
             location="Boston, MA", category="MLOps Engineer", url="javascript:alert(1)"),
        _new("r5", "Applied Scientist", "Zalando", metro=None, location="Berlin, Germany",
             country="DE", currency="EUR", salary_min=80_000.0, salary_max=95_000.0,
             salary_mid=87_500.0),
        _new("r6", "Senior Data Scientist, Growth", "Databricks", metro=None, remote=True,
             work_mode="remote", location="Remote - US", category="Data Scientist",
             seniority="senior", **_usd(190_000, 250_000)),
        _new("r7", "AI Engineer %%unsubscribe_url%%", "Capital One", metro="New York",
             location="New York, NY", **_usd(170_000, 230_000)),
    ]  # fmt: skip
    return before, before + new


def sample_new_roles() -> NewRoles:
    """The candidate table of the sample week, built by the real pipeline."""
    before, after = sample_postings()
    result = compute_week(frame(after), frame(before), week=WEEK, previous_week=PREV)
    return new_roles(result.arrivals, week=WEEK, previous_week=PREV)


def sample_note() -> Note:
    note = render_note(NOTE)
    assert note is not None
    return note
