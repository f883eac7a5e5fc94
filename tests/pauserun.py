"""Run the `newsletter` CLI in a subprocess that pauses at its first atomic rename.

    python tests/pauserun.py --config cfg.toml preview --out out/issue.html

Before the first ``os.replace`` of ``newsletter.util.files`` (a file written whole to its
temporary name, about to take its real one) it prints ``paused <temporary path>`` on stderr
and waits until its stdin is closed: a test sends a signal at that point, once it has read
the line, and never waits for time.
"""

from __future__ import annotations

import os
import sys

from newsletter.cli import main
from newsletter.util import files

_replace = os.replace


def _paused(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    print(f"paused {src}", file=sys.stderr, flush=True)
    sys.stdin.read()
    _replace(src, dst)


if __name__ == "__main__":
    files.os.replace = _paused  # type: ignore[attr-defined]
    sys.argv = ["newsletter", *sys.argv[1:]]
    main()
