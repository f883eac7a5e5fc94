"""What readers get: new roles picked per reader, the editor's note, the sponsor, the market
sections (issue 13), in the rendered HTML and text."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.config import Config, parse_config
from newsletter.data.newroles import NewRoles
from newsletter.data.signals.models import Signals
from newsletter.edition.issue import CompiledIssue, compile_issue, preview_recipient
from newsletter.edition.notes import read_note, render_note
from newsletter.errors import RenderError
from newsletter.models import Preferences, Recipient
from tests.conftest import REPO
from tests.readers_support import WEEK, sample_note


def _reader(**prefs: tuple[str, ...]) -> Recipient:
    return Recipient(
        subscriber_id=3,
        email="r@example.com",
        name="Robin",
        preferences=Preferences(**prefs),
        unsubscribe_url="https://news.example.com/unsubscribe/u",
        preferences_url="https://news.example.com/preferences/p",
    )


@pytest.fixture
def issue(rich_signals: Signals, full_config: Config, rich_new_roles: NewRoles) -> CompiledIssue:
    return compile_issue(rich_signals, full_config, new_roles=rich_new_roles, note=sample_note())


def _section(html: str, start: str, end: str = "</ul>") -> str:
    return html.split(start, 1)[1].split(end, 1)[0]


# --- new roles for you ---------------------------------------------------------------------


def _unwrapped(text: str) -> str:
    """The text part with its wrapped lines joined (it is wrapped at 78 characters)."""
    return re.sub(r" *\n *", " ", text)


def test_readers_get_the_new_roles_that_match_their_picks(issue: CompiledIssue) -> None:
    dana = issue.personalize(_reader(categories=("MLOps Engineer",), metros=("Austin", "Boston")))
    roles = _section(dana.html, "New roles for you")
    assert "MLOps Engineer</a>" in roles and "Harvey · Austin, TX" in roles
    assert "Platform Engineer, ML" in roles and "Anthropic" not in roles
    assert "NEW ROLES FOR YOU\n- MLOps Engineer · Harvey · Austin, TX · $150k–$190k" in dana.text
    remote = issue.personalize(_reader(metros=("Remote",)))
    assert "Senior Data Scientist, Growth" in _section(remote.html, "New roles for you")
    assert "Databricks · Remote - US" in remote.text


def test_readers_without_picks_and_the_public_page_get_the_best_paid(issue: CompiledIssue) -> None:
    for body in (issue.personalize(_reader()), issue.public()):
        roles = _section(body.html, "Best-paid new roles this week")
        # one per company (Anthropic's second posting is left out), best paid first, USD only
        assert roles.count("Anthropic") == 1 and "Zalando" not in roles
        assert roles.index("$340k–$425k") < roles.index("$190k–$250k")
        assert "New roles for you" not in body.html
    page = issue.public()
    assert "to get roles picked for your role, metro and seniority" in page.html
    assert "/preferences/" not in page.html and "Change your picks" not in page.html


def test_nothing_matching_says_so_with_a_link_to_the_picks(issue: CompiledIssue) -> None:
    body = issue.personalize(_reader(metros=("Atlantis",)))
    roles = _section(body.html, "New roles for you")
    assert "None of this week's new postings matches your picks." in roles
    assert 'href="https://news.example.com/preferences/p"' in roles
    assert "- None of this week's new postings matches your picks." in body.text


def test_posting_text_is_escaped_and_never_a_tag_or_a_script_link(issue: CompiledIssue) -> None:
    body = issue.personalize(_reader(categories=("MLOps Engineer",)))
    roles = _section(body.html, "New roles for you")
    assert "Smith &amp; Wesson &lt;AI&gt;" in roles and "<AI>" not in roles
    assert "javascript:" not in body.html + body.text
    assert "<strong>Platform Engineer, ML</strong>" in roles  # no link without a safe URL
    best = issue.personalize(_reader())
    assert "%%unsubscribe_url%%" not in best.html + best.text  # a title is never a merge tag
    assert "https://news.example.com/unsubscribe/u" in best.html  # the real link is still there
    assert "AI Engineer %\u2060%unsubscribe_url%\u2060%" in best.text


def test_picks_are_made_once_per_preference_set(issue: CompiledIssue) -> None:
    prefs = {"categories": ("MLOps Engineer",)}
    a, b = issue.personalize(_reader(**prefs)), issue.personalize(_reader(**prefs))
    assert a.html == b.html
    assert Preferences(**prefs) in issue.html_template._cache
    # the variant sent to every reader with these picks carries them, tags unfilled
    variant = issue.content(Preferences(**prefs))
    assert "Harvey · Austin, TX" in variant.html and "%%preferences_url%%" in variant.html


def test_no_new_roles_section_without_candidates(
    rich_signals: Signals, full_config: Config
) -> None:
    body = compile_issue(rich_signals, full_config).public()
    assert "Best-paid new roles" not in body.html and "NEW ROLES" not in body.text
    empty = compile_issue(rich_signals, full_config, new_roles=NewRoles(week=WEEK)).public()
    assert "Best-paid new roles" not in empty.html


# --- the editor's note ---------------------------------------------------------------------


def test_the_note_sits_after_the_summary_in_both_parts(issue: CompiledIssue) -> None:
    body = issue.personalize(_reader())
    html, text = body.html, body.text
    assert (
        html.index("Median posted pay of full-time roles is")
        < html.index("From the editor")
        < html.index(">Open roles<")
    )
    assert "<strong>Rust</strong> keeps climbing" in html
    assert '<a href="mailto:editor@example.com" class="c-link">tell us what you think</a>' in html
    assert (
        text.index("Median posted pay of full-time roles is")
        < text.index("FROM THE EDITOR")
        < text.index("THE WEEK IN NUMBERS")
    )
    assert "- New roles now come picked for you; tell us what you think (editor@example.com)." in (
        _unwrapped(text)
    )


def test_raw_html_and_script_links_in_a_note_are_neutralised() -> None:
    note = render_note(
        "Hi <script>alert(1)</script> <img src=x onerror=alert(1)> <b>bold</b>\n\n"
        "[click](javascript:alert(1)) [data](data:text/html;base64,xx) [rel](/x) "
        "[ok](https://ok.example/a?b=1&c=2) <javascript:alert(1)> %%unsubscribe_url%%\n\n"
        "# heading\n\n```\ncode\n```\n\n> quote\n"
    )
    assert note is not None
    html = str(note.html).replace("\u200b", "")  # a run over 24 characters gets a break
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "javascript:" not in html.replace("[click](javascript:alert(1))", "").replace(
        "&lt;javascript:alert(1)&gt;", ""
    )
    assert 'href="javascript' not in html and 'href="data' not in html and 'href="/x"' not in html
    assert '<a href="https://ok.example/a?b=1&amp;c=2" class="c-link">ok</a>' in html
    assert "<h1" not in html and "<pre" not in html and "<code" not in html
    assert "<blockquote" not in html
    assert "ok (https://ok.example/a?b=1&c=2)" in note.text


def test_a_note_link_reads_as_where_it_goes() -> None:
    """A note's http(s) link is held to what a browser reads, as a posting's is: no user
    name or password before the host (``https://bank.example@evil.example`` reads as the
    bank and goes to evil) and no backslash in its host part (a browser reads ``/``: the
    host is what precedes it). The site's own links, on a private host in development
    (the bundled note links to 127.0.0.1), are still links."""
    note = render_note(
        "[bank](https://www.bank.example@evil.example/login) "
        "[pw](https://user:pw@jobs.example.com/) [slash](https://ok.example\\@evil.example/) "
        "[own](http://127.0.0.1:8000/archive/methodology.html) [ok](https://ok.example/x)"
    )
    assert note is not None
    links = re.findall(r'href="([^"]*)"', str(note.html))
    assert links == ["http://127.0.0.1:8000/archive/methodology.html", "https://ok.example/x"]


def test_a_note_cannot_carry_a_merge_tag_into_the_issue(
    rich_signals: Signals, full_config: Config
) -> None:
    note = render_note("Unsubscribe here: %%unsubscribe_url%% <!--nl:end-->")
    body = compile_issue(rich_signals, full_config, note=note).personalize(_reader())
    assert "%%" not in body.html + body.text
    assert "Unsubscribe here: %\u2060%unsubscribe_url%\u2060% &lt;!--nl:end--&gt;" in body.html
    assert "Unsubscribe here: %\u2060%unsubscribe_url%\u2060% <!-\u2060-nl:end-->" in body.text


def test_reading_the_note_of_a_week(tmp_path: Path) -> None:
    cfg = parse_config({"email": {"notes_dir": str(tmp_path), "max_note_bytes": 200}})
    assert read_note(cfg, WEEK) is None
    (tmp_path / "2026-11-23.md").write_text("Hello *readers*.\n", encoding="utf-8")
    note = read_note(cfg, WEEK.replace(day=25))  # any day of the week
    assert note is not None and note.text == "Hello readers."
    (tmp_path / "2026-11-23.md").write_text("x" * 201, encoding="utf-8")
    with pytest.raises(RenderError, match=r"2026-11-23\.md is 201 bytes, over \[email\]"):
        read_note(cfg, WEEK)
    (tmp_path / "2026-11-23.md").write_bytes(b"\xff\xfe bad")
    with pytest.raises(RenderError, match="is not UTF-8 text"):
        read_note(cfg, WEEK)
    (tmp_path / "2026-11-23.md").write_text("  \n", encoding="utf-8")
    assert read_note(cfg, WEEK) is None


def test_a_note_that_is_no_file_is_named_as_such(tmp_path: Path) -> None:
    """A folder named as the week's note read "is 4,096 bytes, over [email] max_note_bytes"
    (a folder's size); a named pipe (size 0) blocked preview and send on its read."""
    cfg = parse_config({"email": {"notes_dir": str(tmp_path)}})
    path = tmp_path / "2026-11-23.md"
    path.mkdir()
    with pytest.raises(RenderError, match=r"2026-11-23\.md is a folder, not a file$"):
        read_note(cfg, WEEK)
    path.rmdir()
    os.mkfifo(path)
    with pytest.raises(RenderError, match=r"\.md is a pipe, socket or device, not a file$"):
        read_note(cfg, WEEK)


def test_preview_shows_the_note_and_the_new_roles(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "2026-11-23.md").write_text("Thanks for reading, **everyone**.\n", encoding="utf-8")
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[data]\nsnapshots_dir = "{REPO / "snapshots"}"\nstate_dir = "state"\n'
        f'[database]\nurl = "sqlite:///{tmp_path / "db.sqlite"}"\n'
        '[email]\nnotes_dir = "notes"\n',
        encoding="utf-8",
    )
    out = tmp_path / "p" / "issue.html"
    result = CliRunner().invoke(app, ["--config", str(cfg), "preview", "--out", str(out)])
    assert result.exit_code == 0, result.output
    html, text = out.read_text(encoding="utf-8"), out.with_suffix(".txt").read_text("utf-8")
    assert "Thanks for reading, <strong>everyone</strong>." in html
    assert "FROM THE EDITOR\nThanks for reading, everyone." in text
    assert "BEST-PAID NEW ROLES THIS WEEK\n- " in text


