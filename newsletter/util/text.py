"""Untrusted text as one plain line, and the one list of characters no reader gets: control
and invisible formatting characters (bidi overrides, zero-width spaces...). Subscriber
names and values (``audience/sanitize.py``), posting text at ingest and every posting name
the issue prints use it."""

from __future__ import annotations

import re
import unicodedata

#: Control and invisible formatting characters, except the whitespace ones (tab, CR, LF, FF,
#: VT, FS..US, NEL), which ``str.split`` turns into separators. ZWJ/ZWNJ (U+200C/D) stay:
#: several scripts and emoji need them. Also the letters that print as nothing (Unicode's
#: default-ignorable Hangul fillers U+115F, U+1160, U+3164, U+FFA0 and Khmer's inherent
#: vowels U+17B4/5): a name of them is a letter to ``isalnum`` and a blank to a reader. And
#: the noncharacters U+FFFE and U+FFFF, which no XML parser takes (one in a name stopped the
#: MJML compile of the whole issue). And the tag characters U+E0000..U+E007F: invisible
#: ASCII look-alikes that can carry a hidden sentence in a title ("ASCII smuggling", read by
#: the programs that read mail for people), at the price of a subdivision flag (England's,
#: Scotland's) printing as a plain black flag. And the other default-ignorable characters no
#: posting needs: the rest of that tag block (U+E0080..U+E0FFF), whose supplementary variation
#: selectors U+E0100..U+E01EF carry a hidden sentence as well (a byte each: "emoji
#: smuggling"), at the price of a Japanese name's ideographic variant printing as its usual
#: glyph; and the format controls that print as nothing (shorthand overlaps U+1BCA0..U+1BCA3,
#: musical beams and slurs U+1D173..U+1D17A: a title of them was a blank link). The variation
#: selectors U+FE00..U+FE0F stay (an emoji's presentation needs them), and so do the combining
#: grapheme joiner and the Mongolian selectors, which their scripts use. The body of a
#: character class in Python's syntax;
#: :data:`INVISIBLE_RUST` is the same class for polars, without the surrogates (text in polars
#: is valid UTF-8, where they cannot occur).
INVISIBLE_CLASS = (
    "\\x00-\\x08\\x0e-\\x1b\\x7f-\\x84\\x86-\\x9f\\u00ad\\u061c\\u115f\\u1160\\u17b4\\u17b5"
    "\\u180e\\u200b\\u200e\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\u3164\\ufeff"
    "\\ufff9-\\ufffb\\ufffe\\uffff\\uffa0\\U0001bca0-\\U0001bca3\\U0001d173-\\U0001d17a"
    "\\U000e0000-\\U000e0fff"
)
INVISIBLE = re.compile(f"[{INVISIBLE_CLASS}\\ud800-\\udfff]")
#: The same class in Rust regex syntax (``\x{...}`` escapes), for polars expressions.
INVISIBLE_RUST = (
    "[" + re.sub(r"\\(?:u([0-9a-f]{4})|U([0-9a-f]{8}))", r"\\x{\1\2}", INVISIBLE_CLASS) + "]"
)
#: The information separators U+001C..U+001F (file, group, record, unit), as the body of a
#: character class in both regex syntaxes: not invisible (:data:`INVISIBLE` leaves them to
#: ``str.split``, which reads them as whitespace: :func:`clean_line` makes each a space) but
#: unknown to the Rust regex engine's ``\s``, so the polars steps of the ingest name them
#: apart and make each a space too.
SEPARATORS = "\\x1c-\\x1f"
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


#: What a path a command prints may not hold: a control or invisible character (an escape
#: sequence would recolour or clear the terminal, and a pipe gets it stripped, a path that is
#: not the file's) or whitespace other than the space (a line break splits the line a script
#: reads the path from); a byte that is not UTF-8 (read as a lone surrogate) too.
_UNSHOWABLE = re.compile(f"[{INVISIBLE_CLASS}\\ud800-\\udfff]|[^\\S ]")


def unshowable(path: object) -> str | None:
    """The first character of ``path`` that it cannot be printed with as it is (see
    :data:`_UNSHOWABLE`), as an escape (``'\\x1b'``, ``'\\n'``), or None."""
    found = _UNSHOWABLE.search(str(path))
    return None if found is None else f"'{_escape(found)}'"


def shown_path(path: object) -> str:
    """``path`` to print on a line of its own: as it is, or with each character it cannot be
    printed with (:func:`unshowable`) written as its escape (``\\x1b``, ``\\n``; a byte that
    is not UTF-8 as that byte, ``\\xe9``), never raw."""
    return _UNSHOWABLE.sub(_escape, str(path))


#: Longest untrusted value an error or warning line shows (:func:`shown_value`): longer is cut.
SHOWN_VALUE_MAX = 200


