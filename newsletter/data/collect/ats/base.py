"""What every job-board API adapter says: its endpoint, its envelope and its paging."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import quote

from newsletter.data.ingest import Format


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request of a board's collection (a page)."""

    method: str
    url: str
    params: Mapping[str, str] = field(default_factory=dict)
    json: Mapping[str, Any] | None = None


class BoardApi:
    """One ATS kind's public job-board API.

    ``first`` is the first page's request; ``jobs`` finds the job list in a parsed page (None
    when the body is not this API's envelope: an unparsable answer); ``next`` is the next
    page's request, or None when the board is complete; it raises :class:`PagingUnclear`
    when the page's paging field cannot be followed (the board is then incomplete, never
    silently short). The raw pages are read back by the ingest adapter ``ingest_format``."""

    kind: ClassVar[str]
    default_base_url: ClassVar[str]
    ingest_format: ClassVar[Format]
    #: Whether pages are JSON the adapter reads (False: a file for the ingest formats).
    json_pages: ClassVar[bool] = True

    def base(self, configured: str | None) -> str:
        return (configured or self.default_base_url).rstrip("/")

    def first(self, board: str, base: str) -> Request:
        raise NotImplementedError

    def jobs(self, data: object) -> list[Any] | None:
        raise NotImplementedError

    def next(
        self, board: str, base: str, request: Request, data: object, n_jobs: int
    ) -> Request | None:
        return None


class PagingUnclear(Exception):  # noqa: N818 - an outcome of paging, reported per board
    """A page's paging field that cannot be followed (a token or a count of an unexpected
    type): the board's pages read so far are kept, and the board is marked incomplete."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


#: The most digits of a count read from a string (a quintillion postings and more is junk).
COUNT_DIGITS = 18


def count(value: object) -> int | None:
    """A count as an API may send it: a whole JSON number or a string of digits (``150``,
    ``"150"``, ``150.0``); None for anything else (a bool, a fraction, junk, a string of
    more digits than any count has, which ``int`` refuses past 4,300)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value >= 0 else None
    digits = value.strip() if isinstance(value, str) else ""
    if digits.isascii() and digits.isdigit() and len(digits) <= COUNT_DIGITS:
        return int(digits)
    return None


def segment(board: str) -> str:
    """A board name as one URL path segment."""
    return quote(board, safe="")


def list_in(data: object, key: str) -> list[Any] | None:
    """``data[key]`` when ``data`` is an object holding a list there, else None."""
    if isinstance(data, dict):
        found = data.get(key)
        if isinstance(found, list):
            return found
    return None
