"""Text normalisation shared by the rules (titles, locations, skills, identity keys)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping

import polars as pl
from selectolax.lexbor import LexborHTMLParser

from newsletter.data.ingest.markup import fast_round
from newsletter.util.text import INVISIBLE_RUST, SEPARATORS

#: An HTML character reference (``&amp;``, ``&#38;``, ``&#x26;``).
ENTITY_PATTERN = r"&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
#: Text that may hold markup: a tag or an entity. Only a gate before the parser, never a parser.
MARKUP_PATTERN = r"<[A-Za-z/!]|" + ENTITY_PATTERN
_MARKUP_RE = re.compile(MARKUP_PATTERN)
#: Elements that end a line of text.
_BLOCKS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
     "section", "article", "header", "footer", "blockquote", "pre", "hr", "dt", "dd", "dl"}
)  # fmt: skip
#: Elements whose content is never text for a reader (and is never run: nothing is).
_DROPPED = ["script", "style", "noscript", "template", "iframe", "object", "svg", "head"]
#: Greenhouse escapes its HTML (``&lt;p&gt;``), sometimes twice: parse until nothing changes,
#: at most this many times.
MAX_HTML_ROUNDS = 4
#: Characters that UTF-8 read as Windows-1252 starts with (``â€™``, ``Ã©``, ``Â ``): only
#: text holding one goes through ftfy (a gate, not a repair).
_MOJIBAKE_RE = re.compile("[\u00c2\u00c3\u00e2]")


def _fix_encoding(text: str) -> str:
    """ftfy's repair of double-encoded UTF-8. ftfy is imported on the first value the gate
    lets through (its import costs more than a small week's ingest; clean text never needs it)."""
    import ftfy

    return ftfy.fix_encoding(text)


#: Deepest nesting of elements read (descriptions nest a few levels, Word's HTML tens;
#: Chromium's parser builds no deeper than 512): the parser looks through the stack of open
#: elements at each block tag, so markup nested deeper costs time in the square of its depth
#: (100,000 nested ``<div>``, 1.1 MB, took 45 s), and even at this depth a block tag costs
#: about ten times one at the top.
MAX_HTML_DEPTH = 256
#: A start or end tag (``[^<>]``: one pass, whatever the text holds).
_TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)[^<>]*>")
#: Elements that never hold others open: void ones, and those whose end tag may be left
#: out, which the next of their kind closes (a list's items, paragraphs, table cells).
_UNNESTED = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
     "source", "track", "wbr", "p", "li", "dt", "dd", "option", "optgroup", "rb", "rp", "rt",
     "rtc", "tr", "td", "th", "thead", "tbody", "tfoot", "colgroup", "caption"}
)  # fmt: skip


def _shallow(markup: str) -> str:
    """``markup`` up to where its elements nest deeper than :data:`MAX_HTML_DEPTH`: the
    rest of a description so built is not read (real ones nest a few levels)."""
    if markup.count("<") <= MAX_HTML_DEPTH:  # too few tags to nest that deep
        return markup
    stack: list[str] = []  # the open elements, as the parser's end tags close them:
    held: dict[str, int] = {}  # an end tag closes its element and those opened after it,
    for tag in _TAG_RE.finditer(markup):  # one of no open element is ignored
        name = tag[2].lower()
        if name in _UNNESTED or tag[0].endswith("/>"):
            continue
        if not tag[1]:
            stack.append(name)
            held[name] = held.get(name, 0) + 1
            if len(stack) > MAX_HTML_DEPTH:
                return markup[: tag.start()]
        elif held.get(name):
            while (closed := stack.pop()) != name:
                held[closed] -= 1
            held[name] -= 1
    return markup


def _parse_text(markup: str) -> str:
    tree = LexborHTMLParser(_shallow(markup))
    tree.strip_tags(_DROPPED)
    if tree.root is None:
        return ""
    for node in tree.root.traverse():  # one walk (a CSS selector list is several)
        if node.tag in _BLOCKS:
            node.insert_after("\n")
    return tree.text(separator="")


