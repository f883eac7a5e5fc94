"""The canonical weekly snapshot: schema (declared once), file naming, read and write.

A snapshot is the deduplicated stock of postings open in one week, stored as
``<snapshots_dir>/YYYY-MM-DD.parquet`` named by the Monday of that week.
"""

from __future__ import annotations

import fcntl
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from newsletter.errors import NewsletterError, SnapshotError, SnapshotNotFoundError
from newsletter.util.files import held_alone, replacing
from newsletter.util.weeks import monday_of

#: The canonical snapshot schema. One row per open posting. Documented in snapshots/README.md.
SNAPSHOT_SCHEMA: Mapping[str, pl.DataType] = {
    "posting_id": pl.String(),  # source:source_id, or source:sha1(company|title|location)
    "source": pl.String(),  # where the posting came from (e.g. greenhouse, simplify, csv)
    "fingerprint": pl.String(),  # sha1 of normalized company|title|metro-or-location (reposts)
    "title": pl.String(),
    "company": pl.String(),
    "location": pl.String(),  # raw location text (may be null)
    "metro": pl.String(),  # canonical metro name, null when unknown / remote-only
    "country": pl.String(),  # ISO 3166-1 alpha-2 where known
    "work_mode": pl.String(),  # remote | hybrid | onsite | unknown
    "remote": pl.Boolean(),  # work_mode == "remote"
    "category": pl.String(),  # role category (see rules/categories.yaml)
    "seniority": pl.String(),  # entry | mid | senior | leadership
    "employment": pl.String(),  # one of EMPLOYMENT_TYPES; null when the posting does not say
    "salary_min": pl.Float64(),  # annualized, in `currency`
    "salary_max": pl.Float64(),
    "salary_mid": pl.Float64(),  # (min + max) / 2; statistics use this
    "currency": pl.String(),  # ISO 4217, null when no pay
    "skills": pl.List(pl.String()),  # canonical skill names, each once
    "posted_at": pl.Date(),
    "url": pl.String(),
}

#: Columns with few distinct values (and the skill lists) are stored as categoricals: Parquet
#: dictionary columns that polars reads back as ``Categorical`` without building a string per
#: row (two 1,000,000-posting weeks read in 0.2 s instead of 0.6 s with the casts the signals
#: make; the file is smaller and no slower to write). Readers get the values, never the codes:
#: :func:`read_snapshot` returns :data:`SNAPSHOT_SCHEMA`'s strings. A snapshot written before
#: (strings) reads the same.
CATEGORICAL_COLUMNS = (
    "source",
    "metro",
    "work_mode",
    "category",
    "seniority",
    "employment",
    "currency",
)
#: How a snapshot file stores each column: :data:`SNAPSHOT_SCHEMA` with
#: :data:`CATEGORICAL_COLUMNS` as categoricals and ``skills`` as a list of them.
STORED_SCHEMA: Mapping[str, pl.DataType] = {
    c: pl.Categorical() if c in CATEGORICAL_COLUMNS else t for c, t in SNAPSHOT_SCHEMA.items()
} | {"skills": pl.List(pl.Categorical())}
#: Columns a snapshot cannot do without.
REQUIRED_COLUMNS = ("posting_id", "title", "company")

SENIORITY_LEVELS = ("entry", "mid", "senior", "leadership")
#: Legal forms of a company, as words of its name in lower case ("Acme Inc", "Acme GmbH",
#: "Acme L.L.C." once its punctuation is spaces): no part of which employer it is. The
#: posting fingerprint leaves them out (``ingest/identity.py``) and the signals' companies
#: count names that differ by a trailing one as one company (``signals/companies.py``).
LEGAL_FORMS = (
    "inc", "incorporated", "llc", "l l c", "ltd", "limited", "corp", "corporation", "co",
    "company", "gmbh", "plc", "sa", "ag", "bv", "nv", "pty", "lp", "llp", "pbc", "srl", "sas",
    "oy", "ab", "as", "kk",
)  # fmt: skip
#: Values of ``employment``. A posting that does not say (null) is taken as full-time.
EMPLOYMENT_TYPES = ("full_time", "part_time", "contract", "temporary", "internship")
#: How every Parquet file of a week is written (snapshots, rejects): zstd at level 1 gives
#: files of the same size as the default level (dictionary encoding does most of the work)
#: for two thirds of the CPU.
PARQUET_OPTIONS: Mapping[str, Any] = {
    "compression": "zstd",
    "compression_level": 1,
    "statistics": True,
}
_FILE_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.parquet$")


