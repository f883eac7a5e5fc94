"""Untrusted values in error and warning lines (paths, addresses, a list's cells, config
paths): a control or invisible character is shown as its escape (``\\x1b``), never dropped
(the line then names another value than the one that is wrong) and never raw."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.cli._app import warn
from newsletter.util.text import message_line, shown_value

ESC = "\x1b[31m"


def test_shown_value_escapes_every_unprintable_character_and_is_bounded() -> None:
    assert shown_value(f"a{ESC}b\nc\u202ed\t") == "a\\x1b[31mb\\nc\\u202ed\\t"
    assert shown_value("plain José") == "plain José"
    assert shown_value("x" * 10_000, 50) == "x" * 49 + "…"
    assert shown_value("\x07" * 10_000, 50).endswith("…")
    assert len(shown_value("\x07" * 10_000, 50)) == 50


def test_a_message_line_escapes_controls_and_folds_whitespace() -> None:
    assert message_line(f"no file /srv/{ESC}db\n  (see\tabove)", 200) == (
        "no file /srv/\\x1b[31mdb (see above)"
    )
    assert message_line("y" * 500, 100) == "y" * 99 + "…"


def test_a_warning_never_prints_an_escape_sequence(capsys: pytest.CaptureFixture[str]) -> None:
    warn(f"the web archive was not updated (cannot write /srv/{ESC}x\x1b[2J)")
    err = capsys.readouterr().err
    assert "\x1b" not in err
    assert "/srv/\\x1b[31mx\\x1b[2J" in err


def test_a_missing_database_is_named_with_its_escape(tmp_path: Path, runner: CliRunner) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/\\u001b[31mn.db"\n', encoding="utf-8")
    res = runner.invoke(app, ["--config", str(cfg), "subscribers", "count"])
    assert res.exit_code == 1
    assert "\x1b" not in res.stderr
    assert f"no database at {tmp_path}/\\x1b[31mn.db" in res.stderr  # not .../[31mn.db


def test_a_missing_config_file_is_named_with_its_escapes(tmp_path: Path, runner: CliRunner) -> None:
    res = runner.invoke(app, ["--config", str(tmp_path / f"a{ESC}\nb.toml"), "status"])
    assert res.exit_code == 2
    assert f"config file {tmp_path}/a\\x1b[31m\\nb.toml does not exist" in res.stderr


def test_a_bad_status_cell_is_shown_as_it_is(tmp_path: Path, config_file: Path) -> None:
    """``act\\x1bive`` is no status: the reason said "unknown status 'active'" (the ESC
    dropped), a status that is valid."""
    listing = tmp_path / "list.csv"
    listing.write_text("email,status\na@example.com,act\x1bive\n", encoding="utf-8")
    res = CliRunner().invoke(
        app, ["--config", str(config_file), "subscribers", "import", str(listing), "--dry-run"]
    )
    assert "\x1b" not in res.output + res.stderr
    assert "unknown status 'act\\x1bive'" in res.output, res.output


def test_a_header_without_email_is_named_as_it_is(tmp_path: Path, config_file: Path) -> None:
    listing = tmp_path / "list.csv"
    listing.write_text("mail\x07,name\na@example.com,A\n", encoding="utf-8")
    res = CliRunner().invoke(
        app, ["--config", str(config_file), "subscribers", "import", str(listing)]
    )
    assert res.exit_code == 1
    assert "(header: mail\\x07, name)" in res.stderr  # not "mail, name"
