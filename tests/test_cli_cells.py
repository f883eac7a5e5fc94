"""Untrusted values in table cells and report lines (a subscriber's name, a run's error, a
server's reason): each control or invisible character shown as its escape, the rule of an
error line's value (``shown_value``), never dropped (the table showed another value than
the one stored) nor raw."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.cli._app import cell, cell_text
from newsletter.config import load_config
from newsletter.send.runs import RunHistory
from newsletter.store import open_store
from newsletter.util.clock import FixedClock
from newsletter.util.text import shown_value
from tests.conftest import NOW

REPO = Path(__file__).resolve().parents[1]


def test_a_cell_escapes_as_an_error_line_does() -> None:
    raw = "Ann\x1b[31m\u202eX\x07\x9b"
    assert cell_text(raw) == shown_value(raw, 1000) == "Ann\\x1b[31m\\u202eX\\x07\\x9b"
    assert cell(raw).plain == cell_text(raw)
    assert cell("[/] [bold]x").plain == "[/] [bold]x"  # text, never markup
    assert cell(None).plain == ""
    assert cell_text("y" * 5000).endswith("…") and len(cell_text("y" * 5000)) == 1000


def test_subscribers_list_shows_a_stored_names_control_characters_escaped(
    tmp_path: Path, config_file: Path
) -> None:
    """A name stored with ``\\x1b[31m`` (a row written before names were cleaned, or by
    another program) listed as ``Ann[31mX``: another name than the one in the database."""
    added = CliRunner().invoke(
        app, ["--config", str(config_file), "subscribers", "add", "a@example.com", "--name", "A"]
    )
    assert added.exit_code == 0, added.output
    with sqlite3.connect(tmp_path / "newsletter.db") as db:
        db.execute("UPDATE subscribers SET name = ?", ("Ann\x1b[31mX\u202eY",))
    done = newsletter(tmp_path, "--config", str(config_file), "subscribers", "list")
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout and "\u202e" not in done.stdout
    assert "Ann\\x1b[31mX\\u202eY" in done.stdout, done.stdout


def test_status_shows_a_runs_error_with_its_escapes(tmp_path: Path, config_file: Path) -> None:
    """A step failed by a server's reply holding an escape sequence: `status` printed it raw
    (the terminal cleared) in the runs table."""
    config = load_config(config_file)
    with (
        open_store(config) as db,
        pytest.raises(RuntimeError),
        RunHistory(db, FixedClock(NOW)).step("send", dt.date(2026, 11, 23)),
    ):
        raise RuntimeError("550 \x1b[2Jrefused\u202e")
    done = newsletter(tmp_path, "--config", str(config_file), "status")
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout and "\u202e" not in done.stdout
    assert "550 \\x1b[2Jrefused\\u202e" in done.stdout, done.stdout


def newsletter(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command in a child process, its tables 200 columns wide (no cell wrapped)."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "newsletter", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_json_on_the_terminal_escapes_what_json_dumps_leaves_raw(
    tmp_path: Path, config_file: Path
) -> None:
    """`subscribers show` and `list --format json` printed a stored name's bidi override, C1
    control (``\\x9b``, an escape sequence's start to some terminals) and tag characters raw:
    the terminal reordered or hid them. JSON's own escapes keep the parsed value exact."""
    name = "Ann\u202eX\x9b2J\x7f\U000e0041 José 🙂"
    added = CliRunner().invoke(
        app, ["--config", str(config_file), "subscribers", "add", "a@example.com", "--name", "A"]
    )
    assert added.exit_code == 0, added.output
    with sqlite3.connect(tmp_path / "newsletter.db") as db:
        db.execute("UPDATE subscribers SET name = ?", (name,))
    cfg = str(config_file)
    show = newsletter(tmp_path, "--config", cfg, "subscribers", "show", "a@example.com")
    listed = newsletter(tmp_path, "--config", cfg, "subscribers", "list", "--format", "json")
    for done in (show, listed):
        assert done.returncode == 0, done.stderr
        assert not set("\u202e\x9b\x7f\U000e0041") & set(done.stdout), done.stdout
        assert "\\u202e" in done.stdout and "\\udb40\\udc41" in done.stdout
        assert "José 🙂" in done.stdout  # printable text stays as it is
    assert json.loads(show.stdout)["subscriber"]["name"] == name
    assert json.loads(listed.stdout)[0]["name"] == name


def _on_a_terminal(cwd: Path, *args: str) -> str:
    """The command's standard output when it is a terminal (a pseudo-terminal here), read
    to its end."""
    controller, terminal = os.openpty()
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200"}
    with subprocess.Popen(
        [sys.executable, "-m", "newsletter", *args],
        stdout=terminal,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=env,
    ) as child:
        os.close(terminal)
        chunks = []
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the other end closed (Linux: EIO)
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert child.wait(timeout=60) == 0, child.stderr.read() if child.stderr else ""
    os.close(controller)
    return b"".join(chunks).decode("utf-8")


@pytest.mark.parametrize(
    "command",
    [["subscribers", "list", "--format", "csv"], ["subscribers", "export", "--format", "csv"]],
)
def test_a_csv_export_escapes_control_characters_on_a_terminal_only(
    tmp_path: Path, config_file: Path, command: list[str]
) -> None:
    """A CSV printed to a terminal showed a stored name's ``\\x1b]52;`` (which writes the
    clipboard) and ``\\r`` (which prints over the line) raw; piped or redirected, the export
    keeps the value exactly, as the import reads it back."""
    added = CliRunner().invoke(
        app, ["--config", str(config_file), "subscribers", "add", "a@example.com", "--name", "A"]
    )
    assert added.exit_code == 0, added.output
    raw = "Ann\x1b]52;c;Zm9v\x07\rX\u202eY"
    with sqlite3.connect(tmp_path / "newsletter.db") as db:
        db.execute("UPDATE subscribers SET name = ?", (raw,))
    shown = _on_a_terminal(tmp_path, "--config", str(config_file), *command)
    assert "\x1b" not in shown and "\u202e" not in shown and "\x07" not in shown
    assert "Ann\\x1b]52;c;Zm9v\\x07\\rX\\u202eY" in shown, shown
    piped = subprocess.run(  # bytes: text mode would read the \r as a line break
        [sys.executable, "-m", "newsletter", "--config", str(config_file), *command],
        capture_output=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
        check=False,
    )
    assert piped.returncode == 0, piped.stderr
    assert f'"{raw}"'.encode() in piped.stdout


def test_the_command_tunes_polars_allocator_before_polars_loads_unless_told(
    tmp_path: Path,
) -> None:
    """The command's process sets jemalloc's options (``config.ALLOCATOR``) when the command
    line is imported, before polars is (jemalloc reads them on its first allocation, when
    polars loads); a value the user's environment holds wins."""
    probe = (
        "import sys, os; import newsletter.cli; from newsletter.config import ALLOCATOR as a; "
        "print(os.environ.get(a[0]), 'polars' in sys.modules)"
    )

    def child(env: dict[str, str]) -> str:
        before = "import sys; import newsletter; assert 'polars' not in sys.modules; " + probe
        done = subprocess.run(
            [sys.executable, "-c", before],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env={**env, "PYTHONPATH": str(REPO)},
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    from newsletter.config import ALLOCATOR

    bare = {k: v for k, v in os.environ.items() if k != ALLOCATOR[0]}
    assert child(bare) == f"{ALLOCATOR[1]} False"  # set, and polars not loaded yet
    assert child({**bare, ALLOCATOR[0]: "narenas:1"}) == "narenas:1 False"