def snapshot_path(directory: Path, week: date) -> Path:
    return directory / f"{monday_of(week).isoformat()}.parquet"


def report_path(directory: Path, week: date) -> Path:
    """Ingest report of a week: ``DIR/reports/YYYY-MM-DD.json``."""
    return directory / "reports" / f"{monday_of(week).isoformat()}.json"


def rejects_path(directory: Path, week: date) -> Path:
    """Rows rejected by the ingest of a week: ``DIR/rejects/YYYY-MM-DD.parquet``."""
    return directory / "rejects" / f"{monday_of(week).isoformat()}.parquet"


def raw_path(directory: Path, week: date) -> Path:
    """The raw job-board responses of a week's collection: ``DIR/raw/YYYY-MM-DD/``."""
    return directory / "raw" / monday_of(week).isoformat()


@contextmanager
def writing_week(directory: Path, week: date, error: type[NewsletterError]) -> Iterator[None]:
    """Hold the writing of ``week``'s files in ``directory`` for the block (``collect``,
    ``collect --replay`` and ``ingest``): a lock file ``DIR/.writing-YYYY-MM-DD.lock``. A
    second writer of the same week meanwhile gets ``error`` at once, in one line: two
    writers would put their snapshots, rejects and reports in place file by file, and a
    second collection would clear the first one's staging folder as a killed run's."""
    lock = _writing_lock(directory, week)
    busy = error(
        f"another collect or ingest of the week of {monday_of(week).isoformat()} is running "
        f"(it holds {lock}); run this one when it has ended"
    )

    def unusable(exc: OSError) -> NewsletterError:
        return error(f"cannot create {lock}: {exc.strerror or exc}")

    with held_alone(lock, busy, unusable):
        yield


def _writing_lock(directory: Path, week: date) -> Path:
    return directory / f".writing-{monday_of(week).isoformat()}.lock"


def week_being_written(directory: Path, week: date) -> bool:
    """Whether another writer holds ``week`` now (:func:`writing_week`): a collection of it
    is running, whose snapshot is not in place yet. Only looks: nothing is created."""
    try:
        with _writing_lock(directory, week).open("rb") as handle:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)  # released on close
    except BlockingIOError:
        return True
    except OSError:  # no lock file: no writer
        return False
    return False


def list_weeks(directory: Path) -> list[date]:
    """Weeks with a snapshot in ``directory``, oldest first.

    A snapshot is named by its week's Monday. A file named by another day
    (``2026-11-25.parquet``) is refused with one line naming it and the Monday it should be
    named by: every command reads the folder through here, so none of them guesses which
    week it is (skipping it would quietly make last week "the latest"; reading it as its
    Monday's would hide a second file for that week).
    """
    if not directory.is_dir():
        if directory.exists():  # --snapshots naming a file (a snapshot's own, say)
            raise SnapshotNotFoundError(f"snapshot folder {directory} is a file, not a folder")
        raise SnapshotNotFoundError(f"snapshot folder {directory} does not exist")
    weeks = []
    for p in sorted(directory.iterdir()):
        m = _FILE_RE.match(p.name)
        if m:
            try:
                day = date.fromisoformat(m.group(1))
            except ValueError:
                continue
            if p.is_dir():  # read as a snapshot, it failed with Polars' "paths were empty"
                raise SnapshotError(f"snapshot {p} is a folder, not a file: remove or rename it")
            if day != monday_of(day):
                monday = snapshot_path(directory, day)
                also = f" ({monday.name} exists: remove one)" if monday.exists() else ""
                raise SnapshotError(
                    f"snapshot {p} is not named by a Monday: a week's snapshot is named by "
                    f"its Monday, rename it {monday.name}{also}"
                )
            weeks.append(day)
    return sorted(weeks)


@dataclass(frozen=True, slots=True)
class WeekPair:
    """The week to report on, the comparison week, and the older history (oldest first)."""

    week: date
    previous: date | None
    history: tuple[date, ...]


