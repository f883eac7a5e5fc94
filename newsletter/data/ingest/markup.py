"""HTML to text with polars string kernels, for markup whose parse needs no parser.

Most descriptions from job boards are rich-text-editor HTML: paragraphs, headings, lists,
``<strong>``, links, ``&nbsp;``. For such markup the HTML parse tree is exactly what the
tags say, so its text (the text of :func:`newsletter.data.ingest.text.html_to_text`'s
parse) is the markup with every tag removed, a line break after every block element and
every character reference decoded. :func:`fast_round` does one such round on a whole column
and says, per value, whether the value is *simple* enough for it to be exact:

- characters: no C0 controls other than tab, line feed and carriage return (the parser
  drops NUL), no byte order mark;
- tags: every ``<`` that starts a tag (``<`` + a letter, ``/``, ``!`` or ``?``) starts a
  well-formed start or end tag (``<name attr="v" ...>``, no ``<`` in attribute values)
  whose name is on :data:`INLINE` or :data:`BLOCKS` (no comments, tables, scripts, forms,
  ``<pre>``: where the parser moves, drops or re-parents text);
- block structure: every block element is closed by its own end tag, elements nest properly,
  ``<p>`` and headings hold no block, ``<li>``/``<dt>``/``<dd>`` sit directly in a list
  and lists hold only those: the cases where the HTML parser closes nothing implicitly
  (checked by reducing the sequence of block tags, innermost first, :func:`_blocks_ok`);
- references: every ``&`` followed by a letter, digit or ``#`` starts a reference of
  :data:`REFERENCES` (the HTML5 named references with their semicolon, and the common
  numeric ones), so none depends on the parser's legacy rules (``&amp`` without ``;``).

Values that are not simple go to the parser. The equality of both paths on simple values is
tested against the parser on generated and real markup (tests/test_ingest_markup.py).
"""

from __future__ import annotations

import html.entities

import polars as pl

#: Block elements: a line ends after each (newsletter.data.ingest.text._BLOCKS less the
#: elements with special parsing: tables and ``<pre>``), with the one-letter codes of their
#: start and end tags in the reduced block sequence. Headings share one pair: the parser
#: closes any open heading at the end tag of any heading (``<h2>x</h3>`` is ``<h2>x</h2>``).
BLOCKS: dict[str, str] = {
    "p": "pP", "h1": "aA", "h2": "aA", "h3": "aA", "h4": "aA", "h5": "aA", "h6": "aA",
    "li": "lL", "dt": "tT", "dd": "nN", "ul": "uU", "ol": "oO", "dl": "mM",
    "div": "vV", "section": "sS", "article": "rR", "header": "gG", "footer": "kK",
    "blockquote": "qQ",
}  # fmt: skip
#: Void block elements (a line ends after each; no end tag).
VOID_BLOCKS = ("br", "hr")
#: Elements that only style text: the parser never moves text across them nor closes a block
#: for them (``img`` and ``wbr`` are void and hold no text).
INLINE = (
    "a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "data", "del", "dfn", "em", "font",
    "i", "img", "ins", "kbd", "mark", "q", "s", "samp", "small", "span", "strike", "strong",
    "sub", "sup", "time", "tt", "u", "var", "wbr",
)  # fmt: skip

_WS = r"\t\n\f\r "
#: An attribute: separators (``/`` included), a name, an optional value (no ``<`` inside).
_ATTR = (
    rf"[{_WS}/]+[^{_WS}/>\"'<=][^{_WS}/>\"'<=]*"
    rf"(?:[{_WS}]*=[{_WS}]*(?:\"[^\"<]*\"|'[^'<]*'|[^{_WS}>\"'<=`]+))?"
)
#: A well-formed start or end tag, the ``/`` and the name captured.
TAG_RE = rf"<(/?)([A-Za-z][A-Za-z0-9]*)(?:{_ATTR})*[{_WS}/]*>"
#: Where a tag starts for the HTML tokenizer (after the whitelisted ones are coded, any left
#: is one the fast path does not read).
_TAG_START_RE = r"<[A-Za-z/!?]"
#: Numeric references decoded here (others go to the parser: ``&#128;`` is Windows-1252's
#: euro sign for it, ``&#0;`` a replacement character).
_NUMERIC_RANGES = ((0x20, 0x7E), (0xA0, 0x24F), (0x2000, 0x206F), (0x20A0, 0x20C0),
                   (0x2100, 0x214F), (0x2190, 0x21FF), (0x2200, 0x22FF))  # fmt: skip


def _references() -> dict[str, str]:
    refs = {f"&{k}": v for k, v in html.entities.html5.items() if k.endswith(";")}
    for lo, hi in _NUMERIC_RANGES:
        for cp in range(lo, hi + 1):
            ch = chr(cp)
            refs[f"&#{cp};"] = ch
            if cp < 100:
                refs[f"&#0{cp};"] = ch  # &#039;
            for x in ("x", "X"):
                refs[f"&#{x}{cp:x};"] = ch
                refs[f"&#{x}{cp:X};"] = ch
                if cp < 0x100:
                    refs[f"&#{x}{cp:04x};"] = ch
                    refs[f"&#{x}{cp:04X};"] = ch
    return refs


