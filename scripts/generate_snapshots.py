"""Regenerate the bundled sample snapshots in snapshots/ (seeded, reproducible).

Usage: python scripts/generate_snapshots.py [OUT_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

from newsletter.data.synth import write_samples

if __name__ == "__main__":
    out = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else Path(__file__).resolve().parent.parent / "snapshots"
    )
    for p in write_samples(out):
        print(p)
