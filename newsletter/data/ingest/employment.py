"""Employment type of a posting: ``full_time``, ``part_time``, ``contract``, ``temporary`` or
``internship`` (``EMPLOYMENT_TYPES``), or null when the posting does not say.

Read, in this order, from an employment field of the export or job board (``explicit``:
``job_type``, Lever's ``commitment``, Ashby's ``employmentType``, ...), else from the title,
else from the pay text, with the ordered rules of ``rules/employment.yaml``; the first reader
that finds a type decides, and ``employment_source`` records which (``explicit``, ``title``,
``pay`` or ``none``). Each reader runs once per distinct value and is joined back, so a
million postings cost as many regex passes as there are different fields, titles and pay
texts. The output is only ever one of the five constants or null: the text it reads is never
copied into the snapshot.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import polars as pl

from newsletter.data.ingest.lookup import looked_up
from newsletter.data.ingest.rules import EmploymentRule, EmploymentRules
from newsletter.data.ingest.text import unescaped, words

#: Values of ``employment_source``: which reader decided (the last: none did).
EMPLOYMENT_SOURCES = ("explicit", "title", "pay", "none")


def employment_words(expr: pl.Expr) -> pl.Expr:
    """An employment field in the form the ``explicit`` rules match: character references
    decoded, split at camelCase (``FullTime`` -> ``Full Time``), casefolded words, one space
    at each end (``"Full-time and Part-time"`` -> ``" full time and part time "``)."""
    split = unescaped(expr).str.replace_all(r"(\p{Ll})(\p{Lu})", "${1} ${2}")
    return pl.lit(" ") + words(split) + pl.lit(" ")


#: ``\b`` not escaped itself (``\\b`` is a backslash and a "b").
_BOUNDARY_RE = re.compile(r"(?<!\\)((?:\\\\)*)\\b")


def ascii_boundaries(pattern: str) -> str:
    r"""``pattern`` with each ``\b`` as ASCII's word boundary, ``(?-u:\b)``. The rules' words
    are ASCII, so they match the same; but a Unicode ``\b`` sends every text holding another
    character (``€``, ``–``) to the regex engine's slow path, where this one keeps the fast
    one (a tenth of the time on a week's pay texts)."""
    return _BOUNDARY_RE.sub(r"\1(?-u:\\b)", pattern)


def _gated(text: pl.Expr, rules: tuple[EmploymentRule, ...]) -> pl.Expr:
    """``text`` where any rule's pattern matches it (one pass of all of them), else null."""
    anyone = "|".join(f"(?:{ascii_boundaries(r.pattern)})" for r in rules)
    return pl.when(text.str.contains(anyone)).then(text)


def _ruled(t: pl.Expr, rules: tuple[EmploymentRule, ...]) -> pl.Expr:
    """The employment of the first rule whose pattern matches ``t`` and whose guard does not;
    null when none does (a null ``t`` is skipped at no cost)."""
    out: pl.Expr = pl.lit(None, dtype=pl.String)
    for rule in reversed(rules):
        hit = t.str.contains(ascii_boundaries(rule.pattern))
        if rule.guard:
            hit = hit & ~t.str.contains(ascii_boundaries(rule.guard))
        out = pl.when(hit).then(pl.lit(rule.employment)).otherwise(out)
    return out


def first_rule(text: pl.Expr, rules: tuple[EmploymentRule, ...]) -> pl.Expr:
    """The employment of the first of ``rules`` that reads ``text`` as one, or null."""
    if not rules:
        return pl.lit(None, dtype=pl.String)
    return _ruled(_gated(text, rules), rules)


def classify_employment(text: pl.Expr, rules: EmploymentRules) -> pl.Expr:
    """The classifier of an employment field: ``"Full-time"``, ``"FullTime"``,
    ``"fulltime_permanent"`` -> ``full_time``; ``"Contractor and Temp work"`` -> ``contract``;
    ``"Not specified"`` -> null. Where a field names several types, the first rule that
    matches decides (the order of ``rules/employment.yaml``)."""
    return first_rule(employment_words(text), rules.explicit)


def title_employment(title: pl.Expr, rules: EmploymentRules) -> pl.Expr:
    """Employment stated in a title (``"Data Analyst (Contract)"``), or null."""
    return first_rule(title.str.to_lowercase(), rules.title)


def pay_employment(pay: pl.Expr, rules: EmploymentRules) -> pl.Expr:
    """Employment stated in a pay text (``"$70/hr C2C"``), or null."""
    return first_rule(pay.str.to_lowercase(), rules.pay)


def _lower(expr: pl.Expr) -> pl.Expr:
    return expr.str.to_lowercase()


#: The readers in the order they decide: (``employment_source`` and the list of
#: :class:`~newsletter.data.ingest.rules.EmploymentRules` it reads with, the raw column read,
#: the form of its text the rules match).
_READERS: tuple[tuple[str, str, Callable[[pl.Expr], pl.Expr]], ...] = (
    ("explicit", "employment", employment_words),
    ("title", "title", _lower),
    ("pay", "salary", _lower),
)


def _typed(
    lf: pl.LazyFrame,
    column: str,
    form: Callable[[pl.Expr], pl.Expr],
    rules: tuple[EmploymentRule, ...],
    name: str,
) -> pl.LazyFrame | None:
    """The distinct values of ``column`` that a rule gives a type, with it as ``name``; None
    when no value has one (a column without such words costs one ``unique``, no join)."""
    if not rules:
        return None
    found = (
        lf.select(column)
        .unique()
        .with_columns(_t=_gated(form(pl.col(column)), rules))
        .filter(pl.col("_t").is_not_null())  # the rules below read only these values
        .with_columns(_ruled(pl.col("_t"), rules).alias(name))
        .filter(pl.col(name).is_not_null())
        .select(column, name)
        .collect()
    )
    return None if found.is_empty() else found.lazy()


def add_employment(lf: pl.LazyFrame, rules: EmploymentRules) -> pl.LazyFrame:
    """Replace the raw ``employment`` field with the posting's employment type and add
    ``employment_source`` (needs the raw ``employment``, ``title`` and ``salary``). Each
    reader classifies the distinct values of its column and is joined back (only the values
    that have a type: often none, then nothing is joined)."""
    read: list[pl.LazyFrame] = []
    unread: list[pl.Expr] = []
    names = [f"_e_{source}" for source, *_ in _READERS]
    for (source, column, form), name in zip(_READERS, names, strict=True):
        found = _typed(lf, column, form, getattr(rules, source), name)
        if found is None:
            unread.append(pl.lit(None, dtype=pl.String).alias(name))
        else:
            read.append(looked_up(lf.select(column), found, column).drop(column))
    decided: pl.Expr = pl.lit(EMPLOYMENT_SOURCES[-1])  # none
    for (source, *_), name in reversed(list(zip(_READERS, names, strict=True))):
        decided = pl.when(pl.col(name).is_not_null()).then(pl.lit(source)).otherwise(decided)
    return (
        pl.concat([lf, *read], how="horizontal")
        .with_columns(unread)
        .with_columns(employment=pl.coalesce(names), employment_source=decided)
        .drop(names)
    )
