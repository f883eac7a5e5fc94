"""Recruitee careers API: one host per company, one response per board (no paging).

``GET https://{company}.recruitee.com/api/offers/`` -> ``{"offers": [...]}``. The base URL
holds ``{board}`` (a configured one without it gets ``/{board}`` appended, for mirrors).
"""

from __future__ import annotations

from typing import Any

from newsletter.data.collect.ats.base import BoardApi, Request, list_in, segment
from newsletter.data.ingest import Format


class Recruitee(BoardApi):
    kind = "recruitee"
    default_base_url = "https://{board}.recruitee.com"
    ingest_format = Format.recruitee

    def first(self, board: str, base: str) -> Request:
        root = base.replace("{board}", segment(board)) if "{board}" in base else f"{base}/{board}"
        return Request("GET", f"{root}/api/offers/")

    def jobs(self, data: object) -> list[Any] | None:
        return list_in(data, "offers")
