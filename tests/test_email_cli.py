"""`newsletter preview --subscriber` and `newsletter archive` through the CLI."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsletter.audience.tokens import TokenSigner
from newsletter.cli import app
from newsletter.cli._app import CliState
from newsletter.config import DEV_SECRET_KEY
from newsletter.util.clock import FixedClock
from tests.conftest import NOW, REPO

SNAPS = str(REPO / "snapshots")


def test_preview_as_subscriber_has_signed_links_and_filters(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config_file: Path
) -> None:
    monkeypatch.delenv("NEWSLETTER_SECRET_KEY", raising=False)
    out = tmp_path / "issue.html"
    args = ["--config", str(config_file), "preview", "--snapshots", SNAPS, "--out", str(out),
            "--subscriber", "d@example.com",
            "--name", "Dana Scully", "--metro", "Paris"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    html, text = out.read_text(), out.with_suffix(".txt").read_text()
    assert "Hi Dana," in html and "Hi Dana," in text
    token = re.search(r"/unsubscribe/([^\s\"]+)", text)
    assert token is not None
    assert TokenSigner(DEV_SECRET_KEY).verify("unsubscribe", token.group(1)).subscriber_id == 0


def test_preview_name_is_cleaned_as_a_sign_up_name_is(
    runner: CliRunner, tmp_path: Path, config_file: Path
) -> None:
    """``--name`` is untrusted text like any name: a bidi override and a zero-width space
    never reach the greeting (audience.sanitize.clean_name, as for sign-ups and imports)."""
    out = tmp_path / "issue.html"
    args = ["--config", str(config_file), "preview", "--snapshots", SNAPS, "--out", str(out),
            "--subscriber", "d@example.com", "--name", "\u202eDa\u200bna Scully"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    text = out.with_suffix(".txt").read_text()
    assert "Hi Dana," in text
    assert "\u202e" not in text and "\u200b" not in text


def test_preview_of_a_stored_subscriber_uses_their_name_picks_and_id(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config_file: Path
) -> None:
    monkeypatch.delenv("NEWSLETTER_SECRET_KEY", raising=False)
    cfg = ["--config", str(config_file)]
    added = runner.invoke(
        app, [*cfg, "subscribers", "add", "Fox@Example.com", "--name", "Fox Mulder",
              "--seniority", "entry"],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    shown = runner.invoke(app, [*cfg, "subscribers", "show", "fox@example.com"])
    sid = json.loads(shown.stdout)["subscriber"]["id"]
    out = tmp_path / "fox.html"
    result = runner.invoke(
        app, [*cfg, "preview", "--out", str(out), "--subscriber", "FOX@example.com"]
    )
    assert result.exit_code == 0, result.output
    text = out.with_suffix(".txt").read_text()
    assert "Hi Fox," in text
    token = re.search(r"/unsubscribe/([^\s\"]+)", text)
    assert token is not None
    assert TokenSigner(DEV_SECRET_KEY).verify("unsubscribe", token.group(1)).subscriber_id == sid


def test_a_pick_the_issue_never_uses_is_refused_with_the_closest_one(
    runner: CliRunner, tmp_path: Path, config_file: Path
) -> None:
    """A misspelled pick matched nothing: the reader got empty sections every week."""
    cfg = ["--config", str(config_file)]
    added = runner.invoke(app, [*cfg, "subscribers", "add", "t@example.com", "--metro", "Seatle"])
    assert added.exit_code != 0
    assert "'Seatle' is not a metro the issue knows (did you mean 'Seattle'?)" in added.output
    out = str(tmp_path / "i.html")
    args = ["preview", "--out", out, "--subscriber", "t@example.com", "--category", "Data Scientst"]
    shown = runner.invoke(app, [*cfg, *args])
    assert shown.exit_code != 0 and "did you mean 'Data Scientist'?" in shown.output
    ok = runner.invoke(app, [*cfg, "subscribers", "add", "u@example.com", "--metro", "seattle"])
    assert ok.exit_code == 0, ok.output
    stored = json.loads(runner.invoke(app, [*cfg, "subscribers", "show", "u@example.com"]).stdout)
    assert stored["subscriber"]["preferences"]["metros"] == ["Seattle"]  # the known spelling
    # everyday words for a level are the level ("junior" got "did you mean 'senior'?")
    word = runner.invoke(
        app, [*cfg, "subscribers", "add", "v@example.com", "--seniority", "Junior"]
    )
    assert word.exit_code == 0, word.output
    shown = json.loads(runner.invoke(app, [*cfg, "subscribers", "show", "v@example.com"]).stdout)
    assert shown["subscriber"]["preferences"]["seniority"] == ["entry"]


def test_screenshot_skips_cleanly_without_a_browser(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    out = tmp_path / "issue.html"
    result = runner.invoke(
        app, ["preview", "--snapshots", SNAPS, "--out", str(out), "--screenshot"]
    )
    assert result.exit_code == 0, result.output
    assert "screenshots skipped: no headless Chromium found" in result.output
    assert out.exists() and not list(tmp_path.glob("*.png"))


def test_preview_into_a_folder_writes_issue_html_inside_it(
    runner: CliRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "previews"
    folder.mkdir()
    result = runner.invoke(app, ["preview", "--snapshots", SNAPS, "--out", str(folder)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == ["issue.html", "issue.txt"]
    assert not list(tmp_path.glob("previews.*"))  # nothing beside the folder


def test_archive_writes_a_page_per_week_and_an_index(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "site"
    # the archive publishes the weeks whose issue is due by now: all of them a day after NOW
    args = ["archive", "--snapshots", SNAPS, "--out", str(out)]
    result = runner.invoke(app, args, obj=CliState(clock=FixedClock(NOW + timedelta(days=1))))
    assert result.exit_code == 0, result.output
    weeks = sorted(p.stem for p in (REPO / "snapshots").glob("*.parquet"))
    assert sorted(p.stem for p in out.glob("2*.html")) == weeks
    index = (out / "index.html").read_text()
    links = re.findall(r'href="(\d{4}-\d{2}-\d{2}\.html)"', index)
    assert links == [f"{w}.html" for w in reversed(weeks)]  # newest first, all linked
    page = (out / f"{weeks[-1]}.html").read_text()
    assert "/unsubscribe/" not in page and "Subscribe</a>" in page
    first = (out / f"{weeks[0]}.txt").read_text()
    assert "first issue" in first  # no earlier week to compare with
    assert str(out / "index.html") in result.stdout


def test_archive_without_snapshots_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["archive", "--snapshots", str(tmp_path / "none")])
    assert result.exit_code != 0
    assert "does not exist" in result.output and "Traceback" not in result.output


def test_paths_and_databases_that_cannot_be_used_are_one_line(
    runner: CliRunner, tmp_path: Path, config_file: Path
) -> None:
    """A file where a folder should be, or a file that is no database: one line, exit 1."""
    (tmp_path / "afile").write_text("a file, not a folder")
    res = runner.invoke(app, ["--config", str(config_file), "preview", "--out",
                              str(tmp_path / "afile" / "issue.html")])  # fmt: skip
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit), res.output
    assert res.stderr.startswith("error:") and res.stderr.count("\n") == 1
    assert str(tmp_path / "afile") in res.stderr
    not_db = tmp_path / "notdb.txt"
    not_db.write_text("hello, not SQLite\n" * 100)
    cfg = tmp_path / "bad-db.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{not_db}"\n', encoding="utf-8")
    res = runner.invoke(app, ["--config", str(cfg), "subscribers", "count"])
    assert res.exit_code != 0 and isinstance(res.exception, SystemExit), res.output
    assert "cannot open database" in res.stderr and "file is not a database" in res.stderr
