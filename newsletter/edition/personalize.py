"""Per-subscriber personalization of a compiled issue, without re-rendering.

The issue is rendered and compiled once with *markers* around the rows a subscriber can filter
and *slots* where per-subscriber values go. :class:`BodyTemplate` parses that output once into
pieces; for each set of :class:`~newsletter.models.Preferences` it keeps the matching rows (and
caches the result), then only the slots are filled per subscriber: greeting, preferences and
unsubscribe links. That is a string join per subscriber, not a Jinja or MJML run.

Markers (HTML comments, in the text part too, removed here):

- ``<!--nl:row GROUP DIM TOP KEY-->...<!--nl:end-->``: a row of table GROUP about DIM
  (categories, metros, seniority). Kept when the subscriber picked KEY for DIM; when they
  picked nothing for DIM, kept when TOP is 1 (the row is in the default top-N).
- ``<!--nl:empty GROUP DIM-->...<!--nl:end-->``: kept when the subscriber picked values for DIM
  and no row of GROUP is kept (says "none of your picks has postings this week").
- ``<!--nl:filtered DIM-->...<!--nl:end-->``: kept when the subscriber picked values for DIM.

Slots are ``[[nl:NAME]]`` tokens; see :data:`SLOT_NAMES`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from markupsafe import Markup

from newsletter.edition.view import row_key
from newsletter.errors import RenderError
from newsletter.models import Preferences, Recipient

SLOT_NAMES = ("greeting", "preferences_url", "unsubscribe_url", "footer_links")
_SLOT_RE = re.compile(r"\[\[nl:([a-z_]+)\]\]")
_MARK_RE = re.compile(r"<!--nl:(row|empty|filtered|end)([^>]*?)-->\n?")
DIMS = ("categories", "metros", "seniority")

Kind = Literal["row", "empty", "filtered"]


class Markers:
    """What templates call to emit markers; each returns safe markup (never escaped)."""

    def row(self, group: str, dim: str, key: str, top: bool) -> Markup:
        return Markup(f"<!--nl:row {group} {dim} {int(top)} {key}-->")

    def empty(self, group: str, dim: str) -> Markup:
        return Markup(f"<!--nl:empty {group} {dim}-->")

    def filtered(self, dim: str) -> Markup:
        return Markup(f"<!--nl:filtered {dim}-->")

    def end(self) -> Markup:
        return Markup("<!--nl:end-->")


def slot_tokens() -> dict[str, str]:
    """The placeholder of every slot, for the template context."""
    return {name: f"[[nl:{name}]]" for name in SLOT_NAMES}


Piece = str | tuple[str]  # literal text, or (slot name,)


@dataclass(frozen=True, slots=True)
class _Block:
    kind: Kind
    group: str
    dim: str
    key: str
    top: bool
    pieces: tuple[Piece, ...]


Part = Piece | _Block


def _split_slots(text: str) -> list[Piece]:
    out: list[Piece] = []
    pos = 0
    for m in _SLOT_RE.finditer(text):
        if m.group(1) not in SLOT_NAMES:
            raise RenderError(f"unknown personalization slot [[nl:{m.group(1)}]]")
        if m.start() > pos:
            out.append(text[pos : m.start()])
        out.append((m.group(1),))
        pos = m.end()
    if pos < len(text):
        out.append(text[pos:])
    return out


def _parse(text: str) -> tuple[Part, ...]:
    """Split compiled output into literal text, slots and conditional blocks (no nesting)."""
    parts: list[Part] = []
    opened: tuple[str, list[str]] | None = None
    pos = 0
    for m in _MARK_RE.finditer(text):
        chunk, pos = text[pos : m.start()], m.end()
        kind, args = m.group(1), m.group(2).split()
        if opened is None:
            if kind == "end":
                raise RenderError("personalization marker <!--nl:end--> without a start")
            parts.extend(_split_slots(chunk))
            opened = (kind, args)
        elif kind != "end":
            raise RenderError("personalization markers cannot nest")
        else:
            parts.append(_block(opened[0], opened[1], tuple(_split_slots(chunk))))
            opened = None
    if opened is not None:
        raise RenderError(f"personalization marker {opened[0]} is never closed")
    parts.extend(_split_slots(text[pos:]))
    return tuple(parts)


def _block(kind: str, args: list[str], pieces: tuple[Piece, ...]) -> _Block:
    try:
        if kind == "row":
            group, dim, top, key = args
            return _Block("row", group, dim, key, top == "1", pieces)
        if kind == "empty":
            group, dim = args
            return _Block("empty", group, dim, "", False, pieces)
        (dim,) = args
        return _Block("filtered", "", dim, "", False, pieces)
    except ValueError:
        raise RenderError(f"malformed personalization marker {kind} {' '.join(args)}") from None


def _chosen(prefs: Preferences) -> dict[str, frozenset[str]]:
    return {d: frozenset(row_key(v) for v in getattr(prefs, d)) for d in DIMS}


@dataclass(slots=True)
class BodyTemplate:
    """One compiled body (HTML or text) ready for cheap per-subscriber filling."""

    parts: tuple[Part, ...]
    escape: bool
    _cache: dict[Preferences, tuple[Piece, ...]] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str, *, escape: bool) -> BodyTemplate:
        return cls(_parse(text), escape)

    def _filtered(self, prefs: Preferences) -> tuple[Piece, ...]:
        cached = self._cache.get(prefs)
        if cached is not None:
            return cached
        chosen = _chosen(prefs)
        kept_groups = {
            p.group
            for p in self.parts
            if isinstance(p, _Block) and p.kind == "row" and _keep_row(p, chosen)
        }
        pieces: list[Piece] = []
        for p in self.parts:
            if not isinstance(p, _Block):
                pieces.append(p)
            elif (
                (p.kind == "row" and _keep_row(p, chosen))
                or (p.kind == "empty" and chosen.get(p.dim) and p.group not in kept_groups)
                or (p.kind == "filtered" and chosen.get(p.dim))
            ):
                pieces.extend(p.pieces)
        merged = tuple(_merge(pieces))
        if len(self._cache) < 4096:
            self._cache[prefs] = merged
        return merged

    def fill(self, prefs: Preferences, values: Mapping[str, str]) -> str:
        """The body for these preferences with every slot filled (values are plain text).

        ``footer_links`` is markup built by :func:`slot_values` and is inserted as is.
        """
        vals = {
            k: v if k == "footer_links" or not self.escape else html.escape(v)
            for k, v in values.items()
        }
        return "".join(p if isinstance(p, str) else vals[p[0]] for p in self._filtered(prefs))


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


def slot_values(
    recipient: Recipient | None,
    *,
    html_body: bool,
    subscribe_url: str,
    archive_index_url: str,
) -> dict[str, str]:
    """Slot values for a subscriber, or for the public archive page when ``recipient`` is None."""
    values = {"greeting": greeting(recipient)}
    if recipient is not None:
        values["preferences_url"] = recipient.preferences_url
        values["unsubscribe_url"] = recipient.unsubscribe_url
        links = [
            ("Preferences", recipient.preferences_url),
            ("Unsubscribe", recipient.unsubscribe_url),
        ]
    else:
        values["preferences_url"] = subscribe_url
        values["unsubscribe_url"] = subscribe_url
        links = [("Subscribe", subscribe_url), ("All issues", archive_index_url)]
    if html_body:
        values["footer_links"] = " · ".join(
            f'<a href="{html.escape(url)}" style="color:#4338ca">{label}</a>'
            for label, url in links
        )
    else:
        values["footer_links"] = "\n".join(f"{label}: {url}" for label, url in links)
    return values
