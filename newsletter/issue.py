"""Render one issue: Signals -> view -> Jinja (MJML + text) -> HTML."""

from __future__ import annotations

from dataclasses import dataclass

from newsletter.config import Config
from newsletter.errors import RenderError
from newsletter.render import compile_mjml, render_template
from newsletter.signals.models import Signals
from newsletter.view import build_view


@dataclass(frozen=True, slots=True)
class RenderedIssue:
    subject: str
    html: str
    text: str


def render_issue(signals: Signals, config: Config) -> RenderedIssue:
    view = build_view(signals, config)
    override = config.email.templates_dir
    mjml_source = render_template("issue.mjml.j2", {"view": view}, override)
    html = compile_mjml(mjml_source)
    size = len(html.encode("utf-8"))
    if size > config.email.max_html_bytes:
        raise RenderError(
            f"rendered HTML is {size:,} bytes, over the {config.email.max_html_bytes:,}-byte "
            "budget (Gmail clips at about 102 KB)"
        )
    text = render_template("issue.txt.j2", {"view": view}, override)
    return RenderedIssue(subject=view.subject, html=html, text=text)
