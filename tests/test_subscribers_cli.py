"""`newsletter subscribers ...` end to end on a real SQLite file through the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.config import Config


@pytest.fixture
def cli(runner: CliRunner, config: Config, tmp_path: Path) -> Callable[..., str]:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "{config.database.url}"\n', encoding="utf-8")

    def run(*args: str, code: int = 0) -> str:
        res = runner.invoke(app, ["--config", str(cfg), "subscribers", *args])
        assert res.exit_code == code, res.output
        if code:
            assert res.stderr.startswith("error:") and "Traceback" not in res.output
            return res.stderr
        return res.stdout

    return run


def test_add_show_unsubscribe_resubscribe_remove(cli: Callable[..., str]) -> None:
    out = cli("add", "Jo@Example.com", "--name", "Jo", "--category", "Data Scientist",
              "--metro", "Seattle", "--metro", "Boston", "--seniority", "senior")  # fmt: skip
    assert "added Jo@example.com" in out
    assert "already on the list" in cli("add", "jo@example.com", code=1)
    shown = json.loads(cli("show", "JO@example.com"))
    assert shown["subscriber"]["preferences"] == {
        "categories": ["Data Scientist"],
        "metros": ["Seattle", "Boston"],
        "seniority": ["senior"],
        "paused": False,
    }
    assert shown["subscriber"]["consent"]["source"] == "cli"
    assert cli("count", "--status", "active").strip() == "1"
    assert "unsubscribed" in cli("unsubscribe", "jo@example.com")
    assert "resubscribe" in cli("add", "jo@example.com", code=1)
    assert (
        "Missing option '--consent'"
        in CliRunner().invoke(app, ["subscribers", "resubscribe", "jo@example.com"]).output
    )
    assert "active" in cli("resubscribe", "jo@example.com", "--consent", "asked again by email")
    assert json.loads(cli("show", "jo@example.com"))["subscriber"]["consent"]["text"] == (
        "asked again by email"
    )
    assert "erased" in cli("remove", "jo@example.com", "--yes")
    assert json.loads(cli("show", "jo@example.com"))["subscriber"] is None
    assert "nothing is held" in cli("show", "other@example.com", code=1)
    counts = cli("count")
    assert "total: 0" in counts and "active: 0" in counts


def test_list_formats_and_bad_input(cli: Callable[..., str]) -> None:
    cli("add", "a@example.com", "--name", "Ann")
    cli("add", "b@example.com")
    cli("unsubscribe", "b@example.com")
    active = json.loads(cli("list", "--status", "active", "--format", "json"))
    assert [(d["email"], d["name"], d["status"]) for d in active] == [
        ("a@example.com", "Ann", "active")
    ]
    csv_out = cli("list", "--format", "csv").splitlines()
    assert csv_out[0].startswith('"email","name","status"')
    assert len(csv_out) == 3
    assert "a@example.com" in cli("list")
    assert "not a valid email address" in cli("add", "nope@", code=1)
    assert "no subscriber" in cli("unsubscribe", "ghost@example.com", code=1)
    # a --status no list has is a usage error, as --format xml is: exit 2 (the README's rule)
    for command in ("list", "count"):
        err = cli(command, "--status", "gone", code=2)
        assert err.count("\n") == 1 and "unknown status 'gone'" in err


def test_serve_without_secret_key_stops_with_one_line(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("NEWSLETTER_SECRET_KEY", raising=False)
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "db.sqlite"}"\n', encoding="utf-8")
    res = runner.invoke(app, ["--config", str(cfg), "serve", "--port", "0"])
    assert res.exit_code == 2
    assert "NEWSLETTER_SECRET_KEY is not set" in res.stderr
    assert not (tmp_path / "db.sqlite").exists()  # stopped before touching anything


def test_serve_resolves_every_secret_at_start(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The provider's credentials are read when the server starts (the web app and the
    sign-up mailer only receive them), so a missing one stops it before it listens."""
    monkeypatch.setenv("NEWSLETTER_SECRET_KEY", "k" * 40)
    monkeypatch.delenv("NEWSLETTER_SMTP_PASSWORD", raising=False)
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "db.sqlite"}"\n'
        '[delivery]\nprovider = "smtp"\n[delivery.smtp]\nusername = "mailer"\n',
        encoding="utf-8",
    )
    res = runner.invoke(app, ["--config", str(cfg), "serve", "--port", "0"])
    assert res.exit_code == 2
    assert "NEWSLETTER_SMTP_PASSWORD is not set" in res.stderr
    assert not (tmp_path / "db.sqlite").exists()
    web = Path(__file__).resolve().parent.parent / "newsletter"
    for module in [*(web / "web").glob("*.py"), web / "send" / "confirmation.py"]:
        code = module.read_text(encoding="utf-8")
        assert "os.environ" not in code and "secret(" not in code, module


