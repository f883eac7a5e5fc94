"""New roles for you: the candidate table and the pick rules (newsletter/data/newroles.py)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import pytest

from newsletter.data.newroles import NewRole, NewRoles, new_roles, safe_url
from newsletter.data.signals.compute import compute_week
from newsletter.data.signals.diff import WeekFrame
from newsletter.edition.formatting import Formatter
from newsletter.edition.picks import role_line
from newsletter.models import Preferences
from tests.conftest import frame, posting
from tests.signals_support import week


def roles_of(weeks: Sequence[Sequence[dict[str, Any]]]) -> NewRoles:
    """The candidate table of the last of ``weeks`` (rows per week, oldest first)."""
    frames = [frame(rows) for rows in weeks]
    last = len(frames) - 1
    result = compute_week(
        frames[-1],
        frames[-2] if last else None,
        week=week(last),
        previous_week=week(last - 1) if last else None,
        history=[WeekFrame(week(i), f.lazy()) for i, f in enumerate(frames[:-2])],
    )
    return new_roles(
        result.arrivals, week=week(last), previous_week=week(last - 1) if last else None
    )


def paid(pid: str, pay: float, **over: Any) -> dict[str, Any]:
    row = {"posted_at": week(1) + timedelta(days=1), "company": f"Co {pid}",
           "fingerprint": f"fp-{pid}", "url": f"https://jobs.example.com/{pid}", "currency": "USD",
           "salary_min": pay - 10_000, "salary_max": pay + 10_000, "salary_mid": pay}  # fmt: skip
    return posting(pid, **(row | over))


def ids(roles: Sequence[NewRole]) -> list[str]:
    return [r.posting_id.removeprefix("t:") for r in roles]


BASE = [paid("old-top", 900_000, posted_at=week(0))]


def test_never_a_posting_from_an_earlier_week() -> None:
    w0 = [*BASE, paid("gone", 800_000, posted_at=week(0)), paid("rm", 500_000, posted_at=week(0))]
    w1 = [*BASE, paid("a", 200_000)]
    w2 = [
        *BASE,  # open since week 0: never new
        paid("a", 200_000),
        paid("gone", 800_000, posted_at=week(0)),  # open two weeks ago: it returned
        paid("repost", 700_000, fingerprint="fp-rm"),  # a removed role posted again
        paid("stale", 650_000, posted_at=week(0)),  # first seen now, posted two weeks ago
        paid("b", 300_000, posted_at=week(2)),
        paid("c", 250_000, posted_at=None),
    ]
    roles = roles_of([w0, [*w1, paid("rm", 500_000, posted_at=week(0))], w2])
    assert ids(roles.pick(None)) == ["b", "c"]
    assert roles.count == 2
    everyone = ids(roles.pick(Preferences(seniority=("mid",))))
    assert everyone == ["b", "c"]  # newest first, unknown date last


def test_at_most_one_posting_per_company_and_paid_first() -> None:
    w0 = [paid("x", 100_000)]
    many = [paid(f"big{i}", 400_000 + i, company="BigCo") for i in range(8)]
    unpaid = [posting(f"u{i}", company=f"U{i}", posted_at=week(1) + timedelta(days=6))
              for i in range(3)]  # fmt: skip
    w1 = [*w0, *many, paid("small", 150_000, company="SmallCo"), *unpaid]
    roles = roles_of([w0, w1])
    best = roles.pick(None)
    assert [r.company for r in best] == ["BigCo", "SmallCo"]  # one per company, best paid first
    assert best[0].pay_min == 400_007 - 10_000
    picked = roles.pick(Preferences(categories=("AI/ML Engineer",)))
    # disclosed pay first, although the unpaid postings are newer; still one per company
    assert [r.company for r in picked] == ["BigCo", "SmallCo", "U0", "U1", "U2"]


def test_best_paid_ranks_full_time_pay_and_a_pick_says_its_kind() -> None:
    """A contract rate annualised at 2,080 hours is not a salary to rank against: the
    best-paid roles are full-time (or unstated) ones; a picked contract role says so."""
    w0 = [paid("x", 100_000)]
    w1 = [
        *w0,
        paid("gig", 500_000, company="Gig", employment="contract"),
        paid("intern", 450_000, company="Lab", employment="internship"),
        paid("staff", 300_000, company="Staff", employment="full_time"),
        paid("said", 200_000, company="Quiet"),  # does not say: full-time
    ]
    roles = roles_of([w0, w1])
    assert [r.company for r in roles.pick(None)] == ["Staff", "Quiet"]
    picked = roles.pick(Preferences(categories=("AI/ML Engineer",)))
    kinds = {r.company: r.employment for r in picked}
    assert kinds == {"Gig": "contract", "Lab": "internship", "Staff": None, "Quiet": None}
    lines = {r.company: role_line(r, Formatter()).pay for r in picked}
    assert lines["Gig"] == "$490k–$510k · contract"
    assert lines["Lab"] == "$440k–$460k · internship"
    assert lines["Staff"] == "$290k–$310k"


def test_a_pick_with_one_end_of_pay_says_which_end() -> None:
    """ "from $150k" (``$150k+``) and "up to $190k" printed as a bare "$150k" and "$190k",
    a figure the posting never gave; a single amount stays as it is."""
    w0 = [paid("x", 100_000)]
    w1 = [
        *w0,
        paid("from", 150_000, company="From", salary_max=None, currency="USD"),
        paid("upto", 190_000, company="UpTo", salary_min=None),
        paid("eur", 90_000, company="Eur", salary_max=None, currency="EUR"),
        paid("one", 170_000, company="One", salary_min=170_000, salary_max=170_000),
    ]
    picked = roles_of([w0, w1]).pick(Preferences(categories=("AI/ML Engineer",)))
    lines = {r.company: role_line(r, Formatter()).pay for r in picked}
    assert lines["From"] == "from $140k"
    assert lines["UpTo"] == "up to $200k"
    assert lines["Eur"] == "from 80k EUR"
    assert lines["One"] == "$170k"


def test_pay_in_a_currency_of_large_units_is_compact() -> None:
    """Pay in won, yen or rupees printed in thousands ("120,000k–160,000k KRW · contract"):
    unreadable, and too wide for a 320 px phone's line (it never wraps); millions read as the
    dollars' do ("$1.9M")."""
    w0 = [paid("x", 100_000)]
    krw = {"currency": "KRW", "salary_min": 120_000_000, "salary_max": 160_000_000}
    inr = {"currency": "INR", "salary_min": 3_500_000, "salary_max": 5_000_000}
    w1 = [
        *w0,
        paid("krw", 0, company="Won", employment="contract", **krw),
        paid("inr", 0, company="Rupee", **inr),
        paid("eur", 0, company="Euro", currency="EUR", salary_min=85_000, salary_max=95_000),
    ]
    picked = roles_of([w0, w1]).pick(Preferences(categories=("AI/ML Engineer",)))
    lines = {r.company: role_line(r, Formatter()).pay for r in picked}
    assert lines["Won"] == "120M–160M KRW · contract"
    assert lines["Rupee"] == "3.5M–5M INR"
    assert lines["Euro"] == "85k–95k EUR"


