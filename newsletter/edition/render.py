"""The only Jinja environment, and Jinja -> MJML -> HTML compilation.

Templates are the package's bundled ``templates/`` (read through Jinja's package loader, so
an installed wheel finds them: :mod:`newsletter.util.resources`); an override folder from
``[email] templates_dir`` is searched first. MJML templates (``*.mjml.j2``) and HTML
templates (``*.html.j2``) are autoescaped; text templates (``*.txt.j2``) are not. Templates
only print values computed in Python (see ``newsletter.edition.view``); text that may hold
names from posting data is :class:`Breakable` (break opportunities in the HTML only).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.nodes import EvalContext
from markupsafe import Markup
from mjml import mjml2html

from newsletter.errors import RenderError
from newsletter.util.resources import PACKAGE, RESOURCES
from newsletter.util.text import FSI, INVISIBLE, PDI, ZWSP, break_long_runs, isolate_rtl

#: Every tag of the MJML 4 component list (mjml.io/documentation); anything else is a typo.
MJML_TAGS = frozenset(
    {
        "mjml", "mj-head", "mj-body", "mj-include", "mj-attributes", "mj-all", "mj-class",
        "mj-breakpoint", "mj-font", "mj-html-attributes", "mj-preview", "mj-style", "mj-title",
        "mj-accordion", "mj-accordion-element", "mj-accordion-title", "mj-accordion-text",
        "mj-button", "mj-carousel", "mj-carousel-image", "mj-column", "mj-divider", "mj-group",
        "mj-hero", "mj-image", "mj-navbar", "mj-navbar-link", "mj-raw", "mj-section",
        "mj-social", "mj-social-element", "mj-spacer", "mj-table", "mj-text", "mj-wrapper",
    }
)  # fmt: skip
_MJ_TAG_RE = re.compile(r"</?\s*(mj(?:ml|-[a-z0-9-]+))\b", re.IGNORECASE)
_LEFTOVER_RE = re.compile(r"\{\{|\{%|\{#")


class Token(Markup):
    """Template syntax the project itself prints: merge tags (``%%name%%``) and the
    personalization markers (``<!--nl:...-->``). Only these reach the output as written."""

    __slots__ = ()


class Breakable(str):
    """Text that may hold names from posting data (a company, a title, a skill, a metro, a
    sentence built around them), printed as text content: in the HTML it gets an invisible
    break opportunity (U+200B, :func:`newsletter.util.text.break_long_runs`) wherever a run
    with no space would be longer than :data:`~newsletter.util.text.RUN_MAX` characters.

    Why: a name with no space (``Senior_Machine_Learning_Engineer_-_...``, a 120-character
    token) cannot wrap; Gmail and Apple Mail honour ``overflow-wrap``/``word-break``, Outlook
    for Windows (Word's engine) does not, and such a name widens its table past the 600 px
    layout. Word breaks at U+200B (``<wbr>`` it does not reliably honour); screen readers
    skip it; text with no long run prints byte for byte as before. A right-to-left run
    (Hebrew, Arabic) is isolated too (:func:`newsletter.util.text.isolate_rtl`), so it never
    takes the figures after it into its direction; the plain-text templates print it with
    those isolates as well (but no breaks: :func:`_finalize`).

    Why a type (and not a filter): only the HTML's text content may get breaks; the same
    value printed in an attribute (an ``href``, a form ``value``, a ``style``) or in the
    plain-text part must not. The type carries that choice: ``__html__`` (what autoescape
    calls) adds the breaks, while ``str()`` (``==``, hashing, keys, URLs built from it) is the
    text unchanged, and any string operation returns a plain ``str``. The blocks of
    :mod:`newsletter.edition.blocks` and the sentences that print names
    (:class:`newsletter.edition.headline.Frag`, the health lines...) make their text fields
    Breakable (:func:`breakable`): one rule, applied where the view builds its values.
    A Breakable printed into an attribute would get the breaks too: the templates print none
    there (only addresses, colours, widths and classes, which stay plain ``str``).
    """

    __slots__ = ()

    def __html__(self) -> Markup:
        return Markup.escape(isolate_rtl(break_long_runs(str(self))))


def breakable(text: str) -> Breakable:
    """``text`` as :class:`Breakable` (as it is when it already is one)."""
    return text if isinstance(text, Breakable) else Breakable(text)


#: A word joiner: invisible, and breaks the two-character sequences below.
_JOINER = "\u2060"


#: The opening of Jinja syntax (``{{``, ``{%``, ``{#``): the joiner goes after its brace.
_JINJA_OPENING = re.compile(r"\{(?=[{%#])")


#: Control characters (C0 but tab, LF and CR; DEL; C1): no text shows them, and one of them
#: in an XML document (the MJML source) stops its parser.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

#: The invisible characters the render itself prints: :class:`Breakable`'s break
#: opportunities and isolates, and the joiner above. A macro's output (markup) comes back to
#: :func:`neutralize` with them, and keeps them; any other value loses every invisible one.
_OURS = frozenset((ZWSP, FSI, PDI, _JOINER))


def _unshown(match: re.Match[str]) -> str:
    return match[0] if match[0] in _OURS else ""


def _shown(value: str) -> str:
    text = _CONTROL.sub("", value)
    return INVISIBLE.sub(_unshown, text) if isinstance(value, Markup) else INVISIBLE.sub("", text)


def neutralize(value: Any) -> Any:
    """Jinja's ``finalize``: every printed value that is not a :class:`Token` loses its
    control characters and the invisible ones no reader gets
    (:data:`newsletter.util.text.INVISIBLE`: a bidi override in an editor's note or the
    config's sponsor text would reorder what follows it), and the power to look like a merge
    tag, a marker or template syntax (a posting titled ``%%unsubscribe_url%%``,
    ``<!--nl:end-->`` or a company named ``Acme {{ x }}`` is data, and prints as text with a
    word joiner inside; so the check for template syntax left in an issue's HTML
    (:func:`compile_mjml`) only ever finds a template's own)."""
    if isinstance(value, Token) or not isinstance(value, str):
        return value
    if not (value.isascii() and value.isprintable()):
        shown = _shown(value)
        if shown != value:
            value = _like(value, shown)
    if "%%" not in value and "<!--nl:" not in value and not _JINJA_OPENING.search(value):
        return value
    safe = value.replace("%%", f"%{_JOINER}%").replace("<!--nl:", f"<!-{_JOINER}-nl:")
    safe = _JINJA_OPENING.sub("{" + _JOINER, safe)
    return _like(value, safe)


@jinja2.pass_eval_context
def _finalize(eval_ctx: EvalContext, value: Any) -> Any:
    """Jinja's ``finalize``: :func:`neutralize`, and in a template that is not autoescaped
    (the plain-text part) a :class:`Breakable` printed with its right-to-left runs isolated
    (:func:`newsletter.util.text.isolate_rtl`), as its ``__html__`` prints them in the HTML:
    a text part reads ``- <Arabic company>: 12 roles`` in the order it was written too."""
    shown = neutralize(value)
    if isinstance(shown, Breakable) and not eval_ctx.autoescape:
        return isolate_rtl(str(shown))
    return shown


def _like(value: str, text: str) -> str:
    """``text`` as the same kind of string as ``value`` (Markup, Breakable or plain)."""
    if isinstance(value, Markup):
        return Markup(text)
    return Breakable(text) if isinstance(value, Breakable) else text


def _autoescape(name: str | None) -> bool:
    if name is None:
        return False
    return name.endswith((".mjml.j2", ".html.j2", ".mjml", ".html"))


@lru_cache(maxsize=8)
def jinja_env(override_dir: Path | None = None) -> jinja2.Environment:
    """Build (once per override folder) the project's Jinja environment."""
    try:
        bundled = jinja2.PackageLoader(PACKAGE, f"{RESOURCES}/templates")
    except ValueError:  # a broken install or build: the package lacks its templates
        raise RenderError(
            f"the templates are missing from the installed package ({PACKAGE}/{RESOURCES}/"
            "templates); reinstall it"
        ) from None
    loader: jinja2.BaseLoader = bundled
    if override_dir:
        loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(override_dir)), bundled])
    env = jinja2.Environment(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        autoescape=_autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    return env


def render_template(name: str, context: dict[str, Any], override_dir: Path | None = None) -> str:
    """Render one template; errors become a RenderError naming the template."""
    env = jinja_env(override_dir)
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateNotFound as exc:
        raise RenderError(f"template {exc.name} not found") from None
    except jinja2.UndefinedError as exc:
        raise RenderError(f"template {name}: {exc.message}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(f"template {exc.name}:{exc.lineno}: {exc.message}") from None


def check_mjml_tags(source: str) -> None:
    """Fail on any ``mj-`` tag not in the MJML component list (MRML accepts them silently)."""
    unknown = sorted({t.lower() for t in _MJ_TAG_RE.findall(source)} - MJML_TAGS)
    if unknown:
        raise RenderError(f"unknown MJML tag(s): {', '.join('<' + t + '>' for t in unknown)}")


def compile_mjml(source: str, *, keep_comments: bool = False) -> str:
    """Compile MJML to HTML with no external fonts; verify nothing unresolved survives.

    ``keep_comments`` keeps HTML comments (the personalization markers need them).
    """
    check_mjml_tags(source)
    try:
        html: str = mjml2html(source, disable_comments=not keep_comments, fonts={})
    except ValueError as exc:
        raise RenderError(f"MJML could not be compiled: {exc}") from None
    if re.search(r"<mj-|</mj-", html):
        raise RenderError("MJML output still contains <mj- tags")
    if _LEFTOVER_RE.search(html):
        raise RenderError("rendered HTML still contains Jinja syntax")
    return html
