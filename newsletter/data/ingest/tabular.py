"""Generic tabular exports: CSV/TSV, JSON Lines, a JSON array of records, Parquet (gzip ok).

Columns are recognised by name (see :mod:`newsletter.data.ingest.columns`); every value is read
as text first, so a stray value never fails the whole file.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zlib
from collections.abc import Iterator, Mapping
from itertools import islice
from pathlib import Path
from typing import Literal, TypedDict

import polars as pl

from newsletter.data.ingest._records import REASON_NOT_AN_OBJECT, place
from newsletter.data.ingest.columns import (
    NESTED_DEPTH,
    RAW_SCHEMA,
    REASON_NOT_JSON,
    RECORD_PROBLEM,
    nested_name,
    raw_exprs,
    to_raw,
)
from newsletter.errors import IngestError, first_line
from newsletter.util.csvtext import csv_dialect
from newsletter.util.text import well_formed

GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"


#: A gzip export is expanded in memory before it is read: at most this many bytes...
GUNZIP_MAX_BYTES = 4 * 2**30
#: ...and at most this many times the file's size (text exports expand 3 to 20 times, a
#: decompression bomb a thousand), checked as the data expands, once 64 MB are out.
GUNZIP_MAX_RATIO = 100
_GUNZIP_RATIO_FROM = 64 * 2**20
_GUNZIP_STEP = 16 * 2**20


def gunzip(path: Path, data: bytes, *, limit: int = GUNZIP_MAX_BYTES) -> bytes:
    """The decompressed bytes of gzip ``data`` (every member), or IngestError when they are
    broken or would pass ``limit`` bytes or :data:`GUNZIP_MAX_RATIO` times the file's size
    (refused as they expand, before they are all in memory)."""
    cap = min(limit, max(_GUNZIP_RATIO_FROM, GUNZIP_MAX_RATIO * len(data)))
    parts: list[bytes] = []
    out = 0
    rest = data
    try:
        while rest:
            member = zlib.decompressobj(wbits=31)  # one gzip member, header and trailer
            pending = rest
            while not member.eof:
                chunk = member.decompress(pending, _GUNZIP_STEP)
                pending = member.unconsumed_tail
                if not chunk and not pending and not member.eof:  # (the gzip of nothing: eof)
                    raise EOFError("the file ends before the end of its compressed data")
                out += len(chunk)
                if out > cap:
                    raise IngestError(
                        f"{path}: refused: its gzip data expands to more than "
                        f"{cap / 2**20:,.0f} MB (at most {limit / 2**30:g} GB and "
                        f"{GUNZIP_MAX_RATIO} times the file's size); decompress it first"
                    )
                parts.append(chunk)
            rest = member.unused_data.lstrip(b"\0")  # padding after a member is allowed
            if rest and rest[:2] != GZIP_MAGIC:
                raise EOFError("data after the end of the gzip stream")
    except (EOFError, zlib.error) as exc:
        raise IngestError(f"{path}: broken gzip data ({exc})") from None
    return b"".join(parts)


def read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when they are gzip (:func:`gunzip`); IngestError when
    unreadable."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"cannot read {path}: {exc.strerror or exc}") from None
    return gunzip(path, data) if data[:2] == GZIP_MAGIC else data


def head_bytes(path: Path, n: int) -> bytes:
    """The first ``n`` bytes of the file's content (gunzipped as they are read, never the
    whole file); IngestError when unreadable."""
    try:
        if not is_gzip(path):
            with path.open("rb") as fh:
                return fh.read(n)
        with gzip.open(path, "rb") as gz:
            return gz.read(n)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise IngestError(f"{path}: broken gzip data ({exc})") from None
    except OSError as exc:
        raise IngestError(f"cannot read {path}: {exc.strerror or exc}") from None


def is_gzip(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(2) == GZIP_MAGIC
    except OSError as exc:
        raise IngestError(f"cannot read {path}: {exc.strerror or exc}") from None


def _source(path: Path) -> Path | bytes:
    """What polars reads: the gunzipped bytes of a gzip file, else the path itself (polars
    reads it without a copy in Python's memory; never as a glob pattern: ``jobs[1].csv``
    and ``jobs?.csv`` name one file)."""
    return read_bytes(path) if is_gzip(path) else path


#: Bytes read from the start of a text export to tell its encoding.
_SNIFF_BYTES = 64 * 1024
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_UTF8_BOM = b"\xef\xbb\xbf"


def _foreign(head: bytes) -> bool:
    """Whether text starting with ``head`` is UTF-16 (by its byte-order mark) or not UTF-8
    (a character cut at the end of ``head`` does not count)."""
    if head[:2] in _UTF16_BOMS:
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start < len(head) - 3
    return False


def as_utf8(data: bytes) -> bytes:
    """Text bytes as UTF-8: UTF-16 with a byte-order mark, and text that does not start as
    UTF-8 (Excel's Windows-1252 export: ``Acm\xe9``), are decoded and encoded again; UTF-8
    is left as it is (a stray invalid byte later on becomes U+FFFD when read). A UTF-8
    byte-order mark before text that is not UTF-8 (a tool that added one to a Windows-1252
    file) is dropped, not read as ``ï»¿`` into the first column's name."""
    if data[:2] in _UTF16_BOMS:
        return data.decode("utf-16", errors="replace").encode("utf-8")
    if _foreign(data[:_SNIFF_BYTES]):
        return data.removeprefix(_UTF8_BOM).decode("cp1252", errors="replace").encode("utf-8")
    return data


def _cr_lines(head: bytes) -> bool:
    """Whether text starting with ``head`` ends its lines with a lone CR (a classic Mac
    file, Excel's "CSV (Macintosh)"): a CR and no LF. Polars reads such a file as one line,
    its header."""
    return b"\r" in head and b"\n" not in head


def _text_bytes(data: bytes) -> bytes:
    """Text bytes as UTF-8 (:func:`as_utf8`) with LF line ends where they were lone CRs."""
    text = as_utf8(data)
    return text.replace(b"\r", b"\n") if _cr_lines(text[:_SNIFF_BYTES]) else text


def _text_source(path: Path) -> Path | bytes:
    """:func:`_source` for a text export, as UTF-8 lines (:func:`_text_bytes`): the path
    itself when its start is UTF-8 with LF or CRLF line ends, else its converted bytes."""
    if is_gzip(path):
        return _text_bytes(read_bytes(path))
    head = head_bytes(path, _SNIFF_BYTES)
    return _text_bytes(read_bytes(path)) if _foreign(head) or _cr_lines(head) else path


#: How every CSV/TSV export is read, eagerly or as a lazy scan: every column as text (the
#: normalizer parses), broken UTF-8 replaced, ragged lines cut (a short row's missing fields
#: are null; a long row's fields past the header land in :data:`EXTRA_FIELDS` and the row is
#: rejected: :func:`_with_extra`), an empty file refused.
class _CsvOptions(TypedDict):
    infer_schema: bool
    encoding: Literal["utf8-lossy"]
    truncate_ragged_lines: bool
    raise_if_empty: bool


_CSV_OPTIONS = _CsvOptions(
    infer_schema=False, encoding="utf8-lossy", truncate_ragged_lines=True, raise_if_empty=True
)


#: What polars' readers raise on a file they cannot read: their errors, and a panic of their
#: Rust code on a malformed file (``PanicException``: a BaseException, which went past every
#: ``except Exception`` and stopped a whole collection for one board's broken Parquet file).
READ_ERRORS = (pl.exceptions.PolarsError, pl.exceptions.PanicException, OSError, ValueError)


def _polars_error(path: Path, what: str, exc: BaseException) -> IngestError:
    return IngestError(f"{path}: not a readable {what} file ({first_line(exc)[:160]})")


#: The column a CSV/TSV export is read with past its header's: the first field of a row
#: that has more fields than the header (an unquoted separator in a title shifts every later
#: field), null in any other row.
EXTRA_FIELDS = "__extra_fields__"


def _with_extra(header: pl.Schema) -> dict[str, pl.DataType]:
    """The schema a CSV/TSV export is read with: its header's columns (as polars names them:
    duplicates and blanks renamed), all text, and :data:`EXTRA_FIELDS` after them (renamed
    if the header holds that name). Read positionally with ``missing_columns="insert"``
    (the extra column is not in the header), a row's field past the header lands in it
    instead of being cut."""
    extra = EXTRA_FIELDS
    while extra in header:
        extra += "_"
    return {**dict.fromkeys(header.names(), pl.String()), extra: pl.String()}


def dialect_of(source: Path | bytes) -> tuple[str, int]:
    """:func:`~newsletter.util.csvtext.csv_dialect` of a CSV export (its first line read)."""
    head = source[:_SNIFF_BYTES] if isinstance(source, bytes) else head_bytes(source, _SNIFF_BYTES)
    return csv_dialect(head.decode("utf-8", "replace"))


def _csv_schema(source: Path | bytes, separator: str, skip: int) -> dict[str, pl.DataType]:
    """:func:`_with_extra` of the export's header (only the header is read)."""
    header = pl.scan_csv(source, separator=separator, skip_rows=skip, glob=False, **_CSV_OPTIONS)
    return _with_extra(header.collect_schema())


def _scan(path: Path, separator: str | None) -> tuple[pl.LazyFrame, str]:
    """A CSV/TSV export as a lazy scan of its header's columns and the extra column of
    :func:`_with_extra` (and that column's name); ``separator`` None: a CSV export's own
    (:func:`dialect_of`)."""
    source = _text_source(path)
    separator, skip = dialect_of(source) if separator is None else (separator, 0)
    try:
        schema = _csv_schema(source, separator, skip)
        lf = pl.scan_csv(
            source,
            separator=separator,
            skip_rows=skip,
            glob=False,
            schema=schema,
            missing_columns="insert",
            **_CSV_OPTIONS,
        )
    except READ_ERRORS as exc:
        raise _polars_error(path, "CSV", exc) from None
    return lf, list(schema)[-1]


#: A field the lenient reader takes (the csv module's default, 128 KB, is less than a long
#: description).
_FIELD_LIMIT = 2**30


def _fields(record: list[str], width: int) -> list[str | None]:
    """A record as the ``width`` fields of its header and the first one past it (as polars
    reads them: missing and empty fields null)."""
    return [v or None for v in record[: width + 1] + [""] * (width + 1 - len(record))]


def lenient_csv(
    path: Path,
    mapping: Mapping[str, str],
    *,
    separator: str | None = None,
    after: int = 0,
    rows: int = 100_000,
) -> Iterator[pl.DataFrame]:
    """The raw frames (``rows`` rows at most each) of a CSV/TSV export that polars refuses,
    from its record ``after`` on (the ones before were read), as :func:`read_csv` reads it
    otherwise. Polars refuses a whole file for one stray quote (``The 27" Monitor``,
    ``"Broken, "quote"``); Python's csv module takes such a quote as a character, as
    spreadsheets do, so one bad row never stops the others. Only such a file is read here, a
    row at a time."""
    source = _text_source(path)
    separator, skip = dialect_of(source) if separator is None else (separator, 0)
    schema = _csv_schema(source, separator, skip)
    extra = list(schema)[-1]
    raw = io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
    limit = csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))
    try:
        records = (r for r in csv.reader(text, delimiter=separator) if r)  # blank lines: none
        rest = islice(records, skip + 1 + after, None)  # the sep= line, the header, read ones
        while block := list(islice(rest, rows)):
            frame = pl.DataFrame(
                [_fields(r, len(schema) - 1) for r in block], schema=schema, orient="row"
            )
            yield frame.select(raw_exprs(frame.schema, mapping, source_file=str(path), extra=extra))
    except (csv.Error, OSError) as exc:
        raise IngestError(f"{path}: not a readable CSV file ({first_line(exc)[:160]})") from None
    finally:
        text.close()
        csv.field_size_limit(limit)


