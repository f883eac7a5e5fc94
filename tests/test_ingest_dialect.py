"""A CSV export is read with its own separator: Excel writes a semicolon where the decimal
mark is a comma (and may name it on a first ``sep=;`` line), some tools a tab or a pipe. The
same postings come out as from the comma-separated file, gzip or not, read at once or in
batches; quoted separators stay text, and a header that quotes a semicolon is still
comma-separated."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from newsletter.data.ingest import ingest
from newsletter.data.ingest.formats import read
from newsletter.data.ingest.rules import Rules
from newsletter.data.ingest.tabular import dialect_of
from newsletter.models import Format
from tests.conftest import NOW

WEEK = date(2026, 11, 23)
FIELDS = [
    ["id", "title", "company", "location", "salary"],
    ["1", "ML Engineer; NLP", "Acme, Inc.", "Paris, France", "€60.000 - €70.000"],
    ["2", "Data Scientist", "Beta", "Berlin", ""],
    ["3", 'Staff "Applied" Scientist', "Gamma", "Austin, TX", "$150,000 - $190,000"],
]


def _line(fields: list[str], sep: str) -> str:
    def quoted(v: str) -> str:
        if any(c in v for c in (sep, '"', ",", ";")):
            return '"' + v.replace('"', '""') + '"'
        return v

    return sep.join(quoted(v) for v in fields)


def _write(
    path: Path, sep: str, *, excel_line: bool = False, bom: bool = False, end: str = "\r\n"
) -> Path:
    text = end.join(_line(f, sep) for f in FIELDS) + end
    if excel_line:
        text = f"sep={sep}{end}" + text
    data = ("\ufeff" if bom else "").encode() + text.encode("utf-8")
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def _postings(path: Path, rules: Rules, **batches: int) -> pl.DataFrame:
    result = ingest([path], WEEK, rules, now=NOW, **batches)
    assert result.report.rejected_by_reason == {}
    return result.snapshot.select("title", "company", "location", "salary_min").sort("title")


@pytest.mark.parametrize(
    "case",
    [
        ("semicolon.csv", ";", False, True),  # Excel's, with its byte-order mark
        ("excel.csv", ";", True, False),  # "sep=;" names it on the first line
        ("tabs.csv.gz", "\t", False, False),
        ("pipes.csv", "|", False, False),
    ],
)
def test_a_csv_export_is_read_with_its_own_separator(
    tmp_path: Path, ingest_rules: Rules, case: tuple[str, str, bool, bool]
) -> None:
    name, sep, excel_line, bom = case
    expected = _postings(_write(tmp_path / "comma.csv", ","), ingest_rules)
    assert expected["title"].to_list() == [
        "Data Scientist",
        "ML Engineer; NLP",
        'Staff "Applied" Scientist',
    ]
    assert expected["company"].to_list() == ["Beta", "Acme, Inc.", "Gamma"]
    path = _write(tmp_path / name, sep, excel_line=excel_line, bom=bom)
    assert _postings(path, ingest_rules).equals(expected)
    assert _postings(path, ingest_rules, chunk_rows=1, group_bytes=1).equals(expected)
    frame, fmt = read(path, Format.auto, {})
    assert fmt is Format.csv and frame.height == 3


@pytest.mark.parametrize("name", ["mac.csv", "mac.csv.gz", "mac-semicolon.csv"])
def test_lines_ended_by_a_lone_cr_are_lines(tmp_path: Path, ingest_rules: Rules, name: str) -> None:
    """Excel's "CSV (Macintosh)" ends its lines with a lone CR: polars read such a file as
    one line, a header without rows, and the ingest refused it as holding no postings."""
    expected = _postings(_write(tmp_path / "comma.csv", ","), ingest_rules)
    path = _write(tmp_path / name, ";" if "semicolon" in name else ",", bom=True, end="\r")
    assert _postings(path, ingest_rules).equals(expected)
    assert _postings(path, ingest_rules, chunk_rows=1, group_bytes=1).equals(expected)


def test_the_separator_is_the_one_the_header_holds_most_of_outside_quotes(tmp_path: Path) -> None:
    cases = {
        b"title,company\n": (",", 0),
        b'"title; role",company,location\n': (",", 0),  # a quoted semicolon is a name's
        b"title;company;location\n": (";", 0),
        b"\xef\xbb\xbfsep=;\r\ntitle;company\r\n": (";", 1),
        b"SEP=|\ntitle|company\n": ("|", 1),
        b"title\n": (",", 0),  # one column: nothing to tell, a comma
        b"title;company,location\n": (",", 0),  # a tie: a comma
    }
    for head, expected in cases.items():
        assert dialect_of(head) == expected, head
        path = tmp_path / "h.csv"
        path.write_bytes(head)
        assert dialect_of(path) == expected, head
