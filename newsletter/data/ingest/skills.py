"""Skills: the explicit list where a posting has one, else matched in title + description.

Matching is one Aho-Corasick pass (polars ``str.extract_many``, case-insensitive,
overlapping) over a normalized copy of the text in which every character other than
letters, digits, ``+``, ``#``, ``.``, ``&`` and space becomes a space, sentence dots are
dropped and runs of spaces collapse. Every alias is normalized the same way and padded with
one space at each end, so ``" c++ "`` matches "C++," but never "C++11x", ``" sql "`` never
hits "PostgreSQL", ``" .net "`` keeps its dot and "R&D" is one token. Case-sensitive aliases
(``RAG``, ``Rust``, ``Spark``...) are checked against the matched text's own capitalisation.
The bare tokens ``R``, ``C`` and ``Go`` count only with another language within 60
characters (a regex run only on rows that contain the token) or in unambiguous spellings
(RStudio, Golang); ``R&D``, ``go-to-market`` and "go live" never count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from newsletter.data.ingest.rules import SkillRules
from newsletter.errors import IngestError


def haystack(expr: pl.Expr) -> pl.Expr:
    """The normalized text that skill aliases are matched in (see the module docstring)."""
    x = expr.str.replace_all(r"[^A-Za-z0-9+#.& ]|\.+(?:\s|$)", " ").str.replace_all(r"  +", " ")
    return pl.lit(" ") + x + pl.lit(" ")


def _keys(aliases: list[str]) -> list[str]:
    """Each alias in the haystack's form, padded with one space at each end."""
    if not aliases:
        return []
    s = pl.DataFrame({"a": aliases}).select(haystack(pl.col("a")).str.strip_chars())
    return [f" {k} " for k in s.to_series().to_list()]


#: Prefix of the placeholder a bare ambiguous token ("R", "Go") maps to before its context
#: is checked.
MARK = "?"


@dataclass(frozen=True)
class Matcher:
    """Compiled skill rules: pattern lists and lookup tables."""

    insensitive: dict[str, str]  # lowercase padded key -> skill
    sensitive: dict[str, str]  # exact padded key -> skill (or MARK + skill for bare tokens)
    context: dict[str, str]  # skill -> regex over the raw text that confirms a bare token
    explicit: dict[str, str]  # lowercase alias -> skill, for explicit skill lists
    parents: dict[str, str]  # skill -> implied broader skill

    @property
    def patterns(self) -> list[str]:
        """Every key, lowercased and unique (matching is case-insensitive; case is checked
        afterwards against ``sensitive``)."""
        return sorted({k.lower() for k in (*self.insensitive, *self.sensitive)})

    def groups_of(self, rules: SkillRules, groups: tuple[str, ...]) -> list[str]:
        return [s.name for s in rules.skills if s.group in groups]


def _add(table: dict[str, str], key: str, skill: str, where: str) -> None:
    other = table.get(key)
    if other is not None and other != skill:
        raise IngestError(
            f"skills.yaml: alias {key.strip()!r} of {skill} is also {other} ({where})"
        )
    table[key] = skill


def _context_regex(token: str, languages: tuple[str, ...]) -> str:
    # Only languages of 3+ characters: a one-letter alternative would defeat the regex
    # engine's literal prefilter (and "R near C" proves nothing).
    langs = "|".join(re.escape(w) for w in sorted(languages, key=len, reverse=True) if len(w) > 2)
    tok = re.escape(token)
    left, right = r"(?:^|[\s,/(])", r"(?:$|[\s,/).;])"
    return (
        rf"(?:{langs})[^\n]{{0,60}}?{left}{tok}{right}"
        rf"|{left}{tok}[\s,/)][^\n]{{0,60}}?(?:{langs})"
    )


def compile_skills(rules: SkillRules) -> Matcher:
    insensitive: dict[str, str] = {}
    sensitive: dict[str, str] = {}
    context: dict[str, str] = {}
    explicit: dict[str, str] = {}
    for skill in rules.skills:
        spellings = [skill.name, *skill.aliases] if skill.match_name else list(skill.aliases)
        for spelling in (skill.name, *skill.aliases, *skill.listed_as, *skill.exact):
            explicit.setdefault(spelling.casefold(), skill.name)
        if skill.needs_context:
            context[skill.name] = _context_regex(skill.name, rules.context_languages)
            for key in _keys([skill.name]):
                _add(sensitive, key, MARK + skill.name, "bare token")
            spellings = list(skill.aliases)
        target = sensitive if skill.case_sensitive else insensitive
        for key in _keys(spellings):
            _add(target, key if skill.case_sensitive else key.lower(), skill.name, "aliases")
        for key in _keys(list(skill.exact)):
            _add(sensitive, key, skill.name, "exact")
    parents = {s.name: s.parent for s in rules.skills if s.parent}
    return Matcher(insensitive, sensitive, context, explicit, parents)


