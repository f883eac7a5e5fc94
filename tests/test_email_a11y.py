"""The issue's accessibility, read from its markup: what axe-core does not check.

Every chart's values are text (HTML and plain text); charts and arrows are hidden from screen
readers; data tables have header cells with scope; nothing shown at 600 px is hidden on a
phone; sections without data say why in one line; the plain text is wrapped at 78."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest
from selectolax.lexbor import LexborHTMLParser

from newsletter.config import Config
from newsletter.data.newroles import NewRoles
from newsletter.data.signals.models import Signals
from newsletter.edition.issue import compile_issue, render_issue
from newsletter.edition.plaintext import tidy, wrap_line
from newsletter.edition.view import build_view
from newsletter.models import IssueContent
from tests.readers_support import sample_note
from tests.test_email_render import DANA


@pytest.fixture
def html(full_issue: IssueContent) -> str:
    """The issue with every section on (the editor's note, new roles, the sponsor...)."""
    return full_issue.html


def test_no_presentation_table_carries_a_label(html: str) -> None:
    tree = LexborHTMLParser(html)
    for node in tree.css('[role="presentation"]'):
        assert not {"aria-label", "aria-labelledby"} & set(node.attributes), node.html[:120]


def test_data_tables_have_header_cells_with_scope(html: str) -> None:
    tree = LexborHTMLParser(html)
    data = [t for t in tree.css("table") if t.attributes.get("role", "table") == "table"]
    # pay by role and by seniority (role="table": they stack on a phone), highest-paying
    # roles, most-requested skills, who is hiring, remote share by seniority and by role, the
    # spotlight's facts (MJML's own tables are all presentational)
    assert len(data) == 8
    for table in data:
        heads = table.css("th")
        assert heads and all(th.attributes.get("scope") in ("col", "row") for th in heads)
        rows = table.css("tr")
        first = [c for c in rows[0].iter()]
        if all(c.tag == "th" for c in first):  # column headers, then rows with a row header
            assert all(c.attributes["scope"] == "col" for c in first)
            rows = rows[1:]
        body_rows = [r for r in rows if r.css_first("td")]
        assert body_rows and all(r.css_first("th[scope=row]") for r in body_rows)
    assert all(th.attributes.get("scope") for th in tree.css("th"))


def test_charts_are_hidden_from_screen_readers_with_values_as_text(
    html: str, rich_signals: Signals, email_config: Config
) -> None:
    tree = LexborHTMLParser(html)
    marks = tree.css("td[bgcolor]")
    assert len(marks) >= 24 + 5 + 6 + 4
    for cell in marks:  # every drawn mark sits in a chart table hidden from screen readers
        node = cell.parent
        while node is not None and node.attributes.get("aria-hidden") != "true":
            node = node.parent
        assert node is not None and node.tag == "table", cell.html
    text = tree.body.text() if tree.body else ""
    plain = render_issue(rich_signals, email_config).text
    view = build_view(rich_signals, email_config)
    assert len(view.sparks) == 3
    for spark in view.sparks:  # the eight weekly values of each sparkline, as text
        assert f"{spark.label}: {spark.series}" in text
        assert all(v in " ".join(plain.split()) for v in spark.values)
    assert view.trend_label in text and view.trend_label in plain
    assert view.mix is not None
    for seg in view.mix.segments:  # the stacked bar's legend carries every share
        assert f"{seg.name} {seg.share}" in text and f"{seg.name} {seg.share}" in plain


def test_arrow_and_swatch_glyphs_are_hidden_and_the_direction_is_in_words(
    html: str, rich_signals: Signals, email_config: Config
) -> None:
    tree = LexborHTMLParser(html)
    glyphs = [n for n in tree.css("span") if n.text(deep=False).strip() in ("▲", "▼", "■")]
    assert len(glyphs) == 3 + 4  # three KPI arrows, four legend swatches
    assert all(g.attributes.get("aria-hidden") == "true" for g in glyphs)
    plain = render_issue(rich_signals, email_config).text
    assert not re.search("[▲▼■]", plain)
    assert "Open roles:     26,159 · up +412 (+1.6%)" in plain
    assert "Remote share:   7.1% · down −0.3\u00a0pp" in plain


def test_nothing_is_hidden_on_a_phone(html: str) -> None:
    """The only display:none is MJML's preheader; no column disappears at any width."""
    hidden = re.findall(r"[^>]*display\s*:\s*none[^<]*", html)
    assert len(hidden) == 1 and "max-height:0" in hidden[0].replace(" ", "")
    styles = " ".join(re.findall(r"<style[^>]*>(.*?)</style>", html, re.S))
    assert "display:none" not in styles.replace(" ", "")
    tree = LexborHTMLParser(html)
    heads = [th.text().strip() for th in tree.css("th[scope=col]")]
    assert heads.count("Open") == 2  # both pay tables keep their Open column


def test_a_section_without_data_is_one_line_that_says_why(
    rich_signals: Signals, email_config: Config
) -> None:
    unpaid = {"median_pay": None, "p75_pay": None, "p90_pay": None, "n_pay": 0}
    no_pay = rich_signals.model_copy(
        update={
            "categories": [r.model_copy(update=unpaid) for r in rich_signals.categories],
            "metros": [],
        }
    )
    issue = render_issue(no_pay, email_config)
    text = LexborHTMLParser(issue.html).body.text()  # type: ignore[union-attr]
    assert "Pay tiers by role: no posting disclosed annual USD pay this week." in text
    assert "Top metros: no metro we track had 30 or more open roles this week" in text
    assert "— (n=0)" not in issue.text and "PAY TIERS BY ROLE: no posting disclosed" in issue.text
    assert "Pay tiers by seniority" in text and "$132k" in text  # the other table stays


def test_plain_text_is_wrapped_at_78_and_urls_are_whole(
    rich_signals: Signals, full_config: Config, rich_new_roles: NewRoles
) -> None:
    """Every section on (the editor's note, new roles picked for Dana, the sponsor...)."""
    compiled = compile_issue(
        rich_signals, full_config, new_roles=rich_new_roles, note=sample_note()
    )
    issue = compiled.personalize(DANA)
    assert all(t in issue.text for t in ("FROM THE EDITOR", "SPONSORED", "NEW ROLES FOR YOU"))
    lines = issue.text.splitlines()
    assert max(len(line) for line in lines if "http" not in line) <= 78
    urls = re.findall(r"https?://\S+", issue.text)
    assert DANA.unsubscribe_url in urls and DANA.preferences_url in urls
    assert "https://news.example.com/archive/2026-11-23.html" in urls
    assert all(len(line) <= 78 or re.search(r"https?://\S{20,}", line) for line in lines)


def test_wrapping_keeps_markers_out_of_the_count_and_indents_list_items() -> None:
    item = "- " + " ".join(["word"] * 30)
    marked = "<!--nl:row g metros 1 kx-->" + item + "<!--nl:end-->"
    out = wrap_line(marked)
    assert out[0].startswith("<!--nl:row g metros 1 kx-->- word") and out[-1].endswith("-->")
    visible = [re.sub(r"<!--nl:[^>]*-->", "", line) for line in out]
    assert all(len(line) <= 78 for line in visible) and len(out) == 2
    assert all(line.startswith("  word") for line in visible[1:])
    url = "https://news.example.com/" + "x" * 90
    assert wrap_line(f"See {url} now") == ["See", url, "now"]  # never broken
    assert tidy("a  \n\n\n\nb") == "a\n\nb\n"


def test_a_section_with_nothing_to_show_keeps_its_heading(email_config: Config) -> None:
    """Screen readers move through the issue by its headings: a collapsed section's title
    is an <h2> like any other, not bold text."""
    from tests.test_email_view import _minimal

    html = render_issue(_minimal(open=150, net_change=51), email_config).html
    tree = LexborHTMLParser(html)
    heads = {h.text().strip().rstrip(":") for h in tree.css("h2")}
    collapsed = ("Pay tiers by role", "Pay tiers by seniority", "Who is hiring", "Top metros",
                 "Seniority mix")  # fmt: skip
    assert set(collapsed) <= heads, set(collapsed) - heads
    assert "Pay tiers by role: no open posting has a role category this week." in " ".join(
        tree.body.text().split()  # type: ignore[union-attr]
    )


def test_the_kpi_tiles_have_a_heading_and_each_figure_its_own(
    html: str, full_issue: IssueContent, rich_signals: Signals, email_config: Config
) -> None:
    """A screen reader's list of headings went from the title (h1) straight past the four
    headline figures to the first section: the tiles had no heading and each label was a
    plain div. The tiles now sit under an h2 ("The week in numbers", as in the text part),
    each label an h3, and no heading level is skipped anywhere in the issue."""
    tree = LexborHTMLParser(html)
    heads = [(int(h.tag[1]), " ".join(h.text().split())) for h in tree.css("h1,h2,h3,h4,h5,h6")]
    labels = [k.label for k in build_view(rich_signals, email_config).kpis]
    at = heads.index((2, "The week in numbers"))
    assert heads[at + 1 : at + 1 + len(labels)] == [(3, label) for label in labels]
    levels = [level for level, _ in heads]
    assert levels[0] == 1 and all(b <= a + 1 for a, b in pairwise(levels))
    assert "THE WEEK IN NUMBERS" in full_issue.text
