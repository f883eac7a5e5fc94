"""How a snapshot is stored: its few-valued columns and skill lists as categoricals (Parquet
dictionary columns), read back as the canonical strings, and a snapshot written before (as
strings) read alike: the signals and new roles of a folder are the same whichever way each
week was written."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from newsletter.config import parse_config
from newsletter.data.pipeline import build_signals, build_week
from newsletter.data.snapshots import (
    CATEGORICAL_COLUMNS,
    PARQUET_OPTIONS,
    SNAPSHOT_SCHEMA,
    STORED_SCHEMA,
    conform,
    list_weeks,
    read_snapshot,
    snapshot_path,
    write_snapshot,
)
from newsletter.data.synth import write_raw_csv
from tests.conftest import REPO, frame, posting
from tests.test_ingest_cli import WEEK, ingest_cli, write_config


def _stored_types(path: Path) -> dict[str, pl.DataType]:
    schema = pl.read_parquet_schema(path)
    return {c: schema[c] for c in (*CATEGORICAL_COLUMNS, "skills", "company", "title")}


EXPECTED = {c: STORED_SCHEMA[c] for c in (*CATEGORICAL_COLUMNS, "skills", "company", "title")}


def test_a_snapshot_stores_its_few_valued_columns_as_categoricals(tmp_path: Path) -> None:
    rows = [
        posting("a", skills=["Python", "PyTorch"], employment="contract", currency="USD"),
        posting("b", metro=None, skills=[], work_mode="remote", remote=True),
        posting("c", skills=None, category=None, seniority="senior"),
    ]
    path = write_snapshot(frame(rows), tmp_path, WEEK)
    assert _stored_types(path) == EXPECTED
    assert EXPECTED["metro"] == pl.Categorical() and EXPECTED["company"] == pl.String()
    back = read_snapshot(tmp_path, WEEK)  # readers get the values, as strings
    assert back.schema == pl.Schema(SNAPSHOT_SCHEMA)
    assert_frame_equal(back, conform(frame(rows)))
    assert back["skills"].to_list() == [["Python", "PyTorch"], [], None]


def test_ingest_writes_the_stored_form(tmp_path: Path, runner: CliRunner) -> None:
    raw = write_raw_csv(tmp_path / "raw.csv.gz", 500)
    res = ingest_cli(runner, write_config(tmp_path), raw)
    assert res.exit_code == 0, res.output
    assert _stored_types(snapshot_path(tmp_path / "snaps", WEEK)) == EXPECTED


def _as_strings(folder: Path, week: date) -> None:
    """Rewrite a week's snapshot as one written before categoricals were stored."""
    conform(read_snapshot(folder, week)).write_parquet(
        snapshot_path(folder, week), **PARQUET_OPTIONS
    )


@pytest.mark.parametrize("kind", ["stock", "new"])
def test_weeks_written_either_way_give_the_same_signals(tmp_path: Path, kind: str) -> None:
    """Three copies of the bundled weeks: all stored, all strings (as written before), and
    mixed (older weeks strings, the last two stored): one issue, to the byte; also with the
    source a feed of new postings, whose open stock stacks several weeks' files."""
    stored, strings, mixed = (tmp_path / n for n in ("stored", "strings", "mixed"))
    for folder in (stored, strings, mixed):
        shutil.copytree(REPO / "snapshots", folder)
    weeks = list_weeks(stored)
    for w in weeks:
        write_snapshot(read_snapshot(stored, w), stored, w)
        _as_strings(strings, w)
        if w in weeks[-2:]:
            write_snapshot(read_snapshot(mixed, w), mixed, w)
        else:
            _as_strings(mixed, w)
    assert _stored_types(snapshot_path(stored, weeks[-1])) == EXPECTED
    assert pl.read_parquet_schema(snapshot_path(strings, weeks[-1]))["metro"] == pl.String()
    config = parse_config({"data": {"source_kinds": {"synth": kind}}})
    issues = [build_week(config, None, f) for f in (stored, strings, mixed)]
    first = issues[0]
    assert first.signals.totals.new > 0 and first.new_roles.rows
    assert first.signals.data_health.source_kinds == {"synth": kind}
    for other in issues[1:]:
        assert other.signals.model_dump_json() == first.signals.model_dump_json()
        assert other.new_roles == first.new_roles
    # `newsletter signals` reads fewer columns, lazily (scan_snapshot): the same figures
    for f in (stored, strings, mixed):
        assert build_signals(config, None, f).model_dump_json() == first.signals.model_dump_json()


def test_every_reader_applies_one_rule_to_a_files_column_types(tmp_path: Path) -> None:
    """``preview``/``send`` read whole snapshots, ``signals`` scans a few columns lazily: both
    take a column with no value at all (type Null) as null of its type, and both refuse a
    column of another type with the same one-line error."""
    from newsletter.data.snapshots import scan_snapshot
    from newsletter.errors import SnapshotError

    rows = [posting("a", salary_min=None, salary_max=None, salary_mid=None), posting("b")]
    base = conform(frame(rows))
    nulls = base.with_columns(pl.lit(None).alias("country"))  # type Null, as another tool writes
    nulls.write_parquet(snapshot_path(tmp_path, WEEK))
    assert pl.read_parquet_schema(snapshot_path(tmp_path, WEEK))["country"] == pl.Null
    whole = read_snapshot(tmp_path, WEEK)
    scanned = scan_snapshot(tmp_path, WEEK, ("posting_id", "country")).collect()
    assert whole["country"].dtype == scanned["country"].dtype == pl.String
    assert whole["country"].to_list() == scanned["country"].to_list() == [None, None]

    wrong = base.with_columns(pl.col("posted_at").cast(pl.String))
    wrong.write_parquet(snapshot_path(tmp_path, WEEK))
    errors = []
    for read in (
        lambda: read_snapshot(tmp_path, WEEK),
        lambda: scan_snapshot(tmp_path, WEEK, ("posting_id", "posted_at")),
    ):
        with pytest.raises(SnapshotError) as caught:
            read()
        errors.append(str(caught.value))
    assert errors[0] == errors[1]
    assert "column posted_at is String, expected Date" in errors[0]
