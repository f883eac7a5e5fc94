"""Charts for ``/admin``, drawn on the server as inline SVG, with their values as text.

Every chart is a :class:`Chart`: the SVG (``role="img"``, named by its caption, every point
carrying its value in a ``<title>``), a one-sentence summary, a legend in HTML, and a table
of every value shown, so the figures are there for screen readers, keyboards and
copy-paste. No script: the page keeps its strict Content-Security-Policy. Colours come
from the palette (``newsletter.edition.palette``), so the charts follow the page's light or
dark scheme: text, axes and grid lines are ``currentColor`` (the page sets the palette's
``--text``, 4.5:1 or more on the card in both schemes) and the SVG has no background of
its own (the card shows through); lines, bars and dots are the palette's chart marks, which
keep one value in both schemes and hold 3:1 against the light and the dark card (WCAG 2.1,
1.4.3 and 1.4.11), drawn fully opaque. tests/test_ops_admin.py checks every colour drawn.

Drawn here rather than with a charting library: the two small shapes needed (lines with
optional dashed limits, grouped bars) take less code than adapting one. pygal was tried: it
puts an import hook on ``sys.meta_path`` when imported (turning every failed optional import
into an ImportWarning on Python 3.11) and always emits an inline script.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from itertools import count
from typing import Literal

from markupsafe import Markup

from newsletter.edition.palette import LIGHT

#: Axis labels, axes and grid lines: the text colour the page sets (its ``--text``).
INK = "currentColor"
#: Series colours, in order: the palette's chart marks (one value in both schemes).
SERIES = (LIGHT.mark, LIGHT.mark_down, LIGHT.mark_up, LIGHT.mix[2])

WIDTH, HEIGHT = 760, 320
_LEFT, _RIGHT, _TOP, _BOTTOM = 84, 16, 16, 72
_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"
_ids = count(1)
Format = Callable[[float | None], str]


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: Sequence[float | None]
    #: A threshold drawn dashed, not data (left out of the table).
    limit: bool = False


@dataclass(frozen=True, slots=True)
class Chart:
    """One chart: its id, caption, summary sentence, SVG, its values as a table, and the
    legend: (series name, colour, dashed) in drawing order."""

    id: str
    title: str
    summary: str
    svg: Markup
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    legend: tuple[tuple[str, str, bool], ...] = ()


def nice_ticks(values: Sequence[float | None], most: int = 6, whole: bool = False) -> list[float]:
    """Evenly spaced round y ticks from 0 (or below the smallest negative value) past the
    largest value: steps of 1, 2 or 5 times a power of ten (whole numbers for counts)."""
    known = [v for v in values if v is not None and math.isfinite(v)]
    top = max([*known, 0.0])
    bottom = min([*known, 0.0])
    span = top - bottom or 1.0
    raw = span / max(most - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    if whole:
        step = max(1.0, math.ceil(step))
    start = math.floor(bottom / step) * step
    ticks = [start]
    while ticks[-1] < top or len(ticks) < 2:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _draw(
    kind: Literal["line", "bar"],
    caption_id: str,
    *,
    labels: Sequence[str],
    series: Sequence[Series],
    fmt: Format,
    whole: bool,
) -> Markup:
    ticks = nice_ticks([v for s in series for v in s.values], whole=whole)
    lo, hi = ticks[0], ticks[-1]
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    n = max(len(labels), 1)
    slot = plot_w / n

    def y(v: float) -> float:
        return _TOP + plot_h * (1 - (v - lo) / (hi - lo))

    def x(i: int) -> float:
        return _LEFT + slot * (i + 0.5)

    out = [
        f'<svg role="img" aria-labelledby="{caption_id}" focusable="false" '
        f'xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'font-family="{_FONT}" font-size="15">',
    ]
    for t in ticks:
        out.append(
            f'<line x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{_num(y(t))}" y2="{_num(y(t))}" '
            f'stroke="{INK}" stroke-width="1" stroke-dasharray="2 4"/>'
            f'<text x="{_LEFT - 8}" y="{_num(y(t) + 5)}" text-anchor="end" fill="{INK}">'
            f"{escape(fmt(t))}</text>"
        )
    for i, label in enumerate(labels):
        lx, ly = _num(x(i)), _num(_TOP + plot_h + 18)
        out.append(
            f'<text x="{lx}" y="{ly}" text-anchor="end" fill="{INK}" '
            f'transform="rotate(-30 {lx} {ly})">{escape(label)}</text>'
        )
    data = [s for s in series if not s.limit]
    bar_w = slot * 0.8 / max(len(data), 1)
    for index, s in enumerate(series):
        color = SERIES[index % len(SERIES)]
        if s.limit:
            out.append(_limit_line(s, color, [y(v) if v is not None else None for v in s.values]))
            continue
        if kind == "bar":
            k = data.index(s)
            for i, v in enumerate(s.values):
                if v is None:
                    continue
                top, base = y(max(v, 0)), y(min(v, 0))
                left = x(i) - slot * 0.4 + k * bar_w
                out.append(
                    f'<rect x="{_num(left)}" y="{_num(top)}" width="{_num(bar_w * 0.9)}" '
                    f'height="{_num(max(base - top, 0.5))}" fill="{color}">'
                    f"<title>{escape(f'{s.name}, {labels[i]}: {fmt(v)}')}</title></rect>"
                )
            continue
        runs: list[list[str]] = [[]]
        for i, v in enumerate(s.values):
            if v is None:
                runs.append([])
            else:
                runs[-1].append(f"{_num(x(i))},{_num(y(v))}")
        for run in runs:
            if len(run) > 1:
                out.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{color}" '
                    'stroke-width="3" stroke-linejoin="round"/>'
                )
        for i, v in enumerate(s.values):
            if v is not None:
                out.append(
                    f'<circle cx="{_num(x(i))}" cy="{_num(y(v))}" r="4.5" fill="{color}">'
                    f"<title>{escape(f'{s.name}, {labels[i]}: {fmt(v)}')}</title></circle>"
                )
    out.append(
        f'<line x1="{_LEFT}" x2="{_LEFT}" y1="{_TOP}" y2="{_TOP + plot_h}" stroke="{INK}"/>'
        f'<line x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{_num(y(max(lo, 0)))}" '
        f'y2="{_num(y(max(lo, 0)))}" stroke="{INK}"/>'
    )
    out.append("</svg>")
    return Markup("".join(out))


def _limit_line(s: Series, color: str, ys: list[float | None]) -> str:
    known = [v for v in ys if v is not None]
    if not known:
        return ""
    level = _num(known[0])
    return (
        f'<line x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{level}" y2="{level}" stroke="{color}" '
        f'stroke-width="3" stroke-dasharray="9 6"><title>{escape(s.name)}</title></line>'
    )


def chart(
    kind: Literal["line", "bar"],
    title: str,
    summary: str,
    *,
    labels: Sequence[str],
    series: Sequence[Series],
    fmt: Format,
) -> Chart:
    """One chart of ``kind``: ``labels`` along x, each series' values (None: no value) as a
    line or grouped bars, ``fmt`` for the axis and the table (whole-number ticks for
    :func:`count_fmt`)."""
    cid = f"chart-{next(_ids)}"
    svg = _draw(
        kind,
        f"{cid}-caption",
        labels=labels,
        series=series,
        fmt=fmt,
        whole=fmt is count_fmt,
    )
    headers = ("", *(s.name for s in series if not s.limit))
    rows = tuple(
        (label, *(fmt(s.values[i]) for s in series if not s.limit))
        for i, label in enumerate(labels)
    )
    legend = tuple((s.name, SERIES[i % len(SERIES)], s.limit) for i, s in enumerate(series))
    return Chart(cid, title, summary, svg, headers, rows, legend)


def count_fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:,.0f}"


def pct_fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f} %"


def usd_fmt(x: float | None) -> str:
    return "—" if x is None else f"${x:,.0f}"