def read_csv(
    path: Path, mapping: Mapping[str, str], *, separator: str | None = None
) -> pl.DataFrame:
    """A CSV/TSV export as the raw frame (``separator`` None: a CSV export's own, see
    :func:`dialect_of`); a row with more fields than the header is marked
    (``source_open`` :data:`~newsletter.data.ingest.columns.REASON_MORE_FIELDS`: rejected),
    never cut to the header's width and kept."""
    lf, extra = _scan(path, separator)
    try:
        frame = lf.collect()
    except pl.exceptions.PolarsError:  # a stray quote: read leniently
        frames = list(lenient_csv(path, mapping, separator=separator))
        return pl.concat(frames) if frames else pl.DataFrame(schema=RAW_SCHEMA)
    except (OSError, ValueError) as exc:
        raise _polars_error(path, "CSV", exc) from None
    return to_raw(frame, mapping, source_file=str(path), extra=extra)


def scan_csv(
    path: Path, mapping: Mapping[str, str], *, separator: str | None = None
) -> pl.LazyFrame:
    """:func:`read_csv` as a lazy scan (the same options and raw columns), for reading a
    large export in batches; its columns are checked here, its rows as they are read."""
    lf, extra = _scan(path, separator)
    try:
        read = lf.collect_schema()
    except READ_ERRORS as exc:
        raise _polars_error(path, "CSV", exc) from None
    return lf.select(raw_exprs(read, mapping, source_file=str(path), extra=extra))


