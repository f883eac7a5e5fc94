"""HTML to text with polars kernels (newsletter.data.ingest.markup) gives the parser's text.

The fast path decides per value whether its markup is simple enough; these tests compare it
with the parser (selectolax/Lexbor, ``html_to_text``) on generated markup of every kind the
fast path reads and of kinds it must leave to the parser, on every reference it decodes, and
check that it does take the simple values (it is not the parser in disguise)."""

from __future__ import annotations

import random
import re

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter.data.ingest import text as text_module
from newsletter.data.ingest.markup import BLOCKS, INLINE, REFERENCES, fast_round
from newsletter.data.ingest.text import MARKUP_PATTERN, _parse_text, _plain_batch, _tidy, tidy

_TAGS = [*BLOCKS, *INLINE, "br", "hr", "table", "td", "tr", "pre", "script", "textarea"]
_TEXT = ["x", "y z", " ", "\n", "&amp;", "&lt;b&gt;", "&nbsp;", "&rsquo;", "&#39;",
         "&#x2019;", "&copy", "AT&T", "a < b", "<", ">", "&", "\r\n", "\t", "\xa0", "é",
         "â€™", "&amp;lt;p&amp;gt;", "&notin;", "&ampere", "\u2028", "\x1f", "</b>", "</a>",
         "<!-- c -->", "<br/>", "</p>", "\x00", "\ufdd0"]  # fmt: skip
_ATTRS = ["", "", "", ' class="c"', " href='/a?b=1&c=2'", ' data-x="a>b" id=q', "/"]


def _markup(r: random.Random, depth: int = 0) -> str:
    out = []
    for _ in range(r.randint(0, 4)):
        if r.random() < 0.4 or depth > 4:
            out.append(r.choice(_TEXT))
            continue
        tag = r.choice(_TAGS)
        if r.random() < 0.2:
            tag = tag.upper()
        if tag.lower() in ("br", "hr", "img", "wbr"):
            out.append(f"<{tag}{r.choice(_ATTRS)}>")
            continue
        close = f"</{tag}>" if r.random() < 0.9 else ""
        out.append(f"<{tag}{r.choice(_ATTRS)}>{_markup(r, depth + 1)}{close}")
    text = "".join(out)
    if r.random() < 0.2:  # Greenhouse escapes its HTML once more
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def _parser(values: list[str | None]) -> list[str | None]:
    """What plain_text gave before the fast path: html_to_text on values with markup."""
    from newsletter.data.ingest.text import html_to_text

    return [v if v is None or not re.search(MARKUP_PATTERN, v) else html_to_text(v) for v in values]


@pytest.mark.parametrize("seed", range(4))
def test_generated_markup_reads_as_the_parser_reads_it(seed: int) -> None:
    r = random.Random(seed)
    values: list[str | None] = [_markup(r) for _ in range(3000)] + [None, "", "plain text"]
    got = _plain_batch(pl.Series(values, dtype=pl.String)).to_list()
    assert got == _parser(values)


def test_long_columns_read_a_slice_at_a_time_as_in_one(monkeypatch: pytest.MonkeyPatch) -> None:
    r = random.Random(7)
    values: list[str | None] = [_markup(r) for _ in range(2000)] + [None, "", "plain text"]
    whole = _plain_batch(pl.Series(values, dtype=pl.String)).to_list()
    monkeypatch.setattr(text_module, "PLAIN_SLICE_BYTES", 4096)  # dozens of slices
    assert _plain_batch(pl.Series(values, dtype=pl.String)).to_list() == whole == _parser(values)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*_TEXT, *(f"<{t}>" for t in _TAGS), *(f"</{t}>" for t in _TAGS)])))
def test_any_sequence_of_tags_and_text(pieces: list[str]) -> None:
    value = "".join(pieces)
    assert _plain_batch(pl.Series([value], dtype=pl.String)).to_list() == _parser([value])


