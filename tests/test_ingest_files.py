"""Input files as they come: names that look like glob patterns or Rich markup, gzip that
expands without end, named pipes. Each is read as exactly the named file or refused in one
line, before anything is written."""

from __future__ import annotations

import gzip
import json
import os
import zlib
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner, Result

from newsletter.cli import app
from newsletter.config import SOURCE_MAX
from newsletter.data.ingest.formats import detect
from newsletter.data.ingest.normalize import COMPANY_MAX, LOCATION_MAX, TITLE_MAX
from newsletter.data.ingest.rules import Rules
from newsletter.data.ingest.tabular import GUNZIP_MAX_RATIO, gunzip
from newsletter.errors import IngestError
from tests.test_ingest_cli import WEEK, ingest_cli, write_config

HEADER = "id,title,company,location\n"


def _csv(path: Path, *ids: int) -> Path:
    rows = "".join(f'{i},Data Scientist,Acme {i},"Austin, TX"\n' for i in ids)
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def _refused(res: Result, why: str, tmp_path: Path) -> None:
    """The command failed in one line naming ``why``, and wrote nothing."""
    assert res.exit_code != 0
    assert why in res.output and "Traceback" not in res.output
    assert not (tmp_path / "snaps").exists()


@pytest.fixture
def ingested(tmp_path: Path, runner: CliRunner) -> Path:
    """The config of a folder whose week holds two postings already."""
    cfg = write_config(tmp_path)
    assert ingest_cli(runner, cfg, _csv(tmp_path / "a.csv", 1, 2)).exit_code == 0
    return cfg


def _report(tmp_path: Path) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(
        (tmp_path / "snaps" / "reports" / f"{WEEK.isoformat()}.json").read_text()
    )
    return loaded


@pytest.mark.parametrize("name", ["jobs?.csv", "jobs*.csv", "jobs[1].csv", "[x] jobs.csv"])
def test_a_file_name_is_never_a_glob_pattern(tmp_path: Path, runner: CliRunner, name: str) -> None:
    named = _csv(tmp_path / name, 1)
    _csv(tmp_path / "jobs1.csv", 2, 3)  # what the name would match as a pattern
    _csv(tmp_path / "jobs2.csv", 4)
    res = ingest_cli(runner, write_config(tmp_path), named)
    assert res.exit_code == 0, res.output
    report = _report(tmp_path)
    assert report["rows_read"] == 1


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_other_formats_read_the_named_file_too(
    tmp_path: Path, runner: CliRunner, suffix: str
) -> None:
    for name, ids in ((f"t[1]{suffix}", (1, 2)), (f"t1{suffix}", (3, 4, 5))):
        frame = pl.read_csv(_csv(tmp_path / "rows.csv", *ids))
        (frame.write_ndjson if suffix == ".jsonl" else frame.write_parquet)(tmp_path / name)
    named = tmp_path / f"t[1]{suffix}"
    res = ingest_cli(runner, write_config(tmp_path), named)
    assert res.exit_code == 0, res.output
    assert _report(tmp_path)["rows_read"] == 2


