"""Ingest, start to finish: read in batches, split rejects, normalize, dedupe, account, write.

Raw input is read in batches (:mod:`~newsletter.data.ingest.batches`); two worker threads
split and normalize batches at once (polars releases the GIL), and the results are kept in
input order (:mod:`~newsletter.data.ingest.spool`). Then duplicates collapse (first in file
order wins) and the report counts every row.

:func:`ingest` keeps everything in memory and returns frames (tests, the library's callers);
:func:`write` then puts the rejects, the snapshot and the report in place, holding the week's
writing as the commands do. :func:`ingest_into`
(``newsletter ingest``, ``newsletter collect``) spools the batches to a scratch folder and
deduplicates and writes with polars' streaming engine, so a week of any size runs in bounded
memory. Every file is
written to a temporary name and renamed, so a failed run leaves the previous week's files.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import polars as pl

from newsletter.data.ingest.batches import Batches, Input
from newsletter.data.ingest.formats import require_file
from newsletter.data.ingest.identity import check_source_name
from newsletter.data.ingest.normalize import (
    DIAGNOSTIC_COLUMNS,
    Prepared,
    dedupe,
    normalize,
    prepare,
    split_rejects,
)
from newsletter.data.ingest.report import IngestReport, build_report, report_inputs
from newsletter.data.ingest.rules import Rules
from newsletter.data.ingest.spool import Spool
from newsletter.data.ingest.tabular import is_gzip
from newsletter.data.ingest.timing import Stages
from newsletter.data.snapshots import (
    PARQUET_OPTIONS,
    SNAPSHOT_SCHEMA,
    STORED_SCHEMA,
    conform,
    rejects_path,
    report_path,
    snapshot_path,
    writing_week,
)
from newsletter.errors import IngestError, first_line
from newsletter.models import Format, SourceKind
from newsletter.util.clock import Clock
from newsletter.util.files import replacing_all

#: Rows normalized per batch (at most): bounds peak memory on large exports.
CHUNK_ROWS = 200_000
#: Raw data (bytes, as read into memory) per batch: long descriptions make smaller batches.
GROUP_BYTES = 64 * 1024 * 1024
#: Batches normalized at once (two cores; polars releases the GIL).
PARALLEL_CHUNKS = 2
#: Fewest rows of a part of the first or last batch cut for the threads (``_cut_ends``).
MIN_PART_ROWS = 10_000
#: Raw input (uncompressed text files, bytes) of a week whose batches ``ingest_into`` holds in
#: memory (about a million short postings: 1.4 GB peak); larger weeks are spooled to disk.
HELD_BYTES = 320 * 1024 * 1024


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
class _Options:
    """What every ingest run is told, besides its inputs."""

    week: date
    rules: Rules
    mapping: Mapping[str, str]
    chunk_rows: int
    group_bytes: int
    now: datetime
    kind: SourceKind | None
    declared_kinds: Mapping[str, SourceKind]


def _inputs(paths: Sequence[Path | Input], fmt: Format, source: str | None) -> list[Input]:
    inputs = [p if isinstance(p, Input) else Input(p, fmt, source) for p in paths]
    if not inputs:
        raise IngestError("no input files given")
    for one in inputs:  # before anything opens them
        if one.source is not None:
            check_source_name(one.source)
        require_file(one.path)
    return inputs


def _one_batch(
    raw: pl.DataFrame, prepared: Prepared, stages: Stages, *, stored: bool = False
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(normalized kept rows, rejects) of one raw batch; ``stored``: the kept rows in the
    form the end of :func:`ingest_into` reads (:func:`_stored_form`)."""
    with stages.stage("split"):
        good, rejects = split_rejects(raw)
    try:
        normalized = normalize(good, prepared, stages)
    except pl.exceptions.PolarsError as exc:  # a value no rule anticipated: say so, briefly
        raise IngestError(f"could not normalize the input: {first_line(exc)}") from None
    if stored:
        with stages.stage("write"):
            normalized = _stored_form(normalized)
    return normalized, rejects


#: The snapshot's columns in their stored types (:data:`STORED_SCHEMA`).
_STORED_COLUMNS = [pl.col(c).cast(t) for c, t in STORED_SCHEMA.items()]


