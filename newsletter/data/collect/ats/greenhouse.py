"""Greenhouse job board API: one response holds the whole board (no paging).

``GET {base}/v1/boards/{board}/jobs?content=true&pay_transparency=true`` ->
``{"jobs": [...], "meta": {"total": N}}``; an unknown board answers 404. An answer holding
fewer jobs than its ``meta.total`` counts (a number, or a string of digits) is kept and
the board marked incomplete, never silently short.
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


class Greenhouse(BoardApi):
    kind = "greenhouse"
    default_base_url = "https://boards-api.greenhouse.io"
    ingest_format = Format.greenhouse

    def first(self, board: str, base: str) -> Request:
        return Request(
            "GET",
            f"{base}/v1/boards/{segment(board)}/jobs",
            {"content": "true", "pay_transparency": "true"},
        )

    def jobs(self, data: object) -> list[Any] | None:
        return list_in(data, "jobs")

    def next(
        self, board: str, base: str, request: Request, data: object, n_jobs: int
    ) -> Request | None:
        meta = data.get("meta") if isinstance(data, dict) else None
        total = count(meta.get("total")) if isinstance(meta, dict) else None
        if total is not None and n_jobs < total:
            raise PagingUnclear(
                f"the answer holds {n_jobs} of the {total} jobs its meta.total counts"
            )
        return None
