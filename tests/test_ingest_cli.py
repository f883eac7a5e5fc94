"""`newsletter ingest` end to end: files written, report shown, errors, atomic re-ingest."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner, Result

from newsletter.cli import app
from newsletter.data.snapshots import (
    read_snapshot,
    rejects_path,
    report_path,
    snapshot_path,
    write_parquet_atomic,
)
from newsletter.data.synth import write_raw_csv
from newsletter.util.files import atomic_write_bytes
from tests.conftest import REPO

WEEK = date(2026, 11, 23)


def write_config(tmp_path: Path, extra: str = "") -> Path:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[data]\nsnapshots_dir = "snaps"\nrules_dir = "{REPO / "rules"}"\n{extra}',
        encoding="utf-8",
    )
    return cfg


def ingest_cli(runner: CliRunner, cfg: Path, *args: str | Path) -> Result:
    """``newsletter --config CFG ingest ARGS... --week 2026-11-23``."""
    argv = ["--config", str(cfg), "ingest", *map(str, args), "--week", "2026-11-23"]
    return runner.invoke(app, argv)


def test_ingest_writes_snapshot_rejects_and_report(tmp_path: Path, runner: CliRunner) -> None:
    raw = write_raw_csv(tmp_path / "raw.csv.gz", 3000)
    cfg = write_config(tmp_path)
    res = runner.invoke(app, ["--config", str(cfg), "ingest", str(raw), "--week", "2026-11-25"])
    assert res.exit_code == 0, res.output
    assert "rows read" in res.output and "3,000" in res.output
    snaps = tmp_path / "snaps"
    snap = read_snapshot(snaps, WEEK)
    report = json.loads(report_path(snaps, WEEK).read_text())
    rejects = pl.read_parquet(rejects_path(snaps, WEEK))
    assert report["kept"] == snap.height
    assert report["rows_read"] == 3000
    assert report["kept"] + report["rejected"] + report["duplicates"] == report["rows_read"]
    assert report["rejected"] == rejects.height == 6
    assert set(rejects["reason"]) == {"missing title", "missing company"}
    assert {"title", "company", "source_file", "reason"} <= set(rejects.columns)
    assert report["duplicates"] == 15
    keys = ("rejected_by_reason", "salary_unparsed", "salary_out_of_range", "share_with_pay",
            "share_with_metro", "share_with_category", "share_with_skills")  # fmt: skip
    assert all(k in report for k in keys)
    assert 0.5 < report["share_with_pay"] < 0.7
    assert snap["posting_id"].n_unique() == snap.height


def test_reingest_replaces_the_week(tmp_path: Path, runner: CliRunner) -> None:
    cfg = write_config(tmp_path)
    first = write_raw_csv(tmp_path / "a.csv", 500, seed=1)
    second = write_raw_csv(tmp_path / "b.csv", 200, seed=2)
    for raw in (first, second):
        res = runner.invoke(app, ["--config", str(cfg), "ingest", str(raw), "--week", "2026-11-23"])
        assert res.exit_code == 0, res.output
    snaps = tmp_path / "snaps"
    report = json.loads(report_path(snaps, WEEK).read_text())
    assert report["rows_read"] == 200
    assert read_snapshot(snaps, WEEK).height == report["kept"]
    assert not [p for p in snaps.rglob("*.tmp")]


def test_bad_input_exits_nonzero_and_writes_nothing(tmp_path: Path, runner: CliRunner) -> None:
    cfg = write_config(tmp_path)
    good = write_raw_csv(tmp_path / "good.csv", 50)
    bad = tmp_path / "bad.csv"
    bad.write_text("colour,size\nred,1\n")
    res = ingest_cli(runner, cfg, good, bad)
    assert res.exit_code != 0
    assert "no title column" in res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "snaps").exists()


def test_unknown_format_and_missing_file(tmp_path: Path, runner: CliRunner) -> None:
    cfg = write_config(tmp_path)
    odd = tmp_path / "data.bin"
    odd.write_bytes(b"\x00\x01binary")
    for target, message in ((odd, "unknown format"), (tmp_path / "nope.csv", "no such file")):
        res = runner.invoke(
            app, ["--config", str(cfg), "ingest", str(target), "--week", "2026-11-23"]
        )
        assert res.exit_code != 0
        assert message in res.output
    assert not snapshot_path(tmp_path / "snaps", WEEK).exists()


def test_config_columns_and_json_output(tmp_path: Path, runner: CliRunner) -> None:
    cfg = write_config(tmp_path, '[ingest.columns]\n"Job Name" = "title"\n"Employer" = "company"\n')
    raw = tmp_path / "odd.csv"
    pl.DataFrame({"Job Name": ["Data Engineer", ""], "Employer": ["Acme", "Beta"]}).write_csv(raw)
    res = runner.invoke(
        app,
        [
            "--config",
            str(cfg),
            "ingest",
            str(raw),
            "--week",
            "2026-11-23",
            "--json",
            "--source",
            "acme-board",
        ],
    )
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert (report["kept"], report["rejected"]) == (1, 1)
    assert report["sources"] == {"acme-board": 1}


def test_failed_atomic_write_keeps_the_old_file(tmp_path: Path) -> None:
    """A write that fails half-way leaves the previous file as it was and no temporary."""
    target = tmp_path / "out" / "x.parquet"
    write_parquet_atomic(pl.DataFrame({"a": [1]}), target)
    unwritable = pl.DataFrame({"a": [object()]}, schema={"a": pl.Object})
    with pytest.raises(pl.exceptions.PolarsError):
        write_parquet_atomic(unwritable, target)
    assert pl.read_parquet(target)["a"].to_list() == [1]
    text = tmp_path / "out" / "x.json"
    atomic_write_bytes(text, b"old")
    with pytest.raises(TypeError):
        atomic_write_bytes(text, "not bytes")  # type: ignore[arg-type]
    assert text.read_bytes() == b"old"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["x.json", "x.parquet"]


def test_unwritable_snapshot_folder_is_one_clear_error(tmp_path: Path, runner: CliRunner) -> None:
    cfg = write_config(tmp_path)
    raw = write_raw_csv(tmp_path / "raw.csv", 50)
    not_a_folder = tmp_path / "taken"
    not_a_folder.write_text("a file where the snapshot folder should be")
    res = ingest_cli(runner, cfg, raw, "--snapshots", not_a_folder)
    assert res.exit_code != 0
    # refused before any work, by the one check of output paths (cli/_app.check_output)
    assert res.output == f"error: {not_a_folder} is a file, not a folder\n"
    assert isinstance(res.exception, SystemExit)  # handled, not a crash
    assert not_a_folder.read_text() == "a file where the snapshot folder should be"


def test_the_report_counts_where_each_pay_currency_came_from(
    tmp_path: Path, runner: CliRunner
) -> None:
    """A currency the ingest assumed (the place's, a bare $ as the local dollar, US dollars
    for want of a place) is counted in the report and the table, never silent."""
    raw = tmp_path / "pay.csv"
    pl.DataFrame(
        {
            "id": ["1", "2", "3", "4", "5", "6"],
            "title": ["ML Engineer"] * 6,
            "company": ["Acme"] * 6,
            "location": [
                "Berlin, Germany",
                "Toronto, ON",
                "Austin, TX",
                "Remote",
                "Paris",
                "Lyon, France",
            ],
            "salary": ["50-60k", "$120,000", "€70,000", "100,000 - 120,000", "EUR 60k", None],
        }
    ).write_csv(raw)
    cfg = write_config(tmp_path)
    res = ingest_cli(runner, cfg, raw, "--json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["currencies"] == {"EUR": 3, "CAD": 1, "USD": 1}
    assert report["currency_source"] == {
        "named": 2, "assumed_usd": 1, "place": 1, "place_dollar": 1,
    }  # fmt: skip
    table = ingest_cli(runner, cfg, raw)
    assert table.exit_code == 0, table.output
    assert "pay currency not named: the posting's country's" in table.output
    assert "pay currency a bare $ read as the local dollar" in table.output
    assert "pay currency not named, none from the place: US dollars" in table.output


def test_the_table_never_calls_a_known_country_unknown(tmp_path: Path, runner: CliRunner) -> None:
    """Amounts of a pay field without a currency field (lukebarousse's salary_year_avg) are US
    dollars wherever the posting is: the table says so, not that the country is unknown."""
    raw = tmp_path / "pay.csv"
    pl.DataFrame(
        {"title": ["Data Analyst"], "company": ["Acme"], "location": ["Berlin, Germany"],
         "salary_year_avg": ["90000"]}
    ).write_csv(raw)  # fmt: skip
    table = ingest_cli(runner, write_config(tmp_path), raw)
    assert table.exit_code == 0, table.output
    assert "US dollars" in table.output and "country unknown" not in table.output
