"""The normalized batches and the rejects of an ingest, kept in input order until the run
ends: in memory, or as Arrow IPC files in a scratch folder, so that a week of any size is
deduplicated and written with polars' streaming engine in bounded memory."""

from __future__ import annotations

from pathlib import Path

import polars as pl


class Spool:
    """Batches in order; ``folder`` None keeps them in memory."""

    def __init__(self, folder: Path | None = None) -> None:
        self._folder = folder
        self._kept: list[pl.DataFrame | Path] = []
        self._rejects: list[pl.DataFrame | Path] = []

    def _keep(self, parts: list[pl.DataFrame | Path], frame: pl.DataFrame, kind: str) -> None:
        if self._folder is None:
            parts.append(frame)
            return
        path = self._folder / f"{kind}-{len(parts):06d}.arrow"
        frame.write_ipc(path, compression="lz4")
        parts.append(path)

    def add(self, normalized: pl.DataFrame, rejects: pl.DataFrame) -> None:
        self._keep(self._kept, normalized, "kept")
        self._keep(self._rejects, rejects, "rejects")

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
