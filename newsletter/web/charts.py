"""Charts for ``/admin``, drawn on the server as inline SVG (pygal), with their values as text.

Every chart is a :class:`Chart`: the SVG (``role="img"``, named by its caption; no script:
pygal's tooltip JavaScript is switched off and its inline config script taken out, so the
page keeps its strict Content-Security-Policy), a one-sentence summary, and a table of every value shown, so the
figures are there for screen readers, keyboards and copy-paste. Colours are chosen for
contrast on white: text at least 4.5:1, lines, bars and dots at least 3:1 (WCAG 2.1 1.4.3
and 1.4.11), drawn fully opaque; a test checks the ratios.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import count

import pygal
from markupsafe import Markup
from pygal.style import Style

BACKGROUND = "#ffffff"
#: Axis labels, legend and title text (on white: 14.7:1).
TEXT = "#1f2937"
#: Grid lines (decorative; the values are also in the tables).
GUIDE = "#6b7280"
#: Series colours, in order (on white: 6.7, 6.5, 7.4, 7.1 : 1).
SERIES = ("#1d4ed8", "#b91c1c", "#065f46", "#92400e")
_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"

STYLE = Style(
    background=BACKGROUND,
    plot_background=BACKGROUND,
    foreground=TEXT,
    foreground_strong=TEXT,
    foreground_subtle=GUIDE,
    colors=SERIES,
    opacity="1",
    opacity_hover="1",
    stroke_opacity="1",
    stroke_opacity_hover="1",
    stroke_width="3",
    stroke_width_hover="3",
    font_family=_FONT,
    label_font_family=_FONT,
    major_label_font_family=_FONT,
    value_font_family=_FONT,
    value_label_font_family=_FONT,
    tooltip_font_family=_FONT,
    title_font_family=_FONT,
    legend_font_family=_FONT,
    no_data_font_family=_FONT,
    label_font_size=15,
    major_label_font_size=15,
    legend_font_size=15,
    no_data_font_size=16,
    transition="none",
)

#: pygal's comments (they date the output) and its inline config script (inert without
#: its tooltip library, and refused by the page's CSP anyway): both taken out.
_DROP = re.compile(r"<!--.*?-->|<script\b[^>]*>.*?</script>|<script\b[^>]*/>", re.DOTALL)
_ids = count(1)
Format = Callable[[float | None], str]


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: Sequence[float | None]
    #: A threshold drawn dashed, not data (left out of the summary).
    limit: bool = False


@dataclass(frozen=True, slots=True)
class Chart:
    """One chart: its id, caption, summary sentence, SVG and its values as a table."""

    id: str
    title: str
    summary: str
    svg: Markup
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    #: (series name, its colour, drawn dashed: a limit) in drawing order.
    legend: tuple[tuple[str, str, bool], ...] = ()


def int_ticks(values: Sequence[float | None], most: int = 6) -> list[int]:
    """Whole-number y ticks from 0 past the largest value (counts have no fractions)."""
    top = max([v for v in values if v is not None] or [0])
    step = 1
    while top / step > most - 1:
        step = step * 5 // 2 if str(step)[0] == "2" else step * 2
    return list(range(0, int(top) + step + 1, step))


def _options(fmt: Format) -> dict[str, object]:
    return {
        "style": STYLE,
        "js": [],  # no tooltip script: the page allows none (CSP), the table has the values
        "disable_xml_declaration": True,
        "explicit_size": False,
        "width": 760,
        "height": 340,
        "x_label_rotation": 30,
        "show_legend": False,  # the page prints the legend as text (Chart.legend)
        "print_values": False,
        "dots_size": 4,
        "value_formatter": fmt,
        "y_labels_major_every": None,
        "truncate_label": -1,
        "truncate_legend": -1,
        "no_data_text": "No data yet",
        "margin": 12,
    }


def _svg(chart: pygal.graph.graph.Graph, caption_id: str) -> Markup:
    raw = _DROP.sub("", chart.render(is_unicode=True))
    head = f'<svg role="img" aria-labelledby="{caption_id}" focusable="false" '
    return Markup(raw.replace("<svg ", head, 1))


def _chart(
    kind: type[pygal.graph.graph.Graph],
    *,
    title: str,
    summary: str,
    labels: Sequence[str],
    series: Sequence[Series],
    fmt: Format,
    whole: bool = False,
) -> Chart:
    cid = f"chart-{next(_ids)}"
    chart = kind(**_options(fmt))
    chart.x_labels = list(labels)
    if whole:
        chart.y_labels = int_ticks([v for s in series for v in s.values])
    for s in series:
        extra: dict[str, object] = {}
        if s.limit:
            extra = {"stroke_style": {"width": 3, "dasharray": "9, 6"}, "show_dots": False}
        chart.add(s.name, list(s.values), **extra)
    headers = ("", *(s.name for s in series if not s.limit))
    rows = tuple(
        (label, *(fmt(s.values[i]) for s in series if not s.limit))
        for i, label in enumerate(labels)
    )
    legend = tuple((s.name, SERIES[i % len(SERIES)], s.limit) for i, s in enumerate(series))
    return Chart(cid, title, summary, _svg(chart, f"{cid}-caption"), headers, rows, legend)


def line_chart(
    title: str, summary: str, labels: Sequence[str], series: Sequence[Series], fmt: Format
) -> Chart:
    return _chart(
        pygal.Line,
        title=title,
        summary=summary,
        labels=labels,
        series=series,
        fmt=fmt,
        whole=fmt is count_fmt,
    )


def bar_chart(
    title: str, summary: str, labels: Sequence[str], series: Sequence[Series], fmt: Format
) -> Chart:
    return _chart(
        pygal.Bar,
        title=title,
        summary=summary,
        labels=labels,
        series=series,
        fmt=fmt,
        whole=fmt is count_fmt,
    )


def count_fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:,.0f}"


def pct_fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f} %"


def usd_fmt(x: float | None) -> str:
    return "—" if x is None else f"${x:,.0f}"
