"""The data-path benchmarks still run: ``make bench`` is how issue figures are measured, and
a change elsewhere (the config reader refusing ``/dev/null``, which every step of these
benchmarks passes as ``NEWSLETTER_CONFIG``) once broke it without a test noticing.

Each runs as a user runs it, on a tiny input, as a child process (``newsletter`` from the
same environment as the tests). Only that it finishes and prints its figures is checked,
never a time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "benchmarks"
NEWSLETTER = Path(sys.executable).parent / "newsletter"

pytestmark = pytest.mark.skipif(
    not NEWSLETTER.exists(), reason="the newsletter command is not installed beside python"
)


def _bench(script: str, *args: str, tmp_path: Path) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args, "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_bench_scale_runs_the_project_and_bare_polars(tmp_path: Path) -> None:
    out = _bench("bench_scale.py", "--rows", "2000", "--repeat", "1", tmp_path=tmp_path)
    assert "newsletter signals (two weeks)" in out
    assert "ratio project / bare:" in out


def test_bench_ingest_prints_the_stages_of_both_shapes(tmp_path: Path) -> None:
    out = _bench("bench_ingest.py", "--rows", "2000", tmp_path=tmp_path)
    for shape in ("short", "html"):
        assert shape in out
    assert "skills" in out and "pay" in out
