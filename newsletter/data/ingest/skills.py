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
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from newsletter.data.ingest.rules import SkillRules
from newsletter.data.ingest.text import squeeze_spaces, visible
from newsletter.errors import IngestError

#: Characters kept in the haystack (every other one is a gap).
_KEPT = "A-Za-z0-9+#.&"
#: Sentence dots: a run of dots ending a sentence, with the whitespace after it.
_SENTENCE_DOTS = r"\.+(?:\s|$)"
#: A gap between kept characters that is not a single space: any stretch of characters other
#: than those kept, and of sentence dots, that holds at least one that is no space; or a run
#: of spaces. Each becomes one space.
_GAP = rf" *(?:[^{_KEPT} ]|{_SENTENCE_DOTS})(?:[^{_KEPT}]|{_SENTENCE_DOTS})*|  +"


def haystack(expr: pl.Expr) -> pl.Expr:
    """The normalized text that skill aliases are matched in (see the module docstring)."""
    # = replace_all(r"\.+(?:\s|$)", " "), then replace_all(r"[^A-Za-z0-9+#.& ]+", " "),
    # then "  +" -> " " (which is what this was), in one pass: each stretch of characters
    # those passes turn into spaces, spaces included, is replaced by one space at once. A
    # single space between words is left alone: matching it would make every gap between
    # words a replacement, and the regex engine's cost is per match. (A run of dots is a
    # sentence's end for both as a whole or not at all: it ends where the dots do.)
    x = expr.str.replace_all(_GAP, " ")
    return pl.concat_str([pl.lit(" "), x, pl.lit(" ")])  # cheaper than two additions


def _key_table(aliases: set[str]) -> dict[str, str]:
    """Each alias -> its haystack form, padded with one space at each end (all in one pass:
    a rule set has about a thousand spellings)."""
    spellings = sorted(aliases)
    s = pl.DataFrame({"a": spellings}, schema={"a": pl.String})
    keys = s.select(haystack(pl.col("a")).str.strip_chars()).to_series().to_list()
    return {a: f" {k} " for a, k in zip(spellings, keys, strict=True)}


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
    table = _key_table({a for s in rules.skills for a in (s.name, *s.aliases, *s.exact)})
    blank = sorted(a for a, key in table.items() if not key.strip())
    if blank:
        raise IngestError(
            f"skills.yaml: {', '.join(repr(a) for a in blank)} can never match: nothing is left "
            "of it once its punctuation is removed"
        )

    def _keys(aliases: list[str]) -> list[str]:
        return [table[a] for a in aliases]

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


def _canonical(key: pl.Expr, matcher: Matcher) -> pl.Expr:
    """A matched key (as it is in the text) -> its canonical skill, ``MARK + name`` for a
    bare ambiguous token, or null (a case-sensitive alias in the wrong case)."""
    return pl.coalesce(
        key.replace_strict(matcher.sensitive, default=None, return_dtype=pl.String),
        key.str.to_lowercase().replace_strict(
            matcher.insensitive, default=None, return_dtype=pl.String
        ),
    )


def extract_skills_expr(text: pl.Expr, matcher: Matcher) -> pl.Expr:
    """Canonical skills mentioned in ``text`` (title + description), unique, in one
    Aho-Corasick pass; bare ambiguous tokens come out as ``MARK + name``."""
    found = haystack(text).str.extract_many(
        matcher.patterns, ascii_case_insensitive=True, overlapping=True
    )
    return found.list.eval(_canonical(pl.element(), matcher)).list.drop_nulls().list.unique()


