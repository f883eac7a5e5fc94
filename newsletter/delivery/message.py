"""Correct RFC 5322 messages, built two ways that give the same bytes.

:func:`build_message` is the reference: a fresh :class:`email.message.EmailMessage` per
recipient, ``set_content(text)`` then ``add_alternative(html)`` (text first, HTML last and
preferred), ``From`` with display name, ``To``, ``Subject``, ``Date``, ``Message-ID`` on the
sending domain (Python adds neither), ``Reply-To`` when set, ``List-Id``, and the RFC 8058
one-click pair ``List-Unsubscribe`` (https, then mailto) + ``List-Unsubscribe-Post``.
It manages only a few hundred 50 KB messages a second.

:class:`MessageFactory` is the fast path used for sending. Per issue variant it builds the
reference message once (with a fixed MIME boundary), keeps every header that does not vary
as pre-folded bytes, and pre-encodes each quoted-printable line of both parts that has no
merge tag. Per recipient it formats only ``To``, ``Date``, ``Message-ID`` and
``List-Unsubscribe`` and re-encodes only the lines that carry a merge tag. Quoted-printable
is encoded line by line, so this is the same encoding the email package would produce; the
tests build both forms and compare them byte for byte and, parsed, in meaning.

Two deliberate choices differ from the email package's defaults:

* Bodies are quoted-printable with lines of at most 76 characters (RFC 2045); ``policy.SMTP``
  would allow 78.
* Headers are serialised with a 998-character line limit (RFC 5322's hard limit). With the
  default 78 the email package turns a long ``List-Unsubscribe`` URL into RFC 2047 encoded
  words, which breaks one-click unsubscribe.
* A ``Subject`` that is not printable ASCII goes as encoded words of the whole text, one a
  line of at most 76 characters (:class:`_SubjectHeader`): RFC 2047 allows 76 a line that
  holds an encoded word, which the 998 limit above would not keep.
* ``To`` is written by :meth:`~newsletter.delivery.models.Mailbox.header`, not by the email
  package: the reader's name is untrusted, and the email package refolds a display name by
  decoding its encoded words and printing the text unquoted (``=?utf-8?b?PGV2aWxAZXZp…?=``
  became ``<evil@evil.example>``, a second address; one decoding to CR LF stopped the
  message). ``To`` always parses back to exactly the one address. ``From`` is written the
  same way (the package printed a non-ASCII sender name on one line of 100 and more).
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from email import policy as email_policy
from email import quoprimime
from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache

from newsletter.delivery.models import (
    LIST_ID,
    Mailbox,
    OutgoingMessage,
    header_words,
    phrase_header,
)

#: Policy for building parts: SMTP line endings, quoted-printable lines <= 76 (RFC 2045).
BODY_POLICY = email_policy.SMTP.clone(max_line_length=76)
#: Policy for serialising: no folding below RFC 5322's 998 limit (keeps URLs intact).
WIRE_POLICY = email_policy.SMTP.clone(max_line_length=998)

_QP_LINE = 76
_CRLF = "\r\n"
#: The headers that differ per recipient (everything else is shared by the variant).
_PER_RECIPIENT = ("To", "Date", "Message-ID", "List-Unsubscribe")


def format_date(when: dt.datetime) -> str:
    """RFC 5322 date in UTC, exactly as the email package prints a parsed ``Date``."""
    return format_datetime(when.astimezone(dt.UTC).replace(microsecond=0))


def new_boundary() -> str:
    """A MIME boundary; ``==`` can never occur in quoted-printable text."""
    return "=" * 15 + secrets.token_hex(10) + "=="


class _MailboxHeader(str):
    """A mailbox header that the email package writes as :meth:`Mailbox.header` made it
    (its ``name`` attribute tells the package to store it as it is; ``fold`` prints it)."""

    name: str
    mailbox: Mailbox

    def __new__(cls, name: str, mailbox: Mailbox) -> _MailboxHeader:
        self = super().__new__(cls, mailbox.header(name, "").partition(": ")[2])
        self.name, self.mailbox = name, mailbox
        return self

    def fold(self, *, policy: email_policy.Policy) -> str:
        return self.mailbox.header(self.name, policy.linesep)


class _SubjectHeader(str):
    """The Subject as the email package prints it (``fold`` is what it calls): printable
    ASCII as it is, anything else as encoded words of the whole text, one a line. The
    package's own folding, at the wire's 998, kept a non-ASCII Subject on one line of 86
    characters and more with an encoded word past 150; at 76 it moved the spaces around the
    words it encoded (``mediana 184.000 $ — Ingeniería`` read back as ``mediana  184.000 $—``)."""

    name = "Subject"

    def fold(self, *, policy: email_policy.Policy) -> str:
        if _SIMPLE_UNSTRUCTURED.fullmatch(self) and "=?" not in self:
            assert isinstance(policy, email_policy.EmailPolicy)  # BODY_ and WIRE_POLICY
            return str(policy.header_factory(self.name, str(self)).fold(policy=policy))
        words = header_words(self.name, self)
        return f"{self.name}: " + f"{policy.linesep} ".join(words) + policy.linesep


class _ListIdHeader(str):
    """A List-Id of a phrase and an id, written by :func:`phrase_header` (the email package
    printed a non-ASCII title on one line of 115 holding an encoded word, and a title with a
    comma as a bare phrase)."""

    name = "List-Id"

    def fold(self, *, policy: email_policy.Policy) -> str:
        m = LIST_ID.fullmatch(self)
        assert m is not None  # made only of a value that matches (_headers_of)
        return phrase_header(self.name, m["phrase"], m["id"], policy.linesep)


def _headers_of(msg: OutgoingMessage, date: str) -> list[tuple[str, object]]:
    head: list[tuple[str, object]] = [
        ("From", _MailboxHeader("From", msg.sender)),
        ("To", _MailboxHeader("To", msg.to)),
        ("Subject", _SubjectHeader(msg.subject)),
        ("Date", date),
        ("Message-ID", msg.message_id),
    ]
    lists: list[tuple[str, object]] = [
        (k, _ListIdHeader(v) if k == "List-Id" and LIST_ID.fullmatch(v) else v)
        for k, v in msg.list_headers()
    ]
    return head + lists + list(msg.headers)


def build_message(msg: OutgoingMessage, *, date: str, boundary: str | None = None) -> EmailMessage:
    """The reference message for one recipient (see the module docstring)."""
    em = EmailMessage(policy=BODY_POLICY)
    for name, value in _headers_of(msg, date):
        em[name] = value
    em.set_content(msg.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    em.add_alternative(msg.html, subtype="html", charset="utf-8", cte="quoted-printable")
    if boundary:
        em.set_boundary(boundary)
    return em


def message_bytes(em: EmailMessage) -> bytes:
    """Serialise a message for the wire (CRLF, headers unfolded below 998 characters)."""
    return em.as_bytes(policy=WIRE_POLICY)


def render_naive(msg: OutgoingMessage, *, date: str) -> bytes:
    """Reference bytes of one message: build a fresh EmailMessage and serialise it."""
    return message_bytes(build_message(msg, date=date))


# ---------------------------------------------------------------------------------------
# Fast path

_ATEXT = r"A-Za-z0-9!#$%&'*+/=?^_`{|}~-"
_SIMPLE_ADDR = re.compile(rf"[{_ATEXT}]+(\.[{_ATEXT}]+)*@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_SIMPLE_NAME = re.compile(r"[A-Za-z0-9]+( [A-Za-z0-9]+)*")
_SIMPLE_MSGID = re.compile(rf"<[{_ATEXT}]+(\.[{_ATEXT}]+)*@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*>")
_SIMPLE_UNSTRUCTURED = re.compile(r"[\x21-\x7e]+( [\x21-\x7e]+)*")
_DATE_RE = re.compile(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000")


def fold_header(name: str, value: str) -> bytes:
    """One header line as the email package writes it, without parsing common values.

    Values of the usual shapes (a plain address with an alphanumeric display name, a
    dot-atom Message-ID, a :func:`format_date` date, printable ASCII without encoded-word
    markers) print unchanged; anything else goes through the email package's parser.
    (The messages' ``To`` is :meth:`Mailbox.header`'s, never this.)
    """
    if len(name) + len(value) < 990 and _is_simple(name, value):
        return f"{name}: {value}{_CRLF}".encode("ascii")
    return WIRE_POLICY.fold_binary(name, WIRE_POLICY.header_factory(name, value))


def _is_simple(name: str, value: str) -> bool:
    if name == "To":
        addr, _, rest = value.partition(" <")
        if not rest:
            return _SIMPLE_ADDR.fullmatch(value) is not None
        return (
            _SIMPLE_NAME.fullmatch(addr) is not None
            and rest.endswith(">")
            and _SIMPLE_ADDR.fullmatch(rest[:-1]) is not None
        )
    if name == "Message-ID":
        return _SIMPLE_MSGID.fullmatch(value) is not None
    if name == "Date":
        return _DATE_RE.fullmatch(value) is not None
    return _SIMPLE_UNSTRUCTURED.fullmatch(value) is not None and "=?" not in value


#: Byte -> its quoted-printable body form (as ``quoprimime.body_encode`` translates).
_QP_MAP = [
    quoprimime.quote(chr(i)) if quoprimime.body_check(i) and i not in (10, 13) else chr(i)
    for i in range(256)
]
#: The bytes :data:`_QP_MAP` quotes (:func:`qp_measure` counts them).
_QUOTED_BYTES = bytes(i for i in range(256) if len(_QP_MAP[i]) > 1)
#: Those other than "=" (control characters, 8-bit), as characters. (One a match: a class
#: with a repeat, to take a character's bytes at once, made Python's matcher twice as slow.)
_QUOTED_OTHER = re.compile(
    "[" + "".join(re.escape(chr(b)) for b in _QUOTED_BYTES if b != ord("=")) + "]"
)


def _qp_translate(text: str) -> str:
    """``text`` (bytes decoded as latin-1) with each byte in its quoted-printable body form:
    ``text.translate(_QP_MAP)``, done as ``str.replace`` of the "=" (many, in HTML) and a
    regex over the few other quoted bytes: 6-7x faster on an issue's lines, where
    ``str.translate`` with a mapping that lengthens characters goes char by char."""
    text = text.replace("=", "=3D")
    if _QUOTED_OTHER.search(text) is None:
        return text
    return _QUOTED_OTHER.sub(lambda m: _QP_MAP[ord(m[0])], text)


def _next_start(line: str, start: int) -> int:
    """``quoprimime.body_encode``'s soft-break loop, one step: where the piece that begins at
    ``start`` ends and the next begins. The piece is ``line[start:next] + "="``: 75
    characters, or fewer so that no escape (``=XX``) is cut (the escape's own "=" then ends
    the piece, and begins the next)."""
    stop = start + _QP_LINE - 1
    hit = line.find("=", stop - 2, stop)
    return stop if hit < 0 else hit


def _wrap_step(line: str, start: int) -> tuple[str, int]:
    """One step of ``quoprimime.body_encode``'s soft-break loop: the piece and the next start."""
    nxt = _next_start(line, start)
    return line[start:nxt] + "=", nxt


