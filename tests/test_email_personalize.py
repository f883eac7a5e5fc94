"""Compile once, personalize per subscriber: greeting, filtered rows, links, escaping."""

from __future__ import annotations

import re

import pytest

from newsletter.config import Config
from newsletter.data.signals.models import Signals
from newsletter.edition.issue import CompiledIssue, compile_issue
from newsletter.edition.personalize import BodyTemplate
from newsletter.edition.view import build_view
from newsletter.errors import RenderError
from newsletter.models import Preferences, Recipient


def _who(name: str | None = None, **prefs: tuple[str, ...]) -> Recipient:
    return Recipient(
        subscriber_id=1,
        email="r@example.com",
        name=name,
        preferences=Preferences(**prefs),
        unsubscribe_url="https://news.example.com/unsubscribe/abc?x=1&y=2",
        preferences_url="https://news.example.com/preferences/def",
    )


@pytest.fixture
def compiled(rich_signals: Signals, email_config: Config) -> CompiledIssue:
    return compile_issue(rich_signals, email_config)


def _metro_rows(html: str) -> list[str]:
    names = ["Los Angeles", "New York", "San Francisco Bay Area", "Seattle", "Austin", "Boston"]
    return [n for n in names if f">{n}</td>" in html]


def test_default_reader_sees_top_rows(
    compiled: CompiledIssue, rich_signals: Signals, email_config: Config
) -> None:
    assert _metro_rows(compiled.personalize(_who()).html) == [
        "Los Angeles", "New York", "San Francisco Bay Area", "Seattle", "Austin", "Boston",
    ]  # fmt: skip
    small = email_config.model_copy(
        update={"email": email_config.email.model_copy(update={"top_n": 3})}
    )
    issue = compile_issue(rich_signals, small).personalize(_who())
    assert _metro_rows(issue.html) == ["Los Angeles", "New York", "San Francisco Bay Area"]
    assert "Filtered to your picks" not in issue.html
    # a pick outside the top 3 still shows for the reader who chose it
    assert _metro_rows(compile_issue(rich_signals, small).personalize(
        _who(metros=("Boston",))).html) == ["Boston"]  # fmt: skip


def test_preferences_filter_rows_in_html_and_text(compiled: CompiledIssue) -> None:
    issue = compiled.personalize(
        _who(metros=("boston", "Atlantis"), categories=("MLOps Engineer",))
    )
    assert _metro_rows(issue.html) == ["Boston"]  # case-insensitive; unknown picks ignored
    assert "- Boston: 388" in issue.text and "Los Angeles" not in issue.text
    pay = issue.html.split("Pay tiers by role")[1].split("Pay tiers by seniority")[0]
    assert ">MLOps Engineer</th>" in pay and ">AI/ML Engineer</th>" not in pay
    assert ">Mid</th>" in issue.html  # no seniority picks: every level stays
    # the two pay tables and the remote share by role (filtered by category)
    assert issue.html.count("Filtered to your picks") == 3
    remote = issue.html.split("Remote share by role")[1]
    assert ">MLOps Engineer</th>" in remote and ">Data Scientist</th>" not in remote
    assert "None of your picks" not in issue.html


def test_no_matching_pick_says_so(compiled: CompiledIssue) -> None:
    issue = compiled.personalize(_who(metros=("Atlantis",)))
    assert _metro_rows(issue.html) == []
    assert "None of your picks has postings this week." in issue.html
    assert "None of your picks has postings this week." in issue.text


def test_greeting_and_links_are_escaped_in_html_only(compiled: CompiledIssue) -> None:
    issue = compiled.personalize(_who(name="<Dana> & co"))
    assert "Hi &lt;Dana&gt;," in issue.html and "Hi <Dana>," in issue.text
    assert 'href="https://news.example.com/unsubscribe/abc?x=1&amp;y=2"' in issue.html
    assert "Unsubscribe: https://news.example.com/unsubscribe/abc?x=1&y=2" in issue.text
    assert compiled.personalize(_who()).text.count("Hello,") == 1
    for body in (issue.html, issue.text):
        assert "%%" not in body and "<!--nl:" not in body


