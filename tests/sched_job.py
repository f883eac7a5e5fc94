"""An importable job for the scheduler tests: appends one line per run to a file."""

from __future__ import annotations

from pathlib import Path


def record(path: str) -> None:
    with Path(path).open("a", encoding="utf-8") as fh:
        fh.write("ran\n")
