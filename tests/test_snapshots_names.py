"""A snapshot file not named by a Monday is refused with one line, by every command."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.data.snapshots import list_weeks, resolve_weeks
from newsletter.errors import SnapshotError
from tests.conftest import NOW, REPO


def _folder(tmp_path: Path, *names: str) -> Path:
    snaps = tmp_path / "snapshots"
    snaps.mkdir(parents=True)
    for name in names:
        shutil.copy(REPO / "snapshots" / "2026-11-16.parquet", snaps / f"{name}.parquet")
    return snaps


def test_a_wednesday_name_is_refused_naming_its_monday(tmp_path: Path) -> None:
    snaps = _folder(tmp_path, "2026-11-16", "2026-11-25")
    with pytest.raises(
        SnapshotError,
        match=r"2026-11-25\.parquet is not named by a Monday.*"
        r"rename it 2026-11-23\.parquet$",
    ):
        list_weeks(snaps)
    with pytest.raises(SnapshotError, match="not named by a Monday"):
        resolve_weeks(snaps)


def test_a_second_file_for_a_week_says_which_exists(tmp_path: Path) -> None:
    snaps = _folder(tmp_path, "2026-11-16", "2026-11-18")
    with pytest.raises(SnapshotError, match=r"2026-11-16\.parquet exists: remove one"):
        list_weeks(snaps)
    assert list_weeks(_folder(tmp_path / "ok", "2026-11-16", "2026-11-23")) == [
        date(2026, 11, 16),
        date(2026, 11, 23),
    ]


@pytest.mark.parametrize("command", [["signals"], ["preview", "--out", "OUT/issue.html"]])
def test_commands_refuse_it_with_one_line(tmp_path: Path, command: list[str]) -> None:
    snaps = _folder(tmp_path, "2026-11-16", "2026-11-25")
    args = [a.replace("OUT", str(tmp_path / "out")) for a in command]
    r = CliRunner().invoke(app, [*args, "--snapshots", str(snaps)])
    assert r.exit_code != 0
    assert "2026-11-25.parquet is not named by a Monday" in r.output
    assert "cannot read snapshot" not in r.output


@pytest.mark.parametrize("command", [["signals"], ["archive", "--out", "OUT"]])
def test_a_snapshot_folder_that_is_a_file_or_holds_a_folder_is_one_line(
    tmp_path: Path, command: list[str]
) -> None:
    """``--snapshots`` naming a file read "snapshot folder X does not exist" (it does); a
    folder named as a week's snapshot failed with Polars' "expanded paths were empty ...
    Hint: passing a schema ..."."""
    snaps = _folder(tmp_path, "2026-11-16")
    (snaps / "2026-11-23.parquet").mkdir()
    args = [a.replace("OUT", str(tmp_path / "out")) for a in command]
    runner = CliRunner()
    for folder, said in (
        (snaps / "2026-11-16.parquet", "2026-11-16.parquet is a file, not a folder"),
        (snaps, "2026-11-23.parquet is a folder, not a file: remove or rename it"),
    ):
        r = runner.invoke(app, [*args, "--snapshots", str(folder)])
        assert r.exit_code == 1, r.output
        assert said in r.stderr and r.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_an_archive_of_an_empty_snapshot_folder_is_refused(tmp_path: Path) -> None:
    """``archive --snapshots`` of a folder with no snapshot (the wrong one, most likely)
    wrote an empty index and feed and exited 0; an archive built before is still rebuilt
    from its index when the snapshots are gone."""
    from newsletter.cli._app import CliState
    from newsletter.util.clock import FixedClock

    empty, out = tmp_path / "empty", tmp_path / "a"
    empty.mkdir()
    runner = CliRunner()

    def archive(snaps: Path) -> Any:
        state = CliState(clock=FixedClock(NOW + timedelta(days=7)))
        return runner.invoke(
            app, ["archive", "--snapshots", str(snaps), "--out", str(out)], obj=state
        )

    r = archive(empty)
    assert r.exit_code == 1, r.output
    assert r.stderr == f"error: no snapshots (YYYY-MM-DD.parquet) in {empty}: no issue to publish\n"
    assert not out.exists()
    assert archive(_folder(tmp_path, "2026-11-16")).exit_code == 0
    assert archive(empty).exit_code == 0  # the index of the earlier build: kept
    assert (out / "2026-11-16.html").is_file()