def test_public_version_has_no_personal_links(compiled: CompiledIssue) -> None:
    page = compiled.public()
    assert "/unsubscribe/" not in page.html and "/preferences/" not in page.html
    assert 'href="https://news.example.com/subscribe"' in page.html
    assert 'href="https://news.example.com/archive/2026-11-23.html"' in page.html
    assert "Subscribe: https://news.example.com/subscribe\n" in page.text
    assert "All issues: https://news.example.com/archive/\n" in page.text
    assert "Unsubscribe" not in page.text and "%%" not in page.html + page.text


def test_only_a_subscribers_copy_says_they_subscribed(compiled: CompiledIssue) -> None:
    """The web archive's page (the public copy, beside its "Subscribe" link) told every
    visitor "You get this because you subscribed to AI Jobs Weekly."."""
    said = "You get this because you subscribed to AI Jobs Weekly."
    page, mine = compiled.public(), compiled.personalize(_who())
    for body in (page.html, page.text):
        assert "because you subscribed" not in body
        assert "the web copy of AI Jobs Weekly" in body
    for body in (mine.html, mine.text):
        assert said in body and "web copy" not in body


def test_a_variant_keeps_its_merge_tags_for_the_message_builder(compiled: CompiledIssue) -> None:
    variant = compiled.content(Preferences(metros=("Boston",)))
    assert variant.tags == {"greeting", "preferences_url", "unsubscribe_url"}
    assert variant is compiled.content(Preferences(metros=("Boston",)))  # cached
    filled = compiled.personalize(_who(metros=("Boston",)))
    assert (
        variant.html.replace("%%greeting%%", "Hello,")
        .replace("%%unsubscribe_url%%", "https://news.example.com/unsubscribe/abc?x=1&amp;y=2")
        .replace("%%preferences_url%%", "https://news.example.com/preferences/def")
        == filled.html
    )


def test_same_preferences_share_one_filtered_body(compiled: CompiledIssue) -> None:
    a = compiled.personalize(_who(name="Ann", metros=("Boston",)))
    b = compiled.personalize(_who(name="Bob", metros=("Boston",)))
    assert a.html.replace("Ann", "Bob") == b.html
    assert len(compiled.html_template._cache) == 2  # the default (public) one, and Boston


def test_broken_markers_are_refused() -> None:
    with pytest.raises(RenderError, match="never closed"):
        BodyTemplate.parse("a<!--nl:filtered metros-->b", escape=True)
    with pytest.raises(RenderError, match="without a start"):
        BodyTemplate.parse("a<!--nl:end-->", escape=True)
    with pytest.raises(RenderError, match="%%password%%, which looks like a merge tag"):
        BodyTemplate.parse("%%password%%", escape=True)
    with pytest.raises(RenderError, match="malformed personalization marker personal"):
        BodyTemplate.parse("<!--nl:personal x-->a<!--nl:end-->", escape=True)


def test_every_filtered_body_is_well_formed(compiled: CompiledIssue) -> None:
    issue = compiled.personalize(_who(metros=("Austin",), seniority=("senior",)))
    # Rows are removed whole: every table still closes what it opens.
    assert issue.html.count("<tr") == len(re.findall(r"</tr>", issue.html))
    assert issue.html.count("<table") == issue.html.count("</table>")


