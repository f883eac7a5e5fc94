"""Text normalisation shared by the rules (titles, locations, skills, identity keys)."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

_HTML_ENTITIES = {
    "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'", "&#x27;": "'", "&nbsp;": " ",
    "&apos;": "'", "&#43;": "+", "&#35;": "#", "&rsquo;": "'", "&lsquo;": "'",
    "&ldquo;": '"', "&rdquo;": '"', "&ndash;": "-", "&mdash;": "-", "&amp;": "&",
}  # fmt: skip


def strip_html(expr: pl.Expr) -> pl.Expr:
    """Unescape common entities (Greenhouse escapes its HTML), then drop tags."""
    out = expr.str.replace_many(list(_HTML_ENTITIES), list(_HTML_ENTITIES.values()))
    return out.str.replace_all(r"<[^>]{0,400}>", " ")


def blank_to_null(expr: pl.Expr) -> pl.Expr:
    stripped = expr.str.strip_chars()
    return pl.when(stripped.str.len_bytes() > 0).then(stripped).otherwise(None)


def words(expr: pl.Expr) -> pl.Expr:
    """Casefold, keep letters and digits, single spaces: ``"Sr. ML-Eng (Remote)"`` ->
    ``"sr ml eng remote"``."""
    return expr.str.to_lowercase().str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars()


def norm_title(expr: pl.Expr, abbreviations: Mapping[str, str]) -> pl.Expr:
    """Title in the form the rules match: casefolded words, abbreviations expanded, padded
    with one space at each end so ``" senior "`` style tests need no look-around."""
    out = pl.lit(" ") + words(expr) + pl.lit(" ")
    if abbreviations:
        # Each pattern carries its own spaces; two passes catch back-to-back abbreviations.
        pats = [f" {k} " for k in abbreviations]
        reps = [f" {v} " for v in abbreviations.values()]
        for _ in range(2):
            out = out.str.replace_many(pats, reps)
    return out
