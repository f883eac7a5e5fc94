"""A CSV/TSV row with more fields than the header (an unquoted comma in a title shifts every
later field: the company becomes part of the title, the location the company) is rejected
with a counted reason, never cut to the header's width and kept with the wrong values; a
quoted separator is no extra field, and a short row keeps today's nulls. The same for CSV
and TSV, gzip or not, a small file read eagerly and a large one read in batches."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from newsletter.data.ingest import ingest, ingest_into
from newsletter.data.ingest.formats import read
from newsletter.data.ingest.normalize import split_rejects
from newsletter.data.ingest.rules import Rules
from newsletter.data.snapshots import read_snapshot, rejects_path, report_path
from newsletter.models import Format
from tests.conftest import NOW
from tests.test_ingest_cli import ingest_cli, write_config

WEEK = date(2026, 11, 23)
#: The reject reason (spelled out: the report's key, and the public signals').
REASON = "more fields than the header"


def _rows(sep: str) -> list[str]:
    """A good row, one extra field, two extra fields, a quoted separator, a short row."""
    return [
        sep.join(["id", "title", "company", "location"]),
        sep.join(["1", "Data Scientist", "Acme", "Austin"]),
        sep.join(["2", "Engineer", " Senior", "Acme", "Austin"]),  # one unquoted separator
        sep.join(["3", "Engineer", " Senior", " Staff", "Acme", "Austin"]),  # two
        sep.join(["4", f'"Analyst{sep} Data"', "Beta", f'"Denver{sep} CO"']),  # quoted: kept
        sep.join(["5", "Short Row", "Gamma"]),  # no location: null
    ]


def _write(path: Path, lines: list[str], *, gz: bool) -> Path:
    data = ("\n".join(lines) + "\n").encode("utf-8")
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def _report(snaps: Path) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(report_path(snaps, WEEK).read_text())
    return loaded


def _rejected_ids(snaps: Path) -> dict[str, str]:
    rejects = pl.read_parquet(rejects_path(snaps, WEEK))
    return dict(zip(rejects["source_id"].to_list(), rejects["reason"].to_list(), strict=True))


def _ingested(tmp_path: Path, runner: CliRunner, lines: list[str], sep: str, gz: bool) -> Path:
    """``lines`` written as jobs.csv or jobs.tsv (gzip or not) and ingested; the file."""
    name = ("jobs.csv" if sep == "," else "jobs.tsv") + (".gz" if gz else "")
    path = _write(tmp_path / name, lines, gz=gz)
    res = ingest_cli(runner, write_config(tmp_path), path)
    assert res.exit_code == 0, res.output
    return path


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("sep", [",", "\t"], ids=["csv", "tsv"])
def test_rows_with_more_fields_than_the_header_are_rejected_with_a_reason(
    tmp_path: Path, runner: CliRunner, sep: str, gz: bool
) -> None:
    _ingested(tmp_path, runner, _rows(sep), sep, gz)
    snaps = tmp_path / "snaps"
    report = _report(snaps)
    assert report["rows_read"] == 5
    assert report["kept"] == 3
    assert report["rejected"] == 2
    assert report["rejected_by_reason"] == {REASON: 2}
    assert report["rejected_not_open"] == 0  # bad data, not a listing the source closed
    assert _rejected_ids(snaps) == {"2": REASON, "3": REASON}
    snap = read_snapshot(snaps, WEEK).sort("title")
    quoted = "Analyst, Data" if sep == "," else "Analyst Data"  # a title's tab is a space
    assert snap["title"].to_list() == [quoted, "Data Scientist", "Short Row"]
    assert snap["company"].to_list() == ["Beta", "Acme", "Gamma"]
    assert snap.filter(pl.col("title") == "Short Row")["location"].to_list() == [None]


@pytest.mark.parametrize("sep", [",", "\t"], ids=["csv", "tsv"])
def test_the_eager_reader_marks_the_long_rows_too(tmp_path: Path, sep: str) -> None:
    fmt = Format.csv if sep == "," else Format.tsv
    frame, _ = read(_write(tmp_path / "jobs.txt", _rows(sep), gz=False), fmt, {})
    assert frame.height == 5
    assert frame["source_open"].to_list() == [None, REASON, REASON, None, None]
    good, rejects = split_rejects(frame)
    assert rejects["source_id"].to_list() == ["2", "3"]
    assert rejects["reason"].to_list() == [REASON, REASON]
    assert good.collect()["source_id"].to_list() == ["1", "4", "5"]


def test_a_quoted_field_with_separators_and_a_line_break_is_one_field(
    tmp_path: Path, runner: CliRunner
) -> None:
    lines = ["id,title,company,description", '1,"Engineer, Staff",Acme,"one, two\nthree, four"']
    res = ingest_cli(runner, write_config(tmp_path), _write(tmp_path / "j.csv", lines, gz=False))
    assert res.exit_code == 0, res.output
    report = _report(tmp_path / "snaps")
    assert (report["kept"], report["rejected"]) == (1, 0)


def test_an_empty_field_past_the_header_is_kept_but_a_value_past_it_is_not(
    tmp_path: Path, runner: CliRunner
) -> None:
    """Polars reads a field past the header that is empty as it reads a missing one: a
    trailing separator (``a,b,c,``) loses nothing and is kept."""
    lines = [
        "id,title,company,location",
        "1,Data Scientist,Acme,Austin,",  # a trailing comma: nothing past the header
        "2,Data Scientist,Acme,Austin,Remote",  # a value past the header
        "3,Data Scientist,Acme,",  # an empty last field: the header's width
    ]
    res = ingest_cli(runner, write_config(tmp_path), _write(tmp_path / "j.csv", lines, gz=False))
    assert res.exit_code == 0, res.output
    snaps = tmp_path / "snaps"
    assert _report(snaps)["rejected_by_reason"] == {REASON: 1}
    assert _rejected_ids(snaps) == {"2": REASON}


def test_odd_headers_are_read_as_before(tmp_path: Path, runner: CliRunner) -> None:
    """A duplicate name, a blank one, and a column named like the reserved extra column are
    the export's own columns; a long row is still rejected."""
    lines = [
        "id,title,title,company,,__extra_fields__,location",
        "1,Data Scientist,x,Acme,y,z,Austin",
        "2,Engineer, Senior,x,Acme,y,z,Austin",
    ]
    res = ingest_cli(runner, write_config(tmp_path), _write(tmp_path / "j.csv", lines, gz=False))
    assert res.exit_code == 0, res.output
    snaps = tmp_path / "snaps"
    report = _report(snaps)
    assert (report["kept"], report["rejected_by_reason"]) == (1, {REASON: 1})
    snap = read_snapshot(snaps, WEEK)
    assert snap.select("title", "company", "location").row(0) == (
        "Data Scientist",
        "Acme",
        "Austin",
    )