def test_a_tie_at_the_cut_of_a_ranked_list_is_said_not_hidden(
    rich_signals: Signals, email_config: Config
) -> None:
    """With 3 rows a list, a 4th company, metro, role or skill with the same printed number as
    the 3rd was left out by name order without a word; each list now says how many more tie
    (companies and skills count those past the signals' own cut too), and a filterable list
    says it only to the readers who see its top rows."""
    m, c, k = rich_signals.metros, rich_signals.categories, rich_signals.skills
    tied = rich_signals.model_copy(
        update={
            # 1,695 1,670 611 | 611 611 388: two metros tied with the third
            "metros": [
                *m[:2],
                m[3],
                m[3].model_copy(update={"name": "Denver"}),
                m[4].model_copy(update={"open": m[3].open}),
                m[5],
            ],
            # the 4th role (by open roles) has as many as the 3rd
            "categories": [*c[:3], c[3].model_copy(update={"open": c[2].open}), *c[4:]],
            "companies": [
                *rich_signals.companies[:3],
                rich_signals.companies[2].model_copy(update={"name": "Cohere"}),
            ],
            "company_detail": rich_signals.company_detail.model_copy(update={"top_tied": 2}),
            "skills": k.model_copy(
                update={"top": [*k.top[:3], k.top[3].model_copy(update={"postings": 9940})]}
            ),
        }
    )
    small = email_config.model_copy(
        update={"email": email_config.email.model_copy(update={"top_n": 3})}
    )
    compiled = compile_issue(tied, small)
    lines = {
        "companies": "3 more with 37 open roles each, not listed.",  # 1 listed + 2 past it
        "metros": "2 more with 611 open roles each, not listed.",
        "roles": f"1 more with {c[2].open:,} open roles, not listed.",
        "skills": "1 more with 9,940 postings, not listed.",
    }
    page = compiled.public()
    for line in lines.values():
        assert f">{line}</p>" in page.html and f"  {line}\n" in page.text
    reader = compiled.personalize(_who())
    assert all(line in reader.html and line in reader.text for line in lines.values())
    picked = compiled.personalize(_who(metros=("Boston",)))  # sees Boston, not the top 3
    assert lines["metros"] not in picked.html and lines["metros"] not in picked.text
    assert lines["companies"] in picked.html and lines["roles"] in picked.html
    untied = compile_issue(rich_signals, small).public()
    assert "not listed." not in untied.html and "not listed." not in untied.text
    # seniority levels come in their order (entry, mid, senior, leadership), not ranked: a
    # 3rd and 4th level alike are no tie at a cut
    levels = [r.model_copy(update={"open": 2354}) if r.name == "senior" else r
              for r in rich_signals.seniority]  # fmt: skip
    alike = tied.model_copy(update={"seniority": levels})
    assert [r.open for r in alike.seniority][2:] == [2354, 2354]
    assert build_view(alike, small).pay_tables[1].more == ""


def test_a_pay_tie_at_the_cut_compares_the_printed_medians(
    rich_signals: Signals, email_config: Config
) -> None:
    """Highest-paying roles lists 5: a 6th role whose median prints as the 5th's ("$212k",
    from $212,300 and $211,800) was left out without a word; it is now said, and two medians
    apart in print are not a tie."""
    cats = rich_signals.categories
    assert len(cats) >= 6
    pays = [260_000.0, 250_000.0, 240_000.0, 230_000.0, 212_300.0, 211_800.0]

    def with_pays(last: float) -> Signals:
        cs = [c.model_copy(update={"median_pay": p, "n_pay": max(c.n_pay, 40)})
              for c, p in zip(cats[:6], [*pays[:5], last], strict=True)]  # fmt: skip
        rest = [c.model_copy(update={"median_pay": None}) for c in cats[6:]]
        s = rich_signals.model_copy(update={"categories": [*cs, *rest]})
        ranks = [r.model_copy(update={"median": p}) for r, p in
                 zip(rich_signals.pay.top_categories[:5], pays[:5], strict=True)]  # fmt: skip
        return s.model_copy(update={"pay": s.pay.model_copy(update={"top_categories": ranks})})

    line = "1 more with a $212k median, not listed."
    page = compile_issue(with_pays(211_800.0), email_config).public()
    assert "$212k" in page.html
    assert f">{line}</p>" in page.html and f"  {line}\n" in page.text
    apart = compile_issue(with_pays(210_900.0), email_config).public()  # prints $211k
    assert "median, not listed." not in apart.html and "median, not listed." not in apart.text


def test_a_skill_move_past_the_cut_with_the_same_printed_z_is_said(
    rich_signals: Signals, email_config: Config
) -> None:
    """Rising skills is ranked by z and prints it to one decimal: a move past the cut whose z
    printed as the last's (3.24 and 3.21: "z = 3.2") was dropped without a word; it is now
    said, and a z apart in print (3.14: "z = 3.1") is not."""
    k = rich_signals.skills
    assert k.rising
    top_n = len(k.rising)
    last = k.rising[-1].z

    def past(z: float) -> Signals:
        skills = k.model_copy(update={"rising_past": [z]})
        return rich_signals.model_copy(update={"skills": skills})

    small = email_config.model_copy(
        update={"email": email_config.email.model_copy(update={"top_n": top_n})}
    )
    shown = f"z\u00a0=\u00a0{last:.1f}"
    line = f"1 more with {shown}, not listed."
    page = compile_issue(past(round(last, 1) - 0.04), small).public()
    assert f">{line}</p>" in page.html and f"  {line}\n" in page.text
    apart = compile_issue(past(round(last, 1) - 0.14), small).public()
    assert "not listed." not in apart.html and "not listed." not in apart.text
