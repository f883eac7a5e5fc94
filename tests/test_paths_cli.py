"""Output paths as a new user types them: a folder given with a trailing "/", a folder
that is missing, a file's twin that is a folder, an empty path."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.cli._app import CliState
from newsletter.util.clock import FixedClock
from tests.conftest import REPO, posting

W1, W2 = date(2026, 11, 16), date(2026, 11, 23)


@pytest.fixture
def snaps(make_snapshots: Callable[[dict[date, list[dict[str, Any]]]], Path]) -> Path:
    rows = [posting(str(i)) for i in range(30)]
    return make_snapshots({W1: rows, W2: rows[3:]})


def _preview(runner: CliRunner, snaps: Path, out: str) -> Any:
    return runner.invoke(app, ["preview", "--snapshots", str(snaps), "--out", out])


@pytest.mark.parametrize("given", ["p2/", "new/deeper/", "exists/"])
def test_a_preview_out_ending_in_a_slash_is_a_folder_existing_or_not(
    runner: CliRunner, snaps: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    """``--out p2/`` wrote p2.html and p2.txt beside the folder the user named (the "/" was
    lost when the option became a Path); a folder with a trailing "/" gets issue.html and
    issue.txt inside it, made when missing, as an existing folder did."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "exists").mkdir()
    result = _preview(runner, snaps, given)
    assert result.exit_code == 0, result.output
    folder = tmp_path / given
    assert result.stdout.strip().splitlines()[-1] == str(Path(given) / "issue.html")
    assert sorted(p.name for p in folder.iterdir()) == ["issue.html", "issue.txt"]
    assert not (tmp_path / f"{given.rstrip('/')}.html").exists()


def test_a_preview_whose_text_twin_is_a_folder_writes_neither(
    runner: CliRunner, snaps: Path, tmp_path: Path
) -> None:
    """With ``issue.txt`` a folder, the HTML was written, then the twin failed with the
    system's words naming a temporary file ("Is a directory: .issue.txt.9f3c.tmp"): one
    line naming the folder now, before any work, and no file written."""
    folder = tmp_path / "tx"
    (folder / "issue.txt").mkdir(parents=True)
    result = _preview(runner, snaps, str(folder / "issue.html"))
    assert result.exit_code == 1
    assert (
        result.stderr
        == f"error: {folder / 'issue.txt'} is a folder, not a file: give a file name\n"
    )
    assert sorted(p.name for p in folder.iterdir()) == ["issue.txt"]


def test_a_preview_pair_is_written_both_or_neither(tmp_path: Path) -> None:
    """The library's writer alone (a caller with no CLI check): a twin it cannot write
    leaves no HTML behind and no temporary file."""
    from newsletter.edition.preview import write_preview
    from newsletter.models import IssueContent

    (tmp_path / "issue.txt").mkdir()
    issue = IssueContent(subject="s", html="<p>x</p>", text="x")
    with pytest.raises(IsADirectoryError):
        write_preview(issue, tmp_path / "issue.html")
    assert [p.name for p in tmp_path.iterdir()] == ["issue.txt"]