# --- sponsor, spotlight, market tables -----------------------------------------------------


def test_the_sponsor_is_marked_sponsored_and_only_there_when_configured(
    issue: CompiledIssue, rich_signals: Signals, email_config: Config
) -> None:
    body = issue.public()
    assert "SPONSORED</div>" in body.html
    assert 'href="https://acme.example/gpus?utm=nl&amp;x=1"' in body.html
    assert "SPONSORED: Acme Compute: GPU clusters by the hour." in body.text
    plain = compile_issue(rich_signals, email_config).public()
    assert "SPONSORED" not in plain.html + plain.text


def test_the_spotlight_paragraph_and_table(issue: CompiledIssue) -> None:
    text = _unwrapped(issue.public().text)
    assert (
        "Anthropic made the week's largest hiring move: 41 open roles, +9 (+28.1%) on last week "
        "(11 new, 2 removed). It hires most for AI/ML Engineer (19), Research Scientist (12) and "
        "AI Safety (6), in San Francisco Bay Area (22) and New York (9), with 6 remote. Its "
        "postings disclose $240k–$560k (median $355k, n\u00a0=\u00a038)."
    ) in text
    assert "- Pay range: $240k–$560k (n=38)" in text
    html = issue.public().html
    assert '<th scope="row" align="left"' in _section(html, "Spotlight: Anthropic", "</table>")


