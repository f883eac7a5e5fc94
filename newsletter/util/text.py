"""Untrusted text as one plain line, and the one list of characters no reader gets: control
and invisible formatting characters (bidi overrides, zero-width spaces...). Subscriber
names and values (``audience/sanitize.py``), posting text at ingest and every posting name
the issue prints use it."""

from __future__ import annotations

import re

#: Control and invisible formatting characters, except the whitespace ones (tab, CR, LF, FF,
#: VT, FS..US, NEL), which ``str.split`` turns into separators. ZWJ/ZWNJ (U+200C/D) stay:
#: several scripts and emoji need them. The body of a character class in Python's syntax;
#: :data:`INVISIBLE_RUST` is the same class for polars, without the surrogates (text in polars
#: is valid UTF-8, where they cannot occur).
INVISIBLE_CLASS = (
    "\\x00-\\x08\\x0e-\\x1b\\x7f-\\x84\\x86-\\x9f\\u00ad\\u061c\\u180e\\u200b\\u200e\\u200f"
    "\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb"
)
INVISIBLE = re.compile(f"[{INVISIBLE_CLASS}\\ud800-\\udfff]")
#: The same class in Rust regex syntax (``\x{...}`` escapes), for polars expressions.
INVISIBLE_RUST = "[" + re.sub(r"\\u([0-9a-f]{4})", r"\\x{\1}", INVISIBLE_CLASS) + "]"
#: Longest posting text an issue shows (a title, a company, a place): longer is cut with an
#: ellipsis (:func:`one_line`).
SHOWN_MAX = 120


def well_formed(text: str) -> str:
    """``text`` with every lone surrogate (a JSON ``"\\ud83d"`` cut from its pair, as boards
    that truncate emit) replaced by U+FFFD: such a string cannot be encoded as UTF-8, and one
    of them would fail the whole file or board it came in."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def clean_line(raw: str, limit: int) -> str:
    """``raw`` as one trimmed line of at most ``limit`` characters: invisible characters
    dropped, every run of whitespace one space."""
    if (  # the common case, already clean: printable ASCII, single spaces, no edge spaces
        len(raw) <= limit
        and raw.isascii()
        and raw.isprintable()
        and raw[:1] != " "
        and raw[-1:] != " "
        and "  " not in raw
    ):
        return raw
    text = raw[: limit * 4 + 64] if len(raw) > limit * 4 + 64 else raw  # bound the work
    text = " ".join(INVISIBLE.sub("", text).split())
    return text[:limit].rstrip() if len(text) > limit else text


def one_line(value: object, limit: int) -> str:
    """:func:`clean_line` for display: any value (None is empty), and text over ``limit``
    characters cut with an ellipsis."""
    text = clean_line(str(value or ""), limit + 1)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
