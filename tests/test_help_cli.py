"""Every command's ``--help`` as a new user reads it, at 80 and at 60 columns.

What "reads well" means here, checkably:

- it renders (exit 0, a usage line) and no cell is cut short with an ellipsis;
- no paragraph breaks mid-sentence: the terminal library wraps each paragraph, so a line
  followed by more of the same paragraph ends only where the next word would not fit
  (a docstring's own line breaks, kept by Typer's "rich" mode, broke lines half-way:
  "the\\n snapshot, rejects and report ... replace the week's\\n files atomically");
- every paragraph but an example ends a sentence (".", "!" or "?"), and so does each
  command's one-line summary in its group's list.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.cli._app import reflowed
from tests.conftest import REPO

WIDTHS = (80, 60)
ENDS = (".", "!", "?")


def _commands() -> list[list[str]]:
    found: list[list[str]] = []

    def walk(cmd: Any, path: list[str]) -> None:  # typer's own click: no click.Group
        found.append(path)
        for name, sub in getattr(cmd, "commands", {}).items():
            if not sub.hidden:
                walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


def _fits(line: str, after: str, width: int) -> bool:
    """Whether the next line's first word would have fitted after ``line``: a wrap that
    did not need to happen there (a hard line break)."""
    word = (after.split(maxsplit=1) or [""])[0]
    return len(line.rstrip()) + 1 + len(word) <= width


def _paragraph_problems(text: str, width: int) -> list[str]:
    """The description between the usage and the first panel, paragraph by paragraph."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("Usage:"))
    body: list[str] = []
    for line in lines[start:]:
        if line.lstrip().startswith("╭"):
            break
        body.append(line.rstrip())
    paragraphs: list[list[str]] = [[]]
    for line in body:
        if line.strip():
            paragraphs[-1].append(line.strip())
        elif paragraphs[-1]:
            paragraphs.append([])
    problems = []
    for para in [p for p in paragraphs[1:] if p]:  # the first: the usage line
        for line, after in pairwise(para):
            if _fits(line, after, width - 2):  # one space of padding on each side
                problems.append(f"broken after {line!r}")
        if not para[0].startswith("Example") and not para[-1].endswith(ENDS):
            problems.append(f"paragraph ends mid-sentence: {para[-1]!r}")
    return problems


def _summary_problems(text: str) -> list[str]:
    """The Commands panel: each command's summary wraps only where it must and ends a
    sentence."""
    lines = text.splitlines()
    try:
        top = next(i for i, line in enumerate(lines) if line.startswith("╭─ Commands"))
    except StopIteration:
        return []
    rows: list[list[str]] = []
    start = 0
    for line in lines[top + 1 :]:
        if line.startswith("╰"):
            break
        inner = line[2:-2]  # inside the borders and their padding
        if inner[:1].strip():  # a command's name: a new row
            start = name.end() if (name := re.match(r"\S+\s+", inner)) else 0
            rows.append([])
        rows[-1].append(inner[start:].rstrip())
        width = len(inner) - start
    problems = []
    for row in rows:
        for line, after in pairwise(row):
            if _fits(line, after, width):
                problems.append(f"summary broken after {line!r}")
        if not row[-1].endswith(ENDS):
            problems.append(f"summary ends mid-sentence: {row[-1]!r}")
    return problems


@pytest.mark.parametrize("width", WIDTHS)
def test_every_help_renders_whole_and_unbroken(width: int) -> None:
    runner = CliRunner()
    problems: list[str] = []
    for path in _commands():
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": str(width)})
        name = " ".join(["newsletter", *path])
        assert result.exit_code == 0, (name, result.output)
        assert result.exception is None, (name, result.exception)
        out = result.stdout
        assert "Usage:" in out, name
        assert max(len(line) for line in out.splitlines()) <= width, name
        if "…" in out:
            problems.append(f"{name}: a cell cut short: {out[out.index('…') - 40 :][:60]!r}")
        problems += [f"{name}: {p}" for p in _paragraph_problems(out, width)]
        problems += [f"{name}: {p}" for p in _summary_problems(out)]
    assert problems == []


def test_the_check_finds_a_hard_break_and_an_unfinished_paragraph() -> None:
    """The rule above, tried on a help written the way that broke: a docstring's wrapped
    lines kept as they are, and a paragraph that stops half-way."""
    broken = (
        " Usage: newsletter x [OPTIONS]\n\n Do a thing.\n\n"
        " Raw answers are kept in DIR/raw/; the\n snapshot is built and\n\n"
        " Example: newsletter x\n"
    )
    assert len(_paragraph_problems(broken, 80)) == 2
    cells = [
        "serve  Serve the pages (and the editors'",
        "       approve links).",
        "check  Evaluate the alert conditions now and then send",
        "       them",
    ]
    panel = "\n".join(
        ["╭─ Commands " + "─" * 48 + "╮", *(f"│ {c:<56} │" for c in cells), "╰" + "─" * 58 + "╯"]
    )
    assert _summary_problems(panel) == [
        'summary broken after "Serve the pages (and the editors\'"',
        "summary ends mid-sentence: 'them'",
    ]


def test_reflowed_joins_the_lines_of_each_paragraph_only() -> None:
    text = "One line\nand more.\n\n    Indented\n    too.\n\n\bKept\nas written."
    assert reflowed(text) == "One line and more.\n\nIndented too.\n\n\bKept\nas written."
    assert reflowed(None) is None


@pytest.mark.parametrize("args", [[], ["subscribers"], ["alerts"]])
def test_a_group_without_a_command_prints_its_help_and_no_empty_error(
    args: list[str], tmp_path: Path
) -> None:
    """``newsletter`` alone printed the help, then "error: (see 'newsletter --help')": the
    usage error Click raises to show the help has no message of its own."""
    proc = subprocess.run(
        [sys.executable, "-m", "newsletter", *args],
        capture_output=True, text=True, check=False, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert proc.returncode == 2
    assert "Usage:" in proc.stdout and "Commands" in proc.stdout
    assert proc.stderr == ""
