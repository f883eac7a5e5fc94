"""One employer spelt two ways in one export (``Worldgate LLC`` and ``worldgate llc``) is one
company in the companies tables: on the real lukebarousse weeks its new roles were split
over two rows, and a third company took its place in the top list."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from newsletter.config import Config
from newsletter.data.ingest import ingest
from newsletter.data.ingest.rules import Rules
from newsletter.data.ingest.run import write
from newsletter.data.pipeline import build_signals
from newsletter.data.signals.companies import one_spelling
from tests.conftest import NOW

#: The week of 2023-03-13 and the four before it (a feed's 30-day window), and the week
#: before those (the previous week's window).
WEEKS = [date(2023, 2, 6) + timedelta(weeks=i) for i in range(6)]


@pytest.fixture(scope="module")
def luke(shared_real: Path, ingest_rules: Rules, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = shared_real / "lukebarousse-data-jobs" / "2023-salaried"
    root = tmp_path_factory.mktemp("luke-names")
    for monday in WEEKS:
        path = folder / f"postings_{(monday + timedelta(days=6)).isoformat()}.csv"
        write(ingest([path], monday, ingest_rules, now=NOW, kind="new"), root, monday)
    return root


def test_names_that_differ_only_in_case_are_one_company(luke: Path) -> None:
    s = build_signals(Config(), WEEKS[-1], luke)
    d = s.company_detail
    for rows in (d.top, d.top_new, d.movers):
        names = [r.name.casefold() for r in rows]
        assert len(names) == len(set(names)), [r.name for r in rows]
    # 17 postings spell it "Worldgate LLC" and 9 "worldgate llc": 26 new roles, one row,
    # under the spelling most of them use
    worldgate = {r.name: r for r in d.top_new}["Worldgate LLC"]
    assert (worldgate.open, worldgate.new, worldgate.open_prev) == (26, 26, 0)
    assert d.top_new[0].name == "Worldgate LLC"
    assert "Worldgate LLC" in [r.name for r in d.top]
    # "PUBLICIS GROUPE" (one posting, last week's window only) counts with "Publicis Groupe"
    publicis = {r.name: r for r in d.top}["Publicis Groupe"]
    assert (publicis.open, publicis.open_prev) == (34, 32)


def test_one_spelling_merges_case_variants_across_weeks_and_leaves_other_weeks_alone() -> None:
    this = pl.DataFrame({"company": ["Acme", "ACME", "Acme", "Globex", None, "acme"]})
    last = pl.DataFrame({"company": ["acme", "Initech", "GLOBEX", "Globex"]})
    merged = one_spelling([this, last])
    # Acme: 2 postings, ACME 1, acme 2: a tie of 2, the mixed case wins; Globex 2 against 1
    assert merged[0]["company"].to_list() == ["Acme", "Acme", "Acme", "Globex", None, "Acme"]
    assert merged[1]["company"].to_list() == ["Acme", "Initech", "Globex", "Globex"]
    plain = [
        pl.DataFrame({"company": ["Acme", "Globex", None]}),
        pl.DataFrame({"company": ["Initech"]}),
    ]
    assert all(a is b for a, b in zip(one_spelling(plain), plain, strict=True))


def test_one_spelling_merges_punctuation_and_legal_suffix_variants() -> None:
    """The real lukebarousse weeks spell employers "Visa" and "Visa Inc", "Snap Inc" and
    "Snap Inc.", "Pyramid Consulting Inc" and "Pyramid Consulting, Inc." (guide §4: strip
    legal suffixes and punctuation): each is one company, under its most used spelling. A
    name that is all suffix stays itself, and names that only share a prefix stay apart."""
    this = pl.DataFrame(
        {
            "company": [
                "Visa",
                "Visa Inc",
                "Visa",
                "Snap Inc.",
                "Pyramid Consulting, Inc.",
                "84.51°",
                "Co",
                "Meta",
                "Metal Inc",
            ]
        }
    )
    last = pl.DataFrame({"company": ["Snap Inc", "Snap Inc", "Pyramid Consulting Inc", "84.51"]})
    merged = one_spelling([this, last])
    assert merged[0]["company"].to_list() == [
        "Visa", "Visa", "Visa", "Snap Inc", "Pyramid Consulting Inc",
        "84.51", "Co", "Meta", "Metal Inc",
    ]  # fmt: skip
    assert merged[1]["company"].to_list() == ["Snap Inc", "Snap Inc", "Pyramid Consulting Inc",
                                              "84.51"]  # fmt: skip


def test_one_spelling_treats_stray_spaces_and_tabs_as_punctuation() -> None:
    """Only names with punctuation or stray spaces take the slow cleaning path: a leading
    space, two spaces in a row, a tab or a line break still make the same employer, and a
    frame of many columns keeps every other column and its row order."""
    this = pl.DataFrame(
        {
            "company": [" Acme Corp", "Acme  Corp", "Acme\tCorp", "Acme Corp", "Acme Corp", None],
            "n": [1, 2, 3, 4, 5, 6],
        }
    )
    last = pl.DataFrame({"company": ["ACME CORP\n", "Globex"], "n": [7, 8]})
    merged = one_spelling([this, last])
    assert merged[0]["company"].to_list() == ["Acme Corp"] * 5 + [None]
    assert merged[0]["n"].to_list() == [1, 2, 3, 4, 5, 6]
    assert merged[1].to_dict(as_series=False) == {"company": ["Acme Corp", "Globex"], "n": [7, 8]}
