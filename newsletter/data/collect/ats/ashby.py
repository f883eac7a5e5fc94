"""Ashby posting API with compensation: one response holds the board (no paging).

``GET {base}/posting-api/job-board/{board}?includeCompensation=true`` ->
``{"jobs": [...], "apiVersion": "1"}``; an unknown board answers 404.
"""

from __future__ import annotations

from typing import Any

from newsletter.data.collect.ats.base import BoardApi, Request, list_in, segment
from newsletter.data.ingest import Format


class Ashby(BoardApi):
    kind = "ashby"
    default_base_url = "https://api.ashbyhq.com"
    ingest_format = Format.ashby

    def first(self, board: str, base: str) -> Request:
        return Request(
            "GET",
            f"{base}/posting-api/job-board/{segment(board)}",
            {"includeCompensation": "true"},
        )

    def jobs(self, data: object) -> list[Any] | None:
        return list_in(data, "jobs")