def _tidy(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.splitlines())
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment, for descriptions from job boards and exports.

    Parsed with Lexbor (selectolax), never by regex: entities are decoded, scripts and
    styles dropped, block elements end lines. HTML that is itself escaped (Greenhouse's
    ``&lt;p&gt;``) is parsed again while the text still looks like markup, up to
    :data:`MAX_HTML_ROUNDS` times; mojibake from double-encoded UTF-8 (``â€™``) is repaired
    with ftfy. The result is text to read, never markup to render."""
    text = markup
    for _ in range(MAX_HTML_ROUNDS):
        if not _MARKUP_RE.search(text):
            break
        parsed = _parse_text(text)
        if parsed == text:
            break
        text = parsed
    if _MOJIBAKE_RE.search(text):
        text = _fix_encoding(text)
    return _tidy(text)


#: Horizontal whitespace and line breaks as Python's ``str.split`` and ``str.splitlines``
#: know them, as a space or a line feed (what :func:`_tidy` does per value, :func:`tidy`
#: does on a column).
_SPACES = "\t\x1f\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u202f\u205f\u3000"
_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_AS_SPACE_OR_LF = {"\r\n": "\n"} | dict.fromkeys(_SPACES, " ") | dict.fromkeys(_BREAKS, "\n")


def tidy(values: pl.Series) -> pl.Series:
    """:func:`_tidy` on a column: inner whitespace collapsed per line, at most one blank
    line in a row, no blank lines or spaces at either end."""
    lines = values.str.replace_many(_AS_SPACE_OR_LF, leftmost=True).str.replace_all(
        " *\n *\n[ \n]*", "\n\n"
    )
    # " *\n *" -> "\n" changes only a value with a space beside a line break (few: the
    # blank lines are done); the regex would match every line break of the others.
    padded = (
        lines.str.contains(" \n", literal=True) | lines.str.contains("\n ", literal=True)
    ).arg_true()
    if len(padded):
        lines = lines.scatter(padded, lines.gather(padded).str.replace_all(" *\n *", "\n"))
    return lines.str.replace_all("  +", " ").str.strip_chars(" \n")


def _parse_round(values: pl.Series) -> pl.Series:
    """One parse of each value: the polars fast path where the markup is simple
    (:func:`newsletter.data.ingest.markup.fast_round`), the parser elsewhere."""
    simple, text = fast_round(values)
    if simple.all():
        return text
    at = (~simple).arg_true()
    parsed = [_parse_text(v) for v in values.gather(at).to_list()]
    return text.scatter(at, pl.Series(parsed, dtype=pl.String))


#: Text made plain at once (bytes of a column's values): a round holds several copies of
#: what it converts (the gathered values, the parse, the scatter, the tidying: a batch of
#: 51k Greenhouse descriptions, 55 MB, took 480 MB more), so a batch of long descriptions is
#: converted a slice at a time. Each value's text does not depend on where slices end.
PLAIN_SLICE_BYTES = 8 * 1024 * 1024


def _plain_batch(values: pl.Series) -> pl.Series:
    """:func:`html_to_text` on the values holding markup, a slice of about
    :data:`PLAIN_SLICE_BYTES` at a time."""
    parts = -(-int(values.estimated_size()) // PLAIN_SLICE_BYTES)
    if parts <= 1:
        return _plain_slice(values)
    size = -(-len(values) // parts)
    return pl.concat([_plain_slice(values.slice(i, size)) for i in range(0, len(values), size)])


def _plain_slice(values: pl.Series) -> pl.Series:
    """:func:`html_to_text` on the values holding markup, a round at a time for all."""
    needs = values.str.contains(MARKUP_PATTERN).fill_null(False)
    if not needs.any():
        return values
    at = needs.arg_true()
    text = values.gather(at)
    active = pl.Series(values=[True] * len(text), dtype=pl.Boolean)
    for _ in range(MAX_HTML_ROUNDS):
        live = active & text.str.contains(MARKUP_PATTERN)
        if not live.any():
            break
        rows = live.arg_true()
        before = text.gather(rows)
        after = _parse_round(before)
        text = text.scatter(rows, after)
        active = live.scatter(rows, after != before)
    return values.clone().scatter(at, tidy(_fix_mojibake(text)))


def _fix_mojibake(values: pl.Series) -> pl.Series:
    """Double-encoded UTF-8 (``â€“``, ``MÃ¼nchen``) repaired by ftfy, only in the values the
    gate :data:`_MOJIBAKE_RE` lets through (ftfy leaves text that is not mojibake as it is)."""
    return _in_python(values, values.str.contains(_MOJIBAKE_RE.pattern), _fix_encoding)


def _in_python(values: pl.Series, needs: pl.Series, fix: Callable[[str], str]) -> pl.Series:
    """``values`` with ``fix`` applied, in Python, to those where ``needs`` holds (few)."""
    needs = needs.fill_null(False)
    if not needs.any():
        return values
    at = needs.arg_true()
    fixed = [fix(v) for v in values.gather(at).to_list()]
    return values.clone().scatter(at, pl.Series(fixed, dtype=pl.String))


def repaired(expr: pl.Expr) -> pl.Expr:
    """A one-line text column (title, company, place) with double-encoded UTF-8 repaired, as
    descriptions are (:func:`plain_text`)."""
    return expr.map_batches(_fix_mojibake, return_dtype=pl.String)


def plain_text(expr: pl.Expr) -> pl.Expr:
    """:func:`html_to_text` on the values of a text column that hold markup (others as they are)."""
    return expr.map_batches(_plain_batch, return_dtype=pl.String)


#: A run of whitespace as Python's ``str.split`` reads it (the split that
#: :func:`newsletter.util.text.clean_line` makes): the regex engine's ``\s`` (Unicode
#: White_Space) and the separators U+001C..U+001F (:data:`newsletter.util.text.SEPARATORS`),
#: which the list of invisible characters leaves to that split and ``\s`` does not know.
SPACES = rf"[\s{SEPARATORS}]+"
#: What :data:`SPACES` may replace: two spaces, or any whitespace but a space.
_SQUEEZABLE = [
    "  ", "\t", "\n", "\x0b", "\x0c", "\r", "\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\xa0",
    "\u1680", *map(chr, range(0x2000, 0x200B)), "\u2028", "\u2029", "\u202f", "\u205f",
    "\u3000",
]  # fmt: skip


def _unescape_batch(values: pl.Series) -> pl.Series:
    if not values.str.contains("&", literal=True).any():  # most batches: a byte scan, done
        return values
    return _in_python(values, values.str.contains(ENTITY_PATTERN), html.unescape)


def unescaped(expr: pl.Expr) -> pl.Expr:
    """A one-line text column with its HTML character references decoded once (a board's
    ``AT&amp;T Labs`` is AT&T Labs): only values holding one are
    decoded, in Python (they are few). Tags are :func:`untagged`'s."""
    return expr.map_batches(_unescape_batch, return_dtype=pl.String)


