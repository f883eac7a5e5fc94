"""Render one issue: Signals -> view -> Jinja (MJML + text) -> HTML, compiled once.

:func:`compile_issue` renders and compiles the issue once (per variant: normal or quiet week)
into a :class:`CompiledIssue`; :meth:`CompiledIssue.content` gives the variant of a preference
set (merge tags unfilled, for the send path) and :meth:`CompiledIssue.personalize` one
subscriber's HTML and text, cheaply. :func:`render_issue` is the one-shot preview path.

A reader's rows follow their picks, so a reader who picks many categories and metros gets a
longer issue than the public page. When that reader's variant would be over
``[email] max_html_bytes`` as sent (quoted-printable) once its merge tags are filled, the
reader gets the default variant (the rows everyone gets) instead: one reader's picks never
stop the send, and no message is clipped by Gmail. :attr:`CompiledIssue.oversize` names the
preference sets it happened to (the send logs them).
The pre-send self-check of each body lives in :mod:`newsletter.edition.compliance`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from markupsafe import Markup

from newsletter.config import Config
from newsletter.data.newroles import NewRoles
from newsletter.data.pipeline import WeekData, build_week
from newsletter.data.signals.models import Signals
from newsletter.edition import plaintext
from newsletter.edition.compliance import html_size_problem
from newsletter.edition.formatting import Formatter
from newsletter.edition.notes import Note, read_note
from newsletter.edition.palette import LIGHT, EmailCss, email_css
from newsletter.edition.palette import roles as palette_roles
from newsletter.edition.personalize import (
    Audience,
    BodyTemplate,
    Markers,
    merge_values,
    tag_context,
    variant_name,
)
from newsletter.edition.render import compile_mjml, render_template
from newsletter.edition.slots import RoleSlots
from newsletter.edition.view import IssueView, build_view
from newsletter.errors import RenderError
from newsletter.models import IssueContent, Preferences, Recipient

PREVIEW_RECIPIENT_EMAIL = "preview@example.com"
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CompiledIssue:
    """An issue compiled once; its variants, previews and public page are cheap from here."""

    view: IssueView
    html_template: BodyTemplate
    text_template: BodyTemplate
    signals: Signals
    max_html_bytes: int | None = None
    #: Rows per ranked list (``[email] top_n``, or fewer where the issue was over the cap).
    top_n: int = 0
    _variants: dict[Preferences, IssueContent] = field(default_factory=dict)
    _audiences: dict[Preferences, Preferences] = field(default_factory=dict)
    oversize: set[Preferences] = field(default_factory=set)

    @property
    def subject(self) -> str:
        return self.view.subject

    def content(self, prefs: Preferences) -> IssueContent:
        """The variant every reader with ``prefs`` gets: their rows, merge tags unfilled
        (the send path fills them per recipient). Cached per preference set."""
        cached = self._variants.get(prefs)
        if cached is None:
            audience = self.audience(prefs)
            cached = self._variants[prefs] = IssueContent(
                subject=self.view.subject,
                html=self.html_template.tagged(audience),
                text=self.text_template.tagged(audience),
                variant=variant_name(audience),
                preheader=self.view.preheader,
            )
        return cached

    def audience(self, prefs: Preferences) -> Preferences:
        """The preference set whose rows a reader with ``prefs`` gets: ``prefs`` itself, or
        the default when that variant would be over the size cap (see the module doc)."""
        chosen = self._audiences.get(prefs)
        if chosen is None:
            chosen = prefs
            tpl, cap = self.html_template, self.max_html_bytes
            # the quick bound first: only a variant over it is encoded and sized exactly
            if (
                cap is not None
                and not prefs.is_default
                and tpl.sent_size_bound(prefs, MERGE_VALUE_ALLOWANCE, quick=True) > cap
            ):
                size = tpl.sent_size_bound(prefs, MERGE_VALUE_ALLOWANCE)
                if size > cap:
                    chosen = _NO_PICKS
                    self.oversize.add(prefs)
                    log.warning(
                        "preference set %s: the issue would be up to %s bytes, over [email] "
                        "max_html_bytes (%s); those readers get the default rows",
                        variant_name(prefs),
                        f"{size:,}",
                        f"{cap:,}",
                    )
            if len(self._audiences) < 65536:
                self._audiences[prefs] = chosen
        return chosen

    @property
    def variant_count(self) -> int:
        """Variants built so far."""
        return len(self._variants)

    def personalize(self, recipient: Recipient) -> IssueContent:
        """This subscriber's HTML and text: greeting, filtered rows, their links."""
        audience = self.audience(recipient.preferences)
        return self._fill(audience, merge_values(recipient), "personal")

    def public(self) -> IssueContent:
        """The archive ("view in browser") version: no personal links, default rows."""
        return self._fill(None, merge_values(None), "public")

    def _fill(self, audience: Audience, values: dict[str, str], variant: str) -> IssueContent:
        return IssueContent(
            subject=self.view.subject,
            html=self.html_template.fill(audience, values),
            text=self.text_template.fill(audience, values),
            variant=variant,
            preheader=self.view.preheader,
        )