def read_jsonl(path: Path, mapping: Mapping[str, str]) -> pl.DataFrame:
    """A JSON Lines export as the raw frame: one record a line, or one schema.org JSON-LD
    document a line (a ``JobPosting``, or an ``@graph`` holding postings beside the page's
    other nodes), whose postings are read as a JSON file's are (:func:`json_ld_postings`)."""
    source = _text_source(path)
    try:
        if isinstance(source, bytes):
            frame = pl.read_ndjson(source, infer_schema_length=None)
        else:  # a file object: read_ndjson has no way to turn its glob patterns off
            with source.open("rb") as fh:
                frame = pl.read_ndjson(fh, infer_schema_length=None)
    except READ_ERRORS as exc:
        # values of several types in one field (a list for one record's id): record by
        # record, every value as text
        frame = _line_records(path, source, exc)
    else:
        # the same where polars wrote the objects as JSON text, or where a line is a JSON-LD
        # document that is no posting itself (its postings in an @graph, a page's other node)
        if _objects_as_text(frame) or _json_ld_documents(frame):
            frame = _line_records(path, source, ValueError("no record"))
    return to_raw(frame, mapping, source_file=str(path))


def _line_records(path: Path, source: Path | bytes, error: Exception) -> pl.DataFrame:
    """The records of a JSON Lines file read line by line (:func:`_json_lines`); where the
    lines are JSON-LD, their postings (:func:`json_ld_postings`)."""
    records = _json_lines(path, source, error)
    postings = json_ld_postings(records)
    return records_frame(records if postings is None else postings, path)


