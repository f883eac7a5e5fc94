"""The editor's voice: an optional Markdown note per week, in a safe subset, HTML and text.

``<[email] notes_dir>/YYYY-MM-DD.md`` (the week's Monday) is read when present, its size
checked before reading (``[email] max_note_bytes``), and rendered with markdown-it-py
(CommonMark) restricted to paragraphs, emphasis, lists and links:

- raw HTML is off (``html=False``): ``<script>`` or ``<b>`` in a note prints as text;
- invisible characters (:data:`newsletter.util.text.INVISIBLE`: bidi overrides,
  zero-width spaces...) are dropped, as from posting text;
- headings, code, block quotes, rules, tables and images are switched off (their Markdown
  prints as the text it is);
- a link is kept only when its target is ``http(s)://`` or ``mailto:``; any other target
  (``javascript:``, ``data:``, relative) leaves the whole link as plain text.
- in the HTML, a run of text with no break opportunity longer than
  :data:`~newsletter.util.text.RUN_MAX` (a pasted URL, a long word) gets invisible breaks, as
  a name from posting data does (:class:`newsletter.edition.render.Breakable`): Outlook
  would widen its table for it.

The plain-text part gets the same note as text: paragraphs, ``-`` or ``1.`` list items, and
each link as ``text (address)``. The issue places the note after the summary (section
``note``); templates print the HTML as it comes from here (markdown-it escapes every piece of
text; the render's guard still breaks ``%%`` and ``<!--nl:``).
"""

from __future__ import annotations

import re
import stat
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token as MdToken
from markupsafe import Markup

from newsletter.config import Config
from newsletter.errors import RenderError
from newsletter.util.text import INVISIBLE, break_long_runs
from newsletter.util.urls import web_url
from newsletter.util.weeks import monday_of

#: The block and inline rules a note may use (everything else is off).
ALLOWED_RULES = ("paragraph", "list", "emphasis", "link", "autolink", "newline", "escape")
_MAILTO = re.compile(r"^mailto:[^\s@]+@[^\s@]+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Note:
    """A rendered note: a safe HTML fragment and its plain-text twin."""

    html: Markup
    text: str


def _safe_link(url: str) -> bool:
    """A mailto: link, or an http(s) one that goes where it reads (:func:`web_url`)."""
    return bool(_MAILTO.match(url.strip())) or web_url(url) is not None


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable(
        [
            "table",
            "code",
            "fence",
            "blockquote",
            "hr",
            "heading",
            "lheading",
            "html_block",
            "reference",
            "backticks",
            "strikethrough",
            "image",
            "html_inline",
        ],
        ignoreInvalid=True,
    )
    md.validateLink = _safe_link  # type: ignore[method-assign]
    md.core.ruler.push("link_class", _link_class)
    return md


def _link_class(state: StateCore) -> None:
    """Links carry the palette's link class, so dark mode recolours them like every link."""
    for block in state.tokens:
        for t in block.children or []:
            if t.type == "link_open":
                t.attrSet("class", "c-link")


def render_note(markdown: str) -> Note | None:
    """The note as safe HTML and text; None when it holds nothing."""
    markdown = INVISIBLE.sub("", markdown)  # a bidi override would reorder what follows it
    if not markdown.strip():
        return None
    md = _parser()
    tokens = md.parse(markdown)
    text = _plain(tokens).strip()
    for block in tokens:  # the HTML's text (never a link's address) breaks like a name's
        for t in block.children or []:
            if t.type == "text":
                t.content = break_long_runs(t.content)
    html = md.renderer.render(tokens, md.options, {})
    return Note(Markup(html.strip()), text) if text else None


def _inline(children: list[MdToken]) -> str:
    out: list[str] = []
    href: list[str] = []
    start: list[int] = []
    for t in children:
        if t.type == "text":
            out.append(t.content)
        elif t.type == "softbreak":  # a line end inside a paragraph: the text part rewraps
            out.append(" ")
        elif t.type == "hardbreak":  # two trailing spaces or a backslash: a kept line break
            out.append("\n")
        elif t.type == "link_open":
            href.append(str(t.attrGet("href") or ""))
            start.append(len(out))
        elif t.type == "link_close" and href:
            url, at = href.pop(), start.pop()
            label = "".join(out[at:])
            shown = url.removeprefix("mailto:")
            if label.strip() not in (url, shown):
                out.append(f" ({shown})")
    return "".join(out)


def _plain(tokens: list[MdToken]) -> str:
    """Plain text of a parsed note: paragraphs apart, list items prefixed, links spelled out."""
    lines: list[str] = []
    lists: list[list[int]] = []  # per open list: [ordered?, next number]
    prefix = ""
    for t in tokens:
        if t.type == "bullet_list_open":
            lists.append([0, 0])
        elif t.type == "ordered_list_open":
            lists.append([1, int(t.attrGet("start") or 1)])
        elif t.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
            if not lists:
                lines.append("")
        elif t.type == "list_item_open" and lists:
            kind = lists[-1]
            indent = "  " * (len(lists) - 1)
            prefix = f"{indent}{kind[1]}. " if kind[0] else f"{indent}- "
            if kind[0]:
                kind[1] += 1
        elif t.type == "inline":
            body = _inline(t.children or [])
            pad = " " * len(prefix) if prefix else ""
            text = body.replace("\n", "\n" + pad)
            lines.append(prefix + text if prefix else text)
            prefix = ""
        elif t.type == "paragraph_close" and not lists:
            lines.append("")
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def note_path(config: Config, week: date) -> Path:
    """Where the note of ``week`` lives: ``<notes_dir>/YYYY-MM-DD.md`` (its Monday)."""
    return config.email.notes_dir / f"{monday_of(week).isoformat()}.md"


def read_note(config: Config, week: date) -> Note | None:
    """The week's note, or None when there is none. A note too large, unreadable or not
    UTF-8 is a RenderError naming the file (one line), checked before anything is sent."""
    path = note_path(config, week)
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise RenderError(f"cannot read the editor's note {path}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):  # a folder's size is no note's; a pipe blocks the read
        what = "a folder" if stat.S_ISDIR(info.st_mode) else "a pipe, socket or device"
        raise RenderError(f"the editor's note {path} is {what}, not a file")
    size, limit = info.st_size, config.email.max_note_bytes
    if size > limit:
        raise RenderError(
            f"the editor's note {path} is {size:,} bytes, over [email] max_note_bytes ({limit:,})"
        )
    try:
        raw = path.read_bytes()[: limit + 1].decode("utf-8")
    except UnicodeDecodeError:
        raise RenderError(f"the editor's note {path} is not UTF-8 text") from None
    except OSError as exc:
        raise RenderError(f"cannot read the editor's note {path}: {exc.strerror}") from None
    return render_note(raw)
