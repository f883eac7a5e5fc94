"""Names with no space (a 120-character token, ``Senior_Machine_Learning_Engineer_-_...``)
get invisible break opportunities (U+200B) in the HTML's text, so Outlook for Windows, which
ignores ``overflow-wrap``, cannot be widened by one; the plain text, links and attributes keep
them as they are, and an issue without such a name is unchanged."""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser
from typing import Any

from markupsafe import escape

from newsletter.config import Config
from newsletter.data.newroles import new_roles
from newsletter.data.signals import models as m
from newsletter.data.signals.compute import compute_week
from newsletter.edition.issue import compile_issue, preview_recipient
from newsletter.edition.render import Breakable, neutralize
from newsletter.models import IssueContent
from newsletter.util.text import RUN_MAX, SHOWN_MAX, ZWSP, break_long_runs
from tests.conftest import frame
from tests.readers_support import PREV, WEEK, sample_postings


def token(stem: str) -> str:
    """A name of the longest length shown, with no space."""
    return (stem * SHOWN_MAX)[:SHOWN_MAX]


COMPANY = token("MegaCorpInternational")
TITLE = token("Senior_Machine_Learning_Engineer_-_Generative_AI_Platform_")
SKILL = token("x")
METRO = token("Llanfairpwllgwyngyll-")
CATEGORY = token("Data/ML/")
SOURCE = token("source.")
LONG_URL = "https://jobs.example.com/" + "p" * 200
NAMES = (COMPANY, TITLE, SKILL, METRO, CATEGORY, SOURCE)

#: Runs of text: what neither whitespace (but the no-break spaces) nor U+200B interrupts.
_BREAK = re.compile(r"\u200b|[^\S\u00a0\u2007\u202f]+")
_INLINE = frozenset({"a", "strong", "b", "em", "i", "span", "sup", "sub", "font", "u"})
_HIDDEN = frozenset({"head", "style", "script", "title"})


class _Text(HTMLParser):
    """The text a reader sees: inline elements join their text, others break it; the head
    and the hidden preheader are left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.stack: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        style = dict(attrs).get("style") or ""
        if tag in ("br", "img", "meta", "link", "hr", "wbr", "input"):
            self.parts.append("\n")
            return
        hides = tag in _HIDDEN or "display:none" in style.replace(" ", "")
        self.stack.append(hides)
        self.hidden += hides
        if tag not in _INLINE:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.stack:
            self.hidden -= self.stack.pop()
        if tag not in _INLINE:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "".join(parser.parts)


def longest_runs(text: str) -> list[str]:
    """The runs of ``text`` longer than :data:`RUN_MAX`."""
    return [r for r in _BREAK.split(text) if len(r) > RUN_MAX]


def hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', html)


def long_name_signals(s: m.Signals) -> m.Signals:
    """The rich fixture with a company, a skill, a metro, a category and a source named by
    tokens with no space, wherever the issue prints them (tables, bars, the spotlight, the
    headline, the data-health warnings and feed notes)."""
    spot = s.company_detail.spotlight
    assert spot is not None
    dh = s.data_health
    warning = m.HealthWarning(
        kind="company_drop",
        name=COMPANY,
        before=80,
        after=20,
        message=f"{COMPANY} lost 75% of its postings (80 to 20).",
        removed=60,
    )
    skills = s.skills.model_copy(
        update={
            "top": [s.skills.top[0].model_copy(update={"name": SKILL}), *s.skills.top[1:]],
            "rising": [s.skills.rising[0].model_copy(update={"name": SKILL}), *s.skills.rising[1:]],
        }
    )
    return s.model_copy(
        update={
            "companies": [s.companies[0].model_copy(update={"name": COMPANY}), *s.companies[1:]],
            "metros": [s.metros[0].model_copy(update={"name": METRO}), *s.metros[1:]],
            "categories": [
                s.categories[0].model_copy(update={"name": CATEGORY}),
                *s.categories[1:],
            ],
            "skills": skills,
            "company_detail": s.company_detail.model_copy(
                update={"spotlight": spot.model_copy(update={"name": COMPANY})}
            ),
            "data_health": dh.model_copy(
                update={
                    "warnings": [*dh.warnings, warning],
                    "source_kinds": {SOURCE: "new"},
                    "open_window_days": dh.open_window_days or 30,
                }
            ),
        }
    )


def long_name_roles() -> Any:
    """The sample week's new roles, one titled, placed and linked with a long token."""
    before, after = sample_postings()
    after = [
        p | {"title": TITLE, "metro": METRO, "location": METRO,
             "url": LONG_URL}
        if p["posting_id"] == "t:r1"
        else p
        for p in after
    ]  # fmt: skip
    result = compute_week(frame(after), frame(before), week=WEEK, previous_week=PREV)
    return new_roles(result.arrivals, week=WEEK, previous_week=PREV)


def long_name_issue(rich_signals: m.Signals, full_config: Config) -> IssueContent:
    issue = compile_issue(long_name_signals(rich_signals), full_config, new_roles=long_name_roles())
    return issue.personalize(preview_recipient(full_config))


# --- the rule ---------------------------------------------------------------------------------


