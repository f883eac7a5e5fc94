"""The issue in a real headless Chromium at 375 and 600 px (skipped where none exists)."""

from __future__ import annotations

import dataclasses
import struct
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.models import IssueContent
from tests.conftest import REPO

pytestmark = pytest.mark.browser


MONEY_CELLS = """() => [...document.querySelectorAll('td, span, strong')]
  .filter(e => /^(· )?\\$[0-9][0-9,]*k?(–\\$[0-9][0-9,]*k?)?$/.test(e.textContent.trim()))
  .map(e => { const r = document.createRange(); r.selectNodeContents(e);
    const line = Math.max(...[...r.getClientRects()].map(x => x.height));
    const lines = Math.round(r.getBoundingClientRect().height / line);
    return [e.textContent.trim(), lines, r.getBoundingClientRect().height]; })"""
TILE_TOPS = """() => ['Open roles', 'New this week', 'Median pay', 'Remote share'].map(t =>
  [...document.querySelectorAll('h3')].find(d => d.textContent.trim() === t)
    .getBoundingClientRect().top)"""


SECTIONS = ("From the editor", "Best-paid new roles this week", "Highest-paying roles",
            "Most-requested skills", "Spotlight: Anthropic", "Remote share by seniority",
            "Remote share by role", "SPONSORED")  # fmt: skip


@pytest.fixture
def full_html(full_issue: IssueContent) -> str:
    """The issue with every section on (note, new roles, sponsor...)."""
    return full_issue.html


def open_without_scroll(browser: Any, html: str, tmp_path: Path, width: int) -> Any:
    """``html`` opened at ``width`` px (800 high), checked not to scroll sideways."""
    page_file = tmp_path / "issue.html"
    page_file.write_text(html, encoding="utf-8")
    page = browser.new_page(viewport={"width": width, "height": 800})
    page.goto(page_file.as_uri())
    scroll_width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner, f"horizontal scroll at {width}px: {scroll_width} > {inner}"
    return page


@pytest.mark.parametrize("width", [375, 600])
def test_reads_well_at_phone_and_desktop_width(
    browser: Any, full_html: str, tmp_path: Path, width: int
) -> None:
    html = full_html
    assert all(title in html for title in SECTIONS)  # every section is on the page
    page = open_without_scroll(browser, html, tmp_path, width)
    money = page.evaluate(MONEY_CELLS)
    assert len(money) > 20
    wrapped = [m for m in money if m[1] > 1 or m[2] > 30]  # one line of text
    assert not wrapped, f"money wraps at {width}px: {wrapped}"
    ranges = [m[0] for m in money if "–" in m[0]]
    assert len(ranges) >= 10  # pay ranges: new roles, CIs, the spotlight
    tops = page.evaluate(TILE_TOPS)
    assert tops[0] == tops[1] and tops[2] == tops[3] and tops[2] > tops[0]  # 2 x 2
    page.close()