def _json_ld_documents(frame: pl.DataFrame) -> bool:
    """Whether a line of a JSON Lines frame is a JSON-LD document other than one posting:
    an ``@graph``, or a node whose ``@type`` is not ``JobPosting`` (a line that is a
    ``JobPosting``, the common case, reads as a record of polars' columns)."""
    if "@graph" in frame.columns:
        return True
    if "@type" not in frame.columns:
        return False
    kinds = frame.get_column("@type").drop_nulls().unique().to_list()
    return not all(_is_posting({"@type": k}) for k in kinds)


#: The schema.org type of a job posting, however a node names it (``JobPosting``,
#: ``schema:JobPosting``, ``https://schema.org/JobPosting``).
_JOB_POSTING = "JobPosting"


def _is_posting(node: object) -> bool:
    if not isinstance(node, dict):
        return False
    kind = node.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return any(
        isinstance(k, str) and k.rsplit("/", 1)[-1].rsplit(":", 1)[-1] == _JOB_POSTING
        for k in kinds
    )


def _ld_nodes(data: object) -> list[object] | None:
    """The nodes of a JSON-LD document as sites embed it: a single node (an object with an
    ``@type``), an ``@graph`` list of them beside an ``@context``, or a list of either;
    None when ``data`` is no JSON-LD (a list of records without a single ``@type``)."""
    if isinstance(data, dict):
        graph = data.get("@graph")
        if isinstance(graph, list):
            return graph
        return [data] if "@type" in data else None
    if isinstance(data, list) and any(
        isinstance(d, dict) and ("@type" in d or isinstance(d.get("@graph"), list)) for d in data
    ):
        return [n for d in data for n in (_ld_nodes(d) or [d])]
    return None


