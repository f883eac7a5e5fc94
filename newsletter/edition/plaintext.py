"""The plain-text part's layout: tidy blank lines, and lines wrapped at 78 characters.

Lines are wrapped (RFC 5322 recommends at most 78 characters) rather than sent as
``format=flowed``: every client shows them as written. A URL is never broken; a line longer
than the limit holds one (it is moved to a line of its own when it does not fit). List items
(``- ``) and indented lines keep their indent on their continuation lines. Personalization
markers take no room: the width is measured without them, and they stay where they were.
"""

from __future__ import annotations

import re
import textwrap

from newsletter.edition.personalize import MARKER

WIDTH = 78
_LEADING = re.compile(rf"^(?:{MARKER})+")
_TRAILING = re.compile(rf"(?:{MARKER})+$")
_ANY = re.compile(MARKER)
_INDENT = re.compile(r"^( *)(- )?")


def wrap_line(line: str, width: int = WIDTH) -> list[str]:
    """One line as one or more lines of at most ``width`` characters (long URLs excepted)."""
    lead = _LEADING.match(line)
    head = lead.group(0) if lead else ""
    rest = line[len(head) :]
    trail = _TRAILING.search(rest)
    tail = trail.group(0) if trail else ""
    body = rest[: len(rest) - len(tail)]
    if len(body) <= width or _ANY.search(body):
        return [line]
    indent = _INDENT.match(body)
    spaces, bullet = (indent.group(1), indent.group(2) or "") if indent else ("", "")
    lines = textwrap.wrap(
        body,
        width,
        subsequent_indent=spaces + " " * len(bullet),
        break_long_words=False,
        break_on_hyphens=False,
    )
    lines[0], lines[-1] = head + lines[0], lines[-1] + tail
    return lines


def tidy(text: str, width: int = WIDTH) -> str:
    """At most one blank line in a row, no trailing spaces, lines wrapped at ``width``."""
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    return "\n".join(w for line in text.split("\n") for w in wrap_line(line, width))