def _stored_form(normalized: pl.DataFrame) -> pl.DataFrame:
    """A batch's normalized rows with the snapshot's columns in their stored types
    (:data:`STORED_SCHEMA`: categoricals) and the diagnostic columns categorical, the report
    counting each (:func:`~.report.build_report`). Cast here, in the batch's thread, not
    once the batches are read: the end of a run is one thread's work (1M short postings,
    dedup and report: 1.2 -> 0.7 s wall, the casts 0.18 s in the threads)."""
    return normalized.with_columns(
        *_STORED_COLUMNS, *(pl.col(c).cast(pl.Categorical()) for c in DIAGNOSTIC_COLUMNS)
    )


def _parts(frame: pl.DataFrame, parts: int) -> list[pl.DataFrame]:
    """``frame`` cut into at most ``parts`` parts of about equal size, each of at least
    :data:`MIN_PART_ROWS` rows (never an empty one)."""
    parts = max(1, min(parts, frame.height // MIN_PART_ROWS))
    if parts == 1:
        return [frame]
    size = -(-frame.height // parts)  # ceiling
    return [frame.slice(i, size) for i in range(0, frame.height, size)]


def _cut_ends(batches: Iterable[pl.DataFrame], workers: int) -> Iterator[pl.DataFrame]:
    """``batches`` with the first cut into as many parts as there are workers, handed out
    at once (each thread starts on the first batch while the next is read, instead of the
    first waiting for the second to be read and the second thread for the third: 0.1-0.2 s
    of a 1M-posting run), and the last cut into as many parts as there are workers without a
    batch of the last round (five batches on two threads would leave a thread idle for the
    whole fifth). Parts have at least :data:`MIN_PART_ROWS` rows. (One batch after the first
    is read ahead to know which is the last; the result of an ingest does not depend on
    where batches end.)"""
    given = 0
    last: pl.DataFrame | None = None
    for raw in batches:
        if not given and last is None:  # the first batch
            first = _parts(raw, workers)
            yield from first
            given = len(first)
            continue
        if last is not None:
            yield last
            given += 1
        last = raw
    if last is not None:
        idle = (workers - (given + 1) % workers) % workers
        yield from _parts(last, idle + 1)


def _normalize_all(
    batches: Iterable[pl.DataFrame],
    prepared: Prepared,
    spool: Spool,
    stages: Stages,
    *,
    stored: bool,
) -> int:
    """Every batch through :func:`_one_batch`, :data:`PARALLEL_CHUNKS` at a time, into the
    spool in input order (reading the next batch meanwhile; the last cut so that no thread
    waits idle for it: :func:`_cut_ends`); returns the normalized rows."""
    rows = 0
    pending: deque[Future[tuple[pl.DataFrame, pl.DataFrame]]] = deque()

    def drain(until: int) -> None:
        nonlocal rows
        while len(pending) > until:
            normalized, rejects = pending.popleft().result()
            rows += normalized.height
            spool.add(normalized, rejects)

    with ThreadPoolExecutor(max_workers=PARALLEL_CHUNKS) as pool:
        for raw in _cut_ends(batches, PARALLEL_CHUNKS):
            pending.append(pool.submit(_one_batch, raw, prepared, stages, stored=stored))
            drain(PARALLEL_CHUNKS)
        drain(0)
    return rows


def _run(
    inputs: Sequence[Input], opts: _Options, spool: Spool, stages: Stages, *, stored: bool
) -> tuple[Batches, int]:
    """Read, split and normalize every input into ``spool`` (``stored``: in the stored form,
    :func:`_stored_form`): (the batches read, with the file summaries, and the number of
    normalized rows)."""
    batches = Batches(inputs, opts.mapping, opts.chunk_rows, opts.group_bytes, stages)
    # The steps of a batch collect on polars' in-memory engine: its joins with the batch's
    # distinct values (titles, places, pay texts, keys) run about three times faster there
    # than on the streaming engine polars 2 defaults to, and a batch is in memory anyway (1M
    # short postings: 13.5 s CPU against 15.6-19.3 s). The file itself is still read batch
    # by batch on the streaming engine (batches.py), and written by sinks. Set here, in the
    # one thread that starts and joins the batch threads, for all of them at once.
    with pl.Config(engine_affinity="in-memory"):
        n = _normalize_all(batches, prepare(opts.rules, opts.week), spool, stages, stored=stored)
    return batches, n


def _report(
    opts: _Options,
    batches: Batches,
    counted: pl.LazyFrame,
    rejects: pl.LazyFrame,
    *,
    normalized_rows: int,
    kept_rows: int,
    engine: str,
) -> IngestReport:
    report = build_report(
        week=opts.week,
        generated_at=opts.now,
        rules_version=opts.rules.version,
        default_category=opts.rules.categories.default,
        files=batches.files,
        rows_read=sum(f.rows for f in batches.files),
        kept=counted,
        rejects=rejects,
        duplicates=normalized_rows - kept_rows,
        engine="streaming" if engine == "streaming" else "in-memory",
    )
    if not report.balanced:  # pragma: no cover - a bug, never bad input
        raise AssertionError(f"ingest lost rows: {report.model_dump_json()}")
    names = sorted({f.source for f in batches.files} | set(report.sources))
    kinds = {
        s: opts.kind or opts.declared_kinds[s]
        for s in names
        if opts.kind or s in opts.declared_kinds
    }
    return report.model_copy(update={"source_kinds": kinds}) if kinds else report


def _options(
    week: date,
    rules: Rules,
    *,
    mapping: Mapping[str, str] | None,
    chunk_rows: int,
    group_bytes: int,
    now: datetime,
    kind: SourceKind | None,
    declared_kinds: Mapping[str, SourceKind] | None,
) -> _Options:
    return _Options(
        week, rules, mapping or {}, chunk_rows, group_bytes, now, kind, declared_kinds or {}
    )


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
    clock: Clock | None = None,
) -> IngestResult:
    """Read and normalize ``paths`` into one week's snapshot, rejects and report, in memory.

    Plain paths are read with ``fmt`` and ``source``; an :class:`Input` carries its own.
    Files are read and normalized in batches of at most ``chunk_rows`` rows and about
    ``group_bytes`` of data; the result is the same as one pass. ``now`` is the report's
    ``generated_at`` (the caller's clock); ``clock`` (optional) times the stages
    (``report.timings``). ``kind`` declares every source of this run a ``stock`` or a ``new``
    feed; otherwise ``declared_kinds`` (the config's) are recorded for the sources they name."""
    opts = _options(
        week, rules, mapping=mapping, chunk_rows=chunk_rows, group_bytes=group_bytes,
        now=now, kind=kind, declared_kinds=declared_kinds,
    )  # fmt: skip
    stages = Stages(clock)
    spool = Spool()
    batches, rows = _run(_inputs(paths, fmt, source), opts, spool, stages, stored=False)
    with stages.stage("dedup"):
        kept = dedupe(spool.normalized().collect())
        rejects = spool.rejects().collect()
    with stages.stage("report"):
        report = _report(
            opts, batches, kept.lazy().pipe(report_inputs), rejects.lazy(),
            normalized_rows=rows, kept_rows=kept.height, engine="in-memory",
        )  # fmt: skip
    return IngestResult(
        snapshot=kept.select(list(SNAPSHOT_SCHEMA)),
        rejects=rejects,
        report=report.model_copy(update={"timings": stages.seconds()}),
    )


def _output_error(directory: Path, exc: OSError) -> IngestError:
    return IngestError(
        f"cannot write the ingest output to {directory}: {exc.strerror or first_line(exc)}"
    )


def write(
    result: IngestResult,
    directory: Path,
    week: date,
    *,
    before_rename: Callable[[], None] | None = None,
) -> Written:
    """Rejects, snapshot and report under temporary names, then renamed into place one after
    the other (re-ingesting replaces them; a failure before the renames changes nothing).

    ``before_rename`` runs once all three are written under their temporary names, right
    before the renames; when it raises, nothing is renamed (``newsletter collect`` puts the
    week's raw answers in place there, so they change with the snapshot or not at all).

    The week's writing is held meanwhile, as by ``newsletter ingest`` and ``collect``
    (:func:`~newsletter.data.snapshots.writing_week`): while another writer of the week runs,
    this one is refused at once in one line and writes nothing."""
    written = Written(
        snapshot=snapshot_path(directory, week),
        rejects=rejects_path(directory, week),
        report=report_path(directory, week),
    )
    snapshot = conform(result.snapshot, stored=True)
    try:
        with (
            writing_week(directory, week, IngestError),
            replacing_all(written.rejects, written.snapshot, written.report) as (
                rejects_tmp,
                snapshot_tmp,
                report_tmp,
            ),
        ):
            result.rejects.write_parquet(rejects_tmp, **PARQUET_OPTIONS)
            snapshot.write_parquet(snapshot_tmp, **PARQUET_OPTIONS)
            report_tmp.write_text(result.report.model_dump_json(indent=2) + "\n", "utf-8")
            if before_rename is not None:
                before_rename()
    except OSError as exc:  # a folder that is a file, read-only, full disk
        raise _output_error(directory, exc) from None
    return written


@contextmanager
def _scratch(directory: Path) -> Iterator[Path]:
    """A scratch folder beside the snapshots (same disk), removed when the run ends; on a
    failure, folders this run created are removed too (bad input writes nothing)."""
    created = next((p for p in reversed([directory, *directory.parents]) if not p.exists()), None)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".ingest-", dir=directory) as tmp:
            yield Path(tmp)
    except OSError as exc:
        _remove(created)
        raise _output_error(directory, exc) from None
    except BaseException:
        _remove(created)
        raise


def _remove(created: Path | None) -> None:
    if created is not None:
        shutil.rmtree(created, ignore_errors=True)


def ingest_into(
    paths: Sequence[Path | Input],
    week: date,
    rules: Rules,
    directory: Path,
    *,
    fmt: Format = Format.auto,
    source: str | None = None,
    mapping: Mapping[str, str] | None = None,
    chunk_rows: int = CHUNK_ROWS,
    group_bytes: int = GROUP_BYTES,
    now: datetime,
    kind: SourceKind | None = None,
    declared_kinds: Mapping[str, SourceKind] | None = None,
    clock: Clock | None = None,
    held_bytes: int = HELD_BYTES,
    empty_ok: bool = False,
    added: pl.DataFrame | None = None,
    amend: Callable[[IngestReport], IngestReport] | None = None,
    before_rename: Callable[[], None] | None = None,
    week_held: bool = False,
) -> tuple[IngestReport, Written]:
    """:func:`ingest` then :func:`write`, in bounded memory: unless the input is uncompressed
    text of at most ``held_bytes``, the normalized batches are spooled to a scratch folder in
    ``directory``; then they are deduplicated, counted and written with polars' streaming
    engine (sink_parquet). Same files as :func:`ingest` + :func:`write`; exports without a
    single row are refused (a week of people's files is never emptied by a header alone)
    unless ``empty_ok`` (a collection, which may find every board empty).

    ``newsletter collect`` also gives ``added``: snapshot rows put after the ingested ones
    (deduplicated with them, the ingested first; the report counts the ingested, and those
    of ``added`` left after deduplication as ``carried``),
    ``amend``: a change to the report before it is written, and ``before_rename`` (as for
    :func:`write`). The week's writing is held for the run
    (:func:`~newsletter.data.snapshots.writing_week`; a second writer of the week meanwhile
    is refused at once), unless ``week_held``: the caller holds it (``collect``)."""
    opts = _options(
        week, rules, mapping=mapping, chunk_rows=chunk_rows, group_bytes=group_bytes,
        now=now, kind=kind, declared_kinds=declared_kinds,
    )  # fmt: skip
    stages = Stages(clock)
    inputs = _inputs(paths, fmt, source)
    held = nullcontext() if week_held else writing_week(directory, week, IngestError)
    with _scratch(directory) as scratch, held:
        spool = Spool(scratch, held_bytes if _small(inputs, held_bytes) else 0)
        batches, rows = _run(inputs, opts, spool, stages, stored=True)
        if not empty_ok and not any(f.rows for f in batches.files):  # a header, no rows
            names = ", ".join(str(one.path) for one in inputs)
            raise IngestError(f"no postings in {names}: nothing written, the week is as it was")
        snapshot = scratch / "snapshot.parquet"
        with stages.stage("dedup"):
            if spool.held:
                counted, n_kept = _dedupe_held(spool.normalized().collect(), snapshot, added)
            else:
                counted, n_kept = _dedupe_into(
                    spool.normalized(), snapshot, scratch / "counted.arrow", added
                )
        with stages.stage("report"):
            report = _report(
                opts, batches, counted, spool.rejects(), normalized_rows=rows,
                kept_rows=n_kept, engine="streaming" if not spool.held else "in-memory",
            )  # fmt: skip
        if not empty_ok and n_kept == 0:  # every row rejected: the week is not emptied
            raise IngestError(_nothing_kept(inputs, report))
        if added is not None:  # the added rows left after deduplication with the read ones
            total = pl.scan_parquet(snapshot, glob=False).select(pl.len()).collect().item()
            report = report.model_copy(update={"carried": total - n_kept})
        if amend is not None:
            report = amend(report)
        try:
            return _put(
                spool.rejects(), snapshot, report, directory=directory, week=week, stages=stages,
                before_rename=before_rename,
            )  # fmt: skip
        except OSError as exc:
            raise _output_error(directory, exc) from None


def _nothing_kept(inputs: Sequence[Input], report: IngestReport) -> str:
    """The one line refusing exports of which every row was rejected (a missing company
    column, a board whose listings are all closed): the reasons, most rows first."""
    names = ", ".join(str(one.path) for one in inputs)
    counted = sorted(report.rejected_by_reason.items(), key=lambda kv: (-kv[1], kv[0]))
    reasons = ", ".join(f"{n:,} {reason}" for reason, n in counted)
    return (
        f"no posting kept of the {report.rows_read:,} rows in {names} ({reasons}): "
        "nothing written, the week is as it was"
    )


def _small(inputs: Sequence[Input], limit: int) -> bool:
    """Whether the inputs are uncompressed files of at most ``limit`` bytes in all (the size
    of a gzip or Parquet file says little about its rows)."""
    total = 0
    try:
        for one in inputs:
            parquet = one.format is Format.parquet or one.path.suffix.lower() == ".parquet"
            if parquet or is_gzip(one.path):
                return False
            total += one.path.stat().st_size
    except (OSError, IngestError):  # a missing file: the reader says so, in its words
        return False
    return total <= limit


def _dedupe_held(
    normalized: pl.DataFrame, snapshot: Path, added: pl.DataFrame | None
) -> tuple[pl.LazyFrame, int]:
    """A week held in memory (:class:`Spool`), deduplicated and written as :func:`_dedupe_into`
    does, on the in-memory engine: (what the report counts, in memory; the kept rows)."""
    kept = dedupe(normalized)
    rows = kept.select(_STORED_COLUMNS)
    if added is not None:
        rows = dedupe(pl.concat([rows, added.select(_STORED_COLUMNS)], how="vertical"))
    rows.write_parquet(snapshot, **PARQUET_OPTIONS)
    return kept.lazy().pipe(report_inputs), kept.height


def _dedupe_into(
    normalized: pl.LazyFrame, snapshot: Path, counts: Path, added: pl.DataFrame | None
) -> tuple[pl.LazyFrame, int]:
    """Deduplicate ``normalized`` once, streaming it to two files in one pass: the snapshot
    (canonical columns, with the ``added`` rows after it, deduplicated with it) and what the
    report counts (:func:`report_inputs`: the normalized rows alone), which is returned,
    scanned, with the number of kept rows."""
    kept = dedupe(normalized)
    rows = kept.select(_STORED_COLUMNS)
    if added is not None:
        rows = dedupe(pl.concat([rows, added.lazy().select(_STORED_COLUMNS)], how="vertical"))
    pl.collect_all(
        [
            rows.sink_parquet(snapshot, **PARQUET_OPTIONS, lazy=True),
            kept.pipe(report_inputs).sink_ipc(counts, compression="lz4", lazy=True),
        ],
        engine="streaming",
    )
    counted = pl.scan_ipc(counts, glob=False)
    return counted, counted.select(pl.len()).collect().item()


def _put(
    rejects: pl.LazyFrame,
    snapshot: Path,
    report: IngestReport,
    *,
    directory: Path,
    week: date,
    stages: Stages,
    before_rename: Callable[[], None] | None,
) -> tuple[IngestReport, Written]:
    """The week's three files under temporary names first (the rejects streamed, the
    snapshot moved from the scratch folder on the same disk, the report with every stage's
    time), then renamed into place one after the other (``before_rename`` run right before,
    as in :func:`write`): a failure before the renames leaves the week as it was, never a
    new snapshot without its report."""
    written = Written(
        snapshot=snapshot_path(directory, week),
        rejects=rejects_path(directory, week),
        report=report_path(directory, week),
    )
    with replacing_all(written.rejects, written.snapshot, written.report) as (
        rejects_tmp,
        snapshot_tmp,
        report_tmp,
    ):
        with stages.stage("write"):
            rejects.sink_parquet(rejects_tmp, **PARQUET_OPTIONS)
            snapshot.replace(snapshot_tmp)
        report = report.model_copy(update={"timings": stages.seconds()})
        report_tmp.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
        if before_rename is not None:
            before_rename()
    return report, written


__all__ = [
    "CHUNK_ROWS",
    "DIAGNOSTIC_COLUMNS",
    "IngestResult",
    "Input",
    "Written",
    "ingest",
    "ingest_into",
    "write",
]