@pytest.fixture
def refused(
    runner: CliRunner, config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[list[str]], str]:
    """Run ``newsletter ARGS`` in a folder holding list.csv; check it is a usage error in
    one line that writes nothing, and return that line."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "list.csv").write_text("email,title\nok@example.com,x\n", encoding="utf-8")

    def run(args: list[str]) -> str:
        before = sorted(p.name for p in tmp_path.iterdir())
        result = runner.invoke(app, ["--config", str(config_file), *args])
        assert result.exit_code == 2, result.output
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
        assert sorted(p.name for p in tmp_path.iterdir()) == before
        return str(result.stderr)

    return run


@pytest.mark.parametrize(
    "args",
    [
        ["subscribers", "export", "--out", "exports/"],
        ["subscribers", "import", "list.csv", "--rejects", "bad/"],
    ],
)
def test_a_file_output_ending_in_a_slash_is_a_usage_error(
    refused: Callable[[list[str]], str], args: list[str]
) -> None:
    """``subscribers export --out exports/`` wrote the list to a file named ``exports``:
    a path ending in "/" names a folder, where the option takes a file."""
    line = refused(args)
    assert line.startswith(f"error: Invalid value for '{args[-2]}': ")
    assert "names a folder: give a file name" in line


@pytest.mark.parametrize(
    "args",
    [
        ["preview", "--out", ""],
        ["archive", "--out", " "],
        ["ingest", "list.csv", "--week", "2026-11-23", "--snapshots", ""],
        ["collect", "--snapshots", ""],
        ["subscribers", "export", "--out", ""],
    ],
)
def test_an_empty_output_path_is_refused_not_read_as_here(
    refused: Callable[[list[str]], str], args: list[str]
) -> None:
    """An empty path (a script's unset variable) was the current folder: ``archive --out
    ""`` wrote the archive's pages among the user's files."""
    assert "an empty path: give a" in refused(args)


@pytest.mark.parametrize("stem", ["a" * 246, "é" * 123], ids=["ascii", "two-byte letters"])
def test_a_long_file_name_that_fits_is_written_though_its_temporary_name_would_not(
    runner: CliRunner, snaps: Path, config_file: Path, tmp_path: Path, stem: str
) -> None:
    """A file is written to ``.<name>.<12 hex>.tmp`` and renamed: an output name of 250
    bytes (the file system takes 255) failed with "File name too long" for that temporary
    name's length (``preview`` even named the hidden file, which the user never typed). The
    temporary name is cut to fit; the file gets the name given, no temporary file is left."""
    listed = tmp_path / f"{stem}.csv"
    add = ["--config", str(config_file), "subscribers", "add", "ada@example.com"]
    assert runner.invoke(app, add).exit_code == 0
    res = runner.invoke(
        app, ["--config", str(config_file), "subscribers", "export", "--out", str(listed)]
    )
    assert res.exit_code == 0, res.output
    assert listed.read_text(encoding="utf-8").startswith('"email"')
    html = tmp_path / "p" / f"{stem}.html"
    res = _preview(runner, snaps, str(html))
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in html.parent.iterdir()) == [f"{stem}.html", f"{stem}.txt"]
    assert not list(tmp_path.rglob("*.tmp"))


@pytest.mark.parametrize(
    ("args", "bad"),
    [
        (["preview", "--out", "p\x1b[31mred/x\nnl.html"], "'\\x1b'"),
        (["preview", "--out", "p\u202elmth.exe/"], "'\\u202e'"),
        (["archive", "--out", "arch\x1b[2J"], "'\\x1b'"),
        (["ingest", "list.csv", "--week", "2026-11-23", "--snapshots", "s\nt"], "'\\n'"),
        (["collect", "--snapshots", "s\x07"], "'\\x07'"),
        (["subscribers", "export", "--out", "e\x9b2J.csv"], "'\\x9b'"),
        (["subscribers", "import", "list.csv", "--rejects", "r\tx.csv"], "'\\t'"),
    ],
    ids=["preview", "preview-bidi", "archive", "ingest", "collect", "export", "rejects"],
)
def test_an_output_path_with_a_character_that_does_not_print_as_itself_is_refused(
    refused: Callable[[list[str]], str], args: list[str], bad: str
) -> None:
    """``preview --out $'p\\e[31mred/x\\nnl.html'`` wrote its files and printed the path raw
    as its last line: on a terminal the escape sequence recoloured (or cleared) it, piped
    the sequence was stripped and the line break split the path, so a script read "nl.html",
    no file it wrote. Such a path is a usage error now, naming the character, and nothing is
    written."""
    line = refused(args)
    assert line.startswith(f"error: Invalid value for '{args[-2]}': the path holds {bad}, ")
    assert "\x1b" not in line and "\x9b" not in line


def test_a_printed_path_from_the_config_shows_its_control_characters_as_escapes(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The archive's default folder comes from the config's folder, which no option check
    sees: a folder named with an escape sequence was printed raw as the last line (a
    terminal ran it; a pipe lost it, a path that is not the file's). It prints with the
    sequence as ``\\x1b`` now, and the files are where the config says."""
    home = tmp_path / "cfg\x1b[2Jdir"
    home.mkdir()
    (home / "config.toml").write_text(
        f'[data]\nsnapshots_dir = "{REPO / "snapshots"}"\nstate_dir = "state"\n', encoding="utf-8"
    )
    monkeypatch.chdir(home)
    clock = FixedClock(datetime(2026, 11, 30, 12, tzinfo=UTC))
    result = runner.invoke(app, ["archive"], obj=CliState(clock=clock), color=True)
    assert result.exit_code == 0, result.output
    index = home / "state" / "archive" / "index.html"
    assert index.is_file()
    last = result.stdout.splitlines()[-1]
    assert last == str(index).replace("\x1b", "\\x1b")
    assert "\x1b" not in result.stdout


@pytest.fixture
def unwritable(tmp_path: Path) -> Iterator[Path]:
    """A folder no file can be made in: its mode 0o555, and for root (whom modes do not
    stop) the immutable attribute; skipped where neither holds (root on a file system
    without ``chattr``)."""
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    immutable = False
    try:
        probe = folder / "probe"
        try:
            probe.touch()
        except PermissionError:
            pass
        else:
            probe.unlink()
            immutable = (
                subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False)
                .returncode == 0
            )  # fmt: skip
            if not immutable:
                pytest.skip("no folder here refuses root's files (no chattr +i on this system)")
        yield folder
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)


@pytest.mark.parametrize("out", ["locked/", "locked/x.html"])
def test_an_output_folder_it_may_not_write_in_is_named_by_the_file_not_its_temporary_name(
    runner: CliRunner, snaps: Path, unwritable: Path, monkeypatch: pytest.MonkeyPatch, out: str
) -> None:
    """``preview --out locked/`` in a folder it may not write in said "Permission denied:
    locked/.issue.html.1c410a267af6.tmp", a hidden name the user never typed; the error
    names the file the command was writing, and nothing is left behind."""
    monkeypatch.chdir(unwritable.parent)
    res = _preview(runner, snaps, out)
    assert res.exit_code == 1, res.output
    target = "locked/issue.html" if out.endswith("/") else out
    assert res.stderr.startswith("error: ") and res.stderr.endswith(f": {target}\n"), res.stderr
    assert ".tmp" not in res.stderr and res.stderr.count("\n") == 1
    assert list(unwritable.iterdir()) == []