def test_the_spotlight_says_a_tie_picked_by_name(
    rich_signals: Signals, full_config: Config
) -> None:
    """A spotlight whose move another company matched, and whose third role and third place
    tie with more: "made the week's largest hiring move" and "It hires most for ... and AI
    Safety (6)" read as if no one else moved as much and AI Safety stood alone at 6."""
    spot = rich_signals.company_detail.spotlight
    assert spot is not None
    tied = spot.model_copy(update={"tied": 1, "categories_more": 2, "places_more": 1})
    detail = rich_signals.company_detail.model_copy(update={"spotlight": tied})
    body = compile_issue(rich_signals.model_copy(update={"company_detail": detail}), full_config)
    text = _unwrapped(body.public().text)
    assert (
        "Anthropic tied with 1 other company for the week's largest move: 41 open roles, +9 "
        "(+28.1%) on last week (11 new, 2 removed). It hires most for AI/ML Engineer (19), "
        "Research Scientist (12), AI Safety (6) and 2 more roles with 6 each, in San Francisco "
        "Bay Area (22), New York (9) and 1 more place with 6, with 6 remote."
    ) in text
    assert (
        "- Hires for: AI/ML Engineer 19, Research Scientist 12, AI Safety 6, 2 more with 6 each"
        in text
    )
    assert "- Where: San Francisco Bay Area 22, New York 9, Remote 6, 1 more with 6" in text
    html = _unwrapped(body.public().html)
    assert "tied with 1 other company for the week&#39;s largest move" in html.replace("’", "'")
    assert "AI Safety 6, 2 more with 6 each" in html