def extract_skills_expr(text: pl.Expr, matcher: Matcher) -> pl.Expr:
    """Canonical skills mentioned in ``text`` (title + description), unique, in one
    Aho-Corasick pass; bare ambiguous tokens come out as ``MARK + name`` (see
    :func:`confirm_context`)."""
    found = haystack(text).str.extract_many(
        matcher.patterns, ascii_case_insensitive=True, overlapping=True
    )
    return (
        found.list.eval(
            pl.coalesce(
                pl.element().replace_strict(
                    matcher.sensitive, default=None, return_dtype=pl.String
                ),
                pl.element()
                .str.to_lowercase()
                .replace_strict(matcher.insensitive, default=None, return_dtype=pl.String),
            )
        )
        .list.drop_nulls()
        .list.unique()
    )


def confirm_context(lf: pl.LazyFrame, matcher: Matcher) -> pl.LazyFrame:
    """Replace each ``MARK + name`` placeholder in ``_found`` by ``name`` where another
    language is near the token in ``_text``, else drop it. The regexes run only on the rows
    that hold a placeholder (a filtered copy joined back by row number)."""
    marks = pl.lit([MARK + k for k in matcher.context], dtype=pl.List(pl.String))
    if not matcher.context:
        return lf
    numbered = lf.with_row_index("_rid")
    has_mark = pl.col("_found").list.set_intersection(marks).list.len() > 0
    confirmed = numbered.filter(has_mark).select(
        "_rid",
        _ctx=pl.concat_list(
            [
                pl.when(
                    pl.col("_found").list.contains(MARK + skill)
                    & pl.col("_text").str.contains(pattern)
                )
                .then(pl.lit([skill], dtype=pl.List(pl.String)))
                .otherwise(pl.lit([], dtype=pl.List(pl.String)))
                for skill, pattern in matcher.context.items()
            ]
        ),
    )
    return (
        numbered.join(confirmed, on="_rid", how="left", maintain_order="left")
        .with_columns(
            _found=pl.concat_list(
                [
                    pl.col("_found").list.set_difference(marks),
                    pl.col("_ctx").fill_null(pl.lit([], dtype=pl.List(pl.String))),
                ]
            )
        )
        .drop("_rid", "_ctx")
    )


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


def find_skills(lf: pl.LazyFrame, matcher: Matcher) -> pl.LazyFrame:
    """Step 1: ``_text`` (title + plain-text description, only for rows without an explicit
    list) and the raw matches ``_found``."""
    has_explicit = pl.col("skills").list.len().fill_null(0) > 0
    return lf.with_columns(
        _text=pl.when(~has_explicit).then(
            pl.concat_str(
                [pl.col("title"), pl.col("description")], separator=" \n ", ignore_nulls=True
            )
        )
    ).with_columns(_found=extract_skills_expr(pl.col("_text"), matcher))


def add_skills(lf: pl.LazyFrame, matcher: Matcher, ai_skills: list[str]) -> pl.LazyFrame:
    """Step 2 (after :func:`find_skills`): confirm ambiguous tokens, then replace the raw
    ``skills`` column by canonical names (explicit list first), add parents,
    ``ai_skill_count`` and ``skills_source`` (explicit | text)."""
    has_explicit = pl.col("skills").list.len().fill_null(0) > 0
    with_parents = pl.concat_list(
        [
            pl.col("_sk"),
            pl.col("_sk").list.eval(
                pl.element().replace_strict(matcher.parents, default=None, return_dtype=pl.String)
            ),
        ]
    )
    return (
        lf.pipe(confirm_context, matcher)
        .with_columns(
            skills_source=pl.when(has_explicit).then(pl.lit("explicit")).otherwise(pl.lit("text")),
            _sk=pl.when(has_explicit)
            .then(explicit_skills_expr(pl.col("skills"), matcher))
            .otherwise(pl.col("_found")),
        )
        .with_columns(skills=with_parents.list.drop_nulls().list.unique().list.sort())
        .with_columns(
            ai_skill_count=pl.col("skills").list.eval(pl.element().is_in(ai_skills)).list.sum()
        )
        .drop("_sk", "_found", "_text")
    )