def only_where(expr: pl.Expr, needed: pl.Expr, step: Callable[[pl.Expr], pl.Expr]) -> pl.Expr:
    """``step(expr)`` where ``needed``, ``expr`` elsewhere: the step runs on the needed values
    only (the others are empty strings to it), where ``when/then`` would run it on every
    value. (Not nulls: polars' string kernels still read the text under a null, unless every
    value is null.)"""
    blanked = pl.when(needed).then(expr).otherwise(pl.lit(""))
    return pl.when(needed).then(step(blanked)).otherwise(expr)


#: A character other than printable ASCII and the whitespace ``\s`` knows: only values
#: holding one can hold an invisible character or a separator (the replacements run on those
#: alone).
_NOT_PLAIN = r"[^\x09-\x0d\x20-\x7e]"


def visible(expr: pl.Expr) -> pl.Expr:
    """``expr`` without invisible characters (:data:`newsletter.util.text.INVISIBLE_RUST`),
    each separator U+001C..U+001F a space (:data:`newsletter.util.text.SEPARATORS`: what
    ``clean_line`` makes of them), so none is stored in a title, a company or a place,
    whether its whitespace is squeezed afterwards (names) or not (places, whose line breaks
    part them)."""
    return only_where(
        expr,
        expr.str.contains(_NOT_PLAIN),
        lambda e: e.str.replace_all(INVISIBLE_RUST, "").str.replace_all(f"[{SEPARATORS}]", " "),
    )


def squeeze_spaces(expr: pl.Expr) -> pl.Expr:
    """``expr.str.replace_all(SPACES, " ")``, the regex run only on values that need it."""
    return only_where(
        expr, expr.str.contains_any(_SQUEEZABLE), lambda e: e.str.replace_all(SPACES, " ")
    )