def test_a_long_run_gets_breaks_at_most_run_max_apart_preferring_punctuation() -> None:
    name = "Senior_Machine_Learning_Engineer_-_Generative_AI_Platform_Infrastructure_Team"
    out = break_long_runs(name)
    assert out.replace(ZWSP, "") == name
    assert all(len(piece) <= RUN_MAX for piece in out.split(ZWSP))
    pieces = [p for p in out.split(ZWSP) if p]
    assert all(p.endswith(("_", "-")) for p in pieces[:-1])  # after a separator
    assert out.startswith(ZWSP) and out.endswith(ZWSP)  # a fragment beside it can't extend it
    assert [len(p) for p in break_long_runs("x" * 60).split(ZWSP) if p] == [24, 24, 12]
    assert break_long_runs(out) == out  # idempotent: U+200B is a break


def test_short_names_and_sentences_are_unchanged() -> None:
    sentence = "Data health: Acme lost 61% of its postings " * 5
    for text in ("Acme Corp", "Internationalization", "Smith & Wesson <AI>", "", "a" * RUN_MAX,
                 sentence, "4,102\u00a0· 4,150"):  # fmt: skip
        assert break_long_runs(text) is text


def test_breaks_never_split_a_grapheme_cluster() -> None:
    accents = "e\u0301" * 40  # e + combining acute
    flags = "\U0001f1fa\U0001f1f8" * 20  # 🇺🇸, two regional indicators each
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467" * 10  # ZWJ sequences
    for text in (accents, flags, family, "a" + flags):
        out = break_long_runs(text)
        assert out.replace(ZWSP, "") == text and ZWSP in out
        for i, ch in enumerate(out):
            if ch == ZWSP and 0 < i < len(out) - 1:
                assert not unicodedata.combining(out[i + 1])
                assert "\u200d" not in (out[i - 1], out[i + 1])
        for piece in out.split(ZWSP):  # flags stay whole: an even number of indicators
            assert sum("\U0001f1e6" <= c <= "\U0001f1ff" for c in piece) % 2 == 0


def test_breakable_adds_the_breaks_in_html_only() -> None:
    text = Breakable(f"{COMPANY} & co")
    assert str(text) == f"{COMPANY} & co" and ZWSP not in str(text)
    html = str(escape(text))
    assert ZWSP in html and "&amp; co" in html and html.replace(ZWSP, "") == escape(str(text))
    # the template guard keeps the type (a name like a merge tag still breaks)
    guarded = neutralize(Breakable("%%" + SKILL))
    assert isinstance(guarded, Breakable) and ZWSP in str(escape(guarded))


# --- the issue --------------------------------------------------------------------------------


def test_long_names_break_in_the_html_text_and_nowhere_else(
    rich_signals: m.Signals, full_config: Config, rich_new_roles: Any
) -> None:
    body = long_name_issue(rich_signals, full_config)
    shown = visible_text(body.html).replace(ZWSP, "")
    for name in NAMES:  # every name is printed (whole, once the breaks are taken out)
        assert name in shown, name
    assert TITLE in shown and METRO in shown
    assert longest_runs(visible_text(body.html)) == []
    # the plain-text part holds the names as they are
    assert ZWSP not in body.text
    for name in (COMPANY, TITLE, SKILL, CATEGORY, SOURCE):
        assert name in body.text.replace("\n", ""), name
    # links are untouched: the long posting URL whole, and the same links as a normal issue
    links = hrefs(body.html)
    assert LONG_URL in links and not any(ZWSP in h for h in links)
    normal = compile_issue(rich_signals, full_config, new_roles=rich_new_roles)
    normal_links = hrefs(normal.personalize(preview_recipient(full_config)).html)
    assert [h for h in links if h != LONG_URL] == [
        h for h in normal_links if not h.startswith("https://jobs.example.com/r1")
    ]
    # no attribute, style or comment holds a break: only text between tags does
    assert not re.search(r"<[^>]*\u200b[^>]*>", body.html)


def test_an_issue_without_long_names_has_no_break_added(full_issue: IssueContent) -> None:
    """The goldens (tests/test_email_render.py) hold the rich issue byte for byte; this says
    why they did not move: no name or sentence of it has a run longer than RUN_MAX."""
    assert ZWSP not in full_issue.html
    assert longest_runs(visible_text(full_issue.html)) == []


def test_the_editors_note_and_the_sponsors_words_break_like_names(
    rich_signals: m.Signals, full_config: Config
) -> None:
    """A pasted URL or a long word in the editor's note or the sponsor's text would widen
    Outlook's table as a long name did: it gets the same breaks, in the HTML's text only."""
    from newsletter.edition.notes import render_note

    url = "https://docs.example.com/" + "very-long-path-segment/" * 6 + "?utm_source=newsletter"
    word = token("Supercalifragilistic")
    note = render_note(f"Read <{url}> and [the report]({url}); {word}.\n\n- {word}\n")
    sponsor = full_config.email.sponsor.model_copy(update={"name": word, "text": f"Try {word}."})
    config = full_config.model_copy(
        update={"email": full_config.email.model_copy(update={"sponsor": sponsor})}
    )
    body = compile_issue(rich_signals, config, note=note).personalize(preview_recipient(config))
    assert longest_runs(visible_text(body.html)) == []
    assert url in hrefs(body.html) and not any(ZWSP in h for h in hrefs(body.html))
    assert ZWSP not in body.text and url in body.text and body.text.count(word) == 4
