"""Which adapter reads a file: ``--format`` or detection from the name and the content."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import polars as pl

from newsletter.data.ingest import (
    ashby,
    greenhouse,
    lever,
    recruitee,
    simplify,
    smartrecruiters,
    tabular,
    workable,
)
from newsletter.data.ingest.columns import to_raw
from newsletter.data.ingest.tabular import head_bytes, json_ld_postings, records_frame
from newsletter.errors import IngestError
from newsletter.models import Format
from newsletter.util.files import NOT_REGULAR, special_file

_SUFFIXES = {
    ".csv": Format.csv,
    ".tsv": Format.tsv,
    ".jsonl": Format.jsonl,
    ".ndjson": Format.jsonl,
    ".parquet": Format.parquet,
    ".pq": Format.parquet,
    ".json": Format.json,
}


#: Formats read from one parsed JSON document.
_JSON_FORMATS = (
    Format.json,
    Format.simplify,
    Format.greenhouse,
    Format.lever,
    Format.ashby,
    Format.smartrecruiters,
    Format.workable,
    Format.recruitee,
)


def _json_kind(data: object) -> Format:
    for fmt, test in (
        (Format.simplify, simplify.looks_like),
        (Format.greenhouse, greenhouse.looks_like),
        (Format.lever, lever.looks_like),
        (Format.ashby, ashby.looks_like),
        (Format.smartrecruiters, smartrecruiters.looks_like),
        (Format.workable, workable.looks_like),
        (Format.recruitee, recruitee.looks_like),
    ):
        if test(data):
            return fmt
    return Format.json


def _detect(path: Path) -> tuple[Format, object]:
    """:func:`detect`, plus the parsed JSON when detecting needed it (None otherwise), so a
    JSON file is parsed once."""
    name = path.name.lower()
    name = name.removesuffix(".gz").removesuffix(".gzip")
    fmt = _SUFFIXES.get(Path(name).suffix)
    if fmt is not None and fmt is not Format.json:
        return fmt, None
    head = head_bytes(path, 4096).lstrip()
    lines = head.startswith(b"{") and b"\n{" in head  # one JSON object per line
    if fmt is None:
        if head.startswith(tabular.PARQUET_MAGIC):
            return Format.parquet, None
        if lines:
            return Format.jsonl, None
        if not head.startswith((b"[", b"{")):
            raise IngestError(
                f"{path}: unknown format (name it .csv, .tsv, .jsonl, .json or .parquet, "
                "or pass --format)"
            )
    try:
        data = tabular.load_json(path)
    except IngestError:
        if lines:  # JSON Lines named .json (a common export): not one JSON document
            return Format.jsonl, None
        raise
    return _json_kind(data), data


def detect(path: Path) -> Format:
    """The format of ``path`` from its suffix (``.gz`` ignored), else from its first bytes."""
    return _detect(path)[0]


def resolve_format(path: Path, fmt: Format) -> tuple[Format, object]:
    """The format to read ``path`` with (``fmt``, or detected for auto), and its parsed JSON
    when detecting needed it (None otherwise); IngestError when it is not a readable file."""
    require_file(path)
    return _detect(path) if fmt is Format.auto else (fmt, None)


def require_file(path: Path) -> None:
    """IngestError unless ``path`` is a regular file (a named pipe would block its reader)."""
    if path.is_file():
        return
    if path.is_dir():
        why = "is a folder, not a file"
    elif special_file(path):
        why = NOT_REGULAR
    else:
        why = "no such file"
    raise IngestError(f"cannot read {path}: {why}")


def read(
    path: Path,
    fmt: Format,
    mapping: Mapping[str, str],
    *,
    board: str | None = None,
    data: object = None,
    known: bool = False,
) -> tuple[pl.DataFrame, Format]:
    """Read one file into a raw frame with its adapter; returns the frame and the format used.

    ``board`` is the job board's name where the response does not carry it (Workable);
    ``data`` is the file's JSON when the caller has parsed it already (a JSON format);
    ``known``: the file is a job board's answer in that format (its rows without a title are
    rejected, never taken for the wrong format)."""
    if fmt is Format.auto or not path.is_file():
        fmt, data = resolve_format(path, fmt)
    if fmt in _JSON_FORMATS and data is None:
        data = tabular.load_json(path)
    readers: dict[Format, Callable[[], pl.DataFrame]] = {
        Format.csv: lambda: tabular.read_csv(path, mapping),
        Format.tsv: lambda: tabular.read_csv(path, mapping, separator="\t"),
        Format.jsonl: lambda: tabular.read_jsonl(path, mapping),
        Format.json: lambda: _generic_json(path, data, mapping),
        Format.parquet: lambda: tabular.read_parquet(path, mapping),
        Format.simplify: lambda: simplify.read(path, data),
        Format.greenhouse: lambda: greenhouse.read(path, data, known=known),
        Format.lever: lambda: lever.read(path, data, known=known),
        Format.ashby: lambda: ashby.read(path, data, known=known),
        Format.smartrecruiters: lambda: smartrecruiters.read(path, data, known=known),
        Format.workable: lambda: workable.read(path, data, board, known=known),
        Format.recruitee: lambda: recruitee.read(path, data, known=known),
    }
    return readers[fmt](), fmt


def _generic_json(path: Path, data: object, mapping: Mapping[str, str]) -> pl.DataFrame:
    """A JSON array of flat records (or an object holding exactly one such array), or
    schema.org JSON-LD: its ``JobPosting`` nodes (:func:`json_ld_postings`)."""
    postings = json_ld_postings(data)
    if postings is not None:
        if not postings:
            raise IngestError(f"{path}: a JSON-LD document with no JobPosting in it")
        data = postings
    elif isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        data = lists[0] if len(lists) == 1 else data
    return to_raw(records_frame(data, path), mapping, source_file=str(path))
