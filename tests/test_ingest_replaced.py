"""Bytes not valid in an export's encoding: read as U+FFFD (the file is not refused, the
posting is kept), and counted: the report's ``text_replaced`` and the ingest table's line, in
a CSV and in JSON lines, read at once and in batches."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from newsletter.data.ingest.rules import Rules
from newsletter.data.ingest.run import ingest_into
from newsletter.data.snapshots import read_snapshot, report_path
from tests.conftest import NOW
from tests.test_ingest_cli import WEEK, ingest_cli, write_config

#: Valid UTF-8 first (more than the 64 KB the reader sniffs, so the file is read as UTF-8).
GOOD = [f"{i},ML Engineer {i},Acme {i},Austin TX,Builds models in Python.\n" for i in range(3000)]
#: Two postings with an invalid byte (a Windows-1252 e-acute in a UTF-8 file): one in the
#: company, one in the description.
BROKEN = [
    b"9001,Data Scientist,Caf\xe9 Labs,Boston MA,Statistics.\n",
    b"9002,ML Engineer,Acme,Denver CO,Works on r\xe9sum\xe9 parsing.\n",
]


def _csv(path: Path) -> Path:
    path.write_bytes(
        b"id,title,company,location,description\n" + "".join(GOOD).encode() + b"".join(BROKEN)
    )
    return path


def _report(tmp_path: Path) -> dict[str, object]:
    out: dict[str, object] = json.loads(report_path(tmp_path / "snaps", WEEK).read_text())
    return out


def test_invalid_bytes_are_kept_as_u_fffd_and_counted(tmp_path: Path, runner: CliRunner) -> None:
    raw = _csv(tmp_path / "jobs.csv")
    res = ingest_cli(runner, write_config(tmp_path), raw)
    assert res.exit_code == 0, res.output
    report = _report(tmp_path)
    assert report["kept"] == 3002 and report["text_replaced"] == 2
    assert "text with bytes not valid in its encoding" in res.output
    snap = read_snapshot(tmp_path / "snaps", WEEK)
    assert snap.filter(snap["company"].str.contains("\ufffd"))["company"].to_list() == [
        "Caf\ufffd Labs"
    ]


def test_a_clean_export_counts_none(tmp_path: Path, runner: CliRunner) -> None:
    raw = tmp_path / "jobs.csv"
    raw.write_text("id,title,company,location\n" + "1,ML Engineer,Café,Austin TX\n", "utf-8")
    res = ingest_cli(runner, write_config(tmp_path), raw)
    assert res.exit_code == 0, res.output
    assert _report(tmp_path)["text_replaced"] == 0
    assert "not valid in its encoding" not in res.output


def test_json_lines_and_batches_count_the_same(tmp_path: Path, ingest_rules: Rules) -> None:
    """JSON lines (decoded with replacement) and a CSV read in batches of 1,000 rows,
    spooled: the same count."""
    lines = tmp_path / "jobs.jsonl"
    good = "".join(
        f'{{"id": "{i}", "title": "ML Engineer", "company": "Acme {i}", "location": "Austin"}}\n'
        for i in range(2000)
    )
    lines.write_bytes(
        good.encode()
        + b'{"id": "x", "title": "Data Scientist", "company": "Caf\xe9", "location": "Boston"}\n'
    )
    csv = _csv(tmp_path / "jobs.csv")
    for path, expected in ((lines, 1), (csv, 2)):
        folder = tmp_path / path.suffix.strip(".")
        report, _ = ingest_into(
            [path], WEEK, ingest_rules, folder, now=NOW, chunk_rows=1_000, held_bytes=0
        )
        assert report.text_replaced == expected, path


def _ingested(tmp_path: Path, runner: CliRunner, name: str, body: str) -> dict[str, object]:
    """The report of ingesting a file ``name`` of ``body`` (which must succeed)."""
    path = tmp_path / name
    path.write_text(body, "utf-8")
    res = ingest_cli(runner, write_config(tmp_path), path)
    assert res.exit_code == 0, res.output
    return _report(tmp_path)


def test_a_json_line_that_is_not_json_is_a_rejected_row(tmp_path: Path, runner: CliRunner) -> None:
    """One bad line (cut off, a stray word, a number) never stops the others: each is a row
    rejected with its reason, counted; the records around it are kept."""
    report = _ingested(
        tmp_path,
        runner,
        "jobs.jsonl",
        '{"id": "1", "title": "ML Engineer", "company": "Acme", "location": "Austin TX"}\n'
        '{"id": "2", "title": "Data Scientist", "comp\n'
        "oops\n"
        "42\n"
        '{"id": "3", "title": "Research Scientist", "company": "Beta", "location": "Boston"}\n',
    )
    assert report["rows_read"] == 5 and report["kept"] == 2
    assert report["rejected_by_reason"] == {"not JSON": 2, "not an object": 1}
    rejects = pl.read_parquet(tmp_path / "snaps" / "rejects" / f"{WEEK.isoformat()}.parquet")
    assert sorted(rejects["reason"].to_list()) == ["not JSON", "not JSON", "not an object"]


def test_a_json_array_with_an_element_that_is_no_record(tmp_path: Path, runner: CliRunner) -> None:
    report = _ingested(
        tmp_path,
        runner,
        "jobs.json",
        '[{"id": "1", "title": "ML Engineer", "company": "Acme", "location": "Austin TX"}, 7,'
        ' {"id": "2", "title": "Data Scientist", "company": "Beta", "location": "Boston",'
        ' "__record_problem__": "closed"}]',
    )
    # a record's own field of the reserved name is its field, never its reason
    assert report["kept"] == 2 and report["rejected_by_reason"] == {"not an object": 1}


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("x.jsonl", "oops\nnot json either\n", "not a readable JSON Lines file"),
        ("x.json", "[1, 2, 3]", "not a list of job records"),
    ],
)
def test_a_file_with_no_record_at_all_is_still_refused(
    tmp_path: Path, runner: CliRunner, name: str, body: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(body, "utf-8")
    res = ingest_cli(runner, write_config(tmp_path), path, "--format", name.split(".")[1])
    assert res.exit_code != 0 and message in res.output