def test_market_tables_print_gates_and_calls(issue: CompiledIssue) -> None:
    text = issue.public().text
    assert "- AI Architect: Median $293k (n=38) · 95% CI $271k–$318k" in text
    assert "- Senior: Remote 10.0% (above) · 95% CI 9.2%–10.8%" in text
    assert "- Entry: Remote 4.0% (below) · 95% CI 3.3%–4.9%" in text
    html = issue.public().html
    ranks = _section(html, "Highest-paying roles", "</table>")
    assert '<th scope="col" align="left"' in ranks and ">Median</th>" in ranks
    # a remote share below its gate prints "—" with its n and the n it needs (for a reader
    # who picked it)
    mgr = issue.personalize(_reader(categories=("AI Engineering Manager",))).text
    assert "- AI Engineering Manager: Remote — (n=28, needs\u00a030) · 95% CI —" in mgr


def _every_pick(issue: CompiledIssue) -> Preferences:
    """The preference set that keeps every filterable row of the issue."""
    from urllib.parse import unquote

    from newsletter.edition.personalize import DIMS

    keys: dict[str, set[str]] = {d: set() for d in DIMS}
    for part in issue.html_template.parts:
        dim, key = getattr(part, "dim", ""), getattr(part, "key", "")
        if getattr(part, "kind", "") == "row" and dim in keys:
            keys[dim].add(unquote(key[1:]))
    return Preferences(**{d: tuple(sorted(v))[:50] for d, v in keys.items()})


