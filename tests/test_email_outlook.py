"""Outlook for Windows, statically: the markup only Outlook reads (MJML's ``<!--[if mso]>``
blocks) fits its containers, and every bar is a table cell Outlook can draw."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from newsletter.config import Config
from newsletter.data.signals.models import Signals
from newsletter.edition.issue import template_context
from newsletter.edition.render import compile_mjml, render_template
from newsletter.edition.view import build_view
from newsletter.models import IssueContent
from tests.outlook_view import outlook_html, side_padding, width_problems

GOLDEN = Path(__file__).parent / "golden"


def test_outlook_widths_fit_their_containers(full_issue: IssueContent) -> None:
    for who in ("preview", "dana"):
        html = (GOLDEN / f"issue-{who}.html").read_text(encoding="utf-8")
        assert width_problems(html) == [], who
    assert width_problems(full_issue.html) == []  # every section on


def test_the_width_check_catches_mjmls_padding_shorthand_bug() -> None:
    """mjml-python ignores the side padding of a shorthand that starts with a unitless 0:
    its Outlook cell is 600px in a 560px section. The check sees it; with units it fits."""

    def section(padding: str) -> str:
        return compile_mjml(
            f'<mjml lang="en"><mj-body width="600px"><mj-section padding="{padding}">'
            "<mj-column><mj-text>x</mj-text></mj-column></mj-section></mj-body></mjml>"
        )

    assert any("600px wide in 560px" in p for p in width_problems(section("0 20px 16px")))
    assert width_problems(section("0px 20px 16px")) == []


@pytest.mark.parametrize(
    ("padding", "sides"),
    [("0 20px 16px", 40), ("4px", 8), ("1px 2px", 4), ("1px 2px 3px 5px", 7), ("0", 0)],
)
def test_side_padding_reads_css_shorthand(padding: str, sides: float) -> None:
    assert side_padding({"padding": padding}) == sides


def test_no_unitless_zero_leads_a_padding_shorthand(
    rich_signals: Signals, email_config: Config
) -> None:
    """The MJML source (templates rendered, before compiling) never hands mjml-python a
    padding it misreads."""
    source = render_template(
        "issue.mjml.j2", template_context(build_view(rich_signals, email_config))
    )
    paddings = re.findall(r'\bpadding="([^"]*)"', source)
    assert len(paddings) > 10
    bad = [p for p in paddings if any(re.fullmatch(r"\d+(\.\d+)?", part) for part in p.split())]
    assert bad == []


def test_bars_are_table_cells_with_width_and_bgcolor(full_issue: IssueContent) -> None:
    outlook = outlook_html(full_issue.html)
    # No div draws anything: Outlook 2007-2019 ignore a div's width and height.
    for div in re.findall(r"<div\b[^>]*>", outlook):
        style = re.search(r'style="([^"]*)"', div)
        if style and re.search(r"background", style.group(1)):
            assert not re.search(r"(?<!max-)width|height", style.group(1)), div
    cells = re.findall(r"<td\b[^>]*\bbgcolor=\"[^\"]+\"[^>]*>", outlook)
    # 3 sparklines x 8 weeks, 5 skill bars, 6 metro bars, 4 seniority segments
    assert len(cells) >= 24 + 5 + 6 + 4
    assert all(re.search(r'\bwidth="\d+%?"', c) and re.search(r'\bheight="\d+"', c) for c in cells)


def test_outlook_sets_the_text_in_a_font_windows_has(full_issue: IssueContent) -> None:
    """Outlook for Windows (Word) does not walk a font stack past a first font it does not
    know: the issue's ``-apple-system, 'Segoe UI', ...`` can come out in Times New Roman. A
    style only Outlook reads (``<!--[if mso]>``) names a Windows font first, with
    ``!important``, for every element that holds text."""
    html = full_issue.html
    stacks = re.findall(r"font-family:([^;\"]+)", outlook_html(html))
    assert "-apple-system" in {s.split(",")[0].strip(" '") for s in stacks}
    mso_only = "".join(re.findall(r"<!--\[if mso\]>(.*?)<!\[endif\]-->", html, re.S))
    rule = re.search(r"([^{}>]+)\{\s*font-family:\s*'Segoe UI'[^}]*!important", mso_only)
    assert rule, "no Outlook-only font rule"
    selectors = {s.strip() for s in rule.group(1).split(",")}
    body = html[html.index("<body") :]
    holders = {t.lower() for t in re.findall(r"<(td|th|div|p|a|span|li|h[1-6]|table)\b", body)}
    assert holders and holders <= selectors, holders - selectors
