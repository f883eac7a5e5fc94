"""Rendered issue: golden files, nothing unresolved, size budget, escaping, compliance.

Regenerate the golden files after an intended change with
``NEWSLETTER_UPDATE_GOLDEN=1 pytest tests/test_email_render.py`` and review the diff.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from newsletter.config import Config
from newsletter.data.newroles import NewRoles
from newsletter.data.signals.models import CompanyRow, Signals
from newsletter.delivery.message import encoded_size
from newsletter.edition.compliance import body_problems
from newsletter.edition.issue import compile_issue, preview_recipient, render_issue
from newsletter.edition.render import compile_mjml, jinja_env, render_template
from newsletter.errors import RenderError
from newsletter.models import IssueContent, Preferences, Recipient
from tests.readers_support import sample_note

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("NEWSLETTER_UPDATE_GOLDEN") == "1"

DANA = Recipient(
    subscriber_id=7,
    email="dana@example.com",
    name="Dana Scully",
    preferences=Preferences(categories=("MLOps Engineer",), metros=("Austin", "Boston")),
    unsubscribe_url="https://news.example.com/unsubscribe/tok-u?x=1&y=2",
    preferences_url="https://news.example.com/preferences/tok-p",
)


def _golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"golden file {name} was missing and has been written; re-run")
    assert actual == path.read_text(encoding="utf-8"), (
        f"{name} differs from the golden file; if intended, regenerate with "
        "NEWSLETTER_UPDATE_GOLDEN=1"
    )


def full_issue(
    signals: Signals, config: Config, roles: NewRoles, who: Recipient | None = None
) -> IssueContent:
    """The issue with every section on: new roles, the editor's note, the sponsor."""
    issue = compile_issue(signals, config, new_roles=roles, note=sample_note())
    return issue.personalize(who or preview_recipient(config))


@pytest.mark.parametrize("who", ["preview", "dana"])
def test_golden_html_and_text(
    rich_signals: Signals, full_config: Config, rich_new_roles: NewRoles, who: str
) -> None:
    issue = full_issue(rich_signals, full_config, rich_new_roles, DANA if who == "dana" else None)
    _golden(f"issue-{who}.html", issue.html)
    _golden(f"issue-{who}.txt", issue.text)


def test_nothing_unresolved_survives(rich_signals: Signals, email_config: Config) -> None:
    issue = render_issue(rich_signals, email_config, DANA)
    for body in (issue.html, issue.text):
        assert not re.search(r"\{\{|\{%|\{#|#\}|%\}", body)
        assert "%%" not in body and "<!--nl:" not in body
    assert not re.search(r"</?mj-|<mjml", issue.html)
    assert '<html lang="en"' in issue.html
    assert "fonts.googleapis.com" not in issue.html and "<script" not in issue.html
    assert not re.search(r"<img|<svg", issue.html)  # bars are table cells
    assert issue.preheader and issue.preheader[:40] in issue.html


def test_unknown_mj_tag_fails_the_build() -> None:
    src = '<mjml lang="en"><mj-body><mj-section><mj-colum><mj-text>x</mj-text></mj-colum>'
    with pytest.raises(RenderError, match="mj-colum"):
        compile_mjml(src + "</mj-section></mj-body></mjml>")


def test_size_under_gmail_clip(
    rich_signals: Signals, email_config: Config, full_config: Config, rich_new_roles: NewRoles
) -> None:
    issue = full_issue(rich_signals, full_config, rich_new_roles)
    for title in ("From the editor", "Best-paid new roles", "Highest-paying roles",
                  "Most-requested skills", "Spotlight: Anthropic", "Remote share by role",
                  "SPONSORED"):  # fmt: skip
        assert title in issue.html, title
    assert encoded_size(issue.html) < 100_000  # as sent (quoted-printable)
    tight = email_config.model_copy(
        update={"email": email_config.email.model_copy(update={"max_html_bytes": 20_000})}
    )
    with pytest.raises(RenderError, match="over the 20,000-byte limit"):
        render_issue(rich_signals, tight)


def _with_email(config: Config, **update: int) -> Config:
    return config.model_copy(update={"email": config.email.model_copy(update=update)})


