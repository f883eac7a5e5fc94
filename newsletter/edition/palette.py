"""The one palette of the issue and the web pages, light and dark, and the contrast it owes.

Every colour the issue or a web page shows is a *role* of a :class:`Scheme` (``muted``,
``mark_up``, ...). Templates print the light value inline (``pal.muted``) with the role's
class (``c-muted`` for text, ``bg-tile`` for a surface, ``bd-card`` for a border); the dark
values reach the reader through :func:`email_css` (``prefers-color-scheme: dark``, and
Outlook.com's ``[data-ogsc]`` / ``[data-ogsb]`` dark mode, each in a ``<style>`` block of its
own) and :func:`web_css` (CSS custom
properties). :data:`PAIRS` lists every foreground that sits on a background, with the
WCAG 2.1 minimum it must meet (text 4.5:1, large text, chart marks and focus indicators
3:1); ``tests/test_palette.py`` computes each ratio in both schemes, and
:func:`contrast_table` prints them (docs/accessibility.md).

Chart marks are mid-tones that hold 3:1 against the light *and* the dark surfaces, so a
client that darkens the background on its own, without applying our dark rules, still shows
every bar.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal, NamedTuple

#: Minimum contrast ratios (WCAG 2.1: 1.4.3 text, 1.4.3 large text, 1.4.11 non-text).
TEXT, LARGE, MARK = 4.5, 3.0, 3.0


@dataclass(frozen=True, slots=True)
class Scheme:
    """The colours of one colour scheme, by role (``#rrggbb``)."""

    name: str
    # surfaces
    page: str  # behind the issue (the footer sits on it) and behind a web page's card
    card: str  # the sections, a web page's main box
    tile: str  # the KPI tiles
    header: str  # the title band
    rule: str  # row rules and dividers (decorative)
    # text
    text: str
    strong: str
    muted: str
    link: str
    up: str
    down: str
    on_header: str
    on_header_muted: str
    kicker: str
    # marks (graphical objects): bars, sparklines, stacked-bar segments
    mark: str
    mark_up: str
    mark_down: str
    mix: tuple[str, ...]
    # web controls
    accent: str  # buttons
    on_accent: str
    field: str  # form field borders
    focus: str  # the focus outline


LIGHT = Scheme(
    name="light",
    page="#eef0f4",
    card="#ffffff",
    tile="#f3f4f6",
    header="#111827",
    rule="#e5e7eb",
    text="#1f2933",
    strong="#111827",
    muted="#5b6472",
    link="#4338ca",
    up="#047857",
    down="#b91c1c",
    on_header="#ffffff",
    on_header_muted="#d1d5db",
    kicker="#c7d2fe",
    mark="#6366f1",
    mark_up="#059669",
    mark_down="#dc2626",
    mix=("#0d9488", "#6366f1", "#d97706", "#db2777", "#0284c7", "#c026d3"),
    accent="#4338ca",
    on_accent="#ffffff",
    field="#6b7280",
    focus="#b45309",
)

DARK = Scheme(
    name="dark",
    page="#0b0f19",
    card="#111827",
    tile="#1f2937",
    header="#020617",
    rule="#374151",
    text="#e5e7eb",
    strong="#f9fafb",
    muted="#9ca3af",
    link="#a5b4fc",
    up="#34d399",
    down="#f87171",
    on_header="#ffffff",
    on_header_muted="#d1d5db",
    kicker="#c7d2fe",
    mark=LIGHT.mark,
    mark_up=LIGHT.mark_up,
    mark_down=LIGHT.mark_down,
    mix=LIGHT.mix,
    accent="#a5b4fc",
    on_accent="#111827",
    field="#9ca3af",
    focus="#fbbf24",
)

SCHEMES = (LIGHT, DARK)

#: Text roles (printed with class ``c-<role>``), surface roles (``bg-<role>``), border roles
#: (``bd-<role>``) and mark roles (``bg-<role>``; marks keep one value in both schemes).
TEXT_ROLES = ("text", "strong", "muted", "link", "up", "down", "on_header", "on_header_muted",
              "kicker")  # fmt: skip
SURFACE_ROLES = ("page", "card", "tile", "header")
BORDER_ROLES = ("card", "rule", "field")

Kind = Literal["text", "large", "mark", "focus"]
MINIMUM: dict[Kind, float] = {"text": TEXT, "large": LARGE, "mark": MARK, "focus": MARK}


@dataclass(frozen=True, slots=True)
class Pair:
    """A foreground role shown on a background role, and what it is (sets the minimum)."""

    fg: str
    bg: str
    kind: Kind
    where: str


def _pairs() -> tuple[Pair, ...]:
    out: list[Pair] = []
    for fg in ("text", "strong", "muted", "link", "up", "down"):
        out.append(Pair(fg, "card", "text", "section text, notes, changes, links"))
    for fg in ("text", "strong", "muted", "link", "up", "down"):
        out.append(Pair(fg, "tile", "text", "KPI tiles; the editor's note (a tile)"))
    for fg in ("text", "muted", "link"):
        out.append(Pair(fg, "page", "text", "footer; web page text outside the card"))
    for fg in ("on_header", "on_header_muted", "kicker"):
        out.append(Pair(fg, "header", "text", "title band"))
    for fg in ("mark", "mark_up", "mark_down"):
        out.append(Pair(fg, "card", "mark", "bars (skills, metros)"))
    out.append(Pair("mark", "tile", "mark", "sparkline bars on a KPI tile"))
    out.extend(Pair(f"mix{i}", "card", "mark", "seniority segment and its legend swatch")
               for i in range(len(LIGHT.mix)))  # fmt: skip
    out.append(Pair("on_accent", "accent", "text", "web: button label"))
    out.append(Pair("accent", "card", "mark", "web: button shape"))
    out.append(Pair("field", "card", "mark", "web: form field border"))
    out.append(Pair("focus", "card", "focus", "web: focus outline on the card"))
    out.append(Pair("focus", "page", "focus", "web: focus outline on the page"))
    return tuple(out)


#: Every foreground/background pair the issue and the web pages show.
PAIRS = _pairs()


def colour(scheme: Scheme, role: str) -> str:
    """The colour of a role; ``mixN`` is the N-th stacked-bar colour."""
    if role.startswith("mix"):
        return scheme.mix[int(role[3:])]
    value = getattr(scheme, role)
    assert isinstance(value, str)
    return value


def roles(scheme: Scheme = LIGHT) -> dict[str, str]:
    """Every role of a scheme by name (``mix0``... for the stacked-bar colours): the ``pal``
    the templates print from."""
    out = {f.name: getattr(scheme, f.name) for f in fields(Scheme) if f.name not in ("name", "mix")}
    out.update({f"mix{i}": c for i, c in enumerate(scheme.mix)})
    return out


def luminance(hex_colour: str) -> float:
    """WCAG 2.1 relative luminance of ``#rrggbb``."""
    h = hex_colour.lstrip("#")
    channels = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2.1 contrast ratio of two colours (1 to 21)."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@dataclass(frozen=True, slots=True)
class Ratio:
    scheme: str
    pair: Pair
    fg: str
    bg: str
    ratio: float

    @property
    def minimum(self) -> float:
        return MINIMUM[self.pair.kind]

    @property
    def ok(self) -> bool:
        return self.ratio >= self.minimum


def ratios() -> list[Ratio]:
    """Every pair of :data:`PAIRS` in every scheme, with its contrast ratio."""
    out = []
    for s in SCHEMES:
        for p in PAIRS:
            fg, bg = colour(s, p.fg), colour(s, p.bg)
            out.append(Ratio(s.name, p, fg, bg, contrast(fg, bg)))
    return out


def contrast_table() -> str:
    """The Markdown table of every pair's ratio in both schemes (docs/accessibility.md)."""
    lines = [
        "| foreground | background | where | min | light | ratio | dark | ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    by_scheme = {s.name: {(r.pair.fg, r.pair.bg): r for r in ratios() if r.scheme == s.name}
                 for s in SCHEMES}  # fmt: skip
    for p in PAIRS:
        lt, dk = by_scheme["light"][(p.fg, p.bg)], by_scheme["dark"][(p.fg, p.bg)]
        lines.append(
            f"| {p.fg} | {p.bg} | {p.where} | {MINIMUM[p.kind]:.1f} | `{lt.fg}` on `{lt.bg}` "
            f"| {lt.ratio:.2f} | `{dk.fg}` on `{dk.bg}` | {dk.ratio:.2f} |"
        )
    return "\n".join(lines) + "\n"


# --- the dark rules ------------------------------------------------------------------------


def _dark_rules(text_attr: str = "", bg_attr: str = "") -> list[str]:
    """CSS rules giving every role class its dark value. MJML puts an element's inline
    colour on a ``div`` inside the cell that carries the class, a section's background on a
    ``table`` inside the ``div`` that carries it, and a column's background or border on the
    cell of that table: all are covered."""
    d = DARK
    t = f"{text_attr} " if text_attr else ""
    b = f"{bg_attr} " if bg_attr else ""
    rules = [f"{t}.c-{r},{t}.c-{r}>div{{color:{getattr(d, r)}!important}}" for r in TEXT_ROLES]
    cell = ">table>tbody>tr>td"  # an mj-column's background or border sits on this cell
    rules += [
        f"{b}.bg-{r},{b}.bg-{r}>table,{b}.bg-{r}{cell}"
        f"{{background-color:{getattr(d, r)}!important}}"
        for r in SURFACE_ROLES
    ]
    rules += [
        f"{b}.bd-{r},{b}.bd-{r}{cell}{{border-color:{getattr(d, r)}!important}}"
        for r in BORDER_ROLES
    ]
    return rules


class EmailCss(NamedTuple):
    """The issue's colour-scheme rules, as two ``<style>`` blocks of their own: a client
    drops a whole block when one of its rules is one it does not read (Gmail drops
    ``@media (prefers-color-scheme)`` and attribute selectors, Outlook.com attribute selectors
    it cannot map), so neither set shares a block with the other or with the phone layout."""

    #: ``prefers-color-scheme: dark`` (Apple Mail, iOS Mail, Outlook for Mac, ...), with the
    #: ``color-scheme`` declaration.
    scheme: str
    #: Outlook.com's dark mode (``[data-ogsc]`` text, ``[data-ogsb]`` backgrounds).
    outlook: str


def email_css() -> EmailCss:
    """The issue's colour-scheme rules: dark values under ``prefers-color-scheme: dark`` and
    under Outlook.com's dark mode attributes, one block each (:class:`EmailCss`)."""
    # every link (a note's Markdown links carry no class) takes the dark link colour
    dark = f"a{{color:{DARK.link}!important}}" + "".join(_dark_rules())
    ogs = f"[data-ogsc] a{{color:{DARK.link}!important}}" + "".join(
        _dark_rules(text_attr="[data-ogsc]", bg_attr="[data-ogsb]")
    )
    scheme = (
        ":root{color-scheme:light dark;supported-color-schemes:light dark}"
        f"@media (prefers-color-scheme:dark){{body{{background-color:{DARK.page}!important}}"
        f"{dark}}}"
    )
    return EmailCss(scheme=scheme, outlook=ogs)


def _vars(s: Scheme) -> str:
    names = [f.name for f in fields(Scheme) if f.name not in ("name", "mix")]
    return ";".join(f"--{n.replace('_', '-')}:{getattr(s, n)}" for n in names)


def web_css() -> str:
    """The web pages' colours as CSS custom properties, light and dark."""
    return (
        f":root{{color-scheme:light dark;{_vars(LIGHT)}}}"
        f"@media (prefers-color-scheme:dark){{:root{{{_vars(DARK)}}}}}"
    )


def hex_colours() -> frozenset[str]:
    """Every colour of both schemes (lower case), for the test that nothing else is used."""
    out: set[str] = set()
    for s in SCHEMES:
        for f in fields(Scheme):
            v = getattr(s, f.name)
            if f.name == "mix":
                out.update(v)
            elif f.name != "name":
                out.add(v)
    return frozenset(c.lower() for c in out)


if __name__ == "__main__":  # python -m newsletter.edition.palette: the table for the docs
    print(contrast_table(), end="")