def test_markup_in_file_and_source_names_prints_as_text(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a short name: the table row does not wrap
    _csv(tmp_path / "[red]x[red].csv", 1)
    cfg = write_config(tmp_path)
    res = ingest_cli(runner, cfg, Path("[red]x[red].csv"), "--source", "[/s]")
    assert res.exit_code == 0, res.output
    assert "[red]x[red].csv (csv, source [/s])" in res.output


def test_a_gzip_bomb_is_refused_as_it_expands(tmp_path: Path, runner: CliRunner) -> None:
    expanded = 80 * 2**20  # 80 MB of one field, about 80 KB compressed
    data = zlib.compressobj(1, zlib.DEFLATED, 31)
    bomb = data.compress(HEADER.encode() + b"1,") + data.compress(b"a" * expanded)
    bomb += data.compress(b",Acme,Austin\n") + data.flush()
    assert len(bomb) * GUNZIP_MAX_RATIO < expanded
    path = tmp_path / "bomb.csv.gz"
    path.write_bytes(bomb)
    res = ingest_cli(runner, write_config(tmp_path), path)
    _refused(res, "refused: its gzip data expands to more than 64 MB", tmp_path)


def test_gunzip_reads_every_member_and_refuses_broken_or_oversized_data(tmp_path: Path) -> None:
    path = tmp_path / "x.gz"
    two = gzip.compress(b"first,") + gzip.compress(b"second\n")
    assert gunzip(path, two) == gzip.decompress(two) == b"first,second\n"
    assert gunzip(path, two + b"\0\0\0") == b"first,second\n"  # padding after the members
    with pytest.raises(IngestError, match="broken gzip data"):
        gunzip(path, two[:-6])  # the trailer cut short
    with pytest.raises(IngestError, match="broken gzip data"):
        gunzip(path, two + b"trailing text")
    big = gzip.compress(os.urandom(2**20))  # does not compress: the ratio is ~1
    assert len(gunzip(path, big)) == 2**20
    with pytest.raises(IngestError, match="refused"):
        gunzip(path, big, limit=2**19)


def test_gunzip_reads_an_empty_member(tmp_path: Path) -> None:
    """The gzip of nothing (an empty answer, as collect saves it) is whole, not cut short: its
    one call inflates nothing but reaches the member's end."""
    path = tmp_path / "x.gz"
    assert gunzip(path, gzip.compress(b"")) == b""
    assert gunzip(path, gzip.compress(b"") + gzip.compress(b"a,b\n")) == b"a,b\n"
    with pytest.raises(IngestError, match="broken gzip data"):
        gunzip(path, gzip.compress(b"")[:-4])  # its trailer cut short


def test_detecting_a_gzip_file_reads_only_its_head(tmp_path: Path) -> None:
    lines = "".join(json.dumps({"id": i, "title": "x", "company": "y"}) + "\n" for i in range(5000))
    good = tmp_path / "export.gz"
    good.write_bytes(gzip.compress(lines.encode()) + b"broken tail that detection never reads")
    assert detect(good).value == "jsonl"


def test_a_named_pipe_is_refused_before_it_is_opened(tmp_path: Path, runner: CliRunner) -> None:
    fifo = tmp_path / "jobs.csv"
    os.mkfifo(fifo)
    res = ingest_cli(runner, write_config(tmp_path), fifo)  # opening it would block forever
    _refused(res, "is not a regular file", tmp_path)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_an_export_without_rows_leaves_the_week_as_it_was(
    tmp_path: Path, runner: CliRunner, ingested: Path, suffix: str
) -> None:
    cfg = ingested
    snapshot = tmp_path / "snaps" / f"{WEEK.isoformat()}.parquet"
    before = snapshot.read_bytes()
    empty = _csv(tmp_path / f"empty{suffix}")
    if suffix == ".parquet":
        pl.read_csv(empty).write_parquet(empty)
    res = ingest_cli(runner, cfg, empty)
    assert res.exit_code != 0
    assert "no postings in" in res.output and "Traceback" not in res.output
    assert snapshot.read_bytes() == before
    assert _report(tmp_path)["rows_read"] == 2


def test_an_export_of_which_every_row_is_rejected_leaves_the_week_as_it_was(
    tmp_path: Path, runner: CliRunner, ingested: Path
) -> None:
    snapshot = tmp_path / "snaps" / f"{WEEK.isoformat()}.parquet"
    before = snapshot.read_bytes()
    firm = tmp_path / "firm.csv"  # its company column has a name no alias knows
    firm.write_text("title,firm\nData Scientist,Acme\nML Engineer,Beta\n,Gamma\n", "utf-8")
    res = ingest_cli(runner, ingested, firm)
    assert res.exit_code != 0 and "Traceback" not in res.output
    assert "no posting kept of the 3 rows" in res.output
    assert "(2 missing company, 1 missing title)" in res.output
    assert snapshot.read_bytes() == before
    assert _report(tmp_path)["rows_read"] == 2
    assert not list((tmp_path / "snaps").rglob("*.tmp"))


def _ingest_rows(
    tmp_path: Path, runner: CliRunner, rows: list[tuple[str, ...]]
) -> dict[str, object]:
    """Ingest (id, title, company, location) rows from a Parquet file; the week's report."""
    frame = pl.DataFrame(rows, schema=["id", "title", "company", "location"], orient="row")
    raw = tmp_path / "jobs.parquet"
    frame.write_parquet(raw)
    res = ingest_cli(runner, write_config(tmp_path), raw)
    assert res.exit_code == 0, res.output
    return _report(tmp_path)


def test_invisible_characters_and_nameless_titles_or_companies(
    tmp_path: Path, runner: CliRunner
) -> None:
    rows = [
        ("1", "\u202eData Scientist", "Acme\u200b Labs", "Austin,\u2066 TX"),  # kept, cleaned
        ("2", "\x00", "Acme", "Austin, TX"),  # only a control character
        ("3", "\u200b\u200b", "Acme", "Austin, TX"),  # only zero-width spaces
        ("4", "---", "Acme", "Austin, TX"),  # no letter or digit
        ("5", "ML Engineer", "\U0001f680", "Austin, TX"),  # a company that is one emoji
        ("6", "Café Manager", "Zürich AG", "Zürich"),  # letters beyond ASCII are letters
    ]
    report = _ingest_rows(tmp_path, runner, rows)
    assert report["rejected_by_reason"] == {"missing title": 3, "missing company": 1}
    snap = pl.read_parquet(tmp_path / "snaps" / f"{WEEK.isoformat()}.parquet")
    first = snap.row(0, named=True)
    assert (first["title"], first["company"], first["location"]) == (
        "Data Scientist",
        "Acme Labs",
        "Austin, TX",
    )
    assert snap.height == 2


def test_html_tags_in_a_name_or_place_are_dropped_other_angle_brackets_kept(
    tmp_path: Path, runner: CliRunner
) -> None:
    """A scraped feed's ``<b>Senior</b>`` or ``&lt;br&gt;`` (decoded once) is markup, not a
    title readers should see; ``<3 years>`` is no tag and stays; a title of tags alone is
    missing."""
    rows = [
        ("1", "<b>Senior</b> Data Scientist", "<span class='co'>Acme</span>", "Austin,<br>TX"),
        ("2", "ML Engineer &lt;STRONG&gt;(Remote)&lt;/STRONG&gt;", "Beta", "Berlin"),
        ("3", "C++ Developer <3 years>", "Gamma <Labs>", "Paris"),
        ("4", "<br/><p></p>", "Delta", "Rome"),
    ]
    report = _ingest_rows(tmp_path, runner, rows)
    assert report["rejected_by_reason"] == {"missing title": 1}
    snap = pl.read_parquet(tmp_path / "snaps" / f"{WEEK.isoformat()}.parquet").sort("posting_id")
    assert snap.select("title", "company", "location").rows() == [
        ("Senior Data Scientist", "Acme", "Austin, TX"),
        ("ML Engineer (Remote)", "Beta", "Berlin"),
        ("C++ Developer <3 years>", "Gamma <Labs>", "Paris"),
    ]
    assert snap["work_mode"][1] == "remote"


def test_a_title_company_or_location_too_long_to_be_one_is_a_counted_reject(
    tmp_path: Path, runner: CliRunner
) -> None:
    """A description (or a page of markup) read into the title, company or location column is
    no name or place: the row is rejected with the reason, never stored; values at the limit
    are kept."""
    rows = [
        ("1", "T" * TITLE_MAX, "C" * COMPANY_MAX, "L" * LOCATION_MAX),  # at the limits: kept
        ("2", "Data Scientist " + "x" * TITLE_MAX, "Acme", "Austin, TX"),
        ("3", "ML Engineer", "Acme " * COMPANY_MAX, "Austin, TX"),
        ("4", "\u200b" * TITLE_MAX + "Analyst", "Acme", "Austin, TX"),  # invisible: not counted
        ("5", "Analyst", "Acme", "Austin, TX; " * LOCATION_MAX),
    ]
    report = _ingest_rows(tmp_path, runner, rows)
    assert report["rejected_by_reason"] == {
        f"title over {TITLE_MAX} characters": 1,
        f"company over {COMPANY_MAX} characters": 1,
        f"location over {LOCATION_MAX} characters": 1,
    }
    assert report["kept"] == 2
    rejects = pl.read_parquet(tmp_path / "snaps" / "rejects" / f"{WEEK.isoformat()}.parquet")
    assert sorted(rejects["source_id"].to_list()) == ["2", "3", "5"]


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_json_ids_read_as_written_and_one_odd_record_fails_nothing(
    tmp_path: Path, runner: CliRunner, suffix: str
) -> None:
    records = [
        {"id": 1, "title": "Data Scientist", "company": "A"},
        {"id": 2.0, "title": "ML Engineer", "company": "B"},  # the same number as 2
        {"id": [3], "title": "Analyst", "company": "C", "skills": ["SQL"]},  # a stray list
        {"id": "x", "title": {"text": "Researcher"}, "company": "D"},  # an object for a title
    ]
    path = tmp_path / f"jobs{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(records), encoding="utf-8")
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    res = ingest_cli(runner, write_config(tmp_path), path)
    assert res.exit_code == 0, res.output
    snap = pl.read_parquet(tmp_path / "snaps" / f"{WEEK.isoformat()}.parquet")
    kind = suffix[1:]
    assert snap["posting_id"].to_list() == [f"{kind}:1", f"{kind}:2", f"{kind}:[3]", f"{kind}:x"]
    assert snap["skills"][2].to_list() == ["SQL"]


def test_a_whole_float_id_in_parquet_is_written_as_an_integer(
    tmp_path: Path, runner: CliRunner
) -> None:
    path = tmp_path / "jobs.parquet"
    pl.DataFrame(
        {"id": [1.0, 2.5], "title": ["Data Scientist", "ML Engineer"], "company": ["A", "B"]}
    ).write_parquet(path)
    assert ingest_cli(runner, write_config(tmp_path), path).exit_code == 0
    snap = pl.read_parquet(tmp_path / "snaps" / f"{WEEK.isoformat()}.parquet")
    assert snap["posting_id"].to_list() == ["parquet:1", "parquet:2.5"]


@pytest.mark.parametrize("week", ["9999-12-31", "0001-01-01", "1999-06-01", "2100-01-04"])
def test_a_week_outside_the_years_of_job_postings_is_refused(
    tmp_path: Path, runner: CliRunner, week: str
) -> None:
    cfg = write_config(tmp_path)
    argv = ["--config", str(cfg), "ingest", str(_csv(tmp_path / "jobs.csv", 1)), "--week", week]
    _refused(runner.invoke(app, argv), f"week '{week}' is not in the years 2000-2099", tmp_path)


@pytest.mark.parametrize("blocked", ["reports", "rejects"])
def test_a_file_that_cannot_land_leaves_the_whole_week_as_it_was(
    tmp_path: Path, runner: CliRunner, ingested: Path, blocked: str
) -> None:
    cfg = ingested
    snaps = tmp_path / "snaps"
    before = {p: p.read_bytes() for p in snaps.rglob("*") if p.is_file()}
    assert len(before) == 3
    # the report (or the rejects) cannot be renamed into place: a folder holds its name
    target = snaps / blocked / f"{WEEK.isoformat()}.{'json' if blocked == 'reports' else 'parquet'}"
    target.unlink()
    target.mkdir()
    (target / "keep").write_text("x")
    res = ingest_cli(runner, cfg, _csv(tmp_path / "b.csv", 3, 4, 5))
    assert res.exit_code != 0
    assert "cannot write the ingest output" in res.output and "Traceback" not in res.output
    after = {p: p.read_bytes() for p in snaps.rglob("*") if p.is_file()}
    assert after == {**{p: b for p, b in before.items() if p != target}, target / "keep": b"x"}


@pytest.mark.parametrize(
    ("encoding", "suffix"),
    [("cp1252", ".csv"), ("utf-16", ".csv"), ("utf-8-sig", ".csv"), ("cp1252", ".json"),
     ("utf-8-sig", ".json"), ("utf-16", ".jsonl")],
)  # fmt: skip
def test_exports_in_other_encodings_keep_their_letters(
    tmp_path: Path, runner: CliRunner, encoding: str, suffix: str
) -> None:
    rows = [{"id": "1", "title": "Ingénieur données", "company": "Société Générale",
             "location": "Zürich"}]  # fmt: skip
    if suffix == ".csv":
        text = "id,title,company,location\n1,Ingénieur données,Société Générale,Zürich\n"
    elif suffix == ".json":
        text = json.dumps(rows, ensure_ascii=False)
    else:
        text = json.dumps(rows[0], ensure_ascii=False) + "\n"
    path = tmp_path / f"jobs{suffix}"
    path.write_bytes(text.encode(encoding))
    res = ingest_cli(runner, write_config(tmp_path), path)
    assert res.exit_code == 0, res.output
    snap = pl.read_parquet(tmp_path / "snaps" / f"{WEEK.isoformat()}.parquet")
    assert snap.select("title", "company").row(0) == ("Ingénieur données", "Société Générale")


@pytest.mark.parametrize("suffix", [".csv", ".json", ".jsonl"])
def test_a_utf8_byte_order_mark_before_windows_1252_text_is_dropped(
    tmp_path: Path, runner: CliRunner, suffix: str
) -> None:
    """A Windows-1252 export that a tool gave a UTF-8 byte-order mark: it was read as
    Windows-1252 whole, the mark too, so the first column was named ``ï»¿title`` (a CSV:
    "no title column") or the document began with ``ï»¿`` (JSON: "not valid JSON"). The
    mark is dropped and the text read as Windows-1252, its letters kept."""
    if suffix == ".csv":
        text = "title,company,location\nIngénieur données,Société Générale,Zürich\n"
    else:
        record = '{"title": "Ingénieur données", "company": "Société Générale"}'
        text = f"[{record}]" if suffix == ".json" else record + "\n"
    path = tmp_path / f"jobs{suffix}"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("cp1252"))
    res = ingest_cli(runner, write_config(tmp_path), path)
    assert res.exit_code == 0, res.output
    snap = pl.read_parquet(tmp_path / "snaps" / f"{WEEK.isoformat()}.parquet")
    assert snap.select("title", "company").row(0) == ("Ingénieur données", "Société Générale")


