"""SmartRecruiters postings API, paged with ``offset`` + ``limit`` (at most 100).

``GET {base}/v1/companies/{company}/postings?offset=0&limit=100`` ->
``{"offset", "limit", "totalFound", "content": [...]}``; the board is complete when
``offset + len(content)`` reaches ``totalFound`` (a number, or a string of digits), or a page
is empty. Without a readable ``totalFound``, pages are read until one is short.
"""

from __future__ import annotations

from typing import Any

from newsletter.data.collect.ats.base import BoardApi, Request, count, list_in, segment
from newsletter.data.ingest import Format

PAGE = 100


class SmartRecruiters(BoardApi):
    kind = "smartrecruiters"
    default_base_url = "https://api.smartrecruiters.com"
    ingest_format = Format.smartrecruiters

    def first(self, board: str, base: str) -> Request:
        return Request(
            "GET",
            f"{base}/v1/companies/{segment(board)}/postings",
            {"offset": "0", "limit": str(PAGE)},
        )

    def jobs(self, data: object) -> list[Any] | None:
        return list_in(data, "content")

    def next(
        self, board: str, base: str, request: Request, data: object, n_jobs: int
    ) -> Request | None:
        total = count(data.get("totalFound")) if isinstance(data, dict) else None
        offset = int(request.params.get("offset", "0")) + n_jobs
        if n_jobs == 0:
            return None
        if total is None:  # no count to go by: a short page is the last
            if n_jobs < int(request.params.get("limit", str(PAGE))):
                return None
        elif offset >= total:
            return None
        return Request("GET", request.url, {**request.params, "offset": str(offset)})
