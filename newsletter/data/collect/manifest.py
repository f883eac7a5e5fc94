"""The record of one week's collection: ``DIR/raw/YYYY-MM-DD/manifest.json``.

One entry per board: what was asked, what came back (status, reason, jobs, pages, bytes),
the raw files saved (gzip, relative to the week's raw folder) and the week of the board's
last good collection (this week when it answered; earlier when its postings were carried).
A board that failed on a re-run of the week keeps the files of the week's earlier answer:
its entry stays ``ok`` with those files, and ``kept_from`` says when they were fetched.
``newsletter collect --replay`` rebuilds the week's snapshot from it, without the network.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from newsletter.data.collect.sources import Source
from newsletter.data.ingest import Format
from newsletter.data.snapshots import raw_path
from newsletter.errors import CollectError
from newsletter.util.files import atomic_write_text

MANIFEST_NAME = "manifest.json"
Status = Literal["ok", "not_found", "failed"]
#: What went wrong with a board, from a short fixed list: the reader-facing words are made
#: from it (:func:`newsletter.data.collect.carry.reader_reason`), never from ``reason``.
Problem = Literal[
    "http",
    "not_found",
    "timeout",
    "connection",
    "redirects",
    "too_large",
    "unreadable",
    "paging",
    "page_limit",
    "time_limit",
    "other",
]


class BoardRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    ats: str
    board: str
    company: str | None
    url: str | None = None
    format: Format | None = None
    status: Status
    #: Why it failed, for the operator (the console, the manifest, the report): may hold a
    #: server's words or a file name. Readers see :attr:`problem`'s words instead.
    reason: str | None = None
    problem: Problem | None = None
    http_status: int | None = None
    jobs: int = 0
    pages: int = 0
    bytes: int = 0
    files: tuple[str, ...] = ()
    #: Why the board's pages stop short (a paging field that could not be followed, or
    #: ``[collect] max_pages`` reached; :attr:`problem` says which: ``paging`` or
    #: ``page_limit``): its ``jobs`` are only part of the board; None: complete.
    incomplete: str | None = None
    #: The week of the last collection where this board answered (None: never).
    last_good: date | None = None
    #: When the files were fetched, for a board that failed on a re-run of the week and kept
    #: the week's earlier answer (``reason`` says why it failed); None: fetched by this run.
    kept_from: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @classmethod
    def of(cls, source: Source, **outcome: Any) -> BoardRecord:
        return cls(
            key=source.key,
            ats=source.ats,
            board=source.board,
            company=source.company,
            url=source.url,
            format=source.format,
            **outcome,
        )

    def source(self) -> Source:
        """The source this record was fetched from (for a replay)."""
        return Source.model_validate(
            {
                "ats": self.ats,
                "board": self.board,
                "company": self.company,
                "url": self.url,
                "format": self.format,
            }
        )


class Manifest(BaseModel):
    model_config = ConfigDict(frozen=True)

    week: date
    collected_at: datetime
    user_agent: str
    boards: tuple[BoardRecord, ...]


def write_manifest(manifest: Manifest, folder: Path) -> Path:
    path = folder / MANIFEST_NAME
    atomic_write_text(path, manifest.model_dump_json(indent=2) + "\n")
    return path


def read_manifest(directory: Path, week: date) -> Manifest | None:
    """The manifest of ``week``'s collection, or None when that week was not collected."""
    path = raw_path(directory, week) / MANIFEST_NAME
    try:
        return Manifest.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, ValidationError) as exc:
        raise CollectError(f"cannot read the collection manifest {path}: {exc}") from None
