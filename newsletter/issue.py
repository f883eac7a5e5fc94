"""Render one issue: Signals -> view -> Jinja (MJML + text) -> HTML, compiled once.

:func:`compile_issue` renders and compiles the issue once (per variant: normal or quiet week)
into a :class:`CompiledIssue`; :meth:`CompiledIssue.personalize` then produces each
subscriber's HTML and text cheaply. :func:`render_issue` is the one-shot preview path.
:func:`compliance_report` is the pre-send self-check the delivery stage runs on each body.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass

from newsletter.config import Config
from newsletter.errors import RenderError
from newsletter.models import Preferences, Recipient
from newsletter.personalize import BodyTemplate, Markers, slot_tokens, slot_values
from newsletter.render import compile_mjml, render_template
from newsletter.signals.models import Signals
from newsletter.view import IssueView, build_view

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


@dataclass(frozen=True, slots=True)
class ComplianceReport:
    """What the pre-send self-check found in one message body (see the delivery guide §4)."""

    html_bytes: int
    max_html_bytes: int
    has_text: bool
    unsubscribe_in_html: bool
    unsubscribe_in_text: bool
    postal_address_present: bool
    preheader_present: bool
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


_FORBIDDEN = (
    ("fonts.googleapis.com", "links Google Fonts"),
    ("<mj-", "contains an uncompiled <mj- tag"),
    ("<!--nl:", "contains a personalization marker"),
    ("[[nl:", "contains an unfilled personalization slot"),
    ("<script", "contains <script>"),
    ("<form", "contains <form>"),
    ('src="data:', "contains an inline base64 image"),
)


def compliance_report(
    html: str,
    text: str,
    *,
    unsubscribe_url: str,
    postal_address: str,
    preheader: str = "",
    max_html_bytes: int = 100_000,
) -> ComplianceReport:
    """Check one body before sending: size, unsubscribe link in both parts, postal address.

    The delivery stage refuses to send when :attr:`ComplianceReport.ok` is false.
    """
    size = len(html.encode("utf-8"))
    problems: list[str] = []
    limit = min(max_html_bytes, GMAIL_CLIP_BYTES)
    if size > limit:
        problems.append(f"HTML is {size:,} bytes, over {limit:,} (Gmail clips the rest)")
    plain = html_lib.unescape(html)
    unsub_html = bool(unsubscribe_url) and unsubscribe_url in plain
    unsub_text = bool(unsubscribe_url) and unsubscribe_url in text
    if not unsubscribe_url:
        problems.append("no unsubscribe URL")
    else:
        if not unsub_html:
            problems.append("unsubscribe link missing from the HTML part")
        if not unsub_text:
            problems.append("unsubscribe link missing from the text part")
    address = postal_address.strip()
    has_address = bool(address) and address in plain and address in text
    if not has_address:
        problems.append("postal address missing ([newsletter] postal_address)")
    has_preheader = bool(preheader) and preheader in plain
    if preheader and not has_preheader:
        problems.append("preheader missing from the HTML")
    if not text.strip():
        problems.append("text part is empty")
    problems.extend(f"HTML {why}" for needle, why in _FORBIDDEN if needle in html)
    for img in re.findall(r"<img\b[^>]*>", html, flags=re.IGNORECASE):
        if not all(re.search(rf"\s{a}=", img) for a in ("alt", "width")) or not re.search(
            r'\ssrc="https://', img
        ):
            problems.append(f"HTML image without alt, width or an https src: {img[:80]}")
    return ComplianceReport(
        html_bytes=size,
        max_html_bytes=limit,
        has_text=bool(text.strip()),
        unsubscribe_in_html=unsub_html,
        unsubscribe_in_text=unsub_text,
        postal_address_present=has_address,
        preheader_present=has_preheader,
        problems=tuple(problems),
    )
