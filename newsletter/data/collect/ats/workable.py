"""Workable's job board API as its career pages call it: a POST with a search body, paged
with the ``nextPage`` token sent back as ``token``.

``POST {base}/api/v3/accounts/{account}/jobs`` ->
``{"total", "results": [...], "nextPage"?}``. The token is text; a number is taken as its
digits. A token of another kind, or the token just sent back again, cannot be followed: the
board is incomplete.
"""

from __future__ import annotations

from typing import Any

from newsletter.data.collect.ats.base import (
    BoardApi,
    PagingUnclear,
    Request,
    count,
    list_in,
    segment,
)
from newsletter.data.ingest import Format

SEARCH: dict[str, Any] = {
    "query": "",
    "location": [],
    "department": [],
    "worktype": [],
    "remote": [],
}


class Workable(BoardApi):
    kind = "workable"
    default_base_url = "https://apply.workable.com"
    ingest_format = Format.workable

    def first(self, board: str, base: str) -> Request:
        return Request("POST", f"{base}/api/v3/accounts/{segment(board)}/jobs", json=SEARCH)

    def jobs(self, data: object) -> list[Any] | None:
        return list_in(data, "results")

    def next(
        self, board: str, base: str, request: Request, data: object, n_jobs: int
    ) -> Request | None:
        found = data.get("nextPage") if isinstance(data, dict) else None
        if found is None or found == "" or n_jobs == 0:
            return None
        token = found if isinstance(found, str) else count(found)
        if token is None:
            raise PagingUnclear(f"nextPage is not a page token ({type(found).__name__})")
        token = str(token)
        if token == (request.json or {}).get("token"):
            raise PagingUnclear("nextPage repeats the token just sent")
        return Request("POST", request.url, json={**SEARCH, "token": token})