class _Codes:
    """A batch's skill names as integers (``UInt32``), so that the ``(row, skill)`` pairs are
    mapped, deduplicated, sorted and grouped as numbers, never as strings. Each name is coded
    by its rank in the sorted vocabulary (sorting codes sorts names); the bare token of the
    ``i``-th context skill is ``size + i`` until its context is checked."""

    def __init__(self, matcher: Matcher, listed: list[str]) -> None:
        names = {
            *matcher.insensitive.values(),
            *(n for n in matcher.sensitive.values() if not n.startswith(MARK)),
            *matcher.context,
            *matcher.explicit.values(),
            *matcher.parents,
            *matcher.parents.values(),
            *listed,
        }
        self.vocab = sorted(names)  # code point order: polars' order of UTF-8 strings
        self.size = len(self.vocab)
        self.rank = {name: i for i, name in enumerate(self.vocab)}
        self.context = list(matcher.context)

    def of(self, canonical: str | None) -> int | None:
        """The code of a :func:`_canonical` value (a name, ``MARK + name`` or null)."""
        if canonical is None:
            return None
        if canonical.startswith(MARK):
            return self.size + self.context.index(canonical.removeprefix(MARK))
        return self.rank[canonical]

    def series(self, names: Sequence[str | None]) -> pl.Series:
        return pl.Series([self.of(n) for n in names], dtype=pl.UInt32)


def _found(found: pl.Series, codes: _Codes, matcher: Matcher) -> pl.DataFrame:
    """The per-row lists of matched keys -> ``(_r, _c)``: one row per match with the code of
    its canonical skill (or bare token); wrong-case matches dropped. The canonical skill is
    worked out once per distinct key (a few thousand spellings at most, however many
    matches) and looked up."""
    flat = pl.DataFrame(
        {"_r": pl.int_range(found.len(), dtype=pl.UInt32, eager=True), "_k": found}
    ).explode("_k")
    keys = flat["_k"].drop_nulls().unique()
    canonical = pl.select(_canonical(pl.lit(keys), matcher)).to_series().to_list()
    code = pl.col("_k").replace_strict(
        keys, codes.series(canonical), default=None, return_dtype=pl.UInt32
    )
    return flat.select("_r", _c=code).drop_nulls("_c")


def _confirmed(
    found: pl.DataFrame, texts: pl.Series, codes: _Codes, matcher: Matcher
) -> pl.DataFrame:
    """``(_r, _c)`` matches with each bare token replaced by its skill where another language
    is near the token in the row's text (``texts``, by row), else dropped. Each skill's regex
    runs only on the texts of the rows holding its token, gathered by position (masking the
    other rows to null would not do: polars' string kernels still read the text under a
    null)."""
    if not codes.context:
        return found
    marked = pl.col("_c") >= codes.size
    checks = found.filter(marked).unique()
    kept = [found.filter(~marked)]
    for i, skill in enumerate(codes.context):
        rows = checks.filter(pl.col("_c") == codes.size + i)["_r"]
        near = texts.gather(rows).str.contains(matcher.context[skill]).fill_null(False)
        kept.append(
            pl.DataFrame({"_r": rows.filter(near)}).with_columns(
                _c=pl.lit(codes.rank[skill], dtype=pl.UInt32)
            )
        )
    return pl.concat(kept)


def add_skills(lf: pl.LazyFrame, matcher: Matcher, ai_skills: list[str]) -> pl.DataFrame:
    """Replace the raw ``skills`` column by canonical skill names, each once, sorted: the
    explicit list where a row has one (names mapped through the aliases, unknown names kept
    as given), else the skills matched in title + description (one Aho-Corasick pass over
    :func:`haystack`, ambiguous tokens confirmed by their context); then their parents. Adds
    ``ai_skill_count`` and ``skills_source`` (explicit | text).

    The per-row lists are handled flat (one row per match, exploded once), which polars runs
    far faster than list expressions evaluated row by row, and skills as integer codes
    (:class:`_Codes`)."""
    has_explicit = pl.col("skills").list.len().fill_null(0) > 0
    text = pl.concat_str(
        [pl.col("title"), pl.col("description")], separator=" \n ", ignore_nulls=True
    )
    rows = (
        lf.with_columns(
            skills_source=pl.when(has_explicit).then(pl.lit("explicit")).otherwise(pl.lit("text")),
            _text=pl.when(~has_explicit).then(text),
        )
        .with_columns(
            _found=haystack(pl.col("_text")).str.extract_many(
                matcher.patterns, ascii_case_insensitive=True, overlapping=True
            )
        )
        .collect()
    )
    listed = (
        rows.lazy()
        .select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_r"), "skills", "skills_source")
        .filter(pl.col("skills_source") == "explicit")
        .select("_r", _s="skills")
        .explode("_s")
        .select("_r", _s=_explicit(pl.col("_s"), matcher))
        .drop_nulls("_s")
        .collect()
    )
    codes = _Codes(matcher, listed["_s"].unique().to_list())
    named = pl.concat(
        [
            _confirmed(_found(rows["_found"], codes, matcher), rows["_text"], codes, matcher),
            listed.select("_r", _c=pl.col("_s").replace_strict(codes.rank, return_dtype=pl.UInt32)),
        ]
    )
    parent = codes.series([matcher.parents.get(name) for name in codes.vocab])
    parents = named.select("_r", _c=pl.lit(parent).gather(pl.col("_c"))).drop_nulls("_c")
    per_row = _per_row(pl.concat([named, parents]), rows.height, codes, ai_skills)
    return rows.drop("skills", "_text", "_found").hstack(per_row)