def _wrap(text: str) -> tuple[list[int], str]:
    """``quoprimime.body_encode``'s soft breaks of an encoded line: the starts of its pieces
    (each piece but the last is ``text[start:next] + "="``) and the last piece, whose space
    or tab at the end is quoted, or moved past one more soft break when there is no room."""
    laststart = len(text) - 1 - _QP_LINE
    starts = [0]
    start = 0
    while start <= laststart:
        start = _next_start(text, start)
        starts.append(start)
    if not text or text[-1] not in " \t":
        return starts, text[start:]
    room, space = start - laststart, text[-1]
    if room >= 3:
        end = quoprimime.quote(space)
    elif room == 2:
        end = space + "=" + _CRLF
    else:
        end = "=" + _CRLF + quoprimime.quote(space)
    return starts, text[start:-1] + end


def _qp_line(line: bytes) -> str:
    """One line (no line break in it) encoded as ``quoprimime.body_encode(line, 76, CRLF)``
    encodes it: the same translation (:func:`_qp_translate`) and soft breaks (:func:`_wrap`)."""
    text = _qp_translate(line.decode("latin-1"))
    starts, last = _wrap(text)
    return _CRLF.join([*(text[a:b] + "=" for a, b in itertools.pairwise(starts)), last])


@lru_cache(maxsize=256)
def _qp_size(line: bytes) -> int:
    """Bytes of one line as sent, its CRLF included. Remembered: the variants of an issue
    (one per preference set, each sized before it is sent) share most of their lines, and
    encoding a line is most of the cost of sizing one (3,494 variants of a 80 KB issue:
    ~5 ms each). The shared lines (a few dozen) are used by every variant, so they stay;
    256 lines bound what a long-running process keeps (a line can be tens of KB)."""
    starts, last = _wrap(_qp_translate(line.decode("latin-1")))
    # the pieces before the last: their text, an "=" and a CRLF each; then the last, a CRLF
    return starts[-1] + 3 * (len(starts) - 1) + len(last) + 2