_NO_PICKS = Preferences()
# What a filled merge tag may add to a body, at most: a greeting with a 100-character name,
# or a signed link (base URL, route, id, key and signature) HTML-escaped.
MERGE_VALUE_ALLOWANCE = 400


def template_context(view: IssueView) -> dict[str, object]:
    return {
        "view": view,
        "tags": tag_context(),
        "nl": Markers(),
        "pal": palette_roles(LIGHT),
        "css": EmailCss(*(Markup(block) for block in email_css())),
    }


#: The fewest rows a ranked list is cut to when the issue is over the size cap.
MIN_TOP_N = 3


def compile_issue(
    signals: Signals,
    config: Config,
    *,
    new_roles: NewRoles | None = None,
    note: Note | None = None,
) -> CompiledIssue:
    """Render the templates and compile the MJML once for this week's issue.

    ``new_roles`` (the week's candidates) adds the "New roles for you" section, whose rows
    are picked per audience through slots; ``note`` is the editor's note.

    An issue over ``[email] max_html_bytes`` as sent (a week of long names, a long note) is
    compiled again with a row fewer in each ranked list (``[email] top_n``), down to
    :data:`MIN_TOP_N`, with a warning: a long week never stops the Monday send, and no
    reader's copy is clipped by Gmail. Over the cap even then, it is refused.
    """
    cap, top_n = config.email.max_html_bytes, config.email.top_n
    while True:
        email = config.email.model_copy(update={"top_n": top_n})
        issue = _compile(signals, config.model_copy(update={"email": email}), new_roles, note)
        problem = html_size_problem(issue.public().html, cap)
        if problem is None:
            break
        if top_n <= MIN_TOP_N:
            tried = f" with {top_n} rows per list" if top_n < config.email.top_n else ""
            raise RenderError(
                f"rendered {problem}{tried}; lower [email] top_n, drop a section or shorten "
                "the editor's note"
            )
        top_n -= 1
    if top_n < config.email.top_n:
        log.warning(
            "the issue was over [email] max_html_bytes (%s) with %s rows per ranked list: "
            "sent with %s",
            f"{cap:,}",
            config.email.top_n,
            top_n,
        )
    return issue


def _compile(
    signals: Signals, config: Config, new_roles: NewRoles | None, note: Note | None
) -> CompiledIssue:
    view = build_view(signals, config, new_roles=new_roles, note=note)
    override = config.email.templates_dir
    ctx = template_context(view)
    mjml_source = render_template("issue.mjml.j2", ctx, override)
    html = compile_mjml(mjml_source, keep_comments=True)
    text = render_template("issue.txt.j2", ctx, override)
    f = Formatter(config.newsletter.locale)
    roles = new_roles or NewRoles(week=signals.week)
    return CompiledIssue(
        view=view,
        html_template=BodyTemplate.parse(
            html, escape=True, slots=RoleSlots(roles, f, html=True, templates_dir=override)
        ),
        text_template=BodyTemplate.parse(
            plaintext.tidy(text),
            escape=False,
            slots=RoleSlots(roles, f, html=False, templates_dir=override),
        ),
        signals=signals,
        max_html_bytes=config.email.max_html_bytes,
        top_n=config.email.top_n,
    )


def compile_week(
    config: Config, week: date | None = None, snapshots_dir: Path | None = None
) -> CompiledIssue:
    """The week's issue from the snapshots: signals, new-role candidates and the editor's
    note (``[email] notes_dir``), compiled once."""
    return compile_data(config, build_week(config, week, snapshots_dir))


def compile_data(config: Config, data: WeekData) -> CompiledIssue:
    """The issue of a week's computed data (signals, new-role candidates) with the week's
    editor's note: :func:`compile_week` after its data step (the send facade records the two
    as separate steps)."""
    note = read_note(config, data.signals.week)
    return compile_issue(data.signals, config, new_roles=data.new_roles, note=note)


def check_size(html: str, max_bytes: int) -> None:
    """Refuse a rendered body over ``[email] max_html_bytes`` (the rule: compliance.py)."""
    problem = html_size_problem(html, max_bytes)
    if problem:
        raise RenderError(f"rendered {problem}; lower [email] top_n or drop a section")


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
) -> IssueContent:
    """One issue for one reader (default: the preview stand-in), size-checked."""
    issue = compile_issue(signals, config).personalize(recipient or preview_recipient(config))
    check_size(issue.html, config.email.max_html_bytes)
    return issue
