"""Hostile input from outside, end to end: malformed headers sent to the real app on a
loopback uvicorn server, hostile addresses through the web, the store and imports, and
hostile paths and files through the `newsletter subscribers` CLI. Every one gets a clear
answer (a 4xx page, a one-line error), never a server error or a traceback."""

from __future__ import annotations

import csv
import os
import shutil
import stat
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner, Result

from newsletter.audience.subscribers import SubscriberStore
from newsletter.cli import app
from newsletter.cli._app import CliState
from newsletter.config import Config, Secrets, load_config
from newsletter.delivery import get_sender
from newsletter.send.confirmation import SignupMailer
from newsletter.store import open_store
from newsletter.util.clock import FixedClock
from newsletter.util.files import atomic_write_text, replacing_all
from newsletter.web.app import create_app
from tests.conftest import NOW, REPO
from tests.send_support import POSTAL, add_subscribers
from tests.web_support import SIGNER, site


@pytest.fixture
def store(config: Config) -> Iterator[SubscriberStore]:
    with open_store(config) as db:
        yield SubscriberStore(db)


SIGNUP = {"email": "origin@example.com", "consent": "yes"}


def _fresh(base_url: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request on its own connection (a server error would close a shared one)."""
    with httpx.Client(base_url=base_url, timeout=30) as c:
        return c.request(method, path, **kwargs)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://[::1"},  # an unclosed IPv6 literal: urlsplit raises
        {"Origin": "http://[not-an-ip]"},
        {"Origin": "https://example.org", "Host": "[::1"},  # the request's own host, malformed
    ],
)
def test_a_malformed_origin_or_host_is_refused_as_cross_site_not_a_server_error(
    config: Config,
    store: SubscriberStore,
    serve_app: Callable[[Any], str],
    headers: dict[str, str],
) -> None:
    with site(config, store, serve_app) as c:
        r = _fresh(str(c.base_url), "POST", "/subscribe", data=SIGNUP, headers=headers)
    assert r.status_code == 403, r.text
    assert "another site" in r.text
    assert store.find("origin@example.com") is None


# ---- basic auth -------------------------------------------------------------------------

#: Bytes past ASCII in an Authorization header (HTTP carries them as latin-1): base64 they
#: are not, so they are no password at all.
NOT_BASE64 = [b"Basic \xe9\xe9", b"Basic dXNlcjpw\xff", b"basic \xa0"]


@pytest.mark.parametrize("header", NOT_BASE64)
def test_webhook_basic_auth_that_is_not_ascii_is_a_wrong_secret_not_a_server_error(
    config: Config, store: SubscriberStore, serve_app: Callable[[Any], str], header: bytes
) -> None:
    with site(config, store, serve_app, webhook_secret="hook-secret-0123") as c:
        r = _fresh(
            str(c.base_url),
            "POST",
            "/webhooks/sendgrid",
            json=[{"email": "x@example.com", "event": "bounce"}],
            headers={"Authorization": header},
        )
    assert r.status_code == 401, r.text
    assert "wrong secret" in r.json()["error"]
    assert store.suppression("x@example.com") is None


@pytest.mark.parametrize("header", NOT_BASE64)
def test_admin_basic_auth_that_is_not_ascii_is_a_failed_login_not_a_server_error(
    config: Config, store: SubscriberStore, serve_app: Callable[[Any], str], header: bytes
) -> None:
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    mailer = SignupMailer(config, SIGNER, get_sender(config.delivery, Secrets()))
    app = create_app(config, store, SIGNER, mailer, admin_password_hash=hasher.hash("pw"))
    base = serve_app(app)
    for path in ("/admin", "/admin/status.json"):
        r = _fresh(base, "GET", path, headers={"Authorization": header})
        assert r.status_code == 401, (path, r.text)
        assert "WWW-Authenticate" in r.headers


# ---- the subscribers CLI ------------------------------------------------------------------


@pytest.fixture
def cli(config: Config, tmp_path: Path) -> Callable[..., Result]:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "{config.database.url}"\n', encoding="utf-8")

    def run(*args: str) -> Result:
        return CliRunner().invoke(app, ["--config", str(cfg), "subscribers", *args])

    return run


def test_an_output_path_that_looks_like_markup_is_printed_as_it_is(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    assert cli("add", "ann@example.com").exit_code == 0
    out = tmp_path / "list[/]" / "[bold]x[/].csv"
    res = cli("export", "--out", str(out))
    assert res.exit_code == 0, res.output
    assert res.exception is None and "Traceback" not in res.output
    assert str(out) in " ".join(res.stdout.split()), res.stdout
    assert "ann@example.com" in out.read_text(encoding="utf-8")


def test_an_imported_files_column_names_are_printed_as_text_not_markup_or_escapes(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    """Column names come from the file: a ``[/]`` stopped the command with a traceback after
    the import had been written, an escape sequence reached the terminal."""
    src = tmp_path / "list.csv"
    src.write_text("email,name,[/],\x1b[2J\nann@example.com,Ann,1,2\nnot-an-address,x,,\n")
    res = cli("import", str(src))
    assert res.exit_code == 0, res.output
    assert res.exception is None and "Traceback" not in res.output
    assert "\x1b" not in res.output
    assert "ignored columns: [/]" in res.stdout, res.stdout
    assert "added: 1" in res.stdout and "\n  invalid email address: 1\n" in res.stdout
    assert str(tmp_path / "list.rejects.csv") in " ".join(res.stdout.split())


# ---- addresses ----------------------------------------------------------------------------

#: RFC 5321 4.5.3.1.1: a local part is at most 64 octets; mail servers refuse longer ones.
LONG_LOCAL = "x" * 65 + "@example.com"


def test_a_local_part_over_64_characters_is_refused_on_every_path(
    config: Config,
    store: SubscriberStore,
    serve_app: Callable[[Any], str],
    cli: Callable[..., Result],
    tmp_path: Path,
) -> None:
    with site(config, store, serve_app) as c:
        r = c.post("/subscribe", data={"email": LONG_LOCAL, "consent": "yes"})
    assert r.status_code == 400, r.text
    assert "before the @-sign" in r.text
    assert store.list_all() == []

    res = cli("add", LONG_LOCAL)
    assert res.exit_code == 1 and res.stderr.startswith("error:"), res.output
    assert "before the @-sign" in res.stderr

    src = tmp_path / "list.csv"
    src.write_text(f"email\n{LONG_LOCAL}\n{'x' * 64}@example.com\n", encoding="utf-8")
    res = cli("import", str(src))
    assert res.exit_code == 0, res.output
    assert "added: 1" in res.stdout and "invalid: 1" in res.stdout
    assert [s.email for s in store.list_all()] == [f"{'x' * 64}@example.com"]


def test_a_quote_never_closed_is_an_invalid_row_not_the_rest_of_the_file_silently_swallowed(
    cli: Callable[..., Result], store: SubscriberStore, tmp_path: Path
) -> None:
    """Without strict parsing, a stray opening quote makes the rest of the file one cell:
    the rows after it were silently read as part of a name (never added, never reported)."""
    src = tmp_path / "list.csv"
    src.write_text(
        'email,name\nann@example.com,Ann\nbo@example.com,"Bo\ncy@example.com,Cy\n'
        "di@example.com,Di\n",
        encoding="utf-8",
    )
    res = cli("import", str(src))
    assert res.exit_code == 0, res.output
    assert "added: 1" in res.stdout and "invalid: 1" in res.stdout, res.stdout
    assert [s.email for s in store.list_all()] == ["ann@example.com"]
    rejects = (tmp_path / "list.rejects.csv").read_text(encoding="utf-8")
    assert '"3",' in rejects and "never closed" in rejects, rejects
    assert "di@example.com,Di" in rejects  # what it swallowed, kept to be fixed

    # a quoted cell that spans lines and is closed is one row, as before
    src.write_text('email,name\nbo@example.com,"Bo\nB."\ncy@example.com,Cy\n', encoding="utf-8")
    res = cli("import", str(src))
    assert res.exit_code == 0 and "added: 2" in res.stdout, res.stdout
    assert store.get("bo@example.com").name == "Bo B."


@pytest.mark.parametrize(
    "start",
    [
        b"\xef\xbb\xbf\xef\xbb\xbf",  # a second byte-order mark (a file saved twice, joined)
        "\u200b".encode(),  # a zero-width space copied in with the header
    ],
)
def test_invisible_characters_around_a_column_name_do_not_hide_it(
    cli: Callable[..., Result], store: SubscriberStore, tmp_path: Path, start: bytes
) -> None:
    """The error read "list.csv has no 'email' column (header: email, name)"."""
    src = tmp_path / "list.csv"
    src.write_bytes(start + b"email,name\nann@example.com,Ann\n")
    res = cli("import", str(src))
    assert res.exit_code == 0, res.output
    assert "added: 1" in res.stdout
    assert store.get("ann@example.com").name == "Ann"


def test_lines_that_are_not_utf8_are_rejected_one_by_one_and_the_rest_imported(
    cli: Callable[..., Result], store: SubscriberStore, tmp_path: Path
) -> None:
    """One Latin-1 byte refused the whole list ("list.csv is not UTF-8 text"), naming no
    line: the good rows were not imported, the bad one not found."""
    src = tmp_path / "list.csv"
    src.write_bytes(
        "email,name\nzoe@example.com,Zoë\n".encode()
        + b"jose@example.com,Jos\xe9\n"  # Latin-1
        + b'ann@example.com,Ann\nbo@example.com,"Bo\n\x93B.\x94"\n'  # Windows-1252 quotes
        + "cy@example.com,Cy ☃\n".encode()
    )
    res = cli("import", str(src))
    assert res.exit_code == 0, res.output
    assert "added: 3" in res.stdout and "invalid: 2" in res.stdout, res.stdout
    assert "  not UTF-8 text: 2" in res.stdout, res.stdout
    names = {s.email: s.name for s in store.list_all()}
    assert names == {"zoe@example.com": "Zoë", "ann@example.com": "Ann", "cy@example.com": "Cy ☃"}
    with (tmp_path / "list.rejects.csv").open(encoding="utf-8", newline="") as f:
        rejects = [(r["line"], r["email"], r["name"], r["reason"]) for r in csv.DictReader(f)]
    assert [r[:3] for r in rejects] == [
        ("3", "jose@example.com", "Jos\\xe9"),
        ("5", "bo@example.com", "Bo\n\\x93B.\\x94"),
    ]
    assert rejects[0][3].startswith("not UTF-8 text: Jos\\xe9 (each byte"), rejects
    assert rejects[1][3].startswith("not UTF-8 text: Bo \\x93B.\\x94 (each byte"), rejects

    # a header that is not UTF-8, or a UTF-16 file: the columns cannot be known
    for data, why in [
        (b"email,n\xe4me\nann@example.com,Ann\n", "header (line 1) is not UTF-8 text (n\\xe4me)"),
        ("email\nann@example.com\n".encode("utf-16"), "is UTF-16 text, not UTF-8"),
    ]:
        src.write_bytes(data)
        res = cli("import", str(src))
        assert res.exit_code == 1 and res.stderr.startswith("error:"), res.output
        assert why in res.stderr and "Traceback" not in res.output, res.stderr


def test_an_output_that_is_a_file_the_command_reads_is_refused_before_any_work(
    cli: Callable[..., Result], store: SubscriberStore, config: Config, tmp_path: Path
) -> None:
    """``import list.csv --rejects list.csv`` replaced the list with its rejected rows, and
    ``export --out newsletter.db`` the database with a CSV: by its name, or by a symbolic or a
    hard link to it."""
    src = tmp_path / "list.csv"
    data = b"email,name\nann@example.com,Ann\nnot-an-address,Nope\n"
    src.write_bytes(data)
    (tmp_path / "sym.csv").symlink_to(src)
    os.link(src, tmp_path / "hard.csv")
    db = Path(config.database.url.removeprefix("sqlite:///"))
    assert db.is_file()
    cases = [
        ("import", str(src), "--rejects", str(src)),
        ("import", str(src), "--rejects", str(tmp_path / "sym.csv")),
        ("import", str(src), "--rejects", str(tmp_path / "hard.csv")),
        ("import", str(src), "--rejects", str(db)),
        ("export", "--out", str(db)),
    ]
    for args in cases:
        before = db.read_bytes()
        res = cli(*args)
        assert res.exit_code == 1, (args, res.output)
        assert res.stderr.startswith("error:") and res.stderr.count("\n") == 1, res.stderr
        assert "writing there would replace it" in res.stderr, res.stderr
        assert "Traceback" not in res.output
        assert src.read_bytes() == data and db.read_bytes() == before
    assert (tmp_path / "sym.csv").is_symlink()
    assert store.list_all() == []
    assert not (tmp_path / "list.rejects.csv").exists()

    # another path is written as before
    res = cli("import", str(src), "--rejects", str(tmp_path / "bad.csv"))
    assert res.exit_code == 0 and "added: 1" in res.stdout, res.output
    assert "not-an-address" in (tmp_path / "bad.csv").read_text(encoding="utf-8")


def _nodes(tmp_path: Path) -> list[Path]:
    """A named pipe, and (as root, as CI runs) a character device like ``/dev/null``."""
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    nodes = [fifo]
    if os.geteuid() == 0:
        null = tmp_path / "null.csv"
        os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        nodes.append(null)
    return nodes


def test_an_output_that_is_a_pipe_or_a_device_is_refused_and_stays_what_it_was(
    cli: Callable[..., Result], store: SubscriberStore, tmp_path: Path
) -> None:
    """``export --out /dev/null`` run as root renamed the export over ``/dev/null``: the
    device became a regular file, for every program on the machine. An output that is a
    pipe, a socket or a device is refused in one line; so is the library's atomic write."""
    src = tmp_path / "list.csv"
    src.write_bytes(b"email\nann@example.com\nnot-an-address\n")
    for node in _nodes(tmp_path):
        kind = stat.S_IFMT(node.lstat().st_mode)
        for args in (("export", "--out", str(node)), ("import", str(src), "--rejects", str(node))):
            res = cli(*args)
            assert res.exit_code == 1, (args, res.output)
            assert res.stderr.startswith("error:") and res.stderr.count("\n") == 1, res.stderr
            assert "is not a regular file (a pipe, socket or device)" in res.stderr
            assert stat.S_IFMT(node.lstat().st_mode) == kind, args
        with pytest.raises(OSError, match="not a regular file"):
            atomic_write_text(node, "x")
        with (
            pytest.raises(OSError, match="not a regular file"),
            replacing_all(tmp_path / "a", node),
        ):
            pass
        assert stat.S_IFMT(node.lstat().st_mode) == kind
        assert not (tmp_path / "a").exists()
        assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    assert store.list_all() == []


# ---- Rich markup in what the other commands print -------------------------------------------


@pytest.mark.browser
def test_preview_prints_an_out_path_that_looks_like_markup_as_it_is(
    chromium: str, tmp_path: Path
) -> None:
    """``screenshot: {png}`` was printed as Rich markup: an --out folder named ``[/]``
    stopped the command with a MarkupError after the files were written."""
    out = tmp_path / "p[/]" / "[bold]issue.html"
    res = CliRunner().invoke(
        app,
        ["preview", "--snapshots", str(REPO / "snapshots"), "--out", str(out), "--screenshot"],
    )
    assert res.exit_code == 0, res.output
    assert res.exception is None and "screenshots skipped" not in res.output
    printed = res.stdout.splitlines()
    assert f"text: {out.with_suffix('.txt')}" in printed, printed
    for width in (375, 600):
        png = out.with_name(f"[bold]issue-{width}.png")
        assert f"screenshot: {png}" in printed, printed
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_send_prints_a_subject_that_looks_like_markup_as_it_is(tmp_path: Path) -> None:
    """The subject (the operator's template, filled) was printed as Rich markup by the dry
    run and in the send's summary: ``[/]`` in it stopped `newsletter send` with a traceback,
    the real send after its messages had gone out."""
    due = NOW - timedelta(minutes=5)
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[newsletter]\npostal_address = "{POSTAL}"\nbase_url = "https://news.example.com"\n'
        'subject_template = "[/] [bold]AI jobs[/b], week of {week_start}"\n'
        f'[data]\nsnapshots_dir = "snapshots"\n'
        f'[database]\nurl = "sqlite:///{tmp_path / "newsletter.db"}"\n'
        f'[delivery]\noutbox_dir = "outbox"\n'
        f'[schedule]\nday = "{due.strftime("%a").lower()}"\ntime = {due.strftime("%H:%M:%S")}\n'
        'timezone = "UTC"\n',
        encoding="utf-8",
    )
    (tmp_path / "snapshots").mkdir()
    for name in ("2026-11-16.parquet", "2026-11-23.parquet"):
        target = tmp_path / "snapshots" / name
        shutil.copy(REPO / "snapshots" / name, target)
        os.utime(target, (NOW.timestamp(), NOW.timestamp()))  # written "now"
    add_subscribers(load_config(cfg), 3)

    def run(*args: str) -> Result:
        command = ["--config", str(cfg), "send", "--week", "2026-11-23", *args]
        return CliRunner().invoke(app, command, obj=CliState(clock=FixedClock(NOW)))

    res = run("--dry-run")
    assert res.exit_code == 0, res.output
    assert res.exception is None and "Traceback" not in res.output
    assert "subject: [/] [bold]AI jobs[/b], week of" in res.stdout, res.stdout
    assert "nothing was sent or recorded" in res.stdout

    res = run()
    assert res.exit_code == 0, res.output
    assert res.exception is None and "Traceback" not in res.output
    assert "[/] [bold]AI jobs[/b], week of" in res.stdout, res.stdout
    assert len(list((tmp_path / "outbox").rglob("*.eml"))) == 3