def json_ld_postings(data: object) -> list[object] | None:
    """The postings of schema.org JSON-LD (:func:`_ld_nodes`): its ``JobPosting`` nodes,
    and any element that is no object (a row rejected as ``not an object``, as in any list
    of records) or an object with no ``@type`` (a record as any other). A node of another
    type (the ``Organization``, ``WebPage`` or ``BreadcrumbList`` a page's ``@graph`` holds
    beside its postings) is no posting and no row. None when ``data`` is not JSON-LD or
    holds no ``JobPosting`` in a list of records (read as records, as before); an empty list
    for a JSON-LD document or ``@graph`` with none."""
    nodes = _ld_nodes(data)
    if nodes is None:
        return None
    postings = [n for n in nodes if _is_posting(n) or not isinstance(n, dict) or "@type" not in n]
    if isinstance(data, list) and not any(_is_posting(n) for n in nodes):
        return None
    return postings if any(_is_posting(n) for n in postings) else []


#: A value that is a JSON object written as text.
_OBJECT_TEXT = r"^\s*\{[\s\S]*\}\s*$"


def _objects_as_text(frame: pl.DataFrame) -> bool:
    """Whether a text field holds a JSON object: polars reads a field that is an object in
    some records and text in others as text, each object as its JSON (``{"name": "Acme"}``
    became a company's name; a pay object's fields no columns), at the top level or inside
    an object or a list of them (schema.org's ``jobLocation.address.addressCountry``, a
    ``Country`` object on one line and ``"US"`` on the next). Such a file is read record by
    record (:func:`records_frame`), as one whose field mixes other types; a text that merely
    looks like an object reads the same there."""
    return any(_holds_object_text(frame.get_column(c)) for c in frame.columns)


def _holds_object_text(column: pl.Series) -> bool:
    """:func:`_objects_as_text` of one column, its objects' fields and its lists' elements
    searched too."""
    dtype = column.dtype
    if dtype == pl.String:
        return bool(column.str.contains(_OBJECT_TEXT).any())
    if isinstance(dtype, pl.Struct):
        return any(_holds_object_text(column.struct.field(f.name)) for f in dtype.fields)
    if isinstance(dtype, pl.List | pl.Array):
        return _holds_object_text(column.explode())
    return False


class _NotJson:
    """A line of a JSON Lines file that is not JSON (its row is rejected, counted)."""


def _json_lines(path: Path, source: Path | bytes, error: Exception) -> list[object]:
    """The records of a JSON Lines file, parsed line by line, a byte that is not UTF-8 read as
    U+FFFD (as a CSV export is read: the posting is kept, and counted), a line that is not
    JSON a :class:`_NotJson` (its row rejected as ``not JSON``: one bad line never stops the
    others); the reader's ``error`` when no line is a JSON object (not JSON Lines at all)."""
    data = source if isinstance(source, bytes) else read_bytes(source)
    records: list[object] = []
    for line in data.splitlines():
        if line.strip():
            try:
                records.append(json.loads(line.decode("utf-8", errors="replace")))
            except (ValueError, RecursionError):
                records.append(_NotJson())
    if not any(isinstance(r, dict) for r in records):
        raise _polars_error(path, "JSON Lines", error)
    return records


def _text(value: object) -> str | None:
    """A JSON value as text: a string as it is, a whole number as one (``2.0`` -> ``"2"``),
    true/false, an object (or a list of objects: schema.org's places) as its name or place
    (:func:`~newsletter.data.ingest._records.place`) else as its JSON, another list as its
    JSON."""
    if value is None:
        return value
    if isinstance(value, str):
        return well_formed(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        whole = value.is_integer() and abs(value) < 2**53
        return str(int(value)) if whole else repr(value)
    objects = isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)
    if isinstance(value, dict) or objects:  # its name or place, as a board's (else its JSON)
        return place(value) or json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False)


