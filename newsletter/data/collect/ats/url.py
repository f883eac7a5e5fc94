"""A generic export at a URL (CSV, TSV, JSON Lines, JSON, Parquet, or any JSON the ingest
formats recognise): fetched once, read by the ingest adapter of its format."""

from __future__ import annotations

from typing import Any

from newsletter.data.collect.ats.base import BoardApi, Request
from newsletter.data.ingest import Format


class Url(BoardApi):
    kind = "url"
    default_base_url = ""
    ingest_format = Format.auto
    json_pages = False

    def first(self, board: str, base: str) -> Request:
        return Request("GET", base)

    def jobs(self, data: object) -> list[Any] | None:  # pragma: no cover - not JSON pages
        return None
