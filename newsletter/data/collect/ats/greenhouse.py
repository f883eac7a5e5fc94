"""Greenhouse job board API: one response holds the whole board (no paging).

``GET {base}/v1/boards/{board}/jobs?content=true&pay_transparency=true`` ->
``{"jobs": [...], "meta": {"total": N}}``; an unknown board answers 404.
"""

from __future__ import annotations

from typing import Any

from newsletter.data.collect.ats.base import BoardApi, Request, list_in, segment
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
