"""End to end through the CLI: snapshots -> signals -> preview files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from newsletter.cli import app
from tests.conftest import REPO, posting

W1, W2 = date(2026, 11, 16), date(2026, 11, 23)


def test_signals_json_totals_match_independent_count(runner: CliRunner) -> None:
    snaps = REPO / "snapshots"
    result = runner.invoke(app, ["signals", "--snapshots", str(snaps), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    weeks = sorted(snaps.glob("*.parquet"))
    cur = set(pl.read_parquet(weeks[-1])["posting_id"].to_list())
    prev = set(pl.read_parquet(weeks[-2])["posting_id"].to_list())
    assert data["week"] == weeks[-1].stem
    assert data["previous_week"] == weeks[-2].stem
    assert data["totals"]["open"] == len(cur)
    assert data["totals"]["open_prev"] == len(prev)
    assert data["totals"]["new"] == len(cur - prev)
    assert data["totals"]["removed"] == len(prev - cur)


def test_preview_writes_html_and_text(
    runner: CliRunner,
    make_snapshots: Callable[[dict[date, list[dict[str, Any]]]], Path],
    tmp_path: Path,
) -> None:
    pay = {"salary_min": 150_000.0, "salary_max": 170_000.0, "salary_mid": 160_000.0}
    old = [posting(str(i), currency="USD", **pay) for i in range(40)]
    new = [*old[5:], *[posting(f"n{i}", skills=["PyTorch"]) for i in range(7)]]
    snaps = make_snapshots({W1: old, W2: new})
    out = tmp_path / "out" / "issue.html"
    result = runner.invoke(app, ["preview", "--snapshots", str(snaps), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert str(out) in result.stdout.strip().splitlines()[-1]
    html = out.read_text()
    text = out.with_suffix(".txt").read_text()
    assert "<mj-" not in html and "{{" not in html
    assert "to 42 (7 new and 5 removed)" in text  # 35 continuing + 7 new
    assert "$160,000" in text  # median of 35 disclosed postings


@pytest.mark.parametrize("week", ["not-a-date", "", " "])
def test_bad_week_is_one_line_nonzero(tmp_path: Path, week: str) -> None:
    """An empty --week (a script's unset variable) is refused too, never read as no --week
    (which means this week's issue to `send`)."""
    proc = subprocess.run(
        [sys.executable, "-m", "newsletter", "--config", str(REPO / "config.toml"),
         "signals", "--week", week],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0
    assert "YYYY-MM-DD" in proc.stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["bogus"], "No such command 'bogus'."),
        (["subscribers", "list", "--limt", "3"], "newsletter subscribers list --help')"),
        (["send", "--workers", "many"], "Invalid value for '--workers'"),
        (["signals", "--week"], "Option '--week' requires an argument."),
    ],
)
def test_a_usage_error_is_one_line_with_the_help_to_see(args: list[str], said: str) -> None:
    """An unknown command or option, a value of the wrong type, a missing value: one line on
    stderr (no usage block, no box) and exit 2, through the installed entry point."""
    proc = subprocess.run(
        [sys.executable, "-m", "newsletter", *args], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("error: ") and proc.stderr.strip().count("\n") == 0
    assert said in proc.stderr


def test_missing_config_key_named(tmp_path: Path) -> None:
    bad = tmp_path / "c.toml"
    bad.write_text('[delivery.smtp]\nsecurity = "ssl"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "newsletter", "--config", str(bad), "signals"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "delivery.smtp.security" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_error_text_with_brackets_is_printed_verbatim(tmp_path: Path) -> None:
    """Rich markup must not eat parts of an error message such as `[ingest.columns]`."""
    raw = tmp_path / "no-title.csv"
    raw.write_text("a,b\n1,2\n")
    proc = subprocess.run(
        [sys.executable, "-m", "newsletter", "ingest", str(raw), "--week", "2026-11-23",
         "--snapshots", str(tmp_path / "snaps")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode != 0
    assert "[ingest.columns]" in proc.stderr
    assert not (tmp_path / "snaps").exists()


def test_error_text_with_colons_is_not_read_as_emoji_codes(tmp_path: Path) -> None:
    """Rich turns ``:x:`` into an emoji by default: the board ``greenhouse:x`` read
    "error: greenhouse\u274c company ... is required", a name the user never typed."""
    config = tmp_path / "config.toml"
    config.write_text("")
    proc = subprocess.run(
        [sys.executable, "-m", "newsletter", "--config", str(config),
         "sources", "add", "greenhouse:x"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: greenhouse:x: ")
    assert "\u274c" not in proc.stderr


def test_config_sections_named_in_help_are_printed_not_eaten_as_markup() -> None:
    """Rich reads an unescaped ``[delivery]`` in a help text as a style tag and drops it
    ("Default:  workers."): every config section a help names is escaped."""
    import re

    import typer.main

    from newsletter.config import Config

    sections = "|".join(n for n in Config.model_fields if n != "path")
    bare = re.compile(rf"(?<!\\)\[(?:{sections})\]")
    found = []

    def walk(cmd: Any, name: str) -> None:  # typer's own click: no click.Group to test
        texts = [cmd.help or "", *(getattr(p, "help", None) or "" for p in cmd.params)]
        found.extend(f"{name}: {m.group(0)}" for t in texts for m in bare.finditer(t))
        for sub_name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, f"{name} {sub_name}")

    walk(typer.main.get_command(app), "newsletter")
    assert found == []


def test_a_test_copy_takes_no_dry_run_limit_or_workers(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--dry-run promises nothing is sent; with --to it sent the copy all the same."""
    monkeypatch.chdir(tmp_path)
    for extra in (["--dry-run"], ["--limit", "1"], ["--workers", "2"]):
        result = runner.invoke(app, ["send", "--to", "x@example.com", *extra])
        assert result.exit_code != 0 and "takes no --dry-run, --limit or --workers" in (
            result.output
        ), result.output


def test_a_read_only_command_in_the_wrong_folder_creates_no_database(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """'subscribers count' with no config.toml here made ./state/newsletter.db and said
    'total: 0': now it says there is no database, and which config it used."""
    monkeypatch.chdir(tmp_path)
    for args in (["count"], ["list"], ["show", "a@example.com"], ["export"]):
        result = runner.invoke(app, ["subscribers", *args])
        assert result.exit_code == 1, result.output
        assert "no database at" in result.output and "built-in defaults" in result.output
    assert not (tmp_path / "state").exists()
    assert runner.invoke(app, ["subscribers", "add", "a@example.com"]).exit_code == 0
    assert runner.invoke(app, ["subscribers", "count"]).exit_code == 0


def test_every_command_and_group_has_an_example_in_its_help() -> None:
    """The README: "Every command has `--help` with an example" (the alerts and admin
    groups had none)."""
    import typer.main

    missing: list[str] = []

    def walk(cmd: Any, name: str) -> None:  # typer's own click: no click.Group to test
        if not cmd.hidden and "Example:" not in (cmd.help or ""):
            missing.append(name)
        for sub_name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, f"{name} {sub_name}")

    walk(typer.main.get_command(app), "newsletter")
    assert missing == []


def test_reader_picks_without_a_subscriber_are_refused(runner: CliRunner, tmp_path: Path) -> None:
    """--metro, --category, --seniority and --name shape one reader's copy: without
    --subscriber they were ignored, and the default issue written as if filtered."""
    out = tmp_path / "issue.html"
    result = runner.invoke(
        app,
        [
            "preview",
            "--snapshots",
            str(REPO / "snapshots"),
            "--metro",
            "Seattle",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "error: --metro shapes one reader's copy: give --subscriber EMAIL too\n"
    )
    assert not out.exists()


def _cli_in(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``newsletter ARGS`` in ``cwd``, from this tree."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "newsletter", *args],
        cwd=cwd, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["preview", "--snapshots", str(REPO / "snapshots"), "--out", "afile/x.html"],
         "afile is a file, not a folder"),
        (["preview", "--snapshots", str(REPO / "snapshots"), "--out", "afile/deeper/x.html"],
         "afile is a file, not a folder"),
        (["archive", "--out", "afile/site"], "afile is a file, not a folder"),
        (["archive", "--out", "afile"], "afile is a file, not a folder"),
        (["subscribers", "export", "--out", "afile/list.csv"], "afile is a file, not a folder"),
        (["subscribers", "export", "--out", "."], ". is a folder, not a file: give a file name"),
        (["subscribers", "import", "list.csv", "--rejects", "afile/r.csv"],
         "afile is a file, not a folder"),
        (["ingest", "list.csv", "--week", "2026-11-23", "--snapshots", "afile/snaps"],
         "afile is a file, not a folder"),
        (["collect", "--week", "2026-11-23", "--snapshots", "afile"],
         "afile is a file, not a folder"),
    ],
)  # fmt: skip
def test_an_output_path_through_a_file_is_refused_in_one_line(
    tmp_path: Path, config_file: Path, args: list[str], said: str
) -> None:
    """`--out afile/x.html` with afile a file read "File exists: afile" (the system's words
    for the folder it could not make); every command writing where it is told says what
    is wrong, in one line, before doing any work."""
    (tmp_path / "afile").write_text("not a folder\n", encoding="utf-8")
    (tmp_path / "list.csv").write_text("email\nok@example.com\n", encoding="utf-8")
    proc = _cli_in(tmp_path, "--config", str(config_file), *args)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == f"error: {said}\n"
    assert (tmp_path / "afile").read_text(encoding="utf-8") == "not a folder\n"
    assert not (tmp_path / "newsletter.db").exists()  # refused before any work


def test_help_texts_match_what_the_commands_do() -> None:
    """A new user's reading of the helps: the subscribers group named every subcommand but
    resubscribe; ingest --profile listed its stages in another order than the table prints
    them (timing.STAGES); preview --out says what a folder gets (tests/test_paths_cli.py)."""
    import typer.main

    from newsletter.data.ingest.timing import STAGES

    root = typer.main.get_command(app)
    group = root.commands["subscribers"]  # type: ignore[attr-defined]
    named = (group.help or "").split("\n\n")[0]
    assert [c for c in group.commands if c not in named] == []

    def option_help(command: str, flag: str) -> str:
        cmd = root.commands[command]  # type: ignore[attr-defined]
        return next(p.help for p in cmd.params if flag in getattr(p, "opts", ()))

    assert f"({', '.join(STAGES)})" in option_help("ingest", "--profile")
    assert "a folder (an existing one, or one ending in /) gets issue.html in it" in (
        option_help("preview", "--out")
    )


@pytest.mark.parametrize(
    "args",
    [
        ["send", "--to", "x@example.com", "--dry-run"],
        ["send", "--to", "x@example.com", "--limit", "1"],
        ["send", "--catch-up", "--week", "2026-11-23"],
        ["send", "--catch-up", "--dry-run"],
    ],
    ids=["to-dry-run", "to-limit", "catch-up-week", "catch-up-dry-run"],
)
def test_send_options_that_exclude_each_other_are_a_usage_error(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    """Options that cannot go together exited 1, as a send that failed does, where
    ``preview --name`` without ``--subscriber`` and every other usage error exit 2: a
    cron wrapper could not tell a wrong command line from a failed send. Exit 2, one line,
    nothing made."""
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: --") and result.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
