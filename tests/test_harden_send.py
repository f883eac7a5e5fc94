"""Issue 11, item 5: untrusted names and values from the CLI and imports are cleaned by one
sanitiser before they are stored, and one bad recipient never stops a send (it is recorded as
failed with its reason; the others are sent). Real SQLite files, the real CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner, Result

from newsletter.cli import app
from newsletter.cli._app import CliState
from newsletter.config import load_config
from newsletter.send.ledger import SendLedger
from newsletter.store import open_store
from newsletter.util.clock import FixedClock
from tests.conftest import NOW, REPO
from tests.send_support import POSTAL

WEEK = "2026-11-23"
ISSUE = "2026-W48"
EVIL = "Eve\r\nBcc: everyone@example.net\x00\x1b[31m"


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., Result]:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[newsletter]\npostal_address = "{POSTAL}"\nbase_url = "https://news.example.com"\n'
        f'[data]\nsnapshots_dir = "{REPO / "snapshots"}"\n'
        f'[database]\nurl = "sqlite:///{tmp_path / "newsletter.db"}"\n'
        f'[delivery]\noutbox_dir = "outbox"\n',
        encoding="utf-8",
    )

    def run(*args: str) -> Result:
        return CliRunner().invoke(
            app, ["--config", str(cfg), *args], obj=CliState(clock=FixedClock(NOW))
        )

    return run


def _shown(cli: Callable[..., Result], address: str) -> dict[str, object]:
    r = cli("subscribers", "show", address)
    assert r.exit_code == 0, r.output
    sub: dict[str, object] = json.loads(r.stdout)["subscriber"]
    return sub


def test_names_and_values_from_cli_and_import_are_cleaned(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    r = cli("subscribers", "add", "eve@example.com", "--name", EVIL,
            "--metro", "  Seattle\r\n", "--category", "Data\x07 Scientist")  # fmt: skip
    assert r.exit_code == 0, r.output
    csv = tmp_path / "list.csv"
    long_name = "Z" * 100_000
    csv.write_text(
        "email,name,metros\n"
        f'first@example.com,"{EVIL}",Austin\n'
        f"long@example.com,{long_name},\n"
        "last@example.com,Last One,\n",
        encoding="utf-8",
    )
    r = cli("subscribers", "import", str(csv))
    assert r.exit_code == 0, r.output
    eve = _shown(cli, "eve@example.com")
    assert eve["name"] == "Eve Bcc: everyone@example.net[31m"
    assert eve["preferences"] == {
        "categories": ["Data Scientist"],
        "metros": ["Seattle"],
        "seniority": [],
        "paused": False,
    }
    assert _shown(cli, "first@example.com")["name"] == eve["name"]
    long = _shown(cli, "long@example.com")["name"]
    assert isinstance(long, str) and 0 < len(long) <= 100

    r = cli("send", "--week", WEEK)
    assert r.exit_code == 0, r.output
    assert "Traceback" not in r.output
    outbox = sorted((tmp_path / "outbox" / ISSUE).glob("*.eml"))
    assert len(outbox) == 4
    for path in outbox:
        head = path.read_bytes().split(b"\r\n\r\n", 1)[0]
        names = [line.split(b":", 1)[0] for line in head.split(b"\r\n") if line[:1] != b" "]
        assert b"Bcc" not in names  # at most text inside a quoted display name
        assert b"\x1b" not in head and b"\x00" not in head


def test_a_bad_stored_recipient_is_recorded_failed_and_the_send_goes_on(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    for i in range(4):
        assert cli("subscribers", "add", f"r{i}@example.com", "--name", f"R {i}").exit_code == 0
    # data written before the sanitiser existed (or by hand): a header injection in the address
    config = load_config(tmp_path / "config.toml")
    with open_store(config) as db, db.write() as conn:
        conn.execute(
            sa.text("UPDATE subscribers SET email = :e WHERE email_key = 'r1@example.com'"),
            {"e": "r1@example.com\r\nBcc: all@example.net"},
        )
        conn.execute(
            sa.text("UPDATE subscribers SET name = :n WHERE email_key = 'r2@example.com'"),
            {"n": "R\r\nBcc: all@example.net " + "W" * 100_000},
        )

    dry = cli("send", "--week", WEEK, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Traceback" not in dry.output
    assert "1 message(s) could not be built" in dry.output

    r = cli("send", "--week", WEEK)
    assert "Traceback" not in r.output
    assert r.exit_code == 0, r.output
    with open_store(config) as db:
        rows = {row["email"]: row for row in SendLedger(db).rows(ISSUE)}
    bad = rows["r1@example.com\r\nBcc: all@example.net"]
    assert bad["status"] == "failed" and not bad["retryable"]
    assert "address" in str(bad["last_error"])
    assert sorted(str(e) for e, row in rows.items() if row["status"] == "sent") == [
        "r0@example.com",
        "r2@example.com",
        "r3@example.com",
    ]
    again = cli("send", "--week", WEEK)  # a re-run sends nothing twice and does not stop
    assert again.exit_code == 0 and "already sent" in again.output


def test_an_encoded_word_in_a_name_never_makes_another_recipient(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    """``--name '=?utf-8?b?PGV2aWxAZXZpbC5leGFtcGxlPg==?= x'`` put ``To: <evil@evil.example>
    x <hdr2@example.com>`` on the wire, and a word decoding to CR LF made the copy fail:
    stored names lose ``=?``, and names stored before that reach ``To:`` as one address."""
    import email
    import email.policy
    import email.utils

    evil = "=?utf-8?b?PGV2aWxAZXZpbC5leGFtcGxlPg==?= x"
    crlf = "=?utf-8?q?Eve=0D=0ABcc:_all@evil.example?="
    assert cli("subscribers", "add", "hdr2@example.com", "--name", evil).exit_code == 0
    assert "=?" not in str(_shown(cli, "hdr2@example.com")["name"])
    assert cli("subscribers", "add", "old@example.com", "--name", "Old").exit_code == 0
    config = load_config(tmp_path / "config.toml")
    with open_store(config) as db, db.write() as conn:  # written before the sanitiser's rule
        conn.execute(
            sa.text("UPDATE subscribers SET name = :n WHERE email_key = 'old@example.com'"),
            {"n": crlf},
        )
    r = cli("send", "--week", WEEK)
    assert r.exit_code == 0, r.output
    outbox = sorted((tmp_path / "outbox" / ISSUE).glob("*.eml"))
    assert len(outbox) == 2
    seen = set()
    for path in outbox:
        for policy in (email.policy.compat32, email.policy.default):
            msg = email.message_from_bytes(path.read_bytes(), policy=policy)
            to = email.utils.getaddresses([str(v) for v in msg.get_all("To", [])])
            assert len(to) == 1 and "evil" not in to[0][1]
            seen.add(to[0][1])
    assert seen == {"hdr2@example.com", "old@example.com"}
    with open_store(config) as db:
        assert {row["status"] for row in SendLedger(db).rows(ISSUE)} == {"sent"}


#: Addresses stored before validation existed (or by hand) that the validator refuses.
LEGACY = {
    "r1@example.com": "bad..dots@example.org",
    "r2@example.com": "a@" + ("d" * 60 + ".") * 5 + "com",  # a 300-character domain
    "r3@example.com": "ü@example.org",  # a local part that needs SMTPUTF8
    "r4@example.com": "r4@example.com\r\nBcc: all@example.net",
}


def _statuses(config_path: Path) -> dict[str, tuple[str, str]]:
    """Each stored address with its subscriber status and its ledger status."""
    config = load_config(config_path)
    with open_store(config) as db, db.read() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT sub.email, sub.status, s.status FROM subscribers sub "
                "JOIN sends s ON s.subscriber_id = sub.id"
            )
        ).all()
    return {str(e): (str(a), str(b)) for e, a, b in rows}


def test_invalid_stored_addresses_fail_are_suppressed_and_never_stop_the_send(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    for i in range(7):
        assert cli("subscribers", "add", f"r{i}@example.com").exit_code == 0
    config = load_config(tmp_path / "config.toml")
    with open_store(config) as db, db.write() as conn:
        for key, stored in LEGACY.items():
            conn.execute(
                sa.text("UPDATE subscribers SET email = :e, email_key = :k WHERE email_key = :o"),
                {"e": stored, "k": stored.lower(), "o": key},
            )

    r = cli("send", "--week", WEEK)
    assert "Traceback" not in r.output
    assert r.exit_code == 0, r.output
    got = _statuses(tmp_path / "config.toml")
    for stored in LEGACY.values():  # failed for good, with the reason, and suppressed
        assert got[stored] == ("bounced", "failed"), stored
    with open_store(config) as db:
        rows = {row["email"]: row for row in SendLedger(db).rows(ISSUE)}
    for stored in LEGACY.values():
        assert not rows[stored]["retryable"]
        assert str(rows[stored]["last_error"]).startswith("invalid address: ")
    sent = sorted(e for e, (_sub, st) in got.items() if st == "sent")
    assert sent == ["r0@example.com", "r5@example.com", "r6@example.com"]
    with open_store(config) as db, db.read() as conn:
        suppressed = conn.execute(sa.text("SELECT count(*) FROM suppressions")).scalar_one()
    assert suppressed == len(LEGACY)  # next week's list leaves them out
    assert cli("send", "--week", WEEK).exit_code == 0


def test_a_recipients_bookkeeping_error_is_logged_and_the_send_goes_on(
    cli: Callable[..., Result], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for i in range(4):
        assert cli("subscribers", "add", f"r{i}@example.com").exit_code == 0
    config = load_config(tmp_path / "config.toml")
    with open_store(config) as db, db.write() as conn:
        conn.execute(
            sa.text("UPDATE subscribers SET email = 'x..y@example.org' WHERE id = 2"),
        )
        # the suppression write of this bounce fails (a real database error)
        conn.execute(
            sa.text(
                "CREATE TRIGGER refuse BEFORE INSERT ON suppressions "
                "BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
            )
        )
    r = cli("send", "--week", WEEK)
    assert "Traceback" not in r.output
    assert r.exit_code == 0, r.output
    got = _statuses(tmp_path / "config.toml")
    assert got["x..y@example.org"] == ("active", "failed")  # recorded; the bounce was not
    assert "subscriber 2 not marked bounced" in caplog.text and "disk says no" in caplog.text
    assert sorted(e for e, (_s, st) in got.items() if st == "sent") == [
        "r0@example.com",
        "r2@example.com",
        "r3@example.com",
    ]


def test_erasure_takes_the_address_out_of_the_send_ledger(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    for i in range(3):
        assert cli("subscribers", "add", f"r{i}@example.com").exit_code == 0
    config = load_config(tmp_path / "config.toml")
    # one whose address fails: its row is another person's and stays as it is
    with open_store(config) as db, db.write() as conn:
        conn.execute(sa.text("UPDATE subscribers SET email = 'Gone..Me@example.com' WHERE id = 2"))
    assert cli("send", "--week", WEEK).exit_code == 0
    r = cli("subscribers", "remove", "r0@example.com", "--yes")
    assert r.exit_code == 0, r.output
    with open_store(config) as db, db.write() as conn:
        conn.execute(sa.text("UPDATE sends SET last_error = 'SMTP 550 <r2@example.com> unknown'"
                             " WHERE subscriber_id = 3"))  # fmt: skip
    assert cli("subscribers", "remove", "r2@example.com", "--yes").exit_code == 0
    with open_store(config) as db, db.read() as conn:
        rows = [tuple(map(str, r)) for r in conn.execute(sa.text("SELECT * FROM sends")).all()]
        dump = "\n".join(" ".join(r) for r in rows)
    assert "r0@example.com" not in dump and "r2@example.com" not in dump.lower()
    assert dump.count("erased:") == 2 and "SMTP 550 <[erased]> unknown" in dump
    assert "Gone..Me@example.com" in dump  # others' rows are kept as they were
    assert cli("send", "--week", WEEK).exit_code == 0  # the ledger still reads: already sent


def test_an_empty_test_address_is_refused_never_a_send_to_everyone(
    cli: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`send --to "$ME"` with the variable unset: the empty --to was taken for no --to, and
    the week's issue went to the whole list. It is refused in one line; nothing goes out."""
    monkeypatch.setenv("NEWSLETTER_SECRET_KEY", "k" * 40)
    for i in range(2):
        assert cli("subscribers", "add", f"r{i}@example.com").exit_code == 0
    for argv in (
        ("send", "--week", WEEK, "--to", ""),
        ("preview", "--week", WEEK, "--subscriber", "", "--out", str(tmp_path / "p.html")),
    ):
        r = cli(*argv)
        assert r.exit_code == 1, r.output
        assert r.stderr.startswith("error:") and "email address is empty" in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.output
    assert not list((tmp_path / "outbox").rglob("*.eml"))
    assert not (tmp_path / "p.html").exists()
    with open_store(load_config(tmp_path / "config.toml")) as db:
        assert SendLedger(db).rows(ISSUE) == []


