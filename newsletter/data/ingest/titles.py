"""Title -> role category and seniority, with the word-bounded rules of ``rules/*.yaml``.

Rules are tried in file order; the first that matches wins. Both are computed once per
distinct title (and AI-skill count) and joined back, so a million postings cost only as
many regex passes as there are different titles.
"""

from __future__ import annotations

import polars as pl

from newsletter.data.ingest.lookup import looked_up
from newsletter.data.ingest.rules import CategoryRules, SeniorityRule, SeniorityRules, TitleRule
from newsletter.data.ingest.text import norm_title

#: "N years of experience", in any case. (A word boundary after "years" would be redundant,
#: since whitespace always follows it here, and would keep the regex engine off its fast
#: path.) It reads the text as it is, with no lowercased copy: the words are ASCII
#: case-insensitive (``(?i-u:...)``) and a word's letters are ``A-Z``, ``a-z`` and the Kelvin
#: sign, the only characters that lowercase to ``a-z`` besides ``A-Z`` (``İ`` lowercases to
#: ``i`` and a combining dot, which no match can hold), so it finds what the same pattern in
#: lower case finds in the lowercased text.
_EXPERIENCE_RE = (
    r"(\d{1,2})\s*\+?\s*(?:-|–|(?i-u:to))?\s*(?:\d{1,2}\s*\+?\s*)?(?i-u:years?|yrs?)"
    r"(?:\s+(?i-u:of))?(?:\s+[a-zA-Z\x{212A}/-]+){0,3}?\s+(?i-u:experience)"
)


def _matches(t: pl.Expr, pattern: str, guard: str | None) -> pl.Expr:
    """Whether ``pattern`` and not ``guard`` matches ``t``. The guard reads only the titles
    the pattern matched (the others are empty strings to it, not nulls: the regex kernels
    still read the text under a null): 102 -> 85 ms CPU for the rules of a 200,000-row batch
    of short postings, 31,800 distinct titles."""
    hit = t.str.contains(pattern)
    if not guard:
        return hit
    guarded = pl.when(hit).then(t).otherwise(pl.lit(""))
    return pl.when(hit).then(~guarded.str.contains(guard)).otherwise(hit)


def _rule_expr(hit: pl.Expr, rule: TitleRule, ai_title: pl.Expr, ai_skills: pl.Expr) -> pl.Expr:
    """Whether ``rule`` gives its category, given whether its pattern (and not its guard)
    matched the title (``hit``)."""
    if rule.requires_ai or rule.min_ai_skills is not None:
        enough = ai_skills >= rule.min_ai_skills if rule.min_ai_skills is not None else False
        hit = hit & (ai_title | enough) if rule.requires_ai else hit & enough
    return hit & ~ai_title if rule.unless_ai else hit


def _category_rules(rules: CategoryRules) -> list[tuple[str, TitleRule]]:
    """(category, rule) in the order they are tried."""
    return [(cat.name, rule) for cat in rules.categories for rule in cat.rules]


def category_expr(t: pl.Expr, ai_skills: pl.Expr, rules: CategoryRules) -> pl.Expr:
    """Category of a normalized title ``t`` given the posting's AI-skill count."""
    ruled = _category_rules(rules)
    hits = [_matches(t, rule.pattern, rule.guard) for _, rule in ruled]
    return _category_of(hits, t.str.contains(rules.ai_token), ai_skills, rules)


def _category_of(
    hits: list[pl.Expr], ai_title: pl.Expr, ai_skills: pl.Expr, rules: CategoryRules
) -> pl.Expr:
    """The category given, for each rule of :func:`_category_rules`, whether its pattern
    matched the title (``hits``), whether the title names AI, and the AI-skill count."""
    out: pl.Expr = pl.lit(rules.default)
    for hit, (name, rule) in reversed(list(zip(hits, _category_rules(rules), strict=True))):
        out = pl.when(_rule_expr(hit, rule, ai_title, ai_skills)).then(pl.lit(name)).otherwise(out)
    return out


def title_level_expr(t: pl.Expr, rules: SeniorityRules) -> pl.Expr:
    """Seniority from a normalized title, null when no rule matches."""
    return _level_expr(t, rules.rules)


def field_level_expr(t: pl.Expr, rules: SeniorityRules) -> pl.Expr:
    """Seniority from a normalized seniority field: its own rules (``field_rules``), then a
    title's; null when none matches."""
    return pl.coalesce(_level_expr(t, rules.field_rules), _level_expr(t, rules.rules))


