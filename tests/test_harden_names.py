"""Names read from a snapshot are untrusted text on every way out: a snapshot is a file, and
whatever wrote it (an older version, another tool, a hand edit), a skill or company name
holding an escape sequence, a line break or a bidi override must neither stop the issue
(MJML's XML parser refuses control characters) nor reach a terminal or a plain-text line."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from newsletter.cli import app
from tests.conftest import REPO

HOSTILE = ["\x1b[2J\x1b[31mRED", "Line1\nLine2", "\u202etxt.exe"]
CONTROL = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)]


def _snapshots(tmp_path: Path) -> Path:
    """The bundled weeks, the latest one with hostile names in every skill list and company."""
    folder = tmp_path / "snaps"
    shutil.copytree(REPO / "snapshots", folder)
    latest = sorted(folder.glob("*.parquet"))[-1]
    frame = pl.read_parquet(latest)
    frame.with_columns(
        skills=pl.col("skills").list.concat(pl.lit(HOSTILE, dtype=pl.List(pl.String))),
        company=pl.lit("\x1b[31mEvil\nCorp\u202e"),
    ).write_parquet(latest)
    return folder


def test_hostile_names_in_a_snapshot_render_as_one_clean_line(
    runner: CliRunner, tmp_path: Path
) -> None:
    snaps = _snapshots(tmp_path)
    out = tmp_path / "issue.html"
    result = runner.invoke(app, ["preview", "--snapshots", str(snaps), "--out", str(out)])
    assert result.exit_code == 0, result.output
    html, text = out.read_text(), out.with_suffix(".txt").read_text()
    for part in (html, text):
        assert not [c for c in CONTROL if c in part]
        assert "\u202e" not in part
    assert "[2J[31mRED" in html and "Line1 Line2" in html and "Evil Corp" in html
    assert not any(line.startswith(("Line2", "Corp")) for line in text.splitlines())

    table = runner.invoke(app, ["signals", "--snapshots", str(snaps), "--format", "table"])
    assert table.exit_code == 0, table.output
    assert "\x1b" not in table.stdout and "[31mRED" in table.stdout


def test_every_printed_value_loses_its_control_characters() -> None:
    """The templates' last line of defence (Jinja's finalize), whatever the value's origin."""
    from markupsafe import Markup

    from newsletter.edition.render import neutralize

    assert neutralize("a\x1b[2Jb\x00c\x7fd\x85e\tf\ng") == "a[2Jbcde\tf\ng"
    kept = neutralize(Markup("<b>x\x1by</b>"))
    assert isinstance(kept, Markup) and kept == Markup("<b>xy</b>")
