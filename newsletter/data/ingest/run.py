"""Ingest, start to finish: read every file, normalize, account, then write atomically.

:func:`ingest` is pure (returns frames and the report, writes nothing); :func:`write` puts
the rejects, the snapshot and the report in place, each via a temporary file and a rename,
so a failed run leaves the previous week's files untouched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import polars as pl

from newsletter.data.ingest.columns import RAW_COLUMNS
from newsletter.data.ingest.formats import read
from newsletter.data.ingest.normalize import (
    DIAGNOSTIC_COLUMNS,
    clean,
    dedupe,
    normalize,
    prepare,
    split_rejects,
)
from newsletter.data.ingest.report import FileSummary, IngestReport, build_report
from newsletter.data.ingest.rules import Rules
from newsletter.data.snapshots import (
    SNAPSHOT_SCHEMA,
    rejects_path,
    report_path,
    write_parquet_atomic,
    write_snapshot,
)
from newsletter.errors import IngestError, first_line
from newsletter.models import Format
from newsletter.util.files import atomic_write_text

#: Rows normalized per batch: bounds peak memory on large exports.
CHUNK_ROWS = 125_000
PARALLEL_CHUNKS = 2


@dataclass(frozen=True)
class IngestResult:
    snapshot: pl.DataFrame  # canonical schema
    rejects: pl.DataFrame  # raw columns + reason
    report: IngestReport


@dataclass(frozen=True)
class Written:
    snapshot: Path
    rejects: Path
    report: Path


def read_inputs(
    paths: Sequence[Path], fmt: Format, mapping: Mapping[str, str], source: str | None
) -> tuple[pl.DataFrame, list[FileSummary]]:
    """Every file through its adapter, stacked into one raw frame with ``source`` filled."""
    if not paths:
        raise IngestError("no input files given")
    frames: list[pl.DataFrame] = []
    files: list[FileSummary] = []
    for path in paths:
        frame, used = read(path, fmt, mapping)
        name = source or used.value
        frame = frame.with_columns(
            source=pl.coalesce(pl.col("source").str.strip_chars().replace("", None), pl.lit(name))
        )
        frames.append(frame.select(RAW_COLUMNS))
        files.append(FileSummary(path=str(path), format=used.value, source=name, rows=frame.height))
    return pl.concat(frames, how="vertical"), files


def _normalize_in_chunks(
    raw: pl.DataFrame, keep: pl.Series, rules: Rules, chunk_rows: int
) -> pl.DataFrame:
    """Normalize the kept rows of ``raw`` chunk by chunk (slices are views, so the raw
    frame is never copied whole; two chunks at a time keep both cores busy, as polars
    releases the GIL)."""
    prepared = prepare(rules)

    def one(start: int) -> pl.DataFrame:
        chunk = raw.slice(start, chunk_rows).filter(keep.slice(start, chunk_rows))
        return normalize(chunk.lazy().pipe(clean), prepared)

    with ThreadPoolExecutor(max_workers=PARALLEL_CHUNKS) as pool:
        parts = list(pool.map(one, range(0, max(raw.height, 1), chunk_rows)))
    return pl.concat(parts, how="vertical")


def ingest(
    paths: Sequence[Path],
    week: date,
    rules: Rules,
    *,
    fmt: Format = Format.auto,
    source: str | None = None,
    mapping: Mapping[str, str] | None = None,
    chunk_rows: int = CHUNK_ROWS,
    now: datetime,
) -> IngestResult:
    """Read and normalize ``paths`` into one week's snapshot, rejects and report.

    ``now`` is the report's ``generated_at`` (the caller's clock)."""
    raw, files = read_inputs(paths, fmt, mapping or {}, source)
    keep, rejects = split_rejects(raw)
    try:
        normalized = _normalize_in_chunks(raw, keep, rules, chunk_rows)
    except pl.exceptions.PolarsError as exc:  # a value no rule anticipated: say so, briefly
        raise IngestError(f"could not normalize the input: {first_line(exc)}") from None
    kept = dedupe(normalized)
    report = build_report(
        week=week,
        generated_at=now,
        rules_version=rules.version,
        default_category=rules.categories.default,
        files=files,
        rows_read=sum(f.rows for f in files),
        kept=kept,
        rejects=rejects,
        duplicates=normalized.height - kept.height,
    )
    if not report.balanced:  # pragma: no cover - a bug, never bad input
        raise AssertionError(f"ingest lost rows: {report.model_dump_json()}")
    return IngestResult(
        snapshot=kept.select(list(SNAPSHOT_SCHEMA)),
        rejects=rejects,
        report=report,
    )


def write(result: IngestResult, directory: Path, week: date) -> Written:
    """Rejects, snapshot, then report; each atomically (re-ingesting replaces them)."""
    rejects = rejects_path(directory, week)
    report = report_path(directory, week)
    try:
        write_parquet_atomic(result.rejects, rejects)
        snap = write_snapshot(result.snapshot, directory, week)
        atomic_write_text(report, result.report.model_dump_json(indent=2) + "\n")
    except OSError as exc:  # a folder that is a file, read-only, full disk
        raise IngestError(
            f"cannot write the ingest output to {directory}: {exc.strerror or first_line(exc)}"
        ) from None
    return Written(snapshot=snap, rejects=rejects, report=report)


__all__ = ["CHUNK_ROWS", "DIAGNOSTIC_COLUMNS", "IngestResult", "Written", "ingest", "write"]
