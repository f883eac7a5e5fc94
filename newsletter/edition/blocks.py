"""The building blocks a section of the issue is made of, as the templates print them.

Each block has one accessible pattern in ``templates/sections/_blocks.mjml.j2`` (HTML) and
``templates/sections/_blocks.txt.j2`` (plain text); a new section builds blocks in
:mod:`newsletter.edition.view` and calls the macros, never draws its own table:

- :class:`DataTable`: a real data table: column headers (``<th scope="col">``), a row header
  per row (``<th scope="row">``), every value as text; rows may be filtered per reader
  (``key``/``top``); no rows collapses the section into its ``empty`` line.
- :class:`BarList`: a bar chart: one row per item with its bar (table cells with a width and
  ``bgcolor``, hidden from screen readers) next to its value and change as text.
- :class:`Spark`: a sparkline (hidden from screen readers) with its weekly values as text.
- :class:`Stack`: a stacked bar (hidden from screen readers) with a legend that gives each
  part's value as text.

Colours are palette *roles* (:mod:`newsletter.edition.palette`), never hex values: ``tone``
is a text role, ``mark`` a mark role. Arrows are decoration (hidden from screen readers); the
signed figure and :attr:`Change.words` say the direction.

Every field that may print a name from posting data as text (a row's header, a cell, a bar's
or a segment's name) is :class:`~newsletter.edition.render.Breakable`: its HTML gets invisible
break opportunities in a run too long to fit (Outlook for Windows breaks nowhere else).
"""

from __future__ import annotations

from dataclasses import dataclass

from newsletter.edition.render import breakable

UP, DOWN, FLAT, NONE = "up", "down", "flat", "none"
ARROWS = {UP: "▲", DOWN: "▼", FLAT: "■", NONE: ""}
WORDS = {UP: "up", DOWN: "down", FLAT: "unchanged", NONE: ""}
TONES = {UP: "up", DOWN: "down", FLAT: "muted", NONE: "muted"}


@dataclass(frozen=True, slots=True)
class Change:
    """A change with its direction: ``+412 (+1.6%)``, up."""

    text: str
    direction: str = NONE

    @property
    def arrow(self) -> str:
        return ARROWS[self.direction]

    @property
    def words(self) -> str:
        """The direction in words (the plain-text part says it instead of an arrow)."""
        return WORDS[self.direction]

    @property
    def tone(self) -> str:
        return TONES[self.direction]


NO_CHANGE = Change("")


# --- data tables -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cell:
    """One value of a table row; ``note`` is small text after it (``n=22``)."""

    text: str
    tone: str = "text"
    note: str = ""
    bold: bool = False
    #: Long text that may wrap (names, lists), printed left-aligned; figures never wrap.
    wrap: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", breakable(self.text))


@dataclass(frozen=True, slots=True)
class Row:
    """A table row: its header (the name) and its values, one per column."""

    head: str
    cells: tuple[Cell, ...]
    #: Filtering (see newsletter.edition.personalize): a row key and whether it is in the top N.
    key: str = ""
    top: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "head", breakable(self.head))


#: A table with this many value columns or more (the pay tiers: open, median, P75, P90) asks
#: for :data:`NAME_SHARE` of its width for its row headers. Left to choose, a phone's table
#: layout gave the figures and their held-back notes all they asked and the names what was
#: left, so a role broke inside its words ("Researc" / "h Scientist", "Engineerin" / "g")
#: wherever the whole table only just fits (375 to 480 px).
WIDE_TABLE = 4
NAME_SHARE = "28%"


@dataclass(frozen=True, slots=True)
class DataTable:
    """A titled data table; ``columns`` label the value columns (right-aligned figures)."""

    title: str
    head: str  # the label of the row-header column ("Role"); "" for a table of facts with
    # no column headers (each row: its header and one value)
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    note: str = ""
    #: The reader's filter: marker group and preference dimension ("" when not filterable).
    group: str = ""
    dim: str = ""
    #: Why there is nothing to show (printed as the section's one line when ``rows`` is empty).
    empty: str = ""
    #: The names tied with the last row past the cut ("2 more with 12 open roles each, not
    #: listed."), a line under the table; a filterable table's only for readers without picks.
    more: str = ""

    @property
    def head_width(self) -> str:
        """The width the row headers' column asks for ("" for the table's own choice): a
        table of :data:`WIDE_TABLE` value columns or more keeps :data:`NAME_SHARE` of its width
        for the names."""
        return NAME_SHARE if len(self.columns) >= WIDE_TABLE else ""

    def value(self, head: str, column: str) -> Cell:
        """The cell of row ``head`` in ``column`` (for tests and callers that look one up)."""
        row = next(r for r in self.rows if r.head == head)
        return row.cells[self.columns.index(column)]


# --- charts ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BarLine:
    """A named bar with its figure and change (skills, metros)."""

    name: str
    bar_pct: int
    value: str
    change: Change
    extra: str = ""
    key: str = ""
    top: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", breakable(self.name))


@dataclass(frozen=True, slots=True)
class BarList:
    """A bar chart: ``mark`` is the bars' palette role."""

    title: str
    note: str
    mark: str
    lines: tuple[BarLine, ...]
    group: str = ""
    dim: str = ""
    empty: str = ""
    more: str = ""  # as DataTable.more


@dataclass(frozen=True, slots=True)
class Spark:
    """A sparkline: bar heights in px and the values they draw (oldest first)."""

    heights: tuple[int, ...]
    values: tuple[str, ...]
    label: str  # "Open roles, weeks of Oct 5 to Nov 23"

    @property
    def series(self) -> str:
        """The values as text, oldest first: ``4,102 · 4,150 · …`` (a line breaks after a
        dot, never before one)."""
        return "\u00a0· ".join(self.values)


@dataclass(frozen=True, slots=True)
class Segment:
    """One part of a stacked bar: its name, share, width and palette mark role."""

    name: str
    share: str
    width_pct: int
    mark: str
    change: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", breakable(self.name))


@dataclass(frozen=True, slots=True)
class Stack:
    """A stacked bar with its legend; ``empty`` says why there is none, ``note`` (under the
    title) what the shares are of when that needs saying."""

    title: str
    segments: tuple[Segment, ...]
    empty: str = ""
    note: str = ""

    @property
    def drawn(self) -> tuple[Segment, ...]:
        """The segments wide enough to draw (the legend lists them all)."""
        return tuple(s for s in self.segments if s.width_pct > 0)