def _as_record(value: object) -> dict[str, object]:
    """An element of a list of JSON records as a record: a record as it is (a field of the
    name :data:`RECORD_PROBLEM` renamed, so no record sets its own reason), anything else
    one with only :data:`RECORD_PROBLEM`: why its row is rejected."""
    if isinstance(value, dict):
        return {(f"{k}_" if k == RECORD_PROBLEM else k): v for k, v in value.items()} | {
            RECORD_PROBLEM: None
        }
    return {
        RECORD_PROBLEM: REASON_NOT_JSON if isinstance(value, _NotJson) else REASON_NOT_AN_OBJECT
    }


def _with_nested(record: dict[str, object], depth: int = NESTED_DEPTH) -> dict[str, object]:
    """A record with the fields of each object field beside it (:func:`nested_name`, to
    ``depth``), where the record has no field of that name, as :func:`to_raw` reads a struct
    column."""
    out = dict(record)
    for key, value in record.items():
        if depth and isinstance(value, dict):
            for child, v in _with_nested(value, depth - 1).items():
                out.setdefault(nested_name(str(key), str(child)), v)
    return out


def records_frame(records: object, path: Path) -> pl.DataFrame:
    """A frame from a list of flat JSON objects (a list without one is refused), every value
    as text (:func:`_text`), so one record's odd value (a list for an id, an object for a
    title) never fails the file; a field that is a list in every record that has it stays a
    list (an explicit skill list); an object field's fields are fields too
    (:func:`_with_nested`). An element that is no object (a number, a line of JSON
    Lines that is not JSON) is a row of its own with :data:`RECORD_PROBLEM` set: rejected
    with that reason and counted, never stopping the others."""
    if not isinstance(records, list):
        raise IngestError(f"{path}: JSON is not a list of job records")
    if not records:
        raise IngestError(f"{path}: no job records in the file")
    if not any(isinstance(r, dict) for r in records):
        raise IngestError(f"{path}: JSON is not a list of job records")
    if not all(isinstance(r, dict) for r in records):  # each element that is no record: a row
        records = [_as_record(r) for r in records]
    records = [_with_nested(r) for r in records]
    keys = list(dict.fromkeys(k for r in records for k in r))
    listed = {
        k
        for k in keys
        if all(isinstance(r.get(k), list | None) for r in records)
        and any(isinstance(r.get(k), list) for r in records)
    }
    rows = [
        {
            str(k): [_text(x) for x in v] if k in listed and isinstance(v, list) else _text(v)
            for k, v in r.items()
        }
        for r in records
    ]
    schema = {str(k): pl.List(pl.String) if k in listed else pl.String for k in keys}
    try:
        return pl.from_dicts(rows, schema=schema)
    except (pl.exceptions.PolarsError, ValueError, TypeError) as exc:
        raise _polars_error(path, "JSON records", exc) from None


def json_value(data: bytes) -> object:
    """JSON bytes as every reader here takes them: UTF-16 and text that does not start as
    UTF-8 converted (:func:`as_utf8`), a byte-order mark dropped, and a stray invalid UTF-8
    byte further on read as U+FFFD (as a CSV export is read) instead of refusing the whole
    document. A number too long for an int (Python refuses more than 4,300 digits) is read as
    a float (infinite, as JavaScript reads it), rather than refusing the whole document for
    one field. Raises ValueError (or RecursionError) when it is not JSON."""
    text = as_utf8(data).removeprefix(_UTF8_BOM)
    try:
        return json.loads(text)
    except UnicodeDecodeError:
        return json.loads(text.decode("utf-8", errors="replace"), parse_int=_json_int)
    except json.JSONDecodeError:
        raise
    except ValueError:  # an int's digits over the limit: read again, ints one by one
        return json.loads(text, parse_int=_json_int)


def _json_int(digits: str) -> int | float:
    try:
        return int(digits)
    except ValueError:
        return float(digits)


def load_json(path: Path) -> object:
    try:
        return json_value(read_bytes(path))
    except (ValueError, RecursionError) as exc:
        raise IngestError(f"{path}: not valid JSON ({str(exc)[:120]})") from None


def read_parquet(path: Path, mapping: Mapping[str, str]) -> pl.DataFrame:
    source = _source(path)
    try:
        frame = pl.read_parquet(source, glob=False)
    except READ_ERRORS as exc:
        raise _polars_error(path, "Parquet", exc) from None
    return to_raw(frame, mapping, source_file=str(path))
