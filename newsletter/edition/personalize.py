"""Per-subscriber personalization of a compiled issue, without re-rendering.

The issue is rendered and compiled once with *markers* around the parts that depend on who
reads it, and *merge tags* (``%%name%%``, :data:`newsletter.models.MERGE_TAGS`) where
per-reader values go: greeting, preferences and unsubscribe links. :class:`BodyTemplate`
parses that output once into pieces. For each set of :class:`~newsletter.models.Preferences`
it keeps the matching parts (and caches the result): that is an issue *variant*, still
carrying its merge tags (:meth:`BodyTemplate.tagged`), which the send path hands to the
message builder. A preview fills the tags itself (:meth:`BodyTemplate.fill`): a string join
per subscriber, not a Jinja or MJML run.

Markers (HTML comments, in the text part too, removed here):

- ``<!--nl:row GROUP DIM TOP KEY-->...<!--nl:end-->``: a row of table GROUP about DIM
  (categories, metros, seniority). Kept when the subscriber picked KEY for DIM; when they
  picked nothing for DIM, kept when TOP is 1 (the row is in the default top-N).
- ``<!--nl:empty GROUP DIM-->...<!--nl:end-->``: kept when the subscriber picked values for DIM
  and no row of GROUP is kept (says "none of your picks has postings this week").
- ``<!--nl:filtered DIM-->...<!--nl:end-->``: kept when the subscriber picked values for DIM.
- ``<!--nl:unpicked DIM-->...<!--nl:end-->``: kept when they picked nothing for DIM (what the
  default top-N rows say: the names tied with the last of them).
- ``<!--nl:personal-->...<!--nl:end-->``: kept in a subscriber's copy (their own links);
  ``<!--nl:public-->...<!--nl:end-->``: kept on the public archive page instead.
- ``<!--nl:slot NAME-->`` (no end): replaced by what the body's *slot filler* gives for the
  audience (the "New roles for you" rows: :mod:`newsletter.edition.picks`), computed once per
  audience and cached with the rest of its variant. A filler's output may carry merge tags.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from newsletter.delivery.message import encoded_size, qp_bound, qp_measure
from newsletter.edition.render import Token
from newsletter.edition.view import row_key
from newsletter.errors import RenderError
from newsletter.models import MERGE_TAG_RE, MERGE_TAGS, Preferences, Recipient, merge_tag

#: A personalization marker (the plain-text layout measures lines without them).
MARKER = r"<!--nl:(row|empty|filtered|unpicked|personal|public|slot|end)([^>]*?)-->"
_MARK_RE = re.compile(MARKER + r"\n?")
_SLOT_RE = re.compile(r"[a-z][a-z0-9_]*")
DIMS = ("categories", "metros", "seniority")

Kind = Literal["row", "empty", "filtered", "unpicked", "personal", "public"]
#: Who a body is for: a reader's preferences, or None for the public archive page.
Audience = Preferences | None
#: What fills a slot: (slot name, audience) -> body text (HTML or plain, as the body).
SlotFiller = Callable[[str, Audience], str]


class Markers:
    """What templates call to emit markers; each returns safe markup (never escaped)."""

    def row(self, group: str, dim: str, key: str, top: bool) -> Token:
        return Token(f"<!--nl:row {group} {dim} {int(top)} {key}-->")

    def empty(self, group: str, dim: str) -> Token:
        return Token(f"<!--nl:empty {group} {dim}-->")

    def filtered(self, dim: str) -> Token:
        return Token(f"<!--nl:filtered {dim}-->")

    def unpicked(self, dim: str) -> Token:
        return Token(f"<!--nl:unpicked {dim}-->")

    def personal(self) -> Token:
        return Token("<!--nl:personal-->")

    def public(self) -> Token:
        return Token("<!--nl:public-->")

    def slot(self, name: str) -> Token:
        if not _SLOT_RE.fullmatch(name):
            raise RenderError(f"bad slot name {name!r}")
        return Token(f"<!--nl:slot {name}-->")

    def end(self) -> Token:
        return Token("<!--nl:end-->")


def tag_context() -> dict[str, Token]:
    """The merge tag of every per-reader value, for the template context (``tags.greeting``)."""
    return {name: Token(merge_tag(name)) for name in MERGE_TAGS}


Piece = str | tuple[str]  # literal text, or (merge tag name,)


@dataclass(frozen=True, slots=True)
class _Block:
    kind: Kind
    group: str
    dim: str
    key: str
    top: bool
    pieces: tuple[Piece, ...]


@dataclass(frozen=True, slots=True)
class _Slot:
    name: str


Part = Piece | _Block | _Slot


def _split_tags(text: str) -> list[Piece]:
    out: list[Piece] = []
    pos = 0
    for m in MERGE_TAG_RE.finditer(text):
        if m.group(1) not in MERGE_TAGS:
            raise RenderError(
                f"the issue contains {m.group(0)}, which looks like a merge tag but is none "
                f"of {', '.join(MERGE_TAGS)}"
            )
        if m.start() > pos:
            out.append(text[pos : m.start()])
        out.append((m.group(1),))
        pos = m.end()
    if pos < len(text):
        out.append(text[pos:])
    return out


def _parse(text: str) -> tuple[Part, ...]:
    """Split compiled output into literal text, tags and conditional blocks (no nesting)."""
    parts: list[Part] = []
    opened: tuple[str, list[str]] | None = None
    pos = 0
    for m in _MARK_RE.finditer(text):
        chunk, pos = text[pos : m.start()], m.end()
        kind, args = m.group(1), m.group(2).split()
        if kind == "slot":
            if opened is not None:
                raise RenderError("a slot cannot sit inside a personalization block")
            if len(args) != 1:
                raise RenderError(f"malformed slot marker {' '.join(args)}")
            parts.extend(_split_tags(chunk))
            parts.append(_Slot(args[0]))
            continue
        if opened is None:
            if kind == "end":
                raise RenderError("personalization marker <!--nl:end--> without a start")
            parts.extend(_split_tags(chunk))
            opened = (kind, args)
        elif kind != "end":
            raise RenderError("personalization markers cannot nest")
        else:
            parts.append(_block(opened[0], opened[1], tuple(_split_tags(chunk))))
            opened = None
    if opened is not None:
        raise RenderError(f"personalization marker {opened[0]} is never closed")
    parts.extend(_split_tags(text[pos:]))
    return tuple(parts)


def _block(kind: str, args: list[str], pieces: tuple[Piece, ...]) -> _Block:
    try:
        if kind == "row":
            group, dim, top, key = args
            return _Block("row", group, dim, key, top == "1", pieces)
        if kind == "empty":
            group, dim = args
            return _Block("empty", group, dim, "", False, pieces)
        if kind in ("personal", "public"):
            if args:
                raise ValueError
            return _Block("personal" if kind == "personal" else "public", "", "", "", False, pieces)
        (dim,) = args
        return _Block("unpicked" if kind == "unpicked" else "filtered", "", dim, "", False, pieces)
    except ValueError:
        raise RenderError(f"malformed personalization marker {kind} {' '.join(args)}") from None


@lru_cache(maxsize=8192)
def _chosen(prefs: Preferences) -> dict[str, frozenset[str]]:
    return {d: frozenset(row_key(v) for v in getattr(prefs, d)) for d in DIMS}


_NO_PICKS = Preferences()


@dataclass(slots=True)
class BodyTemplate:
    """One compiled body (HTML or text) ready for cheap per-audience filtering and filling."""

    parts: tuple[Part, ...]
    escape: bool
    slots: SlotFiller | None = None
    _cache: dict[Audience, tuple[Piece, ...]] = field(default_factory=dict)
    _tagged: dict[Audience, str] = field(default_factory=dict)
    _sizes: dict[Audience, Measures] = field(default_factory=dict)
    _part_sizes: list[Measures] = field(default_factory=list)
    _rows: tuple[tuple[int, _Block], ...] = ()  # the filterable rows, by index in parts

    def __post_init__(self) -> None:
        self._rows = tuple(
            (i, p) for i, p in enumerate(self.parts) if isinstance(p, _Block) and p.kind == "row"
        )

    @classmethod
    def parse(cls, text: str, *, escape: bool, slots: SlotFiller | None = None) -> BodyTemplate:
        parts = _parse(text)
        if slots is None and any(isinstance(p, _Slot) for p in parts):
            raise RenderError("the issue has a slot but nothing to fill it with")
        return cls(parts, escape, slots)

    def _filtered(self, audience: Audience) -> tuple[Piece, ...]:
        cached = self._cache.get(audience)
        if cached is not None:
            return cached
        public = audience is None
        chosen = _chosen(audience or _NO_PICKS)
        rows = {i: _keep_row(p, chosen) for i, p in self._rows}
        kept_groups = {p.group for i, p in self._rows if rows[i]}
        part_sizes = self._part_sizes or self._measure_parts()
        pieces: list[Piece] = []
        counted: list[Measures] = []
        for i, p in enumerate(self.parts):
            if isinstance(p, _Slot):
                if self.slots is not None:
                    filled = _split_tags(self.slots(p.name, audience))
                    pieces.extend(filled)
                    counted.append(_pieces_size(filled))
                continue
            if not isinstance(p, _Block):
                pieces.append(p)
            elif (
                rows.get(i)
                or (p.kind == "empty" and chosen.get(p.dim) and p.group not in kept_groups)
                or (p.kind == "filtered" and chosen.get(p.dim))
                or (p.kind == "unpicked" and not chosen.get(p.dim))
                or (p.kind == "personal" and not public)
                or (p.kind == "public" and public)
            ):
                pieces.extend(p.pieces)
            else:
                continue
            counted.append(part_sizes[i])
        merged = tuple(_merge(pieces))
        if len(self._cache) < 4096:
            self._cache[audience] = merged
            self._sizes[audience] = _total(counted)
        return merged

    def _measure_parts(self) -> list[Measures]:
        for p in self.parts:
            if isinstance(p, _Slot):
                self._part_sizes.append((0, 0, 0, 0))
            else:
                self._part_sizes.append(_pieces_size(p.pieces if isinstance(p, _Block) else (p,)))
        return self._part_sizes

    def _measures(self, audience: Audience) -> Measures:
        sized = self._sizes.get(audience)
        if sized is None:
            pieces = self._filtered(audience)
            sized = self._sizes.get(audience) or _pieces_size(pieces)
        return sized

    def size_bound(self, audience: Audience, per_tag: int) -> int:
        """An upper bound of this audience's body in UTF-8 bytes once its merge tags are
        filled, a filled tag adding at most ``per_tag`` bytes (counted while filtering)."""
        size, tags, _, _ = self._measures(audience)
        return size + tags * per_tag

    def sent_size_bound(self, audience: Audience, per_tag: int, *, quick: bool = False) -> int:
        """An upper bound of this audience's body *as sent* (quoted-printable, see
        :func:`newsletter.delivery.message.encoded_size`) once its merge tags are filled, a
        filled tag adding at most ``per_tag`` bytes: the encoded literal text, plus for each
        tag three encoded characters a byte, the soft line breaks they may add, and a space
        before the tag that may end up encoded at a line's end. ``quick``: the literal text
        bounded from its parts' measures, counted while filtering, without joining or
        encoding it (:func:`~newsletter.delivery.message.qp_bound`: ~1% looser)."""
        per_encoded = 3 * per_tag
        per_tag_sent = per_encoded + 3 * (per_encoded // 72 + 2) + 2
        if quick:
            _, tags, qp_chars, qp_breaks = self._measures(audience)
            return qp_bound(qp_chars, qp_breaks) + tags * per_tag_sent
        pieces = self._filtered(audience)
        literal = "".join(p for p in pieces if isinstance(p, str))
        tags = sum(1 for p in pieces if not isinstance(p, str))
        return encoded_size(literal) + tags * per_tag_sent

    def tagged(self, audience: Audience) -> str:
        """The body for this audience with its merge tags left in (an issue variant)."""
        cached = self._tagged.get(audience)
        if cached is None:
            cached = "".join(
                p if isinstance(p, str) else merge_tag(p[0]) for p in self._filtered(audience)
            )
            if len(self._tagged) < 4096:
                self._tagged[audience] = cached
        return cached

    def fill(self, audience: Audience, values: Mapping[str, str]) -> str:
        """The body for this audience with every merge tag filled (values are plain text,
        HTML-escaped in an HTML body); a tag without a value is a RenderError."""
        vals = {k: html.escape(v) for k, v in values.items()} if self.escape else values
        try:
            return "".join(
                p if isinstance(p, str) else vals[p[0]] for p in self._filtered(audience)
            )
        except KeyError as exc:
            raise RenderError(f"no value for the merge tag %%{exc.args[0]}%%") from None


#: Measures of some pieces, each a sum over them: UTF-8 bytes of the literal text, merge
#: tags, and the literal text's quoted-printable measures (characters, line breaks:
#: :func:`~newsletter.delivery.message.qp_measure`).
Measures = tuple[int, int, int, int]


def _total(measures: Iterable[Measures]) -> Measures:
    size = tags = qp_chars = qp_breaks = 0
    for b, t, c, k in measures:
        size, tags, qp_chars, qp_breaks = size + b, tags + t, qp_chars + c, qp_breaks + k
    return size, tags, qp_chars, qp_breaks


def _pieces_size(pieces: Iterable[Piece]) -> Measures:
    """The :data:`Measures` of ``pieces``."""
    size, tags, qp_chars, qp_breaks = 0, 0, 0, 0
    for piece in pieces:
        if isinstance(piece, str):
            raw = piece.encode("utf-8")
            chars, breaks = qp_measure(raw)
            size, qp_chars, qp_breaks = size + len(raw), qp_chars + chars, qp_breaks + breaks
        else:
            tags += 1
    return size, tags, qp_chars, qp_breaks


def _keep_row(p: _Block, chosen: Mapping[str, frozenset[str]]) -> bool:
    picked = chosen.get(p.dim)
    return p.key in picked if picked else p.top


def _merge(pieces: Iterable[Piece]) -> Iterable[Piece]:
    buf: list[str] = []
    for p in pieces:
        if isinstance(p, str):
            buf.append(p)
            continue
        if buf:
            yield "".join(buf)
            buf = []
        yield p
    if buf:
        yield "".join(buf)


def greeting(recipient: Recipient | None) -> str:
    if recipient is None:
        return "Hello,"
    name = (recipient.name or "").strip()
    return f"Hi {name.split()[0]}," if name else "Hello,"


def merge_values(recipient: Recipient | None) -> dict[str, str]:
    """The merge values of a reader (None: the public page, which only greets): greeting,
    and the links the reader has. The one source of these values, for previews and sends."""
    values = {"greeting": greeting(recipient)}
    if recipient is not None:
        if recipient.preferences_url:
            values["preferences_url"] = recipient.preferences_url
        if recipient.unsubscribe_url:
            values["unsubscribe_url"] = recipient.unsubscribe_url
    return values


def variant_name(prefs: Preferences) -> str:
    """A short stable name of a preference set (``default`` for no picks)."""
    if prefs.is_default:
        return "default"
    raw = repr((prefs.categories, prefs.metros, prefs.seniority)).encode("utf-8")
    return "prefs-" + hashlib.sha256(raw).hexdigest()[:12]