def test_character_references_in_names_are_decoded_once(ingest_rules: Rules) -> None:
    """A board's 'AT&amp;T Labs' showed as AT&amp;T in the issue (and AT&amp;amp;T in its
    HTML): names are text, their references decoded (once), their HTML tags dropped (a
    reader would see ``<b>`` as text: it is escaped in the issue)."""
    from tests.ingest_support import normalized

    rows = [
        {"title": "ML Engineer &#8211; Search", "company": "AT&amp;T Labs",
         "location": "S&atilde;o Paulo, Brazil"},
        {"title": "Engineer <b>II</b>", "company": "R&D Co &amp;amp; Sons"},
    ]  # fmt: skip
    out = normalized(ingest_rules, rows)
    assert out["title"].to_list() == ["ML Engineer – Search", "Engineer II"]
    assert out["company"].to_list() == ["AT&T Labs", "R&D Co &amp; Sons"]
    assert out["location"].to_list()[0] == "São Paulo, Brazil"


@pytest.mark.parametrize(
    "name",
    ["feed\u202eevil", "feed\nsecond line", "feed\x07", "x" * (SOURCE_MAX + 1), " ", ""],
)
def test_a_source_option_that_is_not_one_visible_line_is_refused(
    tmp_path: Path, runner: CliRunner, name: str
) -> None:
    cfg = write_config(tmp_path)
    res = ingest_cli(runner, cfg, _csv(tmp_path / "a.csv", 1), "--source", name)
    _refused(res, "must be one line of visible text", tmp_path)
    assert len(res.output.strip().splitlines()) == 1


