"""Workable's job board API as its career pages call it: a POST with a search body, paged
with the ``nextPage`` token sent back as ``token``.

``POST {base}/api/v3/accounts/{account}/jobs`` ->
``{"total", "results": [...], "nextPage"?}``.
"""

from __future__ import annotations

from typing import Any

from newsletter.data.collect.ats.base import BoardApi, Request, list_in, segment
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
        token = data.get("nextPage") if isinstance(data, dict) else None
        previous = (request.json or {}).get("token")
        if not isinstance(token, str) or not token or token == previous or n_jobs == 0:
            return None
        return Request("POST", request.url, json={**SEARCH, "token": token})
