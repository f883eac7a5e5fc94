"""A new user's wrong inputs, command by command: each is one ``error:`` line on stderr and
a non-zero exit (2 for a usage error), never a traceback, and nothing written.

Unreadable files (chmod 000) are left out: the tests may run as root, who reads them."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsletter.cli import app

#: (what it is, the arguments after ``--config CONFIG``, the exit code); in the arguments
#: ``empty.csv``, ``header.csv``, ``binary.csv``, ``long.csv`` (one 3 MB line), ``folder``,
#: ``nosnaps`` (a folder with no snapshot), ``typo.toml`` and ``wrongtype.toml`` are made
#: in the test's folder.
CASES = [
    ("ingest: a missing file", ["ingest", "missing.csv", "--week", "2026-11-23"], 1),
    ("ingest: a folder", ["ingest", "folder", "--week", "2026-11-23"], 1),
    ("ingest: an empty CSV", ["ingest", "empty.csv", "--week", "2026-11-23"], 1),
    ("ingest: only a header", ["ingest", "header.csv", "--week", "2026-11-23"], 1),
    ("ingest: a binary file", ["ingest", "binary.csv", "--week", "2026-11-23"], 1),
    ("ingest: one gigantic line", ["ingest", "long.csv", "--week", "2026-11-23"], 1),
    ("ingest: --week not a date", ["ingest", "header.csv", "--week", "23/11/2026"], 2),
    ("ingest: --week no such day", ["ingest", "header.csv", "--week", "2026-02-30"], 2),
    ("ingest: --week far ahead", ["ingest", "header.csv", "--week", "2999-01-04"], 2),
    ("signals: no snapshot", ["signals", "--snapshots", "nosnaps"], 1),
    ("signals: snapshots a file", ["signals", "--snapshots", "empty.csv"], 1),
    ("signals: snapshots missing", ["signals", "--snapshots", "missing"], 1),
    ("signals: a week with none", ["signals", "--week", "2026-06-01"], 1),
    ("preview: no snapshot", ["preview", "--snapshots", "nosnaps", "--out", "p/"], 1),
    ("preview: --week not a date", ["preview", "--week", "monday", "--out", "p/"], 2),
    ("archive: no snapshot", ["archive", "--snapshots", "nosnaps", "--out", "a"], 1),
    ("import: a missing file", ["subscribers", "import", "missing.csv"], 1),
    ("import: a folder", ["subscribers", "import", "folder"], 1),
    ("import: an empty CSV", ["subscribers", "import", "empty.csv"], 1),
    ("import: a binary file", ["subscribers", "import", "binary.csv"], 1),
    ("import: one gigantic line", ["subscribers", "import", "long.csv"], 1),
    ("approve: not a date", ["approve", "someday"], 2),
]


@pytest.fixture
def here(tmp_path: Path, config_file: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "header.csv").write_text("title,company,location\n", encoding="utf-8")
    (tmp_path / "binary.csv").write_bytes(bytes(range(256)) * 16)
    (tmp_path / "long.csv").write_text("x" * 3_000_000 + "\n", encoding="utf-8")
    (tmp_path / "folder").mkdir()
    (tmp_path / "nosnaps").mkdir()
    return tmp_path


def _files(folder: Path) -> list[str]:
    """What is in ``folder`` but the database, where a failed step is recorded (the run
    history: ``newsletter status``)."""
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if not p.name.startswith("newsletter.db")
    )


@pytest.mark.parametrize(("what", "args", "code"), CASES, ids=[c[0] for c in CASES])
def test_a_wrong_input_is_one_line_and_writes_nothing(
    here: Path, config_file: Path, what: str, args: list[str], code: int
) -> None:
    before = _files(here)
    result = CliRunner().invoke(app, ["--config", str(config_file), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), what
    assert result.exit_code == code, (what, result.output)
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, what
    assert "Traceback" not in result.output
    assert _files(here) == before, what


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("[email]\ntop_m = 3\n", "line 2, email.top_m: unknown setting (check the spelling)"),
        ('[email]\ntop_n = "eight"\n', "line 2, email.top_n: input should be a valid integer"),
        ("[email\n", "not valid TOML"),
        ("email = 3\n", "line 1, email: should be a table"),
    ],
)
def test_a_config_with_a_typo_or_a_wrong_type_is_one_line(
    tmp_path: Path, text: str, said: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["--config", str(config), "signals"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: configuration problem in ")
    assert said in result.stderr and result.stderr.count("\n") == 1


def test_newsletter_config_naming_a_missing_file_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSLETTER_CONFIG", str(tmp_path / "nowhere.toml"))
    result = CliRunner().invoke(app, ["signals"])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: configuration problem: config file {tmp_path / 'nowhere.toml'} does not exist\n"
    )


@pytest.mark.parametrize(
    ("week", "said"),
    [
        (
            "2026-02-30",
            "week '2026-02-30' is no day of the calendar: day is out of range for month",
        ),
        ("2026-13-01", "week '2026-13-01' is no day of the calendar: month must be in 1..12"),
        ("2026-11-3", "week '2026-11-3' is not a date in the form YYYY-MM-DD"),
    ],
)
def test_a_week_in_the_form_but_no_such_day_says_so(
    config_file: Path, week: str, said: str
) -> None:
    """``--week 2026-02-30`` was told it "is not a date in the form YYYY-MM-DD", which it
    is: a user looked for a typo in the form. A day the calendar lacks is called that."""
    for args in (["signals", "--week", week], ["approve", week]):
        result = CliRunner().invoke(app, ["--config", str(config_file), *args])
        assert result.exit_code == 2, result.output
        assert result.stderr == f"error: {said}\n"