def encoded_size(body: str) -> int:
    """Bytes of ``body`` as it is sent: UTF-8, quoted-printable with CRLF line ends, encoded
    line by line exactly as :func:`build_message` and :class:`MessageFactory` encode a part
    (``=`` becomes ``=3D``, a non-ASCII byte three, a long line gains a soft break every
    76 characters). Gmail clips on this size, not on the decoded HTML."""
    return sum(_qp_size(raw) for raw in body.encode("utf-8").splitlines() or [b""])


def qp_measure(raw: bytes) -> tuple[int, int]:
    """What :func:`qp_bound` needs of a text (``raw``, its UTF-8 bytes): its characters once
    quoted-printable translated (a quoted byte as three) and its line breaks (CR and LF
    bytes). Both add up over concatenation: the pieces of a body are measured once, a
    body's figures are their sums."""
    return (
        len(raw) + 2 * (len(raw) - len(raw.translate(None, _QUOTED_BYTES))),
        raw.count(b"\n") + raw.count(b"\r"),
    )


def qp_bound(chars: int, breaks: int) -> int:
    """An upper bound of :func:`encoded_size` of a body measured by :func:`qp_measure`
    (``chars``, ``breaks``: sums over its pieces), without encoding it: a soft break (3 more
    characters) every 73 characters of each line -- the fewest a piece holds --, the most a
    space or tab at a line's end may add, and each line's CRLF. Within ~1% above the exact
    size on an issue's HTML: what a cap check reaches for first, encoding only when the
    bound is over the cap."""
    lines = breaks + 1
    return chars + 3 * (chars // (_QP_LINE - 3) + lines) + (5 + 2) * lines


_TAG_B = re.compile(rb"%%([a-z][a-z0-9_]*)%%")


def _qp_prefix(raw: bytes) -> tuple[str, int]:
    """Encoded soft-broken pieces of a long line's fixed ``raw`` prefix, and where to resume.

    This is ``quoprimime.body_encode``'s wrapping loop run over the prefix alone. The loop
    looks only at the text between ``start`` and ``start + 75`` and at the line length, so
    the pieces it emits over the prefix are the same whatever follows, and encoding the
    rest of the line from the returned raw offset as a fresh line continues it exactly.
    """
    line = _qp_translate(raw.decode("latin-1"))
    starts, _ = _wrap(line)
    pieces = [line[a:b] + "=" for a, b in itertools.pairwise(starts)]
    start = starts[-1]
    # map the encoded offset back to a raw byte offset (each byte encodes to 1 or 3 chars)
    pos = offset = 0
    while pos < start:
        pos += len(_QP_MAP[raw[offset]])
        offset += 1
    return "".join(p + _CRLF for p in pieces), offset


class _Segment:
    """The static text after a merge tag, QP-translated once, with its wrap runs cached.

    The soft-break loop looks only at ``line[start:start + 75]``, so once it enters a static
    segment at offset ``d`` the pieces it emits while that window stays inside the segment
    depend on ``d`` alone: computed once per entry offset (at most 75), then reused.
    ``last`` marks the line's final segment, whose run ends at the loop's own end.
    """

    __slots__ = ("_runs", "last", "text")

    def __init__(self, text: str, *, last: bool) -> None:
        self.text = text
        self.last = last
        self._runs: dict[int, tuple[tuple[str, ...], int]] = {}

    def run(self, d: int) -> tuple[tuple[str, ...], int]:
        found = self._runs.get(d)
        if found is None:
            n = len(self.text)
            bound = n - _QP_LINE - 1 if self.last else n - _QP_LINE + 1
            pieces: list[str] = []
            start = d
            while start <= bound:
                piece, start = _wrap_step(self.text, start)
                pieces.append(piece)
            found = self._runs[d] = (tuple(pieces), start)
        return found


@dataclass(frozen=True, slots=True)
class _Dynamic:
    """A line holding merge tags: the encoded part before the first tag, the raw rest.

    ``segments`` is the fast form of ``rest``: the static text before the first tag, then
    (tag, static text after it) pairs, or None when the line needs the general encoder.
    """

    head: str
    rest: bytes
    lead: str = ""
    segments: tuple[tuple[str, _Segment], ...] | None = None

    @classmethod
    def of(cls, head: str, rest: bytes) -> _Dynamic:
        pieces = _TAG_B.split(rest)  # static, tag, static, tag, ..., static
        statics = [_qp_translate(p.decode("latin-1")) for p in pieces[0::2]]
        tags = [t.decode("ascii") for t in pieces[1::2]]
        # Each non-final segment must be followed by >= 2 static characters, so the loop's
        # end test never triggers inside it; a line ending in whitespace has a special case.
        after = [sum(len(x) for x in statics[i + 1 :]) for i in range(len(statics))]
        if not statics[-1] or statics[-1][-1] in " \t" or min(after[1:-1], default=2) < 2:
            return cls(head, rest)
        segs = tuple(
            (tag, _Segment(text, last=i == len(tags) - 1))
            for i, (tag, text) in enumerate(zip(tags, statics[1:], strict=True))
        )
        return cls(head, rest, statics[0], segs)

    def encode(self, values: dict[str, bytes]) -> str:
        """The encoded rest of the line (without the final line break)."""
        if self.segments is None:
            rest = _TAG_B.sub(lambda m: values[m.group(1).decode("ascii")], self.rest)
            return _qp_line(rest)
        texts = [self.lead]
        begins = []
        pos = len(self.lead)
        for tag, seg in self.segments:
            value = _qp_translate(values[tag].decode("latin-1"))
            texts.append(value)
            pos += len(value)
            begins.append(pos)
            texts.append(seg.text)
            pos += len(seg.text)
        line = "".join(texts)
        laststart = len(line) - 1 - _QP_LINE
        out: list[str] = []
        start = 0
        for (_tag, seg), begin in zip(self.segments, begins, strict=True):
            while start < begin and start <= laststart:
                piece, start = _wrap_step(line, start)
                out.append(piece)
            if start > laststart:
                break
            run, offset = seg.run(start - begin)
            out.extend(run)
            start = begin + offset
        while start <= laststart:
            piece, start = _wrap_step(line, start)
            out.append(piece)
        out.append(line[start:])
        return _CRLF.join(out)


@dataclass(frozen=True, slots=True)
class _Part:
    """A quoted-printable body: encoded static runs and the lines holding merge tags."""

    pieces: tuple[str | _Dynamic, ...]
    escape: bool

    @classmethod
    def of(cls, text: str, *, escape: bool) -> _Part:
        pieces: list[str | _Dynamic] = []
        run: list[str] = []
        for raw in text.encode("utf-8").splitlines() or [b""]:
            m = _TAG_B.search(raw)
            if m is None:
                run.append(_qp_line(raw))
                continue
            if run:
                pieces.append(_CRLF.join(run) + _CRLF)
                run = []
            head, offset = _qp_prefix(raw[: m.start()])
            pieces.append(_Dynamic.of(head, raw[offset:]))
        if run:
            pieces.append(_CRLF.join(run) + _CRLF)
        return cls(tuple(pieces), escape)

    def render(self, values: dict[str, bytes]) -> Iterable[str]:
        for piece in self.pieces:
            if isinstance(piece, str):
                yield piece
                continue
            yield piece.head
            # values are single-line (OutgoingMessage checks), so this stays one line
            yield piece.encode(values) + _CRLF


@dataclass(frozen=True, slots=True)
class _Skeleton:
    """Everything one variant's messages share, ready to splice."""

    headers: tuple[bytes | str, ...]  # bytes: pre-folded; str: per-recipient header name
    head_tail: bytes  # blank line + first boundary + text part headers
    text: _Part
    middle: bytes  # boundary + html part headers
    html: _Part
    tail: bytes  # closing boundary


def _variant_key(msg: OutgoingMessage) -> tuple[object, ...]:
    return (msg.content, msg.sender, msg.reply_to, msg.list_id, msg.headers)


_MARK_TEXT = "@@NEWSLETTER-TEXT-PART@@"
#: A stand-in for the per-recipient Date while the shared skeleton is built.
_SKELETON_DATE = "Thu, 01 Jan 1970 00:00:00 +0000"
_MARK_HTML = "@@NEWSLETTER-HTML-PART@@"


def _skeleton(msg: OutgoingMessage, boundary: str) -> _Skeleton:
    em = build_message(msg, date=_SKELETON_DATE, boundary=boundary)
    headers: list[bytes | str] = [
        name if name in _PER_RECIPIENT else WIRE_POLICY.fold_binary(name, value)
        for name, value in em.raw_items()
    ]
    text_part, html_part = em.iter_parts()
    text_part.set_payload(_MARK_TEXT + "\n")
    html_part.set_payload(_MARK_HTML + "\n")
    raw = message_bytes(em)
    body = raw[raw.index(b"\r\n\r\n") + 2 :]
    head_tail, rest = body.split(_MARK_TEXT.encode() + b"\r\n")
    middle, tail = rest.split(_MARK_HTML.encode() + b"\r\n")
    return _Skeleton(
        headers=tuple(headers),
        head_tail=head_tail,
        text=_Part.of(msg.content.text, escape=False),
        middle=middle,
        html=_Part.of(msg.content.html, escape=True),
        tail=tail,
    )


class MessageFactory:
    """Fast, exact message bytes: one skeleton per issue variant, spliced per recipient."""

    def __init__(self) -> None:
        self._skeletons: dict[tuple[object, ...], _Skeleton] = {}
        self._boundaries: dict[tuple[object, ...], str] = {}

    def boundary_for(self, msg: OutgoingMessage) -> str:
        """The MIME boundary this factory uses for ``msg``'s variant."""
        key = _variant_key(msg)
        return self._boundaries.setdefault(key, new_boundary())

    def render(self, msg: OutgoingMessage, *, date: str) -> bytes:
        """The wire bytes of ``msg`` (same bytes as the reference with the same boundary)."""
        key = _variant_key(msg)
        sk = self._skeletons.get(key)
        if sk is None:
            sk = self._skeletons[key] = _skeleton(msg, self.boundary_for(msg))
        dynamic = {
            "Date": date,
            "Message-ID": msg.message_id,
            "List-Unsubscribe": msg.list_unsubscribe,
        }
        out: list[bytes] = [
            h
            if isinstance(h, bytes)
            else msg.to.header(h).encode("ascii")
            if h == "To"
            else fold_header(h, dynamic[h])
            for h in sk.headers
        ]
        raw = msg.values
        text_values = {k: v.encode("utf-8") for k, v in raw.items()}
        html_values = {k: html.escape(v, quote=True).encode("utf-8") for k, v in raw.items()}
        out.append(sk.head_tail)
        out.append("".join(sk.text.render(text_values)).encode("ascii"))
        out.append(sk.middle)
        out.append("".join(sk.html.render(html_values)).encode("ascii"))
        out.append(sk.tail)
        return b"".join(out)
