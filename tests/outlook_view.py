"""The issue as Outlook for Windows (the Word engine) lays it out, for static checks.

Outlook reads the ``<!--[if mso | IE]>…<![endif]-->`` blocks that MJML writes for it and skips
the ``<!--[if !mso]><!-->…<!--<![endif]-->`` ones. :func:`outlook_html` makes that view of a
compiled issue; :func:`width_problems` walks it and reports every element whose declared pixel
width does not fit the room its container leaves (the container's width less its side
padding), and every row whose cells' pixel widths add up to more than the row has. Word
ignores ``width`` on a ``div``, so a ``div`` takes its container's room.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

_NOT_MSO = re.compile(r"<!--\[if !mso[^\]]*\]><!-->.*?<!--<!\[endif\]-->", re.S)
_MSO_OPEN = re.compile(r"<!--\[if [^\]]*mso[^\]]*\]>")
_MSO_CLOSE = re.compile(r"<!\[endif\]-->")
_VOID = frozenset({"br", "img", "meta", "hr", "input", "link", "col", "wbr"})


def outlook_html(html: str) -> str:
    """The markup Outlook renders: its conditional blocks opened, the others dropped."""
    html = _NOT_MSO.sub("", html)
    html = _MSO_OPEN.sub("", html)
    return _MSO_CLOSE.sub("", html)


def _px(value: str) -> float | None:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(px)?\s*", value)
    return float(m.group(1)) if m else None


def _pct(value: str) -> float | None:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*%\s*", value)
    return float(m.group(1)) if m else None


def _style(attrs: dict[str, str]) -> dict[str, str]:
    out = {}
    for decl in attrs.get("style", "").split(";"):
        if ":" in decl:
            k, v = decl.split(":", 1)
            out[k.strip().lower()] = v.strip().removesuffix("!important").strip()
    return out


def side_padding(style: dict[str, str]) -> float:
    """Left plus right padding in px, as CSS reads the ``padding`` shorthand (1 to 4 values,
    a unitless 0 is 0) and ``padding-left`` / ``padding-right``."""
    left = right = 0.0
    if "padding" in style:
        parts = [_px(p) or 0.0 for p in style["padding"].split()]
        if len(parts) == 1:
            left = right = parts[0]
        elif len(parts) in (2, 3):
            left = right = parts[1]
        elif len(parts) == 4:
            right, left = parts[1], parts[3]
    if "padding-left" in style:
        left = _px(style["padding-left"]) or 0.0
    if "padding-right" in style:
        right = _px(style["padding-right"]) or 0.0
    return left + right


@dataclass
class _Frame:
    tag: str
    room: float | None  # the width its children may use
    cells: list[float] = field(default_factory=list)  # px widths of a row's cells


class _Walker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[_Frame] = [_Frame("#root", None)]
        self.problems: list[str] = []
        self.context = ""

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: v or "" for k, v in attrs_list}
        style = _style(attrs)
        parent = self.stack[-1]
        declared = style.get("width", attrs.get("width", "")) if tag != "div" else ""
        px, pct = _px(declared), _pct(declared)
        width = parent.room
        if px is not None:
            if parent.room is not None and px > parent.room + 0.5:
                self.problems.append(
                    f"<{tag}> is {px:g}px wide in {parent.room:g}px of room (near {self.context!r})"
                )
            width = px
        elif pct is not None and parent.room is not None:
            width = parent.room * pct / 100
        if tag in ("td", "th") and parent.tag == "tr" and px is not None:
            parent.cells.append(px)
        if tag in _VOID:
            return
        room = None if width is None else width - side_padding(style)
        self.stack.append(_Frame(tag, room))

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or not any(f.tag == tag for f in self.stack[1:]):
            return
        while True:
            frame = self.stack.pop()
            if frame.tag == "tr" and frame.room is not None and sum(frame.cells) > frame.room + 0.5:
                self.problems.append(
                    f"a row's cells add up to {sum(frame.cells):g}px in {frame.room:g}px "
                    f"(near {self.context!r})"
                )
            if frame.tag == tag:
                return

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.context = data.strip()[:40]


def width_problems(html: str) -> list[str]:
    """Every Outlook-only width that does not fit its container (empty when all fit)."""
    walker = _Walker()
    walker.feed(outlook_html(html))
    walker.close()
    return walker.problems