#: Character references decoded by the fast path, each with its semicolon (no one overlaps
#: another, so one left-to-right pass decodes them as the parser does).
REFERENCES: dict[str, str] = _references()

# While a round works, tags and the ``&`` and ``<`` of references are Unicode noncharacters
# (never text: a value holding one goes to the parser, as does one holding NUL, which the
# parser drops).
_TYPES = sorted(set(BLOCKS.values()))
_CODE = [chr(c) for c in (*range(0xFDD0, 0xFDF0), 0xFFFE, 0xFFFF)]
_START = {t: _CODE[i] for i, t in enumerate(_TYPES)}
_END = {t: _CODE[len(_TYPES) + i] for i, t in enumerate(_TYPES)}
_HR, _BR, _INLINE, _AMP, _LT = _CODE[2 * len(_TYPES) : 2 * len(_TYPES) + 5]


def _first_pass() -> dict[str, str]:
    """Tags (attributes already dropped) and references -> what they stand for while the
    round works."""
    table: dict[str, str] = {}
    for name, t in BLOCKS.items():
        for n in (name, name.upper()):
            table[f"<{n}>"], table[f"</{n}>"] = _START[t], _END[t]
    for name, code in (("hr", _HR), ("br", _BR)):
        for n in (name, name.upper()):
            table[f"<{n}>"] = code
    for name in INLINE:
        for n in (name, name.upper()):
            table[f"<{n}>"] = table[f"</{n}>"] = _INLINE
    for ref, ch in REFERENCES.items():
        table[ref] = {"&": _AMP, "<": _LT}.get(ch, ch)
    return table


_FIRST = _first_pass()
#: Codes -> text: a line ends after a block element, ``<br>`` and ``<hr>``.
_SECOND = (
    {code: "" for code in _START.values()}
    | {code: "\n" for code in _END.values()}
    | {_HR: "\n", _BR: "\n", _INLINE: "", _AMP: "&", _LT: "<"}
)
#: A tag with attributes, a trailing ``/`` or spaces: read as the bare tag (``<p>``).
_DRESSED_TAG_RE = rf"<(/?[A-Za-z][A-Za-z0-9]*)(?:(?:{_ATTR})+[{_WS}/]*|[{_WS}/]+)>"
#: The codes of block tags, for the structure check.
_BLOCK_CODES = [*_START.values(), *_END.values(), _HR]


def _pairs(*types: str) -> str:
    return "|".join(_START[t] + ("{}") + _END[t] for t in types)


#: The block structure check reduces the codes of block tags, innermost first: an empty
#: ``<p>`` or heading (inline content only) or an ``<hr>`` -> ``0``; a list item holding
#: only ``0`` -> ``1``; a list holding only ``1``, or a container holding only ``0`` -> ``0``.
_LEAVES_RE = _pairs("pP", "aA").format("", "") + "|" + _HR
_ITEMS_RE = _pairs("lL", "tT", "nN").format(*["0*"] * 3)
_CONTAINERS_RE = "|".join(
    [_pairs(t).format("1*") for t in ("uU", "oO", "mM")]
    + [_pairs(t).format("0*") for t in ("vV", "sS", "rR", "gG", "kK", "qQ")]
)
#: Nesting depth the block check follows (deeper markup goes to the parser).
MAX_DEPTH = 12


def _blocks_ok(codes: pl.Series) -> pl.Series:
    """True where the block codes reduce to a sequence of whole blocks (``^0*$``)."""
    s = codes.str.replace_all(_LEAVES_RE, "0")
    for _ in range(MAX_DEPTH):
        nxt = s.str.replace_all(_ITEMS_RE, "1").str.replace_all(_CONTAINERS_RE, "0")
        if nxt.equals(s):
            break
        s = nxt
    return s.str.contains(r"^0*$").fill_null(False)


def fast_round(values: pl.Series) -> tuple[pl.Series, pl.Series]:
    """One parse round of ``values`` (all holding markup) without the parser: (``simple``,
    ``text``), where ``text`` is the parser's text for the values that are ``simple`` (and
    meaningless elsewhere)."""
    odd = values.str.contains("\x00", literal=True) | values.str.contains_any(_CODE)
    coded = values.str.replace_all(_DRESSED_TAG_RE, "<${1}>").str.replace_many(_FIRST)
    blocks = coded.str.extract_many(_BLOCK_CODES).list.join("")
    simple = (
        ~odd
        & ~coded.str.contains(_TAG_START_RE)
        & ~coded.str.contains(r"&[A-Za-z0-9#]")
        & _blocks_ok(blocks)
    ).fill_null(False)
    text = coded.str.replace_many(_SECOND)
    if text.str.contains("\r", literal=True).any():
        text = text.str.replace_all("\r\n", "\n", literal=True).str.replace_all(
            "\r", "\n", literal=True
        )
    return simple, text