def test_a_refused_send_is_one_line_on_stderr(tmp_path: Path) -> None:
    """The progress bar is stopped only once it started: its stop printed an empty line on a
    log (not a terminal) before the error, which was then a blank line and the error."""
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[newsletter]\npostal_address = "{POSTAL}"\n'
        f'[data]\nsnapshots_dir = "{tmp_path / "snapshots"}"\n'
        f'[database]\nurl = "sqlite:///{tmp_path / "newsletter.db"}"\n',
        encoding="utf-8",
    )
    (tmp_path / "snapshots").mkdir()
    r = CliRunner().invoke(app, ["--config", str(cfg), "send"], obj=CliState(clock=FixedClock(NOW)))
    assert r.exit_code == 1
    assert r.stderr.startswith("error: refusing to send: no snapshot for this week (2026-11-23)")
    assert r.stderr.count("\n") == 1


def test_a_dry_run_to_an_empty_list_is_refused_as_the_send_is(
    cli: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``send --dry-run`` before a first send to a list with no active reader said "0
    message(s) would be sent" and exited 0, while the send it rehearses is refused ("no one
    to send the issue ... to", exit 1): a pre-flight check passed a send bound to fail. The
    dry run is refused with the same line now, and records nothing."""
    monkeypatch.setenv("NEWSLETTER_SECRET_KEY", "k" * 40)
    assert cli("subscribers", "add", "gone@example.com").exit_code == 0
    assert cli("subscribers", "unsubscribe", "gone@example.com").exit_code == 0
    dry, real = cli("send", "--week", WEEK, "--dry-run"), cli("send", "--week", WEEK)
    for r in (dry, real):
        assert r.exit_code == 1, r.output
        assert r.stderr.startswith(f"error: no one to send the issue of {WEEK} to: "), r.stderr
        assert r.stderr.count("\n") == 1 and "Traceback" not in r.output
    assert dry.stderr == real.stderr
    assert not list((tmp_path / "outbox").rglob("*.eml"))
    with open_store(load_config(tmp_path / "config.toml")) as db:
        assert SendLedger(db).issue(ISSUE) is None
