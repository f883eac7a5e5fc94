"""Render one issue: Signals -> view -> Jinja (MJML + text) -> HTML, compiled once.

:func:`compile_issue` renders and compiles the issue once (per variant: normal or quiet week)
into a :class:`CompiledIssue`; :meth:`CompiledIssue.personalize` then produces each
subscriber's HTML and text cheaply. :func:`render_issue` is the one-shot preview path.
The pre-send self-check of each body lives in :mod:`newsletter.edition.compliance`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from newsletter.config import Config
from newsletter.data.signals.models import Signals
from newsletter.edition.personalize import BodyTemplate, Markers, slot_tokens, slot_values
from newsletter.edition.render import compile_mjml, render_template
from newsletter.edition.view import IssueView, build_view
from newsletter.errors import RenderError
from newsletter.models import Preferences, Recipient

#: Gmail clips HTML above about 102 KB (hiding the footer and its unsubscribe link).
GMAIL_CLIP_BYTES = 102_000
PREVIEW_RECIPIENT_EMAIL = "preview@example.com"
_DEFAULT_PREFS = Preferences()


@dataclass(frozen=True, slots=True)
class RenderedIssue:
    subject: str
    html: str
    text: str
    preheader: str = ""


@dataclass(frozen=True, slots=True)
class CompiledIssue:
    """An issue compiled once; personalize it per subscriber with :meth:`personalize`."""

    view: IssueView
    html_template: BodyTemplate
    text_template: BodyTemplate
    base_url: str
    max_html_bytes: int

    @property
    def subject(self) -> str:
        return self.view.subject

    @property
    def subscribe_url(self) -> str:
        return f"{self.base_url}/subscribe"

    @property
    def archive_index_url(self) -> str:
        return f"{self.base_url}/archive/"

    def personalize(self, recipient: Recipient) -> RenderedIssue:
        """This subscriber's HTML and text: greeting, filtered rows, signed links."""
        return self._fill(recipient)

    def public(self) -> RenderedIssue:
        """The archive ("view in browser") version: no personal links, default rows."""
        return self._fill(None)

    def _fill(self, recipient: Recipient | None) -> RenderedIssue:
        prefs = recipient.preferences if recipient is not None else _DEFAULT_PREFS
        urls = {"subscribe_url": self.subscribe_url, "archive_index_url": self.archive_index_url}
        html = self.html_template.fill(prefs, slot_values(recipient, html_body=True, **urls))
        text = self.text_template.fill(prefs, slot_values(recipient, html_body=False, **urls))
        return RenderedIssue(self.view.subject, html, text, self.view.preheader)


def _context(view: IssueView) -> dict[str, object]:
    return {"view": view, "slots": slot_tokens(), "nl": Markers()}


def compile_issue(signals: Signals, config: Config) -> CompiledIssue:
    """Render the templates and compile the MJML once for this week's issue."""
    view = build_view(signals, config)
    override = config.email.templates_dir
    ctx = _context(view)
    mjml_source = render_template("issue.mjml.j2", ctx, override)
    html = compile_mjml(mjml_source, keep_comments=True)
    text = render_template("issue.txt.j2", ctx, override)
    issue = CompiledIssue(
        view=view,
        html_template=BodyTemplate.parse(html, escape=True),
        text_template=BodyTemplate.parse(_tidy_text(text), escape=False),
        base_url=config.newsletter.base_url,
        max_html_bytes=config.email.max_html_bytes,
    )
    check_size(issue.public().html, config.email.max_html_bytes)  # fail before any send
    return issue


def check_size(html: str, max_bytes: int) -> None:
    """Refuse HTML over the budget (Gmail clips at about 102 KB, hiding the footer)."""
    size = len(html.encode("utf-8"))
    if size > max_bytes:
        raise RenderError(
            f"rendered HTML is {size:,} bytes, over the {max_bytes:,}-byte budget "
            "(Gmail clips at about 102 KB); lower [email] top_n or drop a section"
        )


def _tidy_text(text: str) -> str:
    """At most one blank line in a row, no trailing spaces."""
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def preview_recipient(config: Config) -> Recipient:
    """A stand-in subscriber for previews (links marked as previews, not real tokens)."""
    base = config.newsletter.base_url
    return Recipient(
        subscriber_id=0,
        email=PREVIEW_RECIPIENT_EMAIL,
        name=None,
        unsubscribe_url=f"{base}/unsubscribe/preview",
        preferences_url=f"{base}/preferences/preview",
    )


def render_issue(
    signals: Signals, config: Config, recipient: Recipient | None = None
) -> RenderedIssue:
    """One issue for one reader (default: the preview stand-in), size-checked."""
    issue = compile_issue(signals, config).personalize(recipient or preview_recipient(config))
    check_size(issue.html, config.email.max_html_bytes)
    return issue