def shown_value(value: object, limit: int = SHOWN_VALUE_MAX) -> str:
    """An untrusted value (an address, a name, a URL, a path, a config value) as an error or
    warning line names it: every character it cannot be printed with written as its escape,
    as :func:`shown_path` does (``\\x1b``, ``\\n``, ``\\u202e``), so the user sees what is
    wrong with the value instead of a silently altered one; cut to ``limit`` characters
    (``…`` added) so a huge value cannot flood the line."""
    text = str(value)[: limit + 1]  # bound the work (one character past: cut or not)
    out = shown_path(text)
    return out if len(out) <= limit and len(text) <= limit else out[: limit - 1] + "…"


#: What a message line escapes: the control and invisible characters (:data:`INVISIBLE`),
#: not the whitespace ones, which :func:`message_line` folds into spaces.
_INVISIBLE_ANY = re.compile(f"[{INVISIBLE_CLASS}\\ud800-\\udfff]")


def message_line(message: str, limit: int) -> str:
    """An error or warning message (our words around values) as one terminal line of at most
    ``limit`` characters: a control or invisible character left in it (a value not passed
    through :func:`shown_value`) written as its escape, never dropped (an error naming
    ``/srv/\\x1b[31mdb`` named ``/srv/[31mdb``, another path) nor raw; each run of whitespace
    (a library's message over several lines) one space."""
    text = message[: limit * 8 + 64]  # bound the work
    text = " ".join(_INVISIBLE_ANY.sub(_escape, text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown_json(text: str) -> str:
    """A JSON document (``json.dumps(..., ensure_ascii=False)``) to print on a terminal: each
    control or invisible character :func:`json.dumps` leaves raw (DEL, the C1 controls such
    as ``\\x9b``, which some terminals read as an escape sequence, bidi overrides,
    zero-width characters, a byte that is not UTF-8) written as its JSON escape
    (``\\u202e``), so the document parses to the very same values and the terminal shows
    them, never acts on them nor hides them. Such characters occur only inside strings, where
    the escape is valid JSON."""
    return _INVISIBLE_ANY.sub(_json_escape, text)


#: What a data file shown on a terminal escapes (:func:`shown_text`): the control and invisible
#: characters, and the line controls besides the line feed (a carriage return would print
#: the rest of its line over the start of it).
_TERMINAL_UNSAFE = re.compile(f"[{INVISIBLE_CLASS}\\ud800-\\udfff\\r\\x0b\\x0c\\x85\\u2028\\u2029]")


def shown_text(text: str) -> str:
    """A data file's text (a CSV export) as a terminal shows it: each control or invisible
    character but the line feed and the tab written as its escape (``\\x1b``, ``\\r``,
    ``\\u202e``), so a stored value can neither drive the terminal (``\\x1b]52;`` writes the
    clipboard) nor hide or overwrite what is around it. Only for a terminal: the same file
    written to disk or a pipe keeps its values exactly (CSV has no escapes of its own)."""
    return _TERMINAL_UNSAFE.sub(_escape, text)


def _json_escape(found: re.Match[str]) -> str:
    code = ord(found.group())
    if code > 0xFFFF:  # a UTF-16 pair, as JSON writes characters past the BMP
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def _escape(found: re.Match[str]) -> str:
    char = found.group()
    if "\udc80" <= char <= "\udcff":  # a byte that is not UTF-8, as surrogateescape reads it
        return f"\\x{ord(char) - 0xDC00:02x}"
    return ascii(char)[1:-1]


def one_line(value: object, limit: int) -> str:
    """:func:`clean_line` for display: any value (None is empty), and text over ``limit``
    characters cut with an ellipsis."""
    text = clean_line(str(value or ""), limit + 1)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


#: The longest run of characters with no break opportunity that the issue's HTML prints
#: (:func:`break_long_runs`). 24 is longer than the longest word of a real title, company,
#: skill or place (``Internationalization``, 20; the longest run of the bundled demo issue is
#: 19), so real names print unchanged and stay searchable in the mailbox (a longer joined name,
#: ``Francisco-Oakland-Berkeley,``, gets one break after a hyphen, invisible unless a line ends
#: there). And 24 characters of 14 px text (about 170-230 px) is about the narrowest cell a
#: name prints in (a bar list's name cell, 36% of the 560 px column, whose bar cell gives way),
#: so no run can push a table past the layout in a client that breaks only where we let it.
RUN_MAX = 24
#: ZERO WIDTH SPACE: an invisible break opportunity. Outlook for Windows (Word's engine) breaks
#: a line there, where it ignores ``overflow-wrap``/``word-break`` and does not reliably honour
#: ``<wbr>``; screen readers skip it. (:data:`INVISIBLE` drops it from posting text at ingest,
#: so every one in the HTML is ours.)
ZWSP = "\u200b"
#: A run is what no break opportunity interrupts: anything but whitespace and ZWSP, where the
#: no-break spaces (NBSP, figure space, narrow NBSP) join like letters.
_RUN = re.compile(r"(?:[^\s\u200b]|[\u00a0\u2007\u202f])+")
#: A break is preferred after these (``Machine_Learning_``, ``Data-``, ``a/b/``, ``v1.``).
_PREFERRED = frozenset("_-/.\\:,;&+)–—")


def _may_break(text: str, p: int) -> bool:
    """Whether a break may go between ``text[p - 1]`` and ``text[p]``: never inside a
    grapheme cluster (before a combining mark, a variation selector, an emoji modifier or tag,
    around ZWJ), between the halves of a surrogate pair, inside a flag (a pair of regional
    indicators), or after a word joiner (which asks for no break)."""
    before, after = text[p - 1], text[p]
    if after == "\u200d" or before in "\u200d\u2060":
        return False
    if unicodedata.category(after) in ("Mn", "Mc", "Me") or "\U0001f3fb" <= after <= "\U0001f3ff":
        return False
    if "\U000e0020" <= after <= "\U000e007f":  # emoji tag sequence (subdivision flags)
        return False
    if "\ud800" <= before <= "\udbff" and "\udc00" <= after <= "\udfff":
        return False
    if _is_regional(before) and _is_regional(after):  # flags pair up from the left
        pairs = p
        while pairs > 0 and _is_regional(text[pairs - 1]):
            pairs -= 1
        return (p - pairs) % 2 == 0
    return True


def _is_regional(ch: str) -> bool:
    return "\U0001f1e6" <= ch <= "\U0001f1ff"


def _break_points(text: str, start: int, end: int, limit: int) -> list[int]:
    """Where to break ``text[start:end]`` (a run longer than ``limit``) into pieces of at most
    ``limit`` characters: after the last preferred character of each window (not in its first
    third, which would leave a stub), else at the window's end, moved back off a grapheme
    cluster (forward only if the whole window is one cluster)."""
    points: list[int] = []
    s = start
    while end - s > limit:
        window = range(s + limit, s + max(1, limit // 3), -1)
        p = next((q for q in window if text[q - 1] in _PREFERRED and _may_break(text, q)), 0)
        p = p or next((q for q in window if _may_break(text, q)), 0)
        p = p or next((q for q in range(s + limit + 1, end) if _may_break(text, q)), 0)
        if not p:
            break
        points.append(p)
        s = p
    return points


def break_long_runs(text: str, limit: int = RUN_MAX) -> str:
    """``text`` with a :data:`ZWSP` wherever a run of characters with no break opportunity
    would be longer than ``limit``, so no run printed is (text without such a run comes back
    as it is). A run that is broken also gets one at each end of ``text`` it touches: the
    text may be printed next to more (a sentence's fragments), and so may not extend it.
    For the HTML only: the plain-text part, addresses and attributes keep text as it is."""
    if len(text) <= limit:
        return text
    out: list[str] = []
    done = 0
    for run in _RUN.finditer(text):
        start, end = run.span()
        if end - start <= limit:
            continue
        points = _break_points(text, start, end, limit)
        if not points:
            continue
        if start == 0:
            points.insert(0, 0)
        if end == len(text):
            points.append(end)
        for p in points:
            out.append(text[done:p])
            out.append(ZWSP)
            done = p
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)


#: FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE: what :func:`isolate_rtl` puts around a
#: right-to-left run (like :data:`ZWSP`, one of :data:`INVISIBLE`: only the render adds them).
FSI, PDI = "\u2068", "\u2069"
_RTL = ("R", "AL")


def isolate_rtl(text: str) -> str:
    """``text`` with each right-to-left run (from a Hebrew or Arabic letter to the last one
    before the next left-to-right letter, its combining marks included) between :data:`FSI`
    and :data:`PDI`. Without them the run takes the neutral characters and digits after it
    into its direction: ``<company> · <place> · $340k–$425k`` with a Hebrew place showed as
    ``$340 · <place> · <company> k–$425k``. The render applies it to the names it prints, in
    the HTML and the plain-text part; text with no right-to-left letter comes back as it is."""
    if text.isascii():
        return text
    classes = [unicodedata.bidirectional(c) for c in text]
    if not any(c in _RTL for c in classes):
        return text
    out: list[str] = []
    pos, n = 0, len(text)
    while pos < n:
        if classes[pos] not in _RTL:
            out.append(text[pos])
            pos += 1
            continue
        end = scan = pos + 1
        while scan < n and classes[scan] != "L":
            scan += 1
            if classes[scan - 1] in _RTL or (classes[scan - 1] == "NSM" and end == scan - 1):
                end = scan
        out.append(FSI + text[pos:end] + PDI)
        pos = end
    return "".join(out)