def test_names_print_as_text_and_import_and_export_paths_fail_in_one_line(
    cli: Callable[..., str], tmp_path: Path
) -> None:
    cli("add", "m@example.com", "--name", "[/] [b]A[/b]")
    assert "[/] [b]A[/b]" in cli("list")  # no markup, no MarkupError
    mixed = tmp_path / "mix.csv"
    mixed.write_text(
        "email,consented_at\nok@example.com,\nd2@example.com,9999-12-31T23:59:59-05:00\n"
        "notanaddress,\n",
        encoding="utf-8",
    )
    (tmp_path / "afile").write_text("a file, not a folder")
    err = cli("import", str(mixed), "--rejects", str(tmp_path / "afile" / "r.csv"), code=1)
    assert err.startswith(f"error: {tmp_path / 'afile'} is a file, not a folder")
    assert "ok@example.com" not in cli("list")  # refused before anything was imported
    out = cli("import", str(mixed))
    assert "ok@example.com" in cli("list")
    rejects = (tmp_path / "mix.rejects.csv").read_text(encoding="utf-8")
    assert "consented_at '9999-12-31T23:59:59-05:00' is not an ISO date" in rejects, out
    assert "notanaddress" in rejects
    err = cli("export", "--format", "csv", "--out", str(tmp_path / "afile" / "x.csv"), code=1)
    assert err.startswith(f"error: {tmp_path / 'afile'} is a file, not a folder")


