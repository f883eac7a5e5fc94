"""Posting dates: a two-digit year is 20xx, and a date no posting of the week could have
(before 2000, or after the week's Sunday and a day) is dropped and counted in the report.
They decided the reader's newest picks: a posting "from 3000-01-01" came first, one from
"11/27/26" (read as the year 26) was left out."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from newsletter.cli import app

ROWS = {
    "us2": ("11/23/26", date(2026, 11, 23)),
    "eu2": ("23.11.26", date(2026, 11, 23)),
    "iso": ("2026-11-24T10:00:00Z", date(2026, 11, 24)),
    "us4": ("11/30/2026", date(2026, 11, 30)),  # the Sunday after, and a day of grace
    "epoch": ("1763856000", date(2025, 11, 23)),
    "epoch-ms-frac": ("1763856000123.5", date(2025, 11, 23)),
    "day-first": ("23/11/2026", date(2026, 11, 23)),
    "yy-mm-dd": ("26-11-23", None),  # no shape we read
    "future": ("3000-01-01", None),
    "past": ("1970-01-01", None),
    "too-late": ("12/01/2026", None),
    "blank": ("", None),
}


def test_posting_dates_are_read_as_written_and_impossible_ones_dropped(
    runner: CliRunner, tmp_path: Path
) -> None:
    lines = ["id,title,company,location,posted_at"]
    lines += [f'{k},ML Engineer,{k},"Seattle, WA",{v}' for k, (v, _) in ROWS.items()]
    export = tmp_path / "week.csv"
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    snaps = tmp_path / "snaps"
    args = ["ingest", str(export), "--week", "2026-11-25", "--snapshots", str(snaps)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    got = dict(pl.read_parquet(snaps / "2026-11-23.parquet").select("company", "posted_at").rows())
    assert got == {k: want for k, (_, want) in ROWS.items()}
    report = json.loads((snaps / "reports" / "2026-11-23.json").read_text())
    assert report["posted_dates"] == {"ok": 7, "implausible": 3, "unparsed": 1, "missing": 1}
    assert "posting date implausible, dropped" in result.output
