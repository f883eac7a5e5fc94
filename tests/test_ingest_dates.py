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
from newsletter.data.ingest import ingest
from newsletter.data.ingest.rules import Rules
from tests.conftest import NOW

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


def _european(tmp_path: Path, dates: list[str], name: str = "eu.csv") -> Path:
    lines = ["id,title,company,location,posted_at"]
    lines += [f'{i},ML Engineer,Acme {i},"Berlin, Germany",{d}' for i, d in enumerate(dates)]
    export = tmp_path / name
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return export


def _posted(path: Path, rules: Rules) -> list[date | None]:
    result = ingest([path], date(2026, 11, 23), rules, now=NOW)
    return result.snapshot.get_column("posted_at").to_list()


def test_a_file_writing_its_dates_day_first_is_read_day_first_throughout(
    tmp_path: Path, ingest_rules: Rules
) -> None:
    """``05/11/2026`` was May 11 wherever it stood, even in an export whose other dates say
    day first (``23/11/2026``). The whole file decides, not each batch: this one is sorted by
    date, so its first batches hold no day over 12."""
    days = [1 + i * 24 // ROWS_SORTED for i in range(ROWS_SORTED)]  # 1..24, in order
    path = _european(tmp_path, [f"{d:02d}/11/2026" for d in days])
    want = [date(2026, 11, d) for d in days]
    for rows in (1_000_000, 10_000):  # one batch; three, the first without a day over 12
        got = ingest(
            [path], date(2026, 11, 23), ingest_rules, now=NOW, chunk_rows=rows, group_bytes=10**9
        ).snapshot
        assert got.get_column("posted_at").to_list() == want


#: Rows of the sorted export: three batches of the smallest slice a large export is read in.
ROWS_SORTED = 30_000


def test_ambiguous_dates_stay_month_first_without_evidence_or_with_both(
    tmp_path: Path, ingest_rules: Rules
) -> None:
    us = _european(tmp_path, ["05/11/2026", "11/05/2026"], "us.csv")
    assert sorted(_posted(us, ingest_rules)) == [date(2026, 5, 11), date(2026, 11, 5)]
    mixed = _european(tmp_path, ["05/11/2026", "11/23/2026", "23/11/2026"], "mixed.csv")
    got = dict(
        ingest([mixed], date(2026, 11, 23), ingest_rules, now=NOW)
        .snapshot.select("company", "posted_at")
        .rows()
    )
    assert got == {
        "Acme 0": date(2026, 5, 11), "Acme 1": date(2026, 11, 23), "Acme 2": date(2026, 11, 23)
    }  # fmt: skip


def test_each_file_of_an_ingest_decides_for_its_own_dates(
    tmp_path: Path, ingest_rules: Rules
) -> None:
    eu = _european(tmp_path, ["05/11/2026", "23/11/2026"], "eu.csv")
    us = tmp_path / "us.jsonl"
    us.write_text(
        '{"id": "u1", "title": "ML Engineer", "company": "Zeta", "location": "Austin, TX",'
        ' "posted_at": "05/11/2026"}\n',
        encoding="utf-8",
    )
    got = ingest([eu, us], date(2026, 11, 23), ingest_rules, now=NOW).snapshot
    assert dict(got.select("company", "posted_at").rows()) == {
        "Acme 0": date(2026, 11, 5), "Acme 1": date(2026, 11, 23), "Zeta": date(2026, 5, 11)
    }  # fmt: skip