#: An HTML tag of the elements a scraped title, company or place carries (``<b>Senior</b>``,
#: ``Austin,<br>TX``, ``&lt;span class="x"&gt;`` once decoded): any other ``<...>`` is text.
_NAME_TAG = (
    r"(?i)</?(?:a|abbr|b|big|br|div|em|font|h[1-6]|i|mark|p|small|span|strong|sub|sup|u)"
    r"(?:\s[^<>]*)?/?>"
)


def _untag_batch(values: pl.Series) -> pl.Series:
    tagged = values.str.contains("<", literal=True)
    if not tagged.any():  # most batches: a byte scan, done
        return values
    return (
        values.to_frame("v")
        .select(
            only_where(
                pl.col("v"),
                pl.lit(tagged),
                lambda e: e.str.replace_all(_NAME_TAG, " ").str.replace_all(SPACES, " "),
            )
        )
        .to_series()
        .alias(values.name)
    )


def untagged(expr: pl.Expr) -> pl.Expr:
    """A one-line text column without the HTML tags of :data:`_NAME_TAG` (each becomes a
    space, runs of spaces one): only values holding a ``<`` are searched, and only in
    batches that have one."""
    return expr.map_batches(_untag_batch, return_dtype=pl.String)


#: What a flag field says for yes (a remote flag, a "predicted" flag), trimmed and in any
#: case: ``true``, ``1`` (``1.0`` as a spreadsheet writes it), ``yes``, ``y``, ``t``.
YES_WORDS = ("true", "1", "1.0", "yes", "y", "t")


def says_yes(expr: pl.Expr) -> pl.Expr:
    """Whether a flag field says yes (:data:`YES_WORDS`); null stays null."""
    return expr.str.strip_chars().str.to_lowercase().is_in(YES_WORDS)


def blank_to_null(expr: pl.Expr) -> pl.Expr:
    """``expr`` stripped, null where nothing is left. (``replace`` of the one value ``""``
    costs about half of a ``when/then`` on the stripped text.)"""
    return expr.str.strip_chars().replace("", None)


#: A run of characters other than letters and digits that is not one space: what
#: :func:`words` makes one space. (Matching a single space too, the same replacement, would
#: make every gap between two words a match, and the regex engine's cost is per match.)
_NOT_ONE_SPACE = r" *[^\p{L}\p{N} ][^\p{L}\p{N}]*|  +"


def words(expr: pl.Expr) -> pl.Expr:
    r"""Casefold, keep letters and digits, single spaces: ``"Sr. ML-Eng (Remote)"`` ->
    ``"sr ml eng remote"``. (= ``replace_all(r"[^\p{L}\p{N}]+", " ")`` after lowercasing,
    then stripped.)"""
    return expr.str.to_lowercase().str.replace_all(_NOT_ONE_SPACE, " ").str.strip_chars()


#: A work mode glued to the word before or after it by a board's export: ``Sr Data
#: EngineerRemote``, ``Data Architect/Data ModelerRemote``, ``(RemoteOPPORTUNITY)`` (read as
#: the words ``engineerremote`` and ``remoteopportunity``: no category, no work mode). Only
#: the capitalised word after a lower-case letter, or before a capital, is cut off
#: (:func:`unglued`), so no word that merely holds the letters ("Remoted") is split.
_GLUED_MODE_RE = r"(\p{Ll})(Remote|Hybrid)|(Remote|Hybrid)(\p{Lu})"


def unglued(expr: pl.Expr) -> pl.Expr:
    """A title with a work mode glued to a word (:data:`_GLUED_MODE_RE`) spaced off it: the
    one reading for the title's rules and its work mode."""
    return expr.str.replace_all(_GLUED_MODE_RE, "${1}${3} ${2}${4}")


def norm_title(expr: pl.Expr, abbreviations: Mapping[str, str]) -> pl.Expr:
    """Title in the form the rules match: casefolded words (a work mode glued to one spaced
    off, :func:`unglued`), abbreviations expanded, padded with one space at each end so
    ``" senior "`` style tests need no look-around."""
    out = pl.lit(" ") + words(unglued(expr)) + pl.lit(" ")
    if abbreviations:
        # Each pattern carries its own spaces; two passes catch back-to-back abbreviations.
        pats = [f" {k} " for k in abbreviations]
        reps = [f" {v} " for v in abbreviations.values()]
        for _ in range(2):
            out = out.str.replace_many(pats, reps)
    return out
