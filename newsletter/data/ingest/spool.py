"""The normalized batches and the rejects of an ingest, kept in input order until the run
ends: in memory, or as Arrow IPC files in a scratch folder, so that a week of any size is
deduplicated and written with polars' streaming engine in bounded memory.

``newsletter ingest`` holds a small week's batches in memory (compressing, writing and reading
them back cost a sixth of a 1M-posting week's CPU) and spools a large week's to disk from the
first batch: held batches amid the allocations of many later ones fragment memory (a 3M
week's peak grew from 1.6 to 2.4 GB while seven were held).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl


class Spool:
    """Batches in order; ``folder`` None keeps them all in memory. With a folder, batches are
    held while their estimated sizes fit in ``held_bytes``; the first batch that does not fit
    sends every held one to the folder too, and all later ones go there."""

    def __init__(self, folder: Path | None = None, held_bytes: int = 0) -> None:
        self._folder = folder
        self._room = held_bytes
        self._kept: list[pl.DataFrame | Path] = []
        self._rejects: list[pl.DataFrame | Path] = []

    @property
    def held(self) -> bool:
        """Whether every part is in memory (none was sent to the scratch folder)."""
        return self.spilled == 0

    @property
    def spilled(self) -> int:
        """How many parts (normalized or rejected rows of a batch) are in the scratch folder."""
        return sum(isinstance(p, Path) for p in (*self._kept, *self._rejects))

    def _write(self, frame: pl.DataFrame, kind: str, index: int) -> Path:
        assert self._folder is not None
        path = self._folder / f"{kind}-{index:06d}.arrow"
        frame.write_ipc(path, compression="lz4")
        return path

    def _spill(self) -> None:
        """Every held part to the folder, in place; nothing is held from now on."""
        self._room = -1
        for parts, kind in ((self._kept, "kept"), (self._rejects, "rejects")):
            for i, part in enumerate(parts):
                if isinstance(part, pl.DataFrame):
                    parts[i] = self._write(part, kind, i)

    def add(self, normalized: pl.DataFrame, rejects: pl.DataFrame) -> None:
        """Add one batch: its normalized and its rejected rows."""
        size = int(normalized.estimated_size() + rejects.estimated_size())
        if self._folder is None or size <= self._room:
            self._room -= size
            self._kept.append(normalized)
            self._rejects.append(rejects)
            return
        if self._room >= 0:
            self._spill()
        self._kept.append(self._write(normalized, "kept", len(self._kept)))
        self._rejects.append(self._write(rejects, "rejects", len(self._rejects)))

    @staticmethod
    def _lazy(parts: list[pl.DataFrame | Path]) -> pl.LazyFrame:
        frames = [
            p.lazy() if isinstance(p, pl.DataFrame) else pl.scan_ipc(p, glob=False) for p in parts
        ]
        return pl.concat(frames, how="vertical")

    def normalized(self) -> pl.LazyFrame:
        """Every normalized row, in input order."""
        return self._lazy(self._kept)

    def rejects(self) -> pl.LazyFrame:
        """Every rejected row (raw fields and ``reason``), in input order."""
        return self._lazy(self._rejects)