def resolve_weeks(directory: Path, week: date | None = None) -> WeekPair:
    """Pick the report week (default: latest) and the latest earlier snapshot."""
    weeks = list_weeks(directory)
    if not weeks:
        raise SnapshotNotFoundError(f"no snapshots (YYYY-MM-DD.parquet) in {directory}")
    if week is None:
        target = weeks[-1]
    else:
        target = monday_of(week)
        if target not in weeks:
            raise SnapshotNotFoundError(
                f"no snapshot for week {target.isoformat()} in {directory} "
                f"(have {weeks[0].isoformat()} .. {weeks[-1].isoformat()})"
            )
    earlier = [w for w in weeks if w < target]
    return WeekPair(
        week=target,
        previous=earlier[-1] if earlier else None,
        history=tuple(earlier[:-1]),
    )


def fits(name: str, dtype: pl.DataType) -> bool:
    """Whether a snapshot file's column ``name`` of type ``dtype`` is of the canonical schema
    (:data:`SNAPSHOT_SCHEMA`, or its stored form :data:`STORED_SCHEMA`)."""
    return dtype in (SNAPSHOT_SCHEMA[name], STORED_SCHEMA[name])


def column_exprs(
    have: Mapping[str, pl.DataType], columns: Iterable[str], *, stored: bool, where: str
) -> list[pl.Expr]:
    """The one rule by which a snapshot's columns are read, eagerly or lazily: each of
    ``columns`` of :data:`SNAPSHOT_SCHEMA`'s type (``stored``: :data:`STORED_SCHEMA`'s); a
    column of either form is cast to it (a file written before holds strings, a frame in
    memory may hold categoricals), and so is a column with no value at all (type Null); a
    missing optional column is null. A missing required column, or one of another type, is a
    :class:`SnapshotError` naming ``where``."""
    columns = list(columns)
    missing = [c for c in REQUIRED_COLUMNS if c in columns and c not in have]
    if missing:
        raise SnapshotError(f"{where} lacks required column(s): {', '.join(missing)}")
    schema = STORED_SCHEMA if stored else SNAPSHOT_SCHEMA
    exprs: list[pl.Expr] = []
    for name in columns:
        dtype = schema[name]
        if name not in have:
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
        elif not fits(name, have[name]) and have[name] != pl.Null:
            raise SnapshotError(
                f"{where}: column {name} is {have[name]}, expected {SNAPSHOT_SCHEMA[name]}"
            )
        else:
            exprs.append(pl.col(name) if have[name] == dtype else pl.col(name).cast(dtype))
    return exprs


def conform(frame: pl.DataFrame, *, stored: bool = False, where: str = "snapshot") -> pl.DataFrame:
    """A frame checked against the canonical schema (:func:`column_exprs`; errors name
    ``where``), with its columns in order, of :data:`SNAPSHOT_SCHEMA`'s types (``stored``:
    :data:`STORED_SCHEMA`'s, as written)."""
    return frame.select(column_exprs(frame.schema, SNAPSHOT_SCHEMA, stored=stored, where=where))


def read_snapshot(directory: Path, week: date, *, stored: bool = False) -> pl.DataFrame:
    """Read and validate one week's snapshot (``stored``: with its categoricals kept)."""
    path = snapshot_path(directory, week)
    if not path.exists():
        raise SnapshotNotFoundError(f"no snapshot for week {week.isoformat()} ({path})")
    try:
        frame = pl.read_parquet(path, glob=False)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise SnapshotError(f"cannot read snapshot {path}: {exc}") from None
    return conform(frame, stored=stored, where=f"snapshot {path}")


def scan_snapshot(directory: Path, week: date, columns: Iterable[str]) -> pl.LazyFrame:
    """A lazy scan of some canonical columns of one week's snapshot, of
    :data:`STORED_SCHEMA`'s types (:func:`column_exprs`: weeks written either way stack)."""
    path = snapshot_path(directory, week)
    try:
        lf = pl.scan_parquet(path, glob=False)
        have = lf.collect_schema()
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise SnapshotError(f"cannot read snapshot {path}: {exc}") from None
    return lf.select(column_exprs(have, columns, stored=True, where=f"snapshot {path}"))


def write_parquet_atomic(frame: pl.DataFrame, path: Path) -> None:
    """Write a parquet file atomically (temporary name, then rename)."""
    with replacing(path) as tmp:
        frame.write_parquet(tmp, **PARQUET_OPTIONS)


def write_snapshot(frame: pl.DataFrame, directory: Path, week: date) -> Path:
    """Validate and atomically write one week's snapshot; returns its path."""
    path = snapshot_path(directory, week)
    write_parquet_atomic(conform(frame, stored=True), path)
    return path
