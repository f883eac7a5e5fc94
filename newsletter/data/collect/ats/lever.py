"""Lever postings API: a bare JSON array, paged with ``skip`` + ``limit``.

``GET {base}/v0/postings/{company}?mode=json&skip=0&limit=100``; a page shorter than
``limit`` is the last. An unknown company answers 404 ``{"ok": false, ...}``.
"""

from __future__ import annotations

from typing import Any

from newsletter.data.collect.ats.base import BoardApi, Request, segment
from newsletter.data.ingest import Format

PAGE = 100


class Lever(BoardApi):
    kind = "lever"
    default_base_url = "https://api.lever.co"
    ingest_format = Format.lever

    def first(self, board: str, base: str) -> Request:
        return Request(
            "GET",
            f"{base}/v0/postings/{segment(board)}",
            {"mode": "json", "skip": "0", "limit": str(PAGE)},
        )

    def jobs(self, data: object) -> list[Any] | None:
        return data if isinstance(data, list) else None

    def next(
        self, board: str, base: str, request: Request, data: object, n_jobs: int
    ) -> Request | None:
        if n_jobs < PAGE:
            return None
        skip = int(request.params.get("skip", "0")) + n_jobs
        return Request("GET", request.url, {**request.params, "skip": str(skip)})
