"""Skills: the explicit list where a posting has one, else matched in title + description.

Matching is one Aho-Corasick pass (polars ``str.extract_many``) over a normalized copy of
the text in which every run of characters other than letters, digits, ``+``, ``#`` and
``.`` becomes two spaces, and sentence dots are dropped. Every alias is normalized the same
way and padded with one space at each end, so ``" c++ "`` matches "C++," but never
"C++11x", ``" sql "`` never hits "PostgreSQL", and ``" .net "`` keeps its dot; the double
spaces let back-to-back matches share no character. Aliases marked case-sensitive (``RAG``,
``Rust``, ``Spark``...) go through a second, exact-case pass. ``R`` and ``Go`` count only in
a list of languages (another language within 60 characters) or in unambiguous spellings
(RStudio, Golang); ``R&D``, ``go-to-market`` and "go live" never count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from newsletter.errors import IngestError
from newsletter.ingest.rules import SkillRules
from newsletter.ingest.text import strip_html


def haystack(expr: pl.Expr) -> pl.Expr:
    """The normalized text that skill aliases are matched in (see the module docstring)."""
    x = expr.str.replace_all(r"[^A-Za-z0-9+#.]+", "  ")
    x = x.str.replace_all(r"\.+(\s|$)", "  ").str.replace_all(r"(^|\s)\.\.+", "  ")
    return pl.lit("  ") + x + pl.lit("  ")


def _keys(aliases: list[str]) -> list[str]:
    """Each alias in the haystack's form, padded with one space at each end."""
    if not aliases:
        return []
    s = pl.DataFrame({"a": aliases}).select(haystack(pl.col("a")).str.strip_chars())
    return [f" {k} " for k in s.to_series().to_list()]


@dataclass(frozen=True)
class Matcher:
    """Compiled skill rules: pattern lists and lookup tables."""

    insensitive: dict[str, str]  # lowercase padded key -> skill
    sensitive: dict[str, str]  # exact padded key -> skill
    context: dict[str, str]  # skill -> regex over the raw text
    explicit: dict[str, str]  # lowercase alias -> skill, for explicit skill lists
    parents: dict[str, str]  # skill -> implied broader skill
    version: str

    def groups_of(self, rules: SkillRules, groups: tuple[str, ...]) -> list[str]:
        return [s.name for s in rules.skills if s.group in groups]


def _add(table: dict[str, str], key: str, skill: str, where: str) -> None:
    other = table.get(key)
    if other is not None and other != skill:
        raise IngestError(
            f"skills.yaml: alias {key.strip()!r} of {skill} is also {other} ({where})"
        )
    table[key] = skill


def compile_skills(rules: SkillRules) -> Matcher:
    insensitive: dict[str, str] = {}
    sensitive: dict[str, str] = {}
    context: dict[str, str] = {}
    explicit: dict[str, str] = {}
    langs = "|".join(re.escape(w) for w in rules.context_languages)
    for skill in rules.skills:
        spellings = [skill.name, *skill.aliases] if skill.match_name else list(skill.aliases)
        for spelling in (skill.name, *skill.aliases, *skill.listed_as, *skill.exact):
            explicit.setdefault(spelling.casefold(), skill.name)
        if skill.needs_context:
            token = re.escape(skill.name)
            left, right = r"(?:^|[\s,/(])", r"(?:$|[\s,/).;])"
            context[skill.name] = (
                rf"(?:{langs})[^\n]{{0,60}}?{left}{token}{right}"
                rf"|{left}{token}[\s,/)][^\n]{{0,60}}?(?:{langs})"
            )
            spellings = list(skill.aliases)
        target = sensitive if skill.case_sensitive else insensitive
        keys = _keys(spellings)
        for key in keys:
            _add(target, key if skill.case_sensitive else key.lower(), skill.name, "aliases")
        for key in _keys(list(skill.exact)):
            _add(sensitive, key, skill.name, "exact")
    parents = {s.name: s.parent for s in rules.skills if s.parent}
    return Matcher(insensitive, sensitive, context, explicit, parents, rules.version)


def _by_length(keys: dict[str, str]) -> list[str]:
    return sorted(keys, key=len, reverse=True)


def extract_skills_expr(text: pl.Expr, matcher: Matcher) -> pl.Expr:
    """Canonical skills mentioned in ``text`` (title + description), unsorted, unique."""
    hay = haystack(text)
    parts: list[pl.Expr] = []
    if matcher.insensitive:
        found = hay.str.extract_many(
            _by_length(matcher.insensitive), ascii_case_insensitive=True, leftmost=True
        )
        parts.append(
            found.list.eval(
                pl.element()
                .str.to_lowercase()
                .replace_strict(matcher.insensitive, default=None, return_dtype=pl.String)
            )
        )
    if matcher.sensitive:
        found = hay.str.extract_many(_by_length(matcher.sensitive), leftmost=True)
        parts.append(
            found.list.eval(
                pl.element().replace_strict(matcher.sensitive, default=None, return_dtype=pl.String)
            )
        )
    for skill, pattern in matcher.context.items():
        parts.append(
            pl.when(text.str.contains(pattern))
            .then(pl.lit([skill]))
            .otherwise(pl.lit([], dtype=pl.List(pl.String)))
        )
    if not parts:
        return pl.lit([], dtype=pl.List(pl.String))
    return pl.concat_list(parts).list.drop_nulls().list.unique()


def explicit_skills_expr(skills: pl.Expr, matcher: Matcher) -> pl.Expr:
    """An explicit skill list mapped to canonical names (unknown names kept as given)."""
    return skills.list.eval(
        pl.coalesce(
            pl.element()
            .str.strip_chars()
            .str.to_lowercase()
            .replace_strict(matcher.explicit, default=None, return_dtype=pl.String),
            pl.element().str.strip_chars(),
        )
    ).list.unique()


def add_skills(lf: pl.LazyFrame, matcher: Matcher, ai_skills: list[str]) -> pl.LazyFrame:
    """Replace the raw ``skills`` column by canonical names; add ``ai_skill_count`` and
    ``skills_source`` (explicit | text). ``description`` becomes plain text."""
    lf = lf.with_columns(description=strip_html(pl.col("description")))
    text = pl.concat_str(
        [pl.col("title"), pl.col("description")], separator=" \n ", ignore_nulls=True
    )
    has_explicit = pl.col("skills").list.len() > 0
    found = (
        pl.when(has_explicit)
        .then(explicit_skills_expr(pl.col("skills"), matcher))
        .otherwise(extract_skills_expr(text, matcher))
    )
    with_parents = pl.concat_list(
        [
            pl.col("_sk"),
            pl.col("_sk").list.eval(
                pl.element().replace_strict(matcher.parents, default=None, return_dtype=pl.String)
            ),
        ]
    )
    return (
        lf.with_columns(
            _sk=found,
            skills_source=pl.when(has_explicit).then(pl.lit("explicit")).otherwise(pl.lit("text")),
        )
        .with_columns(skills=with_parents.list.drop_nulls().list.unique().list.sort())
        .with_columns(
            ai_skill_count=pl.col("skills").list.eval(pl.element().is_in(ai_skills)).list.sum()
        )
        .drop("_sk")
    )