def test_preview_screenshot_writes_pngs_at_both_widths(
    chromium: str, runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "p" / "issue.html"
    result = runner.invoke(
        app,
        ["preview", "--snapshots", str(REPO / "snapshots"), "--out", str(out), "--screenshot"],
    )
    assert result.exit_code == 0, result.output
    assert "screenshots skipped" not in result.output
    for name, width in [(f"issue-{w}{s}", w) for w in (375, 600) for s in ("", "-dark")]:
        assert f"{name}.png" in result.output.replace("\n", "")  # (rich wraps long paths)
        png = out.with_name(f"{name}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        w, h = struct.unpack(">II", png[16:24])
        assert w == width and h > 1000


@pytest.mark.parametrize("width", [375, 600])
def test_a_long_company_name_wraps_instead_of_widening_the_phone_layout(
    browser: Any, rich_signals: Any, full_config: Any, tmp_path: Path, width: int
) -> None:
    from newsletter.edition.issue import compile_issue, preview_recipient
    from newsletter.util.text import SHOWN_MAX

    long = "Mega" * 29 + "Co"  # one unbroken word of the longest length shown
    assert len(long) == SHOWN_MAX - 2
    rows = [rich_signals.companies[0].model_copy(update={"name": long})]
    detail = rich_signals.company_detail
    spot = detail.spotlight.model_copy(update={"name": long})
    s = rich_signals.model_copy(
        update={
            "companies": rows + rich_signals.companies[1:],
            "company_detail": detail.model_copy(update={"spotlight": spot}),
        }
    )
    html = compile_issue(s, full_config).personalize(preview_recipient(full_config)).html
    # the table, the spotlight's title and its paragraph (with break opportunities for Outlook)
    assert html.replace("\u200b", "").count(long) >= 3
    page = open_without_scroll(browser, html, tmp_path, width)
    page.close()


@pytest.mark.parametrize("width", [320, 375])
def test_a_source_drop_week_fits_a_phone(
    browser: Any, rich_signals: Any, full_config: Any, tmp_path: Path, width: int
) -> None:
    """The summary's drop clause ("280 of the removals came at once from source csv") wraps
    like any phrase: it was one unbreakable 455px run."""
    from newsletter.edition.issue import compile_issue, preview_recipient
    from tests.test_email_view import _source_drop_week

    s = _source_drop_week(rich_signals)
    html = compile_issue(s, full_config).personalize(preview_recipient(full_config)).html
    assert "of the removals came at once from source" in html
    page = open_without_scroll(browser, html, tmp_path, width)
    page.close()


#: Every visible text's font size: [px, tag, class, text], and whether it is a data cell.
FONT_SIZES = """() => { const out = []; const seen = new Set();
  const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (w.nextNode()) { const el = w.currentNode.parentElement;
    if (!w.currentNode.textContent.trim() || seen.has(el)) continue; seen.add(el);
    const r = el.getBoundingClientRect(); if (!r.width || !r.height) continue;
    if (el.closest('[aria-hidden="true"]') || el.closest('div[style*="display:none"]')) continue;
    out.push([parseFloat(getComputedStyle(el).fontSize), el.tagName, el.className,
              w.currentNode.textContent.trim().slice(0, 30), !!el.closest('.dt td')]); }
  return out; }"""


@pytest.mark.parametrize("width", [320, 375])
def test_phone_text_is_at_least_13px_and_table_data_14px(
    browser: Any, full_html: str, tmp_path: Path, width: int
) -> None:
    """Nothing a reader reads on a phone is smaller than 13px (notes, labels, the footer),
    table data stays 14px, and the page does not scroll sideways even at 320px."""
    page = open_without_scroll(browser, full_html, tmp_path, width)
    sizes = page.evaluate(FONT_SIZES)
    assert len(sizes) > 100
    small = [s for s in sizes if s[0] < 13]
    assert not small, f"text under 13px at {width}px: {small[:8]}"
    cells = [s for s in sizes if s[4] and s[1] == "TD"]
    assert len(cells) > 30
    assert all(s[0] >= 14 for s in cells), [s for s in cells if s[0] < 14][:8]
    page.close()


LINK_BOXES = """() => [...document.querySelectorAll('a')].map(a => {
  const r = a.getBoundingClientRect();
  return [a.textContent.trim(), Math.round(r.width), Math.round(r.height)]; })"""
#: The links that stand on their own (the footer, "change" after a filtered table, the new
#: roles' "Change your picks"/"Widen your picks"): a finger must hit them on a phone.
STANDALONE = {"View in browser", "How we measure", "Preferences", "Unsubscribe", "change",
              "Change your picks", "Widen your picks", "Subscribe", "All issues"}  # fmt: skip


@pytest.fixture
def compiled_full(rich_signals: Any, full_config: Any, rich_new_roles: Any) -> Any:
    from newsletter.edition.issue import compile_issue

    return compile_issue(rich_signals, full_config, new_roles=rich_new_roles)


@pytest.mark.parametrize("who", ["preview", "picks", "public"])
def test_standalone_links_are_44px_tap_targets_on_a_phone(
    browser: Any, compiled_full: Any, full_config: Any, tmp_path: Path, who: str
) -> None:
    """WCAG 2.5.5's 44 x 44 px at 375 px for every link that is not part of a sentence
    (the unsubscribe link first); links inside prose (the note's, the sponsor's) are exempt."""
    from newsletter.edition.issue import preview_recipient
    from newsletter.models import Preferences

    reader = preview_recipient(full_config)
    if who == "picks":
        picks = Preferences(categories=("AI Architect",), metros=("Boston",))
        reader = dataclasses.replace(reader, preferences=picks)
    body = compiled_full.public() if who == "public" else compiled_full.personalize(reader)
    page = open_without_scroll(browser, body.html, tmp_path, 375)
    boxes = [b for b in page.evaluate(LINK_BOXES) if b[0] in STANDALONE]
    assert len(boxes) >= 4 + (who == "picks")
    small = [b for b in boxes if b[1] < 44 or b[2] < 44]
    assert not small, f"tap targets under 44 x 44 px at 375 px: {small}"
    page.close()


#: Each held-back figure's "needs N" note: the number of lines its "needs N" spans.
NEEDS_LINES = """() => [...document.querySelectorAll('.dt .cn')]
  .filter(e => e.textContent.includes('needs')).map(e => {
    const t = e.firstChild; const i = t.textContent.indexOf('needs');
    const r = document.createRange(); r.setStart(t, i); r.setEnd(t, t.textContent.length);
    const tops = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
    return [e.textContent, tops.size]; })"""


@pytest.mark.parametrize("width", [320, 375, 600])
def test_a_held_back_figures_needs_n_stays_on_one_line(
    browser: Any, full_html: str, tmp_path: Path, width: int
) -> None:
    """A narrow pay column wraps a note between its parts ("n=22," / "needs 30"), never
    inside "needs 100" (a "10" / "0" on a phone reads as another figure)."""
    page = open_without_scroll(browser, full_html, tmp_path, width)
    notes = page.evaluate(NEEDS_LINES)
    assert len(notes) >= 3
    assert all(lines == 1 for _, lines in notes), notes
    page.close()


@pytest.mark.parametrize("width", [412, 414, 428])
def test_the_pay_tables_fit_the_large_phones_between_400_and_480px(
    browser: Any, full_html: str, tmp_path: Path, width: int
) -> None:
    """Between 400 and 480 px (a Pixel's 412, an iPhone Plus's 414 and Pro Max's 428) the
    held-back notes stayed beside their figures: the pay-by-role table grew wider than the
    screen and its role names shrank to a letter a line."""
    page = open_without_scroll(browser, full_html, tmp_path, width)
    page.close()


#: Each data table's row headers whose words break inside: [name, word].
WORDS_BROKEN = """() => { const out = [];
  for (const th of document.querySelectorAll('.dt th[scope="row"]')) {
    const t = th.firstChild; if (!t || t.nodeType !== Node.TEXT_NODE) continue;
    const re = /[^\\s\\u200b]+/g; let m;
    while ((m = re.exec(t.textContent)) !== null) {
      const r = document.createRange(); r.setStart(t, m.index); r.setEnd(t, m.index + m[0].length);
      const tops = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
      if (tops.size > 1) out.push([th.textContent, m[0]]); } }
  return out; }"""


#: Each data table cell whose content is wider than the cell: [text, content, cell width].
CELLS_OVERFLOWING = """() => [...document.querySelectorAll('.dt td, .dt th')]
  .filter(c => c.scrollWidth > c.clientWidth + 1)
  .map(c => [c.textContent.trim(), c.scrollWidth, c.clientWidth])"""


@pytest.mark.parametrize("width", [320, 360, 375, 390, 412, 428, 600])
def test_a_role_in_the_pay_tables_never_breaks_inside_a_word(
    browser: Any, full_html: str, tmp_path: Path, width: int
) -> None:
    """A phone's table layout gave the pay table's figures and notes all they asked and the
    role names what was left: "Engineerin" / "g Manager" at 375 to 428 px, and at 320 px a
    column 31 px wide, a few letters a line ("AI/" / "ML" / "Engi" / "neer"). At 400 px and
    under a pay table now gives each name a line of its own above its figures, which never
    overflow their cells."""
    page = open_without_scroll(browser, full_html, tmp_path, width)
    broken = page.evaluate(WORDS_BROKEN)
    assert not broken, f"words broken at {width}px: {broken}"
    assert not page.evaluate(CELLS_OVERFLOWING)
    page.close()


#: In each stacked table's row, the gap in px between a figure cell's text and the next's
#: (the text's own extent, not the cell's): [left text, right text, gap].
STACKED_GAPS = """() => { const out = [];
  const box = c => { const r = document.createRange(); r.selectNodeContents(c);
    const rs = [...r.getClientRects()]; return [Math.min(...rs.map(x => x.left)),
      Math.max(...rs.map(x => x.right))]; };
  for (const tr of document.querySelectorAll('.st tr')) {
    const tds = [...tr.querySelectorAll('td')];
    for (let i = 1; i < tds.length; i++) {
      const a = box(tds[i - 1]), b = box(tds[i]);
      if (Math.abs(tds[i - 1].getBoundingClientRect().top - tds[i].getBoundingClientRect().top) < 2)
        out.push([tds[i - 1].textContent.trim(), tds[i].textContent.trim(), b[0] - a[1]]); } }
  return out; }"""


@pytest.mark.parametrize("width", [320, 375])
def test_two_held_back_notes_side_by_side_in_a_stacked_pay_table_stay_apart(
    browser: Any, full_html: str, tmp_path: Path, width: int
) -> None:
    """At 320 px two held-back figures side by side in a stacked pay table read as one run,
    "needs 40  needs 100", about 4 px apart; each figure's text now keeps a clear gap from
    its neighbour's."""
    page = open_without_scroll(browser, full_html, tmp_path, width)
    gaps = page.evaluate(STACKED_GAPS)
    assert any("needs" in a and "needs" in b for a, b, _ in gaps), gaps
    near = [g for g in gaps if g[2] < 11.5]  # 12 px, less subpixel rounding
    assert not near, f"figures closer than 12 px at {width}px: {near}"
    page.close()
