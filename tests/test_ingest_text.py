"""The one-line text steps of the ingest (newsletter.data.ingest.text) give what their plain
regex forms give: the faster forms are checked against them on generated text."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter.data.ingest.text import SPACES, only_where, squeeze_spaces, visible, words
from newsletter.util.text import INVISIBLE_RUST, SEPARATORS

#: Pieces of names: letters (cased, accented, other scripts), digits, spaces and runs of
#: them, other whitespace, punctuation, marks and numbers that are no digits.
_PIECES = ["a", "Z", "9", " ", "  ", "\t", "\n", "-", ".", ",", "(", "&", "/", "é", "e\u0301",
           "ß", "İ", "Σ", "٣", "²", "Ⅻ", "\xa0", "\u3000", "\u200b", "\u202e", "\ufeff",
           "\x00", "\x1c", "\x1f", "🚀", "Ｓ"]  # fmt: skip
_TEXTS = st.lists(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join), max_size=40)


def _column(texts: list[str]) -> pl.DataFrame:
    return pl.DataFrame({"t": [*texts, None]}, schema={"t": pl.String})


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_words_is_the_plain_regex(texts: list[str]) -> None:
    frame = _column(texts)
    plain = pl.col("t").str.to_lowercase().str.replace_all(r"[^\p{L}\p{N}]+", " ")
    expected = frame.select(plain.str.strip_chars()).to_series().to_list()
    assert frame.select(words(pl.col("t"))).to_series().to_list() == expected


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_visible_and_squeeze_spaces_are_their_plain_regexes(texts: list[str]) -> None:
    # Most values need neither step; the steps run on the others alone (only_where).
    frame = _column(texts)
    t = pl.col("t")
    got = frame.select(visible(t).alias("v"), squeeze_spaces(t).alias("s"))
    expected = frame.select(
        t.str.replace_all(INVISIBLE_RUST, "").str.replace_all(f"[{SEPARATORS}]", " ").alias("v"),
        t.str.replace_all(SPACES, " ").alias("s"),
    )
    assert got.equals(expected)


def test_only_where_runs_the_step_where_needed_and_keeps_the_rest() -> None:
    frame = pl.DataFrame({"t": ["ab", "cd", None, "", "ef"], "n": [True, False, None, True, None]})
    got = frame.select(only_where(pl.col("t"), pl.col("n"), lambda e: e + pl.lit("!")))
    assert got.to_series().to_list() == ["ab!", "cd", None, "!", "ef"]