def _level_expr(t: pl.Expr, rules: tuple[SeniorityRule, ...]) -> pl.Expr:
    out: pl.Expr = pl.lit(None, dtype=pl.String)
    for rule in reversed(rules):
        out = pl.when(_matches(t, rule.pattern, rule.guard)).then(pl.lit(rule.level)).otherwise(out)
    return out


def experience_years(description: pl.Expr) -> pl.Expr:
    """The smallest N of "N+ years of experience" in the description, or null."""
    return (
        description.str.extract_all(_EXPERIENCE_RE)
        .list.eval(pl.element().str.extract(r"^(\d{1,2})").cast(pl.Int32, strict=False))
        .list.min()
    )


def level_of_years(years: pl.Expr, rules: SeniorityRules) -> pl.Expr:
    """Seniority for years of experience (``rules.experience``), or null."""
    out: pl.Expr = pl.lit(None, dtype=pl.String)
    for level, (lo, hi) in rules.experience.items():
        out = pl.when(years.is_between(lo, hi)).then(pl.lit(level)).otherwise(out)
    return out


def experience_level_expr(description: pl.Expr, rules: SeniorityRules) -> pl.Expr:
    """Seniority from the smallest "N+ years of experience" in the description, or null."""
    return level_of_years(experience_years(description), rules)


def classify_titles(
    lf: pl.LazyFrame, categories: CategoryRules, seniority: SeniorityRules
) -> pl.LazyFrame:
    """Add ``category``, ``seniority`` and ``seniority_source`` (needs ``title``, the raw
    ``seniority`` hint, ``description`` and ``ai_skill_count``). The title decides first,
    then a seniority field of the export, then "N years of experience", then the default."""
    cap = max(
        (r.min_ai_skills for c in categories.categories for r in c.rules if r.min_ai_skills),
        default=0,
    )
    keyed = lf.with_columns(_ai=pl.col("ai_skill_count").clip(upper_bound=cap))
    keys = keyed.select("title", "_ai", "seniority").unique()
    # The rules read the title alone (a title's patterns are matched once, whatever its
    # AI-skill counts) or the seniority field alone; the category combines them per key.
    t = pl.col("_t")
    hits = [f"_hit{i}" for i in range(len(_category_rules(categories)))]
    per_title = (
        keys.select("title")
        .unique()
        .with_columns(_t=norm_title(pl.col("title"), seniority.abbreviations))
        .with_columns(
            *(
                _matches(t, rule.pattern, rule.guard).alias(hit)
                for hit, (_, rule) in zip(hits, _category_rules(categories), strict=True)
            ),
            _ai_title=t.str.contains(categories.ai_token),
            _title_level=title_level_expr(t, seniority),
        )
        .drop("_t")
    )
    per_field = (
        keys.select("seniority")
        .unique()
        .with_columns(
            _field_level=field_level_expr(
                norm_title(pl.col("seniority"), seniority.abbreviations), seniority
            )
        )
    )
    distinct = (
        keys.join(per_title, on="title", how="left", nulls_equal=True)
        .join(per_field, on="seniority", how="left", nulls_equal=True)
        .with_columns(
            category=_category_of(
                [pl.col(h) for h in hits], pl.col("_ai_title"), pl.col("_ai"), categories
            )
        )
        .drop(*hits, "_ai_title")
    )
    # The description is read only where the title and the seniority field say nothing
    # (null elsewhere), and once: the years are a column before they become a level.
    unknown = pl.col("_title_level").is_null() & pl.col("_field_level").is_null()
    return (
        looked_up(keyed, distinct, ["title", "_ai", "seniority"], nulls_equal=True)
        .with_columns(_years=experience_years(pl.when(unknown).then(pl.col("description"))))
        .with_columns(_exp=level_of_years(pl.col("_years"), seniority))
        .with_columns(
            seniority=pl.coalesce(
                "_title_level", "_field_level", "_exp", pl.lit(seniority.default)
            ),
            seniority_source=pl.when(pl.col("_title_level").is_not_null())
            .then(pl.lit("title"))
            .when(pl.col("_field_level").is_not_null())
            .then(pl.lit("field"))
            .when(pl.col("_exp").is_not_null())
            .then(pl.lit("experience"))
            .otherwise(pl.lit("default")),
        )
        .drop("_ai", "_title_level", "_field_level", "_years", "_exp")
    )