def test_a_long_source_option_of_a_board_key_is_taken(tmp_path: Path, runner: CliRunner) -> None:
    key = "smartrecruiters:" + "b" * 128  # the longest key `newsletter collect` writes
    cfg = write_config(tmp_path)
    res = ingest_cli(runner, cfg, _csv(tmp_path / "a.csv", 1), "--source", key)
    assert res.exit_code == 0, res.output
    snap = pl.read_parquet(tmp_path / "snaps" / f"{WEEK.isoformat()}.parquet")
    assert snap["posting_id"].to_list() == [f"{key}:1"]


def test_a_files_source_column_is_cleaned_per_value(tmp_path: Path, runner: CliRunner) -> None:
    raw = tmp_path / "s.csv"
    rows = [
        ("1", "feed\u202e\u200bA\x07"),  # bidi override, zero-width space, bell: dropped
        ("2", "line one\r\nline  two"),  # line breaks and doubled spaces: one space
        ("3", "y" * 500),  # cut to SOURCE_MAX
        ("4", "\u200b\u2066 "),  # nothing visible: the --source fallback, as a blank
        ("5", ""),
        ("6", "plain"),
    ]
    body = "".join(f'{i},Data Scientist,Acme,"Austin, TX","{s}"\n' for i, s in rows)
    raw.write_text("id,title,company,location,source\n" + body, encoding="utf-8")
    cfg = write_config(tmp_path)
    res = ingest_cli(runner, cfg, raw, "--source", "fallback")
    assert res.exit_code == 0, res.output
    snap = pl.read_parquet(tmp_path / "snaps" / f"{WEEK.isoformat()}.parquet")
    ids = [p.rpartition(":")[2] for p in snap["posting_id"]]
    got = dict(zip(ids, snap["source"], strict=True))
    assert got == {
        "1": "feedA",
        "2": "line one line two",
        "3": "y" * SOURCE_MAX,
        "4": "fallback",
        "5": "fallback",
        "6": "plain",
    }
    assert sorted(snap["posting_id"]) == sorted(f"{s}:{i}" for i, s in got.items())
