"""Run a command as a child and measure it: wall time, CPU time (user + sys of the command
and its children) and peak resident memory, each of that command alone.

The command runs under a small Python wrapper whose only child it is, so the wrapper's
``getrusage(RUSAGE_CHILDREN)`` is the command's own (a benchmark's earlier children do not
mask a smaller peak). Also the load average, so figures from a busy machine can be judged.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

_WRAPPER = """
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
rc = subprocess.call(sys.argv[2:])
wall = time.perf_counter() - t0
u = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as fh:
    json.dump({"rc": rc, "wall": wall, "cpu": u.ru_utime + u.ru_stime,
               "peak_mb": u.ru_maxrss / 1024}, fh)
"""


@dataclass(frozen=True)
class Run:
    wall: float  # seconds
    cpu: float  # user + sys seconds
    peak_mb: float
    load: float  # 1-minute load average when the run ended
    stdout: str

    def line(self) -> str:
        return (
            f"{self.wall:6.1f} s wall, {self.cpu:6.1f} s CPU, peak RSS {self.peak_mb:6,.0f} MB "
            f"(load average {self.load:.1f} on {os.cpu_count()} cores)"
        )


def run(cmd: Sequence[str], env: Mapping[str, str] | None = None) -> Run:
    """Run ``cmd``; its stdout is returned, its stderr passes through. Raises on failure."""
    with tempfile.TemporaryDirectory(prefix="bench-measure-") as tmp:
        out = Path(tmp) / "rusage.json"
        done = subprocess.run(
            [sys.executable, "-c", _WRAPPER, str(out), *cmd],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
            check=False,
        )
        usage = json.loads(out.read_text())
    if done.returncode != 0 or usage["rc"] != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return Run(usage["wall"], usage["cpu"], usage["peak_mb"], os.getloadavg()[0], done.stdout)


def median_run(runs: Sequence[Run]) -> Run:
    """One run standing for several of the same step: median wall and CPU, the highest peak,
    the highest load average. On a shared machine single runs vary by a third."""
    return Run(
        wall=statistics.median(r.wall for r in runs),
        cpu=statistics.median(r.cpu for r in runs),
        peak_mb=max(r.peak_mb for r in runs),
        load=max(r.load for r in runs),
        stdout=runs[-1].stdout,
    )


def spread(runs: Sequence[Run]) -> str:
    """The wall times of the runs behind a median, e.g. ``(runs 9.4, 9.6, 11.1 s)``."""
    if len(runs) < 2:
        return ""
    return "(runs " + ", ".join(f"{r.wall:.1f}" for r in sorted(runs, key=lambda r: r.wall)) + " s)"
