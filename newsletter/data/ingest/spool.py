"""The normalized batches and the rejects of an ingest, kept in input order until the run
ends: in memory up to a budget, the rest as Arrow IPC files in a scratch folder, so that a week
of any size is deduplicated and written with polars' streaming engine in bounded memory, and a
week of about a million short postings never goes through the disk (compressing, writing and
reading back its batches cost a sixth of such a run's CPU).

A batch held in memory keeps the raw text it came from alive (titles, places and links are
slices of it). Where that text is mostly what the snapshot drops (long descriptions), holding
a batch would pin several times its size, so such a batch goes to the scratch folder."""

from __future__ import annotations

from pathlib import Path

import polars as pl

#: Batches held in memory (their estimated size) before the next ones go to the scratch folder.
HELD_BYTES = 384 * 1024 * 1024
#: A batch is held only if its raw input was at most this many times its own size.
HELD_RAW_RATIO = 2.0


class Spool:
    """Batches in order; ``folder`` None keeps them all in memory, else up to ``held_bytes``
    of batches that are not much smaller than their raw input."""

    def __init__(self, folder: Path | None = None, held_bytes: int = HELD_BYTES) -> None:
        self._folder = folder
        self._room = held_bytes
        self._kept: list[pl.DataFrame | Path] = []
        self._rejects: list[pl.DataFrame | Path] = []

    @property
    def spilled(self) -> int:
        """How many parts (normalized or rejected rows of a batch) are in the scratch folder."""
        return sum(isinstance(p, Path) for p in (*self._kept, *self._rejects))

    def _keep(
        self, parts: list[pl.DataFrame | Path], frame: pl.DataFrame, kind: str, hold: bool
    ) -> None:
        size = int(frame.estimated_size())
        if self._folder is None or (hold and size <= self._room):
            self._room -= size
            parts.append(frame)
            return
        path = self._folder / f"{kind}-{len(parts):06d}.arrow"
        frame.write_ipc(path, compression="lz4")
        parts.append(path)

    def add(self, normalized: pl.DataFrame, rejects: pl.DataFrame, raw_bytes: int = 0) -> None:
        """Add one batch: its normalized and rejected rows, from ``raw_bytes`` of raw input."""
        hold = raw_bytes <= HELD_RAW_RATIO * (
            normalized.estimated_size() + rejects.estimated_size()
        )
        self._keep(self._kept, normalized, "kept", hold)
        self._keep(self._rejects, rejects, "rejects", hold)

    @staticmethod
    def _lazy(parts: list[pl.DataFrame | Path]) -> pl.LazyFrame:
        frames = [p.lazy() if isinstance(p, pl.DataFrame) else pl.scan_ipc(p) for p in parts]
        return pl.concat(frames, how="vertical")

    def normalized(self) -> pl.LazyFrame:
        """Every normalized row, in input order."""
        return self._lazy(self._kept)

    def rejects(self) -> pl.LazyFrame:
        """Every rejected row (raw fields and ``reason``), in input order."""
        return self._lazy(self._rejects)