#: Rows of the large export, and the long ones among them (first, either side of the batch
#: boundaries, last).
_MANY = 25_000
_LONG = (1, 9_999, 10_000, 10_001, 20_000, _MANY)


def _many(path: Path, sep: str, *, gz: bool) -> Path:
    lines = [sep.join(["id", "title", "company", "location"])]
    for i in range(1, _MANY + 1):
        title = ["Engineer", " Senior"] if i in _LONG else [f'"Engineer{sep} Data"']
        lines.append(sep.join([str(i), *title, f"Acme {i}", "Austin"]))
    return _write(path, lines, gz=gz)


@pytest.mark.parametrize("held_bytes", [0, None], ids=["spooled", "held"])
@pytest.mark.parametrize(("sep", "gz"), [(",", False), ("\t", True)], ids=["csv", "tsv-gzip"])
def test_a_large_export_read_in_batches_rejects_the_same_rows(
    tmp_path: Path, ingest_rules: Rules, sep: str, gz: bool, held_bytes: int | None
) -> None:
    path = _many(tmp_path / ("many.csv" if sep == "," else "many.tsv.gz"), sep, gz=gz)
    held = {} if held_bytes is None else {"held_bytes": held_bytes}
    report, _ = ingest_into(
        [path], WEEK, ingest_rules, tmp_path / "snaps", now=NOW, chunk_rows=10_000,
        group_bytes=200_000, **held,
    )  # fmt: skip
    assert report.rows_read == _MANY
    assert report.rejected_by_reason == {REASON: len(_LONG)}
    assert report.kept == _MANY - len(_LONG)
    assert set(_rejected_ids(tmp_path / "snaps")) == {str(i) for i in _LONG}
    # the in-memory ingest, in other batches, agrees
    result = ingest([path], WEEK, ingest_rules, now=NOW, chunk_rows=3_000, group_bytes=1)
    assert result.report.rejected_by_reason == {REASON: len(_LONG)}
    assert sorted(result.rejects["source_id"].cast(pl.Int64).to_list()) == list(_LONG)


