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

from newsletter.data.ingest.lookup import looked_up
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


def _canonical_of_distinct(keys: pl.Series, matcher: Matcher) -> pl.Expr:
    """:func:`_canonical` of a column of matched keys, worked out once per distinct key (a
    few thousand spellings at most, however many matches) and looked up."""
    distinct = keys.drop_nulls().unique()
    canonical = pl.select(_canonical(pl.lit(distinct), matcher)).to_series()
    return pl.col(keys.name).replace_strict(
        distinct, canonical, default=None, return_dtype=pl.String
    )


def extract_skills_expr(text: pl.Expr, matcher: Matcher) -> pl.Expr:
    """Canonical skills mentioned in ``text`` (title + description), unique, in one
    Aho-Corasick pass; bare ambiguous tokens come out as ``MARK + name``."""
    found = haystack(text).str.extract_many(
        matcher.patterns, ascii_case_insensitive=True, overlapping=True
    )
    return found.list.eval(_canonical(pl.element(), matcher)).list.drop_nulls().list.unique()


def _confirmed(found: pl.LazyFrame, texts: pl.LazyFrame, matcher: Matcher) -> pl.LazyFrame:
    """``(_r, _s)`` matches with each ``MARK + name`` replaced by ``name`` where another
    language is near the token in the row's text, else dropped. The regexes run only on the
    rows holding a placeholder."""
    if not matcher.context:
        return found
    marked = pl.col("_s").str.starts_with(MARK)
    checks = found.filter(marked).unique().join(texts, on="_r", how="left")
    ok: pl.Expr = pl.lit(False)
    for skill, pattern in matcher.context.items():
        ok = (
            pl.when(pl.col("_s") == MARK + skill)
            .then(pl.col("_text").str.contains(pattern))
            .otherwise(ok)
        )
    kept = checks.filter(ok.fill_null(False)).select("_r", _s=pl.col("_s").str.strip_prefix(MARK))
    return pl.concat([found.filter(~marked), kept])


def add_skills(lf: pl.LazyFrame, matcher: Matcher, ai_skills: list[str]) -> pl.DataFrame:
    """Replace the raw ``skills`` column by canonical skill names, each once, sorted: the
    explicit list where a row has one (names mapped through the aliases, unknown names kept
    as given), else the skills matched in title + description (one Aho-Corasick pass over
    :func:`haystack`, ambiguous tokens confirmed by their context); then their parents. Adds
    ``ai_skill_count`` and ``skills_source`` (explicit | text).

    The per-row lists are handled flat (one row per match, exploded once), which polars runs
    far faster than list expressions evaluated row by row."""
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
        .with_row_index("_r")
        .collect()
    )
    flat = rows.select("_r", _s="_found").explode("_s")
    found = (
        flat.lazy().select("_r", _s=_canonical_of_distinct(flat["_s"], matcher)).drop_nulls("_s")
    )
    listed = (
        rows.lazy()
        .filter(pl.col("skills_source") == "explicit")
        .select("_r", _s="skills")
        .explode("_s")
        .select("_r", _s=_explicit(pl.col("_s"), matcher))
    )
    named = pl.concat([_confirmed(found, rows.lazy().select("_r", "_text"), matcher), listed])
    parents = named.select(
        "_r", _s=pl.col("_s").replace_strict(matcher.parents, default=None, return_dtype=pl.String)
    )
    per_row = _per_row(pl.concat([named, parents]).drop_nulls("_s").collect(), ai_skills)
    return (
        looked_up(rows.lazy().drop("skills", "_text", "_found"), per_row.lazy(), "_r")
        .select(
            pl.exclude("_r", "_sk", "ai_skill_count"),
            skills=pl.col("_sk").fill_null(pl.lit([], dtype=pl.List(pl.String))),
            ai_skill_count=pl.col("ai_skill_count").fill_null(0),
        )
        .collect()
    )


def _per_row(pairs: pl.DataFrame, ai_skills: list[str]) -> pl.DataFrame:
    """``(_r, _s)`` pairs -> one row per ``_r``: its skills unique and sorted (``_sk``) and
    how many are AI skills. Each skill is coded by its rank in the batch's sorted vocabulary
    and each pair becomes one integer (row x vocabulary size + code), so dropping repeats and
    sorting run on integers, never on strings."""
    if pairs.is_empty():
        return pl.DataFrame(
            schema={"_r": pl.UInt32, "_sk": pl.List(pl.String), "ai_skill_count": pl.UInt32}
        )
    vocab = pairs["_s"].unique().sort().to_list()
    size = max(len(vocab), 1)
    codes = list(range(len(vocab)))
    ai = set(ai_skills)
    ai_codes = [i for i, name in enumerate(vocab) if name in ai]
    code = pl.col("_s").replace_strict(vocab, codes, return_dtype=pl.UInt64)
    key = pl.col("_k")
    # One sort, then repeats dropped by comparing each key with the one before it (cheaper
    # than unique() followed by a sort). The row number is flagged sorted, so the group-by
    # runs on sorted keys; it groups integer codes, and the codes are decoded to names after
    # it, on the flat values of the lists (one gather instead of a string column grouped).
    return (
        pairs.lazy()
        .select(_k=pl.col("_r").cast(pl.UInt64) * size + code)
        .sort("_k")
        .filter(key != key.shift(fill_value=_NO_KEY))
        .select(_r=(key // size).cast(pl.UInt32).set_sorted(), _c=(key % size).cast(pl.UInt32))
        .group_by("_r", maintain_order=True)
        .agg(_sk=pl.col("_c"), ai_skill_count=pl.col("_c").is_in(ai_codes).sum().cast(pl.UInt32))
        .with_columns(
            _sk=pl.col("_sk").list.eval(
                pl.element().replace_strict(codes, vocab, return_dtype=pl.String)
            )
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