def test_a_reader_whose_picks_would_pass_the_size_cap_gets_the_default_rows(
    rich_signals: Signals, full_config: Config, rich_new_roles: NewRoles
) -> None:
    from newsletter.delivery.message import encoded_size
    from newsletter.edition.compliance import check_content
    from newsletter.edition.issue import MERGE_VALUE_ALLOWANCE

    roomy = compile_issue(rich_signals, full_config, new_roles=rich_new_roles)
    every = _every_pick(roomy)

    def bound(prefs: Preferences) -> int:
        return roomy.html_template.sent_size_bound(prefs, MERGE_VALUE_ALLOWANCE)

    default, big = bound(Preferences()), bound(every)
    # the bound is one: the body filled with the longest values a tag may take, as sent
    # (quoted-printable), fits it; the decoded bound is exact
    longest = {"greeting": "x" * 400, "preferences_url": "y" * 400, "unsubscribe_url": "z" * 400}
    filled = roomy.html_template.fill(every, longest)
    assert encoded_size(filled) <= big
    assert len(filled.encode()) == roomy.html_template.size_bound(every, MERGE_VALUE_ALLOWANCE)
    worst = {k: "=é" * 133 for k in longest}  # every byte encoded as three
    assert encoded_size(roomy.html_template.fill(every, worst)) <= big
    assert big > default + 1_000  # picking everything makes a longer issue
    one = Preferences(categories=every.categories[:1])

    cap = (default + big) // 2
    email = full_config.email.model_copy(update={"max_html_bytes": cap})
    cfg = full_config.model_copy(update={"email": email})
    issue = compile_issue(rich_signals, cfg, new_roles=rich_new_roles)

    assert issue.content(every).html == issue.content(Preferences()).html
    assert issue.oversize == {every}
    check_content(issue.content(every), cfg)  # the send's pre-check passes: nothing stops
    everything = issue.personalize(_reader(**{d: getattr(every, d) for d in ("categories",
                                   "metros", "seniority")}))  # fmt: skip
    assert everything.html == issue.personalize(_reader()).html
    assert encoded_size(everything.html) <= cap
    # a reader with a few picks keeps their own rows
    assert issue.content(one).html != issue.content(Preferences()).html
    assert one not in issue.oversize

    # the quick bound (no encoding) only decides who is surely under the cap: a variant over
    # it but under the cap by the exact bound keeps its rows
    quick = roomy.html_template.sent_size_bound(every, MERGE_VALUE_ALLOWANCE, quick=True)
    assert quick > big
    email = full_config.email.model_copy(update={"max_html_bytes": big})
    at_cap = compile_issue(
        rich_signals, full_config.model_copy(update={"email": email}), new_roles=rich_new_roles
    )
    assert at_cap.content(every).html != at_cap.content(Preferences()).html
    assert at_cap.oversize == set()


def test_a_notes_soft_line_breaks_rewrap_in_the_text_part(
    rich_signals: Signals, email_config: Config
) -> None:
    """A line end inside a Markdown paragraph (a soft break) is a space: the text part
    rewraps the paragraph at 78 columns instead of keeping the editor's short lines; a
    hard break (two trailing spaces) stays a line break, in both parts."""
    words = "Hiring for platform roles kept its pace this week across most metros"
    note = render_note(f"{words}\nand the\nmedian held.  \nKept line.\n")
    assert note is not None
    assert note.text == f"{words} and the median held.\nKept line."
    html = str(note.html)
    assert (
        "median held.<br />\nKept line." in html
        and "<br />" not in html.split("median", maxsplit=1)[0]
    )
    issue = compile_issue(rich_signals, email_config, note=note)
    text = issue.personalize(preview_recipient(email_config)).text
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("Hiring for platform"))
    assert len(lines[at]) > 60 and "and the" in " ".join(lines[at : at + 2])
    assert "and the" not in [line.strip() for line in lines]  # no ragged short line
    assert "Kept line." in [line.strip() for line in lines]
