"""Ingest, start to finish: read every file, normalize, account, then write atomically.

:func:`ingest` is pure (returns frames and the report, writes nothing); :func:`write` puts
the rejects, the snapshot and the report in place, each via a temporary file and a rename,
so a failed run leaves the previous week's files untouched.
"""

from __future__ import annotations

import os
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
    Prepared,
    clean,
    dedupe,
    normalize,
    prepare,
    split_rejects,
)
from newsletter.data.ingest.report import FileSummary, IngestReport, build_report
from newsletter.data.ingest.rules import Rules
from newsletter.data.ingest.tabular import GZIP_MAGIC
from newsletter.data.snapshots import (
    SNAPSHOT_SCHEMA,
    rejects_path,
    report_path,
    write_parquet_atomic,
    write_snapshot,
)
from newsletter.errors import IngestError, first_line
from newsletter.models import Format, SourceKind
from newsletter.util.files import atomic_write_text

#: Rows normalized per batch: bounds peak memory on large exports.
CHUNK_ROWS = 125_000
PARALLEL_CHUNKS = 2
#: Raw files (bytes of data, gzip uncompressed) read and normalized together.
GROUP_BYTES = 64 * 1024 * 1024


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


@dataclass(frozen=True)
class Input:
    """One raw file and how to read it. ``newsletter ingest`` gives every file the same
    options; ``newsletter collect`` gives each board's responses their own."""

    path: Path
    format: Format = Format.auto
    #: The source of its postings (the prefix of their ids); default the format's name.
    source: str | None = None
    #: A display name that replaces the company of every row (a board's employer).
    company: str | None = None
    #: The job board's name, for adapters whose response does not carry it.
    board: str | None = None


def read_inputs(
    inputs: Sequence[Input], mapping: Mapping[str, str]
) -> tuple[pl.DataFrame, list[FileSummary]]:
    """Every file through its adapter, stacked into one raw frame with ``source`` filled."""
    frames: list[pl.DataFrame] = []
    files: list[FileSummary] = []
    for one in inputs:
        frame, used = read(one.path, one.format, mapping, board=one.board)
        name = one.source or used.value
        frame = frame.with_columns(
            source=pl.coalesce(pl.col("source").str.strip_chars().replace("", None), pl.lit(name))
        )
        if one.company:
            frame = frame.with_columns(company=pl.lit(one.company, dtype=pl.String))
        frames.append(frame.select(RAW_COLUMNS))
        files.append(
            FileSummary(path=str(one.path), format=used.value, source=name, rows=frame.height)
        )
    return pl.concat(frames, how="vertical"), files


def _data_size(path: Path) -> int:
    """Bytes of data in a file: a gzip file's uncompressed size (its trailer, mod 4 GiB),
    else its size on disk; 0 when unreadable (read() then says why, in one line)."""
    try:
        with path.open("rb") as fh:
            if fh.read(2) != GZIP_MAGIC:
                return path.stat().st_size
            fh.seek(-4, os.SEEK_END)
            return int.from_bytes(fh.read(4), "little")
    except OSError:
        return 0


def _groups(inputs: Sequence[Input], group_bytes: int) -> list[list[Input]]:
    """Consecutive inputs of at most ``group_bytes`` of data together (at least one each)."""
    groups: list[list[Input]] = []
    size = 0
    for one in inputs:
        n = _data_size(one.path)
        if not groups or size + n > group_bytes:
            groups.append([])
            size = 0
        groups[-1].append(one)
        size += n
    return groups


def _normalize_in_chunks(
    raw: pl.DataFrame, keep: pl.Series, prepared: Prepared, chunk_rows: int
) -> pl.DataFrame:
    """Normalize the kept rows of ``raw`` chunk by chunk (slices are views, so the raw
    frame is never copied whole; two chunks at a time keep both cores busy, as polars
    releases the GIL)."""

    def one(start: int) -> pl.DataFrame:
        chunk = raw.slice(start, chunk_rows).filter(keep.slice(start, chunk_rows))
        return normalize(chunk.lazy().pipe(clean), prepared)

    with ThreadPoolExecutor(max_workers=PARALLEL_CHUNKS) as pool:
        parts = list(pool.map(one, range(0, max(raw.height, 1), chunk_rows)))
    return pl.concat(parts, how="vertical")


def ingest(
    paths: Sequence[Path | Input],
    week: date,
    rules: Rules,
    *,
    fmt: Format = Format.auto,
    source: str | None = None,
    mapping: Mapping[str, str] | None = None,
    chunk_rows: int = CHUNK_ROWS,
    group_bytes: int = GROUP_BYTES,
    now: datetime,
    kind: SourceKind | None = None,
    declared_kinds: Mapping[str, SourceKind] | None = None,
) -> IngestResult:
    """Read and normalize ``paths`` into one week's snapshot, rejects and report.

    Plain paths are read with ``fmt`` and ``source``; an :class:`Input` carries its own.
    Files are read and normalized in groups of about ``group_bytes`` of data, so only one
    group's raw text (descriptions) is in memory at a time; the result is the same as one
    pass. ``now`` is the report's ``generated_at`` (the caller's clock). ``kind`` declares
    every source of this run a ``stock`` or a ``new`` feed; otherwise ``declared_kinds`` (the
    config's) are recorded for the sources they name."""
    inputs = [p if isinstance(p, Input) else Input(p, fmt, source) for p in paths]
    if not inputs:
        raise IngestError("no input files given")
    prepared = prepare(rules)
    parts: list[pl.DataFrame] = []
    rejected: list[pl.DataFrame] = []
    files: list[FileSummary] = []
    for group in _groups(inputs, group_bytes):
        raw, read_files = read_inputs(group, mapping or {})
        keep, rejects = split_rejects(raw)
        try:
            parts.append(_normalize_in_chunks(raw, keep, prepared, chunk_rows))
        except pl.exceptions.PolarsError as exc:  # a value no rule anticipated: say so, briefly
            raise IngestError(f"could not normalize the input: {first_line(exc)}") from None
        rejected.append(rejects)
        files += read_files
        del raw, keep
    normalized = pl.concat(parts, how="vertical")
    rejects = pl.concat(rejected, how="vertical")
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
    declared = declared_kinds or {}
    names = sorted({f.source for f in files} | set(report.sources))
    kinds = {s: kind or declared[s] for s in names if kind or s in declared}
    if kinds:
        report = report.model_copy(update={"source_kinds": kinds})
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


__all__ = [
    "CHUNK_ROWS",
    "DIAGNOSTIC_COLUMNS",
    "IngestResult",
    "Input",
    "Written",
    "ingest",
    "write",
]
