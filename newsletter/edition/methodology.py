"""The methodology page of the web archive: ``docs/signals.md`` rendered to HTML.

The document ships inside the package (``newsletter/_resources/docs/signals.md``, mapped
from the repository's ``docs/`` at build time, like the templates), so an installed wheel
publishes it. It is the project's own text: rendered with markdown-it-py (CommonMark plus
tables), raw HTML still off (the generator's ``<!-- ... -->`` markers are dropped first),
and every heading given the anchor GitHub gives it, so the document's ``#section`` links work.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token as MdToken
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup

from newsletter.util.resources import bundled

SOURCE = "signals.md"
SCHEMA = "signals.schema.json"
METHODOLOGY_FILE = "methodology.html"
_MARKER = re.compile(r"^<!--.*-->\s*$", re.MULTILINE)


def slug(text: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    kept = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return kept.replace(" ", "-")


def _heading_open(
    self: RendererHTML, tokens: list[MdToken], idx: int, options: OptionsDict, env: EnvType
) -> str:
    inline = tokens[idx + 1]
    seen: dict[str, int] = env.setdefault("slugs", {})
    base = slug(
        "".join(c.content for c in inline.children or [] if c.type in ("text", "code_inline"))
    )
    n = seen.get(base, 0)
    seen[base] = n + 1
    tokens[idx].attrSet("id", base if n == 0 else f"{base}-{n}")
    return self.renderToken(tokens, idx, options, env)


def _scroller(label: str) -> str:
    """A wide table or code block scrolls on its own (a phone's page never does); the
    scrolling box takes the keyboard focus, so it can be scrolled without a mouse."""
    return f'<div class="scroll" tabindex="0" role="region" aria-label="{label}">'


def render_methodology(markdown: str) -> Markup:
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    md.add_render_rule("heading_open", _heading_open)
    html = md.render(_MARKER.sub("", markdown))
    # Raw HTML is off, so these tags in the output are markdown-it's own.
    html = html.replace("<table>", _scroller("Table") + "<table>").replace(
        "</table>", "</table></div>"
    )
    html = html.replace("<pre>", _scroller("Code") + "<pre>").replace("</pre>", "</pre></div>")
    return Markup(html)


def methodology_source() -> str:
    """The shipped docs/signals.md."""
    return (bundled("docs") / SOURCE).read_text(encoding="utf-8")


def schema_source() -> str:
    """The shipped docs/signals.schema.json."""
    return (bundled("docs") / SCHEMA).read_text(encoding="utf-8")
