"""The one-line text steps of the ingest (newsletter.data.ingest.text) give what their plain
regex forms give: the faster forms are checked against them on generated text."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter.data.ingest.text import words

#: Pieces of names: letters (cased, accented, other scripts), digits, spaces and runs of
#: them, other whitespace, punctuation, marks and numbers that are no digits.
_PIECES = ["a", "Z", "9", " ", "  ", "\t", "\n", "-", ".", ",", "(", "&", "/", "é", "e\u0301",
           "ß", "İ", "Σ", "٣", "²", "Ⅻ", "\xa0", "\u3000", "\u200b", "🚀", "Ｓ"]  # fmt: skip
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