def test_simple_markup_takes_the_fast_path() -> None:
    simple = [
        "<div class='x'><h3>About</h3><p>We&rsquo;re <b>hiring</b>&nbsp;&amp; growing.</p>"
        "<ul><li><p>Python</p></li><li>SQL<br/>dbt</li></ul></div>",
        "&lt;p&gt;The base pay is $196,000 &amp;mdash; $278,100 USD.&lt;/p&gt;",
        "<h2>x</h3><hr><dl><dt>a</dt><dd>b</dd></dl><section><p>c</p></section>",
    ]
    assert fast_round(pl.Series(simple))[0].all()


@pytest.mark.parametrize(
    "value",
    [
        "<table><tr><td>a</td></tr></table>",  # foster parenting
        "<p>a<!-- c -->b</p>",  # a comment
        "<ul><li>a<li>b</ul>",  # an item closed by the next one
        "<p>a<div>b</div>c</p>",  # a block closes the paragraph
        "<p>a &amp b</p>",  # a legacy reference without its semicolon
        "<p>a\x00b</p>",  # NUL, which the parser drops
        "<p>a\ufdd0b</p>",  # a character the fast path uses itself
        "<my-tag>x</my-tag>",  # a tag name it does not know
        "<p title='a<b'>x</p>",  # '<' inside an attribute
        "<p>&#128;</p>",  # a numeric reference with a Windows-1252 meaning
    ],
)
def test_other_markup_goes_to_the_parser(value: str) -> None:
    assert not fast_round(pl.Series([value]))[0].item()
    assert _plain_batch(pl.Series([value])).to_list() == _parser([value])


def test_every_reference_decodes_as_the_parser_decodes_it() -> None:
    refs = list(REFERENCES)
    doc = "<p>" + " ".join(f"{i}{ref}" for i, ref in enumerate(refs)) + "</p>"
    simple, text = fast_round(pl.Series([doc]))
    assert simple.item()
    assert text.item() == _parse_text(doc)


def test_tidy_on_a_column_is_tidy_per_value() -> None:
    r = random.Random(7)
    alphabet = ["a", "b", " ", "\t", "\n", "\r", "\r\n", "\xa0", "\u2028", "\x1c", "\x1f",
                "\x0b", "\u3000", "\u2009"]  # fmt: skip
    values = ["".join(r.choice(alphabet) for _ in range(r.randint(0, 12))) for _ in range(5000)]
    assert tidy(pl.Series(values)).to_list() == [_tidy(v) for v in values]
    # no space beside a line break in any value (that step is skipped then)
    lines = ["a\nb", "a\n\n\nb ", "\nab\n", "", "a  b"]
    assert tidy(pl.Series(lines)).to_list() == [_tidy(v) for v in lines]


def test_markup_nested_past_the_parsers_depth_is_read_no_deeper() -> None:
    """The HTML parser checks the stack of open elements at each block tag: a description of
    100,000 nested ``<div>`` (1.1 MB) took 45 s, 20,000 nested ``<ul><li>`` 4 s, so a board
    could hold a collection for hours with a few such postings. Text nested deeper than
    :data:`~newsletter.data.ingest.text.MAX_HTML_DEPTH` elements is not read; what comes
    before it is, and real descriptions nest far less."""
    depth = 256  # deeper than descriptions nest (Chromium's parser stops at 512)
    deep = "<p>Python and SQL</p>" + "<div>" * (depth + 1) + "hidden" + "</div>" * (depth + 1)
    lists = "<p>Rust</p>" + "<ul><li>" * (depth + 1) + "hidden"
    stray = "<p>Go</p>" + "<div></span>" * (depth + 1) + "hidden"  # end tags of nothing open
    shallow = "<div>" * depth + "kept" + "</div>" * depth
    out = _plain_batch(pl.Series([deep, lists, stray, shallow]))
    assert out.to_list() == ["Python and SQL", "Rust", "Go", "kept"]
    # unnested and void elements never count: a long list, many paragraphs, line breaks
    flat = "<ul>" + "<li>item<br>" * (3 * depth) + "</ul>" + "<p>para" * (3 * depth)
    read = _parse_text(flat)
    assert read.count("item") == 3 * depth and read.count("para") == 3 * depth
    assert depth == text_module.MAX_HTML_DEPTH