def test_preferences_filter_within_and_across_dimensions() -> None:
    w0 = [paid("x", 100_000)]
    w1 = [
        *w0,
        paid("ds-ny", 200_000, category="Data Scientist", metro="New York", seniority="senior"),
        paid("ds-sf", 210_000, category="Data Scientist", seniority="mid"),
        paid("mlops-ny", 220_000, category="MLOps Engineer", metro="New York"),
        paid(
            "ds-remote",
            230_000,
            category="Data Scientist",
            metro=None,
            remote=True,
            work_mode="remote",
            location="Remote - US",
        ),
    ]
    roles = roles_of([w0, w1])

    def picked(**prefs: tuple[str, ...]) -> set[str]:
        return set(ids(roles.pick(Preferences(**prefs))))

    assert picked(categories=("Data Scientist",)) == {"ds-ny", "ds-sf", "ds-remote"}
    assert picked(categories=("data scientist",), metros=("New York",)) == {"ds-ny"}
    assert picked(metros=("New York", "Remote")) == {"ds-ny", "mlops-ny", "ds-remote"}
    assert picked(metros=("Remote",)) == {"ds-remote"}
    assert picked(categories=("Data Scientist",), seniority=("senior", "leadership")) == {"ds-ny"}
    assert picked(categories=("Robotics",)) == set()
    assert picked(metros=("Atlantis",), seniority=("mid",)) == set()
    remote = roles.pick(Preferences(metros=("Remote",)))[0]
    assert remote.place == "Remote - US"


def _brute_force(rows: list[dict[str, Any]], prefs: Preferences) -> list[str]:
    """The documented rules, written out plainly over every candidate."""

    def ok(r: dict[str, Any]) -> bool:
        place = "remote" if r["remote"] else (r["metro"] or "").casefold()
        checks = [
            (prefs.categories, (r["category"] or "Other").casefold()),
            (prefs.metros, place),
            (prefs.seniority, (r["seniority"] or "unknown").casefold()),
        ]
        return all(not want or v in {w.casefold() for w in want} for want, v in checks)

    def key(r: dict[str, Any]) -> tuple[Any, ...]:
        return (r["salary_mid"] is None, -r["posted_at"].toordinal(),
                -(r["salary_mid"] or 0), r["posting_id"])  # fmt: skip

    out: list[str] = []
    seen: set[str] = set()
    for r in sorted(filter(ok, rows), key=key):
        if r["company"].casefold() not in seen:
            seen.add(r["company"].casefold())
            out.append(r["posting_id"].removeprefix("t:"))
    return out[:5]


