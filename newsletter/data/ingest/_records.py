"""Helpers shared by the JSON adapters (SimplifyJobs, Greenhouse, Lever).

These exports are small (an ATS board or a curated list: thousands of rows at most), so the
adapters pick fields from parsed JSON in Python and hand a columnar frame to polars.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import polars as pl

from newsletter.data.ingest.columns import (
    INPUT_COLUMNS,
    OBJECT_ADDRESS,
    OBJECT_DEPTH,
    OBJECT_NAME,
    OBJECT_PLACE,
    RAW_SCHEMA,
    object_fields,
)
from newsletter.errors import IngestError
from newsletter.util.text import well_formed

Record = dict[str, Any]
#: ``source_open`` of a record of a board's list that is not a JSON object: bad data, the
#: reject reason of its row.
REASON_NOT_AN_OBJECT = "not an object"

_BOARD_RE = re.compile(
    r"^https?://(?:boards|job-boards)(?:\.eu)?\.greenhouse\.io/(?:embed/job_app\?for=)?([A-Za-z0-9_-]+)"
    r"|^https?://jobs(?:\.eu)?\.lever\.co/([A-Za-z0-9_.-]+)"
    r"|^https?://jobs\.ashbyhq\.com/([A-Za-z0-9_.%-]+)"
    r"|^https?://jobs\.smartrecruiters\.com/([A-Za-z0-9_.-]+)"
    r"|^https?://apply\.workable\.com/([A-Za-z0-9_.-]+)"
    r"|^https?://([A-Za-z0-9-]+)\.recruitee\.com/"
)


def text(value: object) -> str | None:
    """A scalar as stripped text; None for null, empty, lists and objects. A whole number
    written with a decimal point (``4000100.0``) reads as the whole number (``4000100``), as
    the generic JSON reader and a CSV read it: a board that writes its ids one way one week
    and the other way the next does not make each posting new and removed."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    s = well_formed(str(value)).strip()
    return s or None


def dig(record: object, *keys: str) -> object:
    cur = record
    for k in keys:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(k)
    return cur


_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?|\.\d+")


def number(value: object) -> float | None:
    """A JSON number (not a bool), or a string of one (digits and at most one dot, spaces
    around: ``"15000000"``, ``" 150000.5 "``), as a float; None otherwise (``"150k"``,
    ``"1,500"``, ``"60000-80000"``, ``"nan"``: text for the pay parser, not a number)."""
    if isinstance(value, str):
        digits = value.strip()
        return float(digits) if digits.isascii() and _NUMBER_RE.fullmatch(digits) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def epoch_date(value: object, *, millis: bool = False) -> str | None:
    """Unix seconds (or milliseconds) -> ``YYYY-MM-DD``; None when not a plausible time."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return text(value)
    seconds = value / 1000 if millis else value
    try:
        return datetime.fromtimestamp(seconds, tz=UTC).date().isoformat()
    except (OverflowError, OSError, ValueError):
        return None


def board_token(url: str | None) -> str | None:
    """The company token of a job board URL (``jobs.lever.co/acme/...`` -> ``acme``):
    Greenhouse, Lever, Ashby, SmartRecruiters, Workable, Recruitee."""
    if not url:
        return None
    m = _BOARD_RE.match(url)
    return next((g for g in m.groups() if g), None) if m else None


def places(values: Iterable[str | None]) -> str | None:
    """Several locations as one text: distinct non-empty ones joined by ``"; "``."""
    kept = [v for v in values if v]
    return "; ".join(dict.fromkeys(kept)) if kept else None


def place(value: object) -> str | None:
    """A location as text, however a board gives it: a string as it is, a list of places
    joined by ``places``, an object by its name or by its city, region and country, else by
    its address's (:data:`~newsletter.data.ingest.columns.OBJECT_NAME` and the rest, as
    :func:`~newsletter.data.ingest.columns.to_raw` reads a struct). A list inside the list
    is no place (read level by level, a board's arrays nested a thousand deep would exhaust
    the stack and fail the whole board for one posting), and objects are read
    :data:`~newsletter.data.ingest.columns.OBJECT_DEPTH` deep."""
    if isinstance(value, list):
        return places(_object_place(v) for v in value if not isinstance(v, list))
    return _object_place(value)


def _object_place(value: object, depth: int = OBJECT_DEPTH) -> str | None:
    if not isinstance(value, dict):
        return text(value)
    fields = object_fields([k for k in value if isinstance(k, str)])

    def part(key: str) -> str | None:
        found = value.get(fields[key]) if key in fields else None
        if isinstance(found, dict):
            return _object_place(found, depth - 1) if depth > 0 else None
        return text(found)

    named = next((t for t in map(part, OBJECT_NAME) if t), None)
    parts = ", ".join(p for p in map(part, OBJECT_PLACE) if p)
    return named or parts or part(OBJECT_ADDRESS)


def text_list(value: object) -> list[str] | None:
    if not isinstance(value, list):
        return None
    out = [t for t in (text(v) for v in value) if t]
    return out or None


def build(
    records: Iterable[Record],
    fields: Callable[[Record], Record],
    *,
    source_file: str,
    kind: str,
    known: bool = False,
) -> pl.DataFrame:
    """Columnar raw frame from records, each mapped by ``fields`` to input-column values.

    Raises IngestError when records exist but none has a title (the wrong ``--format``),
    unless the file is ``known`` to be this format's answer (a job board's page): then its
    rows without a title are rejected like any other."""
    columns: dict[str, list[Any]] = {c: [] for c in (*INPUT_COLUMNS, "source_open")}
    for rec in records:
        row = fields(rec) if isinstance(rec, dict) else {"source_open": REASON_NOT_AN_OBJECT}
        for c, values in columns.items():
            values.append(row.get(c))
    n = len(columns["title"])
    if n and not known and all(t is None for t in columns["title"]):
        raise IngestError(f"{source_file}: no record has a title; is this a {kind} export?")
    data: dict[str, Any] = {**columns, "source_file": [source_file] * n}
    return pl.DataFrame(data, schema=RAW_SCHEMA, strict=False)
