"""Atomic file writes: write to a temporary name beside the target, then rename.

A reader never sees a half-written file, and a failed or killed write leaves the old file
(or nothing) in place.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary file beside ``path`` to write; renamed over ``path`` when the block ends
    without an error, removed otherwise."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        tmp.chmod(0o644)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def replacing_all(*paths: Path) -> Iterator[tuple[Path, ...]]:
    """:func:`replacing` for files that belong together: a temporary file beside each of
    ``paths``, all renamed into place (the last first) when the block ends without an error,
    none otherwise. A target that is a folder is refused before the block runs, so the
    renames do not stop half-way for that reason."""
    for path in paths:
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, f"{path} is a folder", str(path))
    with ExitStack() as stack:
        yield tuple(stack.enter_context(replacing(path)) for path in paths)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place."""
    with replacing(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: Path, text: str) -> None:
    """UTF-8 text, written atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))