def _stray_quotes(sep: str) -> list[str]:
    """Rows whose quotes are not a CSV's: polars refused the whole file for any of them."""
    return [
        sep.join(["id", "title", "company", "location"]),
        sep.join(["1", "Data Scientist", "Acme", '"Austin, TX"']),
        sep.join(["2", 'QA Engineer 27" Monitors', "Beta", "Boston"]),  # a bare quote
        sep.join(["3", '"Broken, "quoted" title"', "Gamma", "Denver"]),  # a quote inside quotes
        sep.join(["4", "ML Engineer", "Delta", '"Seattle, WA"']),
        sep.join(["5", "Engineer", "Senior", "Eps", "Miami"]),  # one field too many
    ]


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("sep", [",", "\t"], ids=["csv", "tsv"])
def test_a_stray_quote_never_stops_the_other_rows(
    tmp_path: Path, runner: CliRunner, sep: str, gz: bool
) -> None:
    path = _ingested(tmp_path, runner, _stray_quotes(sep), sep, gz)
    snaps = tmp_path / "snaps"
    assert _report(snaps)["rows_read"] == 5
    assert _rejected_ids(snaps) == {"5": REASON}
    snap = read_snapshot(snaps, WEEK).sort("posting_id")
    assert snap["company"].to_list() == ["Acme", "Beta", "Gamma", "Delta"]
    assert snap["title"][1] == 'QA Engineer 27" Monitors'
    assert snap["location"].to_list()[::3] == ["Austin, TX", "Seattle, WA"]
    # the eager reader reads it alike
    frame, _ = read(path, Format.csv if sep == "," else Format.tsv, {})
    assert frame["source_open"].to_list() == [None, None, None, None, REASON]


def test_a_stray_quote_past_the_slices_read_loses_and_repeats_no_row(
    tmp_path: Path, ingest_rules: Rules
) -> None:
    """Polars refuses the file once it reaches the quote: the rows after the slices it gave
    are read leniently, from the next record on."""
    n, bad = 60_000, 50_000
    lines = ["id,title,company,location"]
    lines += [f'{i},Data Scientist {i},Acme {i},"Austin, TX"' for i in range(n)]
    lines[bad + 1] = f'{bad},QA Engineer 27" Monitors,Beta,Boston'
    path = _write(tmp_path / "many.csv", lines, gz=False)
    report, _ = ingest_into(
        [path], WEEK, ingest_rules, tmp_path / "snaps", now=NOW, chunk_rows=10_000
    )
    assert (report.rows_read, report.kept) == (n, n)
    snap = read_snapshot(tmp_path / "snaps", WEEK)
    assert snap["posting_id"].n_unique() == n
    assert snap.filter(pl.col("company") == "Beta")["title"].to_list() == [
        'QA Engineer 27" Monitors'
    ]