def test_an_issue_over_the_cap_is_sent_with_fewer_rows_not_refused(
    rich_signals: Signals,
    full_config: Config,
    rich_new_roles: NewRoles,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A week whose issue is over ``[email] max_html_bytes`` (long names, a long note) was
    refused at compile time, so the Monday send stopped; its ranked lists are cut a row at a
    time instead (down to three), with a warning, and it is refused only over the cap even
    then."""
    size = {
        n: encoded_size(
            compile_issue(rich_signals, _with_email(full_config, top_n=n), new_roles=rich_new_roles)
            .public()
            .html
        )
        for n in (3, 5, 8)
    }
    assert size[3] < size[5] < size[8]
    cap = (size[5] + size[8]) // 2
    caplog.set_level("WARNING")
    issue = compile_issue(
        rich_signals,
        _with_email(full_config, top_n=8, max_html_bytes=cap),
        new_roles=rich_new_roles,
    )
    assert 5 <= issue.top_n < 8
    assert encoded_size(issue.public().html) <= cap
    assert f"with 8 rows per ranked list: sent with {issue.top_n}" in caplog.text
    roomy = compile_issue(rich_signals, full_config, new_roles=rich_new_roles)
    assert roomy.top_n == full_config.email.top_n
    with pytest.raises(RenderError, match="with 3 rows per list; lower"):
        compile_issue(
            rich_signals,
            _with_email(full_config, top_n=8, max_html_bytes=size[3] - 1),
            new_roles=rich_new_roles,
        )


def test_autoescape_on_for_html_off_for_text(rich_signals: Signals, email_config: Config) -> None:
    env = jinja_env(None)
    assert env.autoescape("issue.mjml.j2") is True  # type: ignore[operator]
    assert env.autoescape("sections/pay.mjml.j2") is True  # type: ignore[operator]
    assert env.autoescape("archive/index.html.j2") is True  # type: ignore[operator]
    assert env.autoescape("issue.txt.j2") is False  # type: ignore[operator]
    evil = CompanyRow(name='<b onclick="x">Acme</b> & Co', open=9, open_prev=8, net=1)
    s = rich_signals.model_copy(update={"companies": [evil]})
    issue = render_issue(s, email_config)
    assert "&lt;b onclick=&#34;x&#34;&gt;Acme&lt;/b&gt; &amp; Co" in issue.html
    assert '<b onclick="x">' not in issue.html
    assert '<b onclick="x">Acme</b> & Co' in issue.text


def test_template_errors_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "broken.txt.j2").write_text("{{ view.nope }}")
    with pytest.raises(RenderError, match=r"broken\.txt\.j2"):
        render_template("broken.txt.j2", {"view": object()}, tmp_path)


def test_compliance_of_a_personalized_body(
    rich_signals: Signals, full_config: Config, rich_new_roles: NewRoles
) -> None:
    issue = full_issue(rich_signals, full_config, rich_new_roles, DANA)
    postal = full_config.newsletter.postal_address
    good = body_problems(
        issue.html,
        issue.text,
        unsubscribe_url=DANA.unsubscribe_url,
        postal_address=postal,
        max_html_bytes=100_000,
        preheader=issue.preheader,
    )
    assert good == []
    assert 10_000 < len(issue.html.encode()) < 100_000
    bad = body_problems(
        issue.html + '<script>x</script><img src="http://x/a.png">',
        "",
        unsubscribe_url="https://elsewhere.example/u",
        postal_address=postal,
        max_html_bytes=1_000,
    )
    joined = " | ".join(bad)
    expected = ("over the 1,000-byte limit", "HTML part has no unsubscribe link",
                "text part is missing", "<script>", "no absolute https src", "no alt")  # fmt: skip
    for part in expected:
        assert part in joined


def test_rendered_sections_follow_config_order_and_locale(
    rich_signals: Signals, email_config: Config
) -> None:
    cfg = email_config.model_copy(
        update={
            "email": email_config.email.model_copy(
                update={"sections": ("metros", "summary", "companies")}
            ),
            "newsletter": email_config.newsletter.model_copy(update={"locale": "de_DE"}),
        }
    )
    issue = render_issue(rich_signals, cfg)
    # the third summary sentence (the first two are also the preheader)
    marks = {issue.html: ("Top metros", "Who is hiring"), issue.text: ("TOP METROS", "WHO IS")}
    for body, (metros, hiring) in marks.items():
        order = [
            body.index(metros),
            body.index("Median posted pay of full-time roles is"),
            body.index(hiring),
        ]
        assert order == sorted(order)
    assert "Pay tiers" not in issue.html and "Rising skills" not in issue.html
    assert "Open roles rose 1,6\u00a0% to 26.159" in issue.text  # German number formats