def _per_row(pairs: pl.DataFrame, height: int, codes: _Codes, ai_skills: list[str]) -> pl.DataFrame:
    """``(_r, _c)`` pairs of a batch of ``height`` rows -> ``skills`` (the names, unique and
    sorted) and ``ai_skill_count`` (how many of them are AI skills), one row per row.

    Each pair becomes one integer, row x stride + code, so dropping repeats and sorting run
    on integers: one sort, then each key compared with the one before it (cheaper than
    unique() and a sort). Every row also gets a sentinel pair, the code ``size``, larger
    than any skill's: every row has a group then, in row order, so the result lines up with
    the batch without a join; the sentinel, last in each sorted list, is cut off. The
    group-by runs on integer codes (the row number flagged sorted), and the codes are decoded
    to names after it, on the flat values of the lists."""
    size = codes.size
    stride = size + 1
    ai = set(ai_skills)
    ai_codes = [i for i, name in enumerate(codes.vocab) if name in ai]
    key = pl.col("_k")
    sentinels = pl.int_range(height, dtype=pl.UInt64, eager=True) * stride + size
    skills = pl.col("_sk").list.head(pl.col("_sk").list.len() - 1)
    return (
        pl.concat(
            [
                pairs.select(_k=pl.col("_r").cast(pl.UInt64) * stride + pl.col("_c")),
                sentinels.alias("_k").to_frame(),
            ]
        )
        .lazy()
        .sort("_k")
        .filter(key != key.shift(fill_value=_NO_KEY))
        .select(_r=(key // stride).cast(pl.UInt32).set_sorted(), _c=(key % stride).cast(pl.UInt32))
        .group_by("_r", maintain_order=True)
        .agg(_sk=pl.col("_c"), ai_skill_count=pl.col("_c").is_in(ai_codes).sum().cast(pl.UInt32))
        .select(
            skills=skills.list.eval(
                pl.element().replace_strict(range(size), codes.vocab, return_dtype=pl.String)
            ),
            ai_skill_count=pl.col("ai_skill_count"),
        )
        .collect()
    )


#: A key no pair has (the largest UInt64): what the first key is compared with.
_NO_KEY = 2**64 - 1


#: Longest name of an explicit skill list kept as a skill (longer is a sentence, not a skill).
LISTED_MAX = 60


def _explicit(name: pl.Expr, matcher: Matcher) -> pl.Expr:
    """A name of an explicit skill list -> its canonical skill; an unknown name is kept as
    given, but as one line of visible text like every other name of a posting (invisible
    and control characters dropped, whitespace runs one space), and only up to
    :data:`LISTED_MAX` characters (null: blank, or longer)."""
    shown = squeeze_spaces(visible(name)).str.strip_chars()
    return pl.coalesce(
        shown.str.to_lowercase().replace_strict(
            matcher.explicit, default=None, return_dtype=pl.String
        ),
        pl.when(shown.str.len_chars().is_between(1, LISTED_MAX)).then(shown),
    )