@pytest.mark.parametrize("seed", range(3))
def test_the_compact_table_picks_what_the_rules_pick_over_all_candidates(seed: int) -> None:
    rng = random.Random(seed)
    cats, metros = ["Data Scientist", "MLOps Engineer", "AI/ML Engineer"], ["New York", "Austin"]
    levels = ["entry", "mid", "senior"]
    new = []
    for i in range(400):
        remote = rng.random() < 0.2
        row = posting(
            f"n{i}", company=f"Co{rng.randrange(25)}", category=rng.choice(cats),
            metro=None if remote else rng.choice(metros), remote=remote,
            seniority=rng.choice(levels), fingerprint=f"fp-n{i}",
            posted_at=week(1) + timedelta(days=rng.randrange(7)),
        )  # fmt: skip
        if rng.random() < 0.6:
            pay = float(rng.randrange(100, 300)) * 1000
            row |= {"currency": "USD", "salary_min": pay, "salary_max": pay, "salary_mid": pay}
        new.append(row)
    roles = roles_of([[paid("x", 1e5)], [paid("x", 1e5), *new]])
    assert len(roles.rows) < len(new)  # compact
    for _ in range(60):
        prefs = Preferences(
            categories=tuple(rng.sample(cats, rng.randint(0, 2))),
            metros=tuple(rng.sample([*metros, "Remote"], rng.randint(0, 2))),
            seniority=tuple(rng.sample(levels, rng.randint(0, 2))),
        )
        if prefs.is_default:
            continue
        assert ids(roles.pick(prefs)) == _brute_force(new, prefs), prefs


def test_picks_are_stable_for_a_week_whatever_the_row_order() -> None:
    w0 = [paid("x", 100_000)]
    new = [paid(f"p{i}", 200_000 + (i % 4) * 1000, company=f"C{i % 6}",
                posted_at=week(1) + timedelta(days=i % 3)) for i in range(30)]  # fmt: skip
    prefs = Preferences(seniority=("mid",))
    first = roles_of([w0, [*w0, *new]])
    shuffled = new[:]
    random.Random(1).shuffle(shuffled)
    again = roles_of([w0, [*w0, *shuffled]])
    assert ids(first.pick(prefs)) == ids(again.pick(prefs))
    assert ids(first.pick(None)) == ids(again.pick(None))
    assert first.pick(prefs) == first.pick(prefs)


def test_one_snapshot_has_no_candidates() -> None:
    roles = roles_of([[paid("x", 100_000)]])
    assert (
        roles.count == 0 and roles.pick(None) == () and roles.pick(Preferences(metros=("X",))) == ()
    )


def test_posting_text_is_made_safe() -> None:
    w0 = [paid("x", 100_000)]
    evil = paid(
        "evil",
        200_000,
        title="Engineer\n<script>alert(1)</script>\u202e  %%unsubscribe_url%%",
        company="Evil\r\nBcc: everyone@example.com",
        url="javascript:alert(1)",
        location="x" * 300,
    )
    roles = roles_of([w0, [*w0, evil, paid("ok", 150_000, url="http://a.example/j?id=1&x=2")]])
    bad, good = roles.pick(None)
    assert bad.title == "Engineer <script>alert(1)</script> %%unsubscribe_url%%"
    assert "\n" not in bad.company and "\r" not in bad.company
    assert bad.url is None and len(bad.place) == 120 and bad.place.endswith("…")
    assert good.url == "http://a.example/j?id=1&x=2"


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://jobs.example.com/1", True),
        ("HTTP://Jobs.Example.com/1", True),
        ("javascript:alert(1)", False),
        (" JavaScript:alert(1)", False),
        ("data:text/html,x", False),
        ("//evil.example/x", False),
        ("/relative", False),
        ("https://", False),
        ("https://a.example/x y", False),
        ("https://a.example/\u202ex", False),
        ("mailto:x@example.com", False),
        (None, False),
        # only public hosts, named as they are
        ("http://93.184.216.34/job", True),
        ("https://boards.example.io:8443/j?who=@me", True),
        ("https://www.bank.example@evil.example/phish", False),
        ("https://user:pw@jobs.example.com/1", False),
        ("http://localhost/admin", False),
        ("http://127.0.0.1:8765/admin", False),
        ("http://169.254.169.254/latest/meta-data/", False),
        ("http://10.0.0.5/", False),
        ("http://[::1]/x", False),
        ("http://0x7f.0.0.1/", False),
        ("http://2130706433/", False),
        ("http://intranet/jobs", False),
        ("http://printer.local/", False),
        ("https://jobs.example.com:99999/", False),
        # a browser reads a backslash as "/" in an http(s) URL: the host is what precedes it
        ("https://127.0.0.1\\.jobs.example.com/x", False),
        ("http://localhost\\.example.com/admin", False),
        ("https://10.0.0.5\\x.example.com/", False),
        ("https://jobs.example.com/a\\b", True),
    ],
)
def test_safe_url_keeps_only_absolute_http_links(url: str | None, kept: bool) -> None:
    assert (safe_url(url) is not None) is kept


def test_dates_of_weeks_helper_is_monday() -> None:
    assert week(0).weekday() == 0 and week(1) - week(0) == timedelta(days=7)
    assert isinstance(week(2), date)
