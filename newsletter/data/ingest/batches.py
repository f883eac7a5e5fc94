"""Raw input in batches: every file through its adapter, in file order, as raw frames of at
most about ``rows`` rows and ``size`` bytes.

Small files (a collection's board pages) are stacked into one batch; a large CSV or TSV
export is scanned lazily and read a slice at a time, so only a batch of its raw text
(descriptions) is in memory, whatever the file's size. The result of an ingest does not
depend on where batches begin or end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from newsletter.data.ingest.columns import RAW_COLUMNS, RAW_SCHEMA
from newsletter.data.ingest.dates import as_read, day_first, has_slash_dates
from newsletter.data.ingest.formats import read, resolve_format
from newsletter.data.ingest.identity import source_names
from newsletter.data.ingest.report import FileSummary
from newsletter.data.ingest.tabular import lenient_csv, scan_csv
from newsletter.data.ingest.timing import Stages
from newsletter.errors import IngestError, first_line
from newsletter.models import Format

#: Rows sampled from a large export to size its slices.
_SAMPLE_ROWS = 1_000
#: Rows of a slice however long its rows (a batch has a fixed cost of ~0.1 s of CPU).
_MIN_SLICE_ROWS = 10_000


@dataclass(frozen=True)
class Input:
    """One raw file and how to read it. ``newsletter ingest`` gives every file the same
    options; ``newsletter collect`` gives each board's responses their own."""

    path: Path
    format: Format = Format.auto
    #: The source of its postings (the prefix of their ids) where a row names none (a
    #: ``source`` column); default the format's name.
    source: str | None = None
    #: ``source`` is every row's, whatever the file's column says: a collected board's key,
    #: so no export files its rows under another board (its ids, its counts, its carry).
    source_only: bool = False
    #: A display name that replaces the company of every row (a board's employer).
    company: str | None = None
    #: The job board's name, for adapters whose response does not carry it.
    board: str | None = None
    #: The file is known to be its format's answer (a job board's page whose envelope was
    #: checked): records without a title are rows rejected as ``missing title``, where an
    #: ingested file whose records all lack one is refused (the wrong ``--format``).
    known: bool = False
    #: Where the file is kept, named by the report and the rejects' ``source_file`` (a
    #: collection reads its pages from a staging folder renamed into place at the end);
    #: None: ``path``.
    kept_at: Path | None = None


def _finish(frame: pl.DataFrame, one: Input, name: str, days_first: bool) -> pl.DataFrame:
    """``source`` filled (the file's as :func:`.identity.source_name` cleans it, else ``name``;
    ``name`` alone for a source-only input),
    the company replaced if asked, and the posting dates of a file that writes them day
    first read so (:mod:`.dates`)."""
    if one.source_only:
        frame = frame.with_columns(source=pl.lit(name, dtype=pl.String))
    else:
        own = source_names(frame.get_column("source"))
        frame = frame.with_columns(source=pl.coalesce(pl.lit(own), pl.lit(name)))
    if days_first:
        frame = frame.with_columns(posted_at=as_read(pl.col("posted_at")))
    if one.company:
        frame = frame.with_columns(company=pl.lit(one.company, dtype=pl.String))
    if one.kept_at is not None:
        frame = frame.with_columns(source_file=pl.lit(str(one.kept_at), dtype=pl.String))
    return frame.select(RAW_COLUMNS)


def _slices(
    lf: pl.LazyFrame,
    path: Path,
    rows: int,
    size: int,
    lenient: Callable[[int, int], Iterator[pl.DataFrame]],
) -> Iterator[pl.DataFrame]:
    """A lazily scanned export, a slice of at most ``rows`` rows and about ``size`` bytes (but
    at least :data:`_MIN_SLICE_ROWS` rows) at a time; the length from its first rows' size.
    Where polars refuses the file (a stray quote), the rest of it (from the record after the
    slices read, that many rows at a time) comes from ``lenient``."""
    done, chunk = 0, rows
    try:
        head = lf.head(_SAMPLE_ROWS).collect()
        per_row = max(head.estimated_size() / max(head.height, 1), 1.0)
        chunk = max(min(rows, max(int(size / per_row), _MIN_SLICE_ROWS)), 1)
        # Streaming, whatever the engine the batches' steps run on (run._run): the in-memory
        # engine would read the whole file before the first batch.
        for frame in lf.collect_batches(chunk_size=chunk, engine="streaming"):
            done += frame.height
            yield frame
    except (pl.exceptions.PolarsError, pl.exceptions.PanicException):  # (a malformed file)
        yield from lenient(done, chunk)
    except OSError as exc:
        raise IngestError(f"{path}: not a readable CSV file ({first_line(exc)[:160]})") from None


def _csv_days_first(lf: pl.LazyFrame) -> bool:
    """:func:`~newsletter.data.ingest.dates.day_first` of a scanned export's posting dates.
    Their column is read whole only where its first rows hold a slash date (an export with
    ISO dates costs one small read); a file polars cannot read is month first (its rows come
    from the lenient reader, and the failure is reported there)."""
    try:
        if lf.collect_schema().get("posted_at") != pl.String:
            return False
        dates = lf.select("posted_at")
        if not has_slash_dates(dates.head(_SAMPLE_ROWS).collect().to_series()):
            return False
        return day_first(dates.unique().collect(engine="streaming").to_series())
    except (pl.exceptions.PolarsError, pl.exceptions.PanicException, OSError):
        return False


@dataclass
class Batches:
    """Iterating gives the raw batches; ``files`` describes every file once all are read."""

    inputs: Sequence[Input]
    mapping: Mapping[str, str]
    rows: int
    size: int
    stages: Stages
    files: list[FileSummary] = field(default_factory=list)

    def _frames(self, one: Input) -> Iterator[pl.DataFrame]:
        """The file's raw frames: slices of a CSV/TSV export, else the whole file."""
        fmt, data = resolve_format(one.path, one.format)
        name = one.source or fmt.value
        if fmt in (Format.csv, Format.tsv):
            separator = None if fmt is Format.csv else "\t"
            lf = scan_csv(one.path, self.mapping, separator=separator)
            frames: Iterator[pl.DataFrame] = _slices(
                lf,
                one.path,
                self.rows,
                self.size,
                lambda after, rows: lenient_csv(
                    one.path, self.mapping, separator=separator, after=after, rows=rows
                ),
            )
            days_first = _csv_days_first(lf)
        else:
            whole = read(one.path, fmt, self.mapping, board=one.board, data=data, known=one.known)
            frames = iter([whole[0]])
            days_first = day_first(whole[0].get_column("posted_at").unique())
        n = 0
        while True:
            with self.stages.stage("read"):
                frame = next(frames, None)
                if frame is None:
                    break
                frame = _finish(frame, one, name, days_first)
            n += frame.height
            yield frame
        self.files.append(
            FileSummary(path=str(one.kept_at or one.path), format=fmt.value, source=name, rows=n)
        )

    def __iter__(self) -> Iterator[pl.DataFrame]:
        pending: list[pl.DataFrame] = []
        rows, size = 0, 0.0
        given = False
        for one in self.inputs:
            for frame in self._frames(one):
                pending.append(frame)
                rows += frame.height
                size += frame.estimated_size()
                if rows >= self.rows or size >= self.size:
                    yield pl.concat(pending, how="vertical")
                    given = True
                    pending, rows, size = [], 0, 0
        if pending or not given:
            yield pl.concat(pending, how="vertical") if pending else pl.DataFrame(schema=RAW_SCHEMA)