def test_serve_on_an_address_it_cannot_listen_on_stops_with_one_line(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A port out of range ended in uvicorn's traceback ("OverflowError: bind(): port must
    be 0-65535"); a port in use, in six lines of server log and exit 3. Now a usage error,
    and one line before anything starts."""
    import socket

    monkeypatch.setenv("NEWSLETTER_SECRET_KEY", "k" * 40)
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "db.sqlite"}"\n', encoding="utf-8")
    for port in ("65536", "-1"):
        res = runner.invoke(app, ["--config", str(cfg), "serve", "--port", port])
        assert res.exit_code == 2, res.output
        assert res.stderr.startswith("error: Invalid value for '--port'")
        assert res.stderr.count("\n") == 1
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        res = runner.invoke(
            app, ["--config", str(cfg), "serve", "--host", "127.0.0.1", "--port", str(port)]
        )
    assert res.exit_code == 1, res.output
    assert res.stderr == f"error: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    assert not (tmp_path / "db.sqlite").exists()  # refused before the store was opened


def test_an_erasure_without_yes_and_without_an_answer_says_nothing_was_erased(
    runner: CliRunner, config: Config, tmp_path: Path
) -> None:
    """``subscribers remove`` in a script without ``--yes`` (standard input ended) printed
    "Aborted!", no ``error:`` line saying what happened or how to go on; it says nothing was
    erased and names --yes, and the person stays on the list."""
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "{config.database.url}"\n', encoding="utf-8")
    base = ["--config", str(cfg), "subscribers"]
    assert runner.invoke(app, [*base, "add", "jo@example.com"]).exit_code == 0
    res = runner.invoke(app, [*base, "remove", "jo@example.com"], input="")
    assert res.exit_code == 1, res.output
    assert res.stderr == (
        "error: nothing erased: no answer came to the question; pass --yes to erase without "
        "asking\n"
    )
    shown = runner.invoke(app, [*base, "show", "jo@example.com"])
    assert json.loads(shown.stdout)["subscriber"]["email"] == "jo@example.com"


@pytest.mark.parametrize("answer", ["n\n", "\n", "no\n"], ids=["n", "enter", "no"])
def test_an_erasure_answered_no_says_nothing_was_erased(
    runner: CliRunner, config: Config, tmp_path: Path, answer: str
) -> None:
    """Answering "n" (or Enter, the default) to ``subscribers remove``'s question exited 1
    with nothing printed after the prompt, so a log showed a failure with no reason. One
    line says nothing was erased, and the person stays on the list."""
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "{config.database.url}"\n', encoding="utf-8")
    base = ["--config", str(cfg), "subscribers"]
    assert runner.invoke(app, [*base, "add", "jo@example.com"]).exit_code == 0
    res = runner.invoke(app, [*base, "remove", "jo@example.com"], input=answer)
    assert res.exit_code == 1, res.output
    assert res.stderr == "error: nothing erased: the erasure was not confirmed\n"
    shown = runner.invoke(app, [*base, "show", "jo@example.com"])
    assert json.loads(shown.stdout)["subscriber"]["email"] == "jo@example.com"


@pytest.mark.parametrize("where", ["afile/db.sqlite", "afolder"], ids=["file-on-way", "folder"])
def test_a_database_path_that_cannot_be_a_file_is_named_in_one_line(
    runner: CliRunner, tmp_path: Path, where: str
) -> None:
    """``[database] url`` through a file where a folder must be said "cannot make the folder
    of database ...: File exists", and one naming a folder "unable to open database file":
    each names what is wrong now, as every output path does."""
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    (tmp_path / "afolder").mkdir()
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / where}"\n', encoding="utf-8")
    res = runner.invoke(app, ["--config", str(cfg), "subscribers", "add", "jo@example.com"])
    assert res.exit_code == 1, res.output
    why = (
        f"{tmp_path / 'afile'} is a file, not a folder"
        if where.startswith("afile")
        else f"{tmp_path / 'afolder'} is a folder, not a file: give a file name"
    )
    assert res.stderr == f"error: cannot use database {tmp_path / where}: {why}\n"
    assert (tmp_path / "afile").read_text(encoding="utf-8") == "x"
    assert list((tmp_path / "afolder").iterdir()) == []


def test_a_database_that_refuses_writes_stops_a_change_in_one_line(
    runner: CliRunner, tmp_path: Path
) -> None:
    """A SQLite file that cannot be written (read-only: its permissions, a read-only mount;
    here opened read-only, which refuses root too) stopped ``subscribers add`` and
    ``unsubscribe`` with SQLAlchemy's traceback. One line names the database and SQLite's
    reason now, exit 1, and reading it still works."""
    db = tmp_path / "n.db"
    rw, ro = tmp_path / "rw.toml", tmp_path / "ro.toml"
    rw.write_text(f'[database]\nurl = "sqlite:///{db}"\n', encoding="utf-8")
    ro.write_text(f'[database]\nurl = "sqlite:///file:{db}?mode=ro&uri=true"\n', encoding="utf-8")
    assert (
        runner.invoke(app, ["--config", str(rw), "subscribers", "add", "a@example.com"]).exit_code
        == 0
    )
    for args in (["add", "b@example.com"], ["unsubscribe", "a@example.com"]):
        res = runner.invoke(app, ["--config", str(ro), "subscribers", *args])
        assert res.exit_code == 1, res.output
        assert res.stderr.startswith("error: cannot write to database sqlite:///"), res.output
        assert res.stderr.endswith(": attempt to write a readonly database\n")
        assert res.stderr.count("\n") == 1 and "Traceback" not in res.output
    counted = runner.invoke(
        app, ["--config", str(ro), "subscribers", "count", "--status", "active"]
    )
    assert counted.exit_code == 0 and counted.stdout == "1\n", counted.output


@pytest.mark.parametrize("command", [["show"], ["remove", "--yes"]], ids=["show", "remove"])
def test_an_address_typed_in_a_latin1_terminal_is_refused_in_one_line(
    cli: Callable[..., str], command: list[str]
) -> None:
    """An address holding a byte that is not UTF-8 (``jos\\xe9@`` from a Latin-1 terminal,
    which Python hands over as a lone surrogate) is invalid; ``show`` and ``remove`` then
    look it up as stored (legacy rows), and SQLite's driver stopped them with a
    UnicodeEncodeError traceback. No row can hold such an address: the validator's one
    line, exit 1."""
    cli("add", "jose@example.com")
    err = cli(*command, "jos\udce9@example.com", code=1)
    assert err.startswith("error: 'jos\\udce9@example.com' is not a valid email address")
    assert err.count("\n") == 1
    assert cli("count", "--status", "active").strip() == "1"


@pytest.mark.parametrize(
    "args",
    [
        ["add", "jose@example.com", "--name", "Jos\udce9"],
        ["add", "jose@example.com", "--consent", "\udce7a va"],
    ],
    ids=["name", "consent"],
)
def test_a_name_typed_in_a_latin1_terminal_is_refused_not_stored_garbled(
    cli: Callable[..., str], args: list[str]
) -> None:
    """``--name José`` typed in a terminal set to Latin-1 reaches Python with a byte that is
    not UTF-8 (a lone surrogate), which the sanitiser drops as invisible: the reader was
    added as "Jos", the import's rule ("no name arrives garbled") broken. A usage error
    names the byte now, and nobody is added."""
    cli("add", "ann@example.com")
    err = cli(*args, code=2)
    assert "holds bytes that are not UTF-8 text: set the terminal to UTF-8" in err
    assert "\\xe" in err and err.count("\n") == 1
    assert cli("count", "--status", "active").strip() == "1"
