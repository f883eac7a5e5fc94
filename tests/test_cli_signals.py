"""Ctrl-C (SIGINT) and SIGTERM to a real `newsletter` process in the middle of a write: one
line on stderr, exit code 130 for Ctrl-C and an end by SIGTERM itself for SIGTERM (what a
shell shows as 143 and a service manager counts a clean stop), no traceback, and no
temporary file (nor a week's lock) left behind. Each signal lands at a known point:
``tests/pauserun.py`` stops the command at its first atomic rename and says so; the test
waits for that line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from newsletter.data.synth import write_raw_csv
from tests.conftest import REPO


def _env() -> dict[str, str]:
    """The test's environment (conftest has cleared NEWSLETTER_* from it: read at the call,
    not at import) with this checkout's package first, not an installed one."""
    paths = [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def _stopped_at_rename(cwd: Path, sig: int, *args: str) -> tuple[int, str, Path]:
    """Run ``newsletter ARGS`` until it is about to rename its first file into place, send
    it ``sig``; its exit code, its stderr after the pause, and the temporary file it held."""
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "tests" / "pauserun.py"), *args],
        cwd=cwd,
        env=_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline().decode()  # blocks until the pause (or the end)
        assert line.startswith("paused "), line + proc.stderr.read().decode()
        tmp = Path(line.removeprefix("paused ").strip())
        assert tmp.exists()  # the write was in progress
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()  # closes the pipes
    return proc.returncode, err.decode(), tmp


@pytest.mark.parametrize(
    ("sig", "code", "said"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, -signal.SIGTERM, "terminated")],
)
def test_a_signal_during_preview_says_so_and_leaves_no_file(
    tmp_path: Path, sig: int, code: int, said: str
) -> None:
    out = tmp_path / "out"
    args = ("preview", "--snapshots", str(REPO / "snapshots"), "--out", str(out / "issue.html"))
    rc, err, tmp = _stopped_at_rename(tmp_path, sig, *args)
    assert (rc, err) == (code, f"newsletter: {said}\n")
    assert not tmp.exists()
    assert sorted(p.name for p in out.iterdir()) == []  # neither part, nor a temporary file


def test_sigterm_during_ingest_removes_its_temporary_files_and_lock(tmp_path: Path) -> None:
    raw = write_raw_csv(tmp_path / "raw.csv", 200)
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[data]\nsnapshots_dir = "snaps"\nrules_dir = "{REPO / "rules"}"\n', encoding="utf-8"
    )
    args = ("--config", str(cfg), "ingest", str(raw), "--week", "2026-11-23")
    rc, err, tmp = _stopped_at_rename(tmp_path, signal.SIGTERM, *args)
    assert (rc, err) == (-signal.SIGTERM, "newsletter: terminated\n")
    left = sorted(str(p.relative_to(tmp_path)) for p in (tmp_path / "snaps").rglob("*"))
    assert not tmp.exists()
    assert [p for p in left if not (tmp_path / p).is_dir()] == []  # no file, no lock
