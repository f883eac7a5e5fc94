"""Any valid Signals renders: lists may be empty, optional values None, names hostile."""

from __future__ import annotations

import re
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.config import parse_config
from newsletter.data.signals import models as m
from newsletter.edition.compliance import body_problems
from newsletter.edition.issue import compile_issue
from newsletter.models import Preferences, Recipient

CONFIG = parse_config(
    {"newsletter": {"postal_address": "1 Example St, Springfield", "base_url": "https://n.example"}}
)
LEFTOVER = re.compile(r"\bNone\b(?! of your picks)|\bnan\b|\binf\b|\[\[nl:|<!--nl:")
names = st.text(alphabet="ab <>&\"'é—", min_size=1, max_size=12)
counts = st.integers(0, 50_000)
shares = st.floats(0, 1)
maybe_share = st.none() | shares
money = st.none() | st.floats(20_000, 900_000)
group = st.builds(
    m.GroupRow,
    name=names,
    open=counts,
    open_prev=st.none() | counts,
    share=maybe_share,
    share_prev=maybe_share,
    median_pay=money,
    p75_pay=money,
    p90_pay=money,
    n_pay=counts,
)
move = st.builds(m.SkillMove, name=names, share=shares, share_prev=shares, z=st.floats(-9, 9))
point = st.builds(
    m.TrendPoint,
    week=st.just(date(2026, 11, 2)),
    open=counts,
    median_pay=money,
    remote_share=maybe_share,
)
company = st.builds(m.CompanyRow, name=names, open=counts, net=st.integers(-99, 99))
skill = st.builds(m.SkillRow, name=names, postings=counts, share=shares)


@st.composite
def signals(draw: st.DrawFn) -> m.Signals:
    open_prev = draw(st.none() | counts)
    open_ = draw(counts)
    totals = m.Totals(
        open=open_,
        open_prev=open_prev,
        new=draw(counts),
        removed=draw(counts),
        reposted=draw(counts),
        net_change=None if open_prev is None else open_ - open_prev,
    )
    pay = m.Pay(
        n=draw(counts),
        disclosure_rate=draw(maybe_share),
        median=draw(money),
        p75=draw(money),
        p90=draw(money),
        median_prev=draw(money),
        change_pct=draw(st.none() | st.floats(-0.5, 0.5)),
        ci_low=draw(st.none() | st.floats(-0.5, 0)),
        ci_high=draw(st.none() | st.floats(0, 0.5)),
        significant=draw(st.booleans()),
    )
    skills = m.Skills(
        top=draw(st.lists(skill, max_size=4)),
        rising=draw(st.lists(move, max_size=3)),
        falling=draw(st.lists(move, max_size=3)),
        tested=draw(st.integers(0, 300)),
    )
    return m.Signals(
        week=date(2026, 11, 23),
        previous_week=None if open_prev is None else date(2026, 11, 16),
        totals=totals,
        pay=pay,
        remote=m.Share(share=draw(maybe_share), share_prev=draw(maybe_share)),
        seniority=draw(st.lists(group, max_size=4)),
        categories=draw(st.lists(group, max_size=5)),
        metros=draw(st.lists(group, max_size=5)),
        companies=draw(st.lists(company, max_size=4)),
        skills=skills,
        history=draw(st.lists(point, max_size=9)),
        data_health=m.DataHealth(snapshot_rows=open_, suppressed=draw(st.lists(names, max_size=2))),
    )


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=signals(), metros=st.lists(names, max_size=2))
def test_any_signals_render_cleanly(s: m.Signals, metros: list[str]) -> None:
    issue = compile_issue(s, CONFIG)
    who = Recipient(
        subscriber_id=1,
        email="r@example.com",
        name="R",
        preferences=Preferences(metros=tuple(metros)),
        unsubscribe_url="https://n.example/unsubscribe/t",
        preferences_url="https://n.example/preferences/t",
    )
    body = issue.personalize(who)
    for text in (body.html, body.text):
        assert not LEFTOVER.search(text)
    problems = body_problems(
        body.html,
        body.text,
        unsubscribe_url=who.unsubscribe_url,
        postal_address=CONFIG.newsletter.postal_address,
        max_html_bytes=CONFIG.email.max_html_bytes,
    )
    assert all("bytes" in p for p in problems), problems


def test_posting_text_that_looks_like_a_merge_tag_or_marker_stays_text(
    rich_signals: m.Signals,
) -> None:
    """A company named like a merge tag must not become the reader's link (nor stop the
    render), and one named like a marker must not cut the issue."""
    hostile = [
        "%%unsubscribe_url%%",
        "%%nope%%",
        "<!--nl:end-->",
        "Acme <!--nl:personal--> {{ x }} {% if %} {# c #} {{{ Co",
    ]
    rows = [
        c.model_copy(update={"name": name})
        for c, name in zip(rich_signals.companies, hostile, strict=False)
    ]
    assert len(rows) == len(hostile)
    s = rich_signals.model_copy(update={"companies": rows + rich_signals.companies[len(rows) :]})
    compiled = compile_issue(s, CONFIG)
    reader = Recipient(
        subscriber_id=7,
        email="r@example.org",
        unsubscribe_url="https://n.example/unsubscribe/SECRET-TOKEN",
        preferences_url="https://n.example/preferences/SECRET-TOKEN",
    )
    body = compiled.personalize(reader)
    for part in (body.html, body.text):
        assert part.count("SECRET-TOKEN") == 2  # the footer's two links, nowhere else
        assert "<!--nl:" not in part
        shown = part.replace("\u2060", "")
        assert "%%unsubscribe_url%%" in shown and "%%nope%%" in shown  # still printed as text
    assert "Acme" in body.html and "Acme" in body.text
    # Template syntax in data renders as text (the check for a template's own leftovers is
    # not set off by it).
    for part in (body.html, body.text):
        assert "{{ x }} {% if %} {# c #} {{{ Co" in part.replace("\u2060", "")
