"""A right-to-left name (a Hebrew or Arabic company, title or place) is isolated, in the HTML
and in the plain-text part alike: its direction never reorders the figures printed after it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from newsletter.config import Config
from newsletter.data.newroles import new_roles
from newsletter.data.signals.compute import compute_week
from newsletter.data.signals.models import Signals
from newsletter.edition.issue import compile_issue, preview_recipient
from newsletter.edition.render import Breakable
from tests.conftest import frame, posting
from tests.readers_support import PREV, WEEK

FSI, PDI = "\u2068", "\u2069"
BANK, CITY = "בנק לאומי", "תל אביב"


def test_an_rtl_run_is_isolated_when_printed() -> None:
    text = Breakable(f"{BANK} · {CITY} · $340k and Acme · {CITY} (12)")
    assert str(text) == f"{BANK} · {CITY} · $340k and Acme · {CITY} (12)"  # keys, links as is
    assert text.__html__() == (
        f"{FSI}{BANK} · {CITY}{PDI} · $340k and Acme · {FSI}{CITY}{PDI} (12)"
    )
    assert Breakable("Acme & Co").__html__() == "Acme &amp; Co"  # no RTL: as before


ARABIC = "شركة عربية"


def test_the_text_part_isolates_rtl_names_as_the_html_does(
    rich_signals: Signals, email_config: Config
) -> None:
    """In 'Acme · <Arabic company>: 12 roles' the bidi algorithm took the figures after an
    unisolated right-to-left name into its run (and an Arabic name first on a line made the
    whole line right-to-left); the text part now puts FSI/PDI around it, as the HTML does."""
    companies = list(rich_signals.companies)
    companies[0] = companies[0].model_copy(update={"name": ARABIC})
    categories = [
        c.model_copy(update={"name": BANK}) if c.name == "AI/ML Engineer" else c
        for c in rich_signals.categories
    ]
    signals = rich_signals.model_copy(update={"companies": companies, "categories": categories})
    issue = compile_issue(signals, email_config).personalize(preview_recipient(email_config))
    assert f"{FSI}{ARABIC}{PDI}" in issue.html
    line = next(x for x in issue.text.splitlines() if ARABIC in x)
    assert line.startswith(f"- {FSI}{ARABIC}{PDI}: Open roles "), line
    assert f"led by {FSI}{BANK}{PDI} (+342, +1.5%)." in issue.text  # the headline's names
    assert issue.text.count(FSI) == issue.text.count(PDI) > 0
    plain = rich_signals.model_copy()  # no right-to-left name: no isolate in either part
    text = compile_issue(plain, email_config).personalize(preview_recipient(email_config)).text
    assert FSI not in text and PDI not in text


PAY_RECTS = """() => { const li = [...document.querySelectorAll('li')]
  .find(e => e.textContent.includes('$340k'));
  const span = [...li.querySelectorAll('span')].find(s => s.textContent.includes('$340k'));
  const r = document.createRange(); r.selectNodeContents(span);
  const rects = [...r.getClientRects()];
  return [r.getBoundingClientRect().width, rects.reduce((a, x) => a + x.width, 0)]; }"""


@pytest.mark.browser
def test_the_pay_after_an_rtl_company_and_place_reads_as_one_figure(
    browser: Any, rich_signals: Signals, email_config: Config, tmp_path: Path
) -> None:
    """Without isolation the Hebrew place pulls the figure after it into its run: a phone
    showed '$340 · <place> · <company> k–$425k' (pay split around the names)."""
    row = posting(
        "h1", title="Data Scientist", company=BANK, location=CITY, metro=None, country="IL",
        fingerprint="fp-h1", posted_at=WEEK + timedelta(days=1), url="https://jobs.example/h1",
        currency="USD", salary_min=340_000.0, salary_max=425_000.0, salary_mid=382_500.0,
    )  # fmt: skip
    before = [posting("old", company="Old Co")]
    result = compute_week(frame([*before, row]), frame(before), week=WEEK, previous_week=PREV)
    roles = new_roles(result.arrivals, week=WEEK, previous_week=PREV)
    html = (
        compile_issue(rich_signals, email_config, new_roles=roles)
        .personalize(preview_recipient(email_config))
        .html
    )
    assert f"{FSI}{BANK} · {CITY}{PDI}" in html
    page_file = tmp_path / "issue.html"
    page_file.write_text(html, encoding="utf-8")
    page = browser.new_page(viewport={"width": 375, "height": 800})
    page.goto(page_file.as_uri())
    bounding, drawn = page.evaluate(PAY_RECTS)
    assert bounding - drawn < 2, f"the pay is split around the names: {bounding} > {drawn}"
    page.close()
