from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsletter.config import (
    CONFIG_MAX_BYTES,
    DEV_SECRET_KEY,
    Secrets,
    load_config,
    parse_config,
)
from newsletter.errors import ConfigError, SecretMissingError

REPO = Path(__file__).resolve().parent.parent


def test_bundled_config_loads_and_resolves_paths() -> None:
    cfg = load_config(REPO / "config.toml")
    assert cfg.data.snapshots_dir == REPO / "snapshots"
    assert cfg.database.url == f"sqlite:///{REPO / 'state' / 'newsletter.db'}"
    assert cfg.schedule.day == "mon"
    assert cfg.schedule.zone.key == "America/New_York"
    assert cfg.delivery.provider == "file"


def test_relative_paths_resolve_against_config_folder(tmp_path: Path) -> None:
    p = tmp_path / "sub" / "c.toml"
    p.parent.mkdir()
    p.write_text('[data]\nsnapshots_dir = "snaps"\n')
    cfg = load_config(p)
    assert cfg.data.snapshots_dir == p.parent / "snaps"
    assert cfg.delivery.outbox_dir == p.parent / "state" / "outbox"


def test_every_problem_named_by_key(tmp_path: Path) -> None:
    p = tmp_path / "c.toml"
    p.write_text(
        '[newsletter]\nfrom_address = "nope"\n[delivery.smtp]\nport = "x"\nsecurity = "ssl"\n'
        '[schedule]\ntimezone = "Nowhere/Land"\n[newsletter.typo]\n'
    )
    with pytest.raises(ConfigError) as info:
        load_config(p)
    msg = str(info.value)
    for key in (
        "newsletter.from_address",
        "delivery.smtp.port",
        "delivery.smtp.security",
        "schedule.timezone",
        "newsletter.typo",
    ):
        assert key in msg
    assert "\n" not in msg


def test_a_path_of_the_wrong_type_is_named_in_toml_words(tmp_path: Path) -> None:
    """``snapshots_dir = 5`` read "input is not a valid path for <class 'pathlib.Path'>",
    Pydantic's words for a Python type the user never wrote."""
    p = tmp_path / "c.toml"
    p.write_text(
        '[data]\nsnapshots_dir = 5\nrules_dir = ["rules"]\n[email]\ntemplates_dir = true\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_config(p)
    msg = str(info.value)
    assert "line 2, data.snapshots_dir: should be a path, as text in quotes (not a number)" in msg
    assert "line 3, data.rules_dir: should be a path, as text in quotes (not an array)" in msg
    assert "line 5, email.templates_dir: should be a path, as text in quotes (not a boolean)" in (
        msg
    )
    assert "pathlib" not in msg


def test_malformed_toml_is_one_clear_line(tmp_path: Path) -> None:
    p = tmp_path / "c.toml"
    p.write_text("[newsletter\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(p)


def test_env_var_selects_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "other.toml"
    p.write_text('[newsletter]\ntitle = "Other"\n')
    monkeypatch.setenv("NEWSLETTER_CONFIG", str(p))
    assert load_config().newsletter.title == "Other"


def test_secrets_only_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSLETTER_SECRET_KEY", raising=False)
    with pytest.raises(SecretMissingError, match="NEWSLETTER_SECRET_KEY"):
        Secrets.from_env().require("secret_key", "to sign unsubscribe links")
    assert Secrets.from_env().require("secret_key", "x", allow_dev=True) == DEV_SECRET_KEY
    monkeypatch.setenv("NEWSLETTER_SECRET_KEY", "s3cret")
    monkeypatch.setenv("NEWSLETTER_SMTP_PASSWORD", "   ")  # blank counts as not set
    read = Secrets.from_env()
    assert read.require("secret_key", "x") == "s3cret"
    assert read.get("smtp_password") is None
    # read once, at the edge: a later change of the environment does not leak in
    monkeypatch.setenv("NEWSLETTER_SECRET_KEY", "changed")
    assert read.require("secret_key", "x") == "s3cret"
    assert "s3cret" not in repr(read) and "secret_key" in repr(read)
    assert Secrets.from_env({"NEWSLETTER_SMTP_PASSWORD": "pw"}).get("smtp_password") == "pw"
    with pytest.raises(ValueError, match="unknown secret"):
        Secrets.of(password="x")


@pytest.mark.parametrize(
    ("snippet", "key", "variable"),
    [
        ('[delivery.smtp]\npassword = "hunter2"\n', "delivery.smtp.password", "SMTP_PASSWORD"),
        ('[newsletter]\nsecret_key = "s"\n', "newsletter.secret_key", "SECRET_KEY"),
        ('[delivery.postmark]\ntoken = "t"\n', "delivery.postmark.token", "POSTMARK_TOKEN"),
        ('[delivery.resend]\napi_key = "k"\n', "delivery.resend.api_key", "RESEND_API_KEY"),
    ],
)
def test_secret_keys_in_file_are_rejected(
    tmp_path: Path, snippet: str, key: str, variable: str
) -> None:
    """Refused as secrets, naming the environment: "unknown setting (check the spelling)"
    sent the user looking for the right spelling of a key that cannot exist."""
    p = tmp_path / "c.toml"
    p.write_text(snippet)
    with pytest.raises(ConfigError) as caught:
        load_config(p)
    assert f"{key}: a secret is never read from the file: set NEWSLETTER_" in str(caught.value)
    assert f"NEWSLETTER_{variable}" in str(caught.value)


@pytest.mark.parametrize(
    ("snippet", "key", "why"),
    [
        ("[schedule]\nmisfire_grace_hours = inf\n", "schedule.misfire_grace_hours", "less than"),
        ("[schedule]\nmisfire_grace_hours = 0.0001\n", "schedule.misfire_grace_hours", "greater"),
        ('[schedule]\nday = "monkey"\n', "schedule.day", "not a weekday"),
        ('[schedule]\ntimezone = "localtime"\n', "schedule.timezone", "the host's zone"),
        ('[schedule]\ntime = "07:30:00+05:00"\n', "schedule.time", "carries an offset"),
        ('[email]\ntemplates_dir = "nowhere"\n', "email.templates_dir", "is not a folder"),
        # a section written as a value (an AttributeError traceback for the path sections)
        ('database = "sqlite:///x.db"\n', "database", "should be a table: a [database]"),
        ('data = "snaps"\n', "data", "should be a table: a [data] section"),
        ("collect = 1\n", "collect", "should be a table"),
        # text that reaches a header, a link or every issue: one line of visible text (a
        # line break in the From name was a ValueError traceback at the send)
        (
            '[newsletter]\nfrom_name = "A\\r\\nBcc: x@example.org"\n',
            "newsletter.from_name",
            "holds a line break ('\\r')",
        ),
        ('[newsletter]\ntitle = "T\\u0007itle"\n', "newsletter.title", "control or invisible"),
        ('[newsletter]\nlist_id = "L\\nX: 1"\n', "newsletter.list_id", "line break"),
        (
            '[newsletter]\nsubject_template = "Hi\\u2028{week_start}"\n',
            "newsletter.subject_template",
            "line break ('\\u2028')",
        ),
        ('[newsletter]\ntagline = "a\\u202eb"\n', "newsletter.tagline", "invisible"),
        (
            '[newsletter]\nbase_url = "https://example.com/\\u0000x"\n',
            "newsletter.base_url",
            "control or invisible",
        ),
        (
            '[newsletter]\nbase_url = "https://example.com/a b"\n',
            "newsletter.base_url",
            "holds a space",
        ),
        *(
            (f'[newsletter]\nbase_url = "{url}"\n', "newsletter.base_url", "a reader's link goes")
            for url in (
                "https://news.example@evil.example",
                "https://127.0.0.1\\\\.news.example",
                "https://news.example:99999",
                "https://news.example/?list=ai",
                "https://news.example/#top",
            )
        ),
        (
            '[newsletter]\npostal_address = "1 Main St\\u0000"\n',
            "newsletter.postal_address",
            "control or invisible",
        ),
        (
            '[delivery.smtp]\nenvelope_from = "bounces"\n',
            "delivery.smtp.envelope_from",
            "is not an email address",
        ),
        # the rule of subscriber addresses: a local part past ASCII needs SMTPUTF8, which the
        # senders do not speak (the reply-to went out as an encoded word, no address), and
        # one over RFC 5321's 64 octets is refused by mail servers
        *(
            (f'[newsletter]\n{key} = "{address}"\n', f"newsletter.{key}", reason)
            for key in ("from_address", "reply_to", "unsubscribe_mailto")
            for address, reason in (
                ("r\u00e9ponse@news.example", "Internationalized characters before the @"),
                ("x" * 65 + "@news.example", "too long"),
            )
        ),
        (
            '[delivery.postmark]\nmessage_stream = "a\\nb"\n',
            "delivery.postmark.message_stream",
            "line break",
        ),
        ('[delivery.dkim]\nselector = "s\\r1"\n', "delivery.dkim.selector", "line break"),
        # the sponsor's link and words reach every reader: the one rule of a reader's link
        # (a user name before @ or a backslash sends the reader elsewhere than it reads)
        (
            '[email.sponsor]\nurl = "https://sponsor.example@evil.example/"\n',
            "email.sponsor.url",
            "goes where it reads",
        ),
        (
            '[email.sponsor]\nurl = "https://127.0.0.1\\\\.sponsor.example/"\n',
            "email.sponsor.url",
            "goes where it reads",
        ),
        (
            '[email.sponsor]\nurl = "https://sponsor.example/\\u202egpj.exe"\n',
            "email.sponsor.url",
            "invisible",
        ),
        ('[email.sponsor]\nname = "Acme\\u202e"\n', "email.sponsor.name", "invisible"),
        # the alerts' webhook and a board API's base URL: the same one test of a URL (they
        # had their own regexes, which let a user name before the host or a bidi mark pass)
        (
            '[alerts]\nwebhook_url = "https://hooks.example@evil.example/x"\n',
            "alerts.webhook_url",
            "user name before its host",
        ),
        (
            '[alerts]\nwebhook_url = "https://hooks.example/\\u202ex"\n',
            "alerts.webhook_url",
            "invisible",
        ),
        (
            '[collect.lever]\nbase_url = "https://api.lever.co@evil.example/v0"\n',
            "collect.lever.base_url",
            "must be an http",
        ),
        ('[email.sponsor]\ntext = "GPUs\\u200b"\n', "email.sponsor.text", "invisible"),
    ],
)
def test_values_that_would_be_taken_wrongly_are_refused(
    tmp_path: Path, snippet: str, key: str, why: str
) -> None:
    p = tmp_path / "c.toml"
    p.write_text(snippet, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(p)
    assert key in str(info.value) and why in str(info.value), str(info.value)


def test_a_postal_address_may_take_several_lines(tmp_path: Path) -> None:
    p = tmp_path / "c.toml"
    p.write_text('[newsletter]\npostal_address = "1 Main St\\nSpringfield"\n', encoding="utf-8")
    assert load_config(p).newsletter.postal_address == "1 Main St\nSpringfield"


def test_full_day_names_and_a_non_utf8_config(tmp_path: Path) -> None:
    p = tmp_path / "c.toml"
    p.write_text('[schedule]\nday = "Friday"\ncollect_day = "thu"\n', encoding="utf-8")
    s = load_config(p).schedule
    assert (s.day, s.collect_day) == ("fri", "thu")
    p.write_bytes(b"\xff\xfe[newsletter]\n")
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        load_config(p)


def test_a_config_that_is_a_pipe_a_device_or_too_big_is_refused_before_reading(
    tmp_path: Path,
) -> None:
    """``--config`` naming a pipe (no writer: reading it would hang), a device (``/dev/zero``
    never ends) or a file far larger than any config: one clear error, nothing read."""
    fifo = tmp_path / "c.toml"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="is not a regular file"):
        load_config(fifo)
    with pytest.raises(ConfigError, match="is not a regular file"):
        load_config("/dev/zero")
    big = tmp_path / "big.toml"
    big.write_text("# padding\n" * (CONFIG_MAX_BYTES // 10 + 1), encoding="utf-8")
    with pytest.raises(ConfigError, match="is over 1024 KiB"):
        load_config(big)
    big.write_text("# padding\n" * (CONFIG_MAX_BYTES // 10 - 1), encoding="utf-8")
    assert load_config(big).newsletter  # just under the limit: read


def test_dev_null_as_the_config_means_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """``NEWSLETTER_CONFIG=/dev/null`` (the usual "no config" idiom, used by the benchmarks)
    reads as an empty file, the defaults; other devices stay refused."""
    monkeypatch.setenv("NEWSLETTER_CONFIG", os.devnull)
    assert load_config() == load_config(os.devnull) == parse_config({})


@pytest.mark.parametrize(
    ("template", "said"),
    [
        ("AI jobs, week of {week_strat}", "unknown placeholder {week_strat}: did you mean "
         "{week_start}?"),
        ("AI jobs, week of {week_start: {open_roles}", "unmatched '{' in format spec"),
        ("{open_roles_counted} }", "single '}' encountered"),
        ("{open_roles:d} roles", "cannot be filled (Unknown format code 'd'"),
        ("{0} roles", "unknown placeholder {0}"),
    ],
)  # fmt: skip
@pytest.mark.parametrize(
    "command",
    [["send", "--dry-run", "--week", "2026-11-23"], ["preview", "--out", "p/issue.html"]],
)
def test_a_typo_in_the_subject_template_stops_every_command_before_anything_is_sent(
    tmp_path: Path, template: str, said: str, command: list[str]
) -> None:
    """The operator's subject template was first filled at the Monday render: a typo in
    config.toml stopped the send itself (KeyError: 'week_strat'). Reading the config finds
    it: one line naming the setting, its line in the file and what is wrong, exit 2."""
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[newsletter]\ntitle = "Weekly"\nsubject_template = "{template}"\n'
        f'[data]\nsnapshots_dir = "{REPO / "snapshots"}"\n'
        f'[database]\nurl = "sqlite:///{tmp_path / "newsletter.db"}"\n'
        '[delivery]\noutbox_dir = "outbox"\n',
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "newsletter", "--config", str(cfg), *command],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(
        f"error: configuration problem in {cfg}: line 3, newsletter.subject_template: "
    ), proc.stderr
    assert said in proc.stderr and proc.stderr.count("\n") == 1
    assert not (tmp_path / "outbox").exists() and not (tmp_path / "p").exists()
    assert not (tmp_path / "newsletter.db").exists()


def test_every_subject_placeholder_is_filled_by_the_issue() -> None:
    """The placeholders the config accepts are the ones the issue's view fills."""
    from newsletter.config import SUBJECT_PLACEHOLDERS
    from newsletter.data.pipeline import build_signals
    from newsletter.edition.view import build_view

    every = " ".join(f"[{{{name}}}]" for name in SUBJECT_PLACEHOLDERS)
    config = parse_config({"newsletter": {"subject_template": every}}, path=REPO / "config.toml")
    subject = build_view(build_signals(config), config).subject
    assert subject.count("[") == len(SUBJECT_PLACEHOLDERS) and "{" not in subject


#: A string whose lines look like settings, to be skipped as a value (line 2 to 6).
DECOY = '[newsletter]\ntagline = """\n[email]\ntop_n = 1\n[[email]] \\"""\n"""\n'


@pytest.mark.parametrize(
    ("toml", "problem"),
    [
        # the shape that was found: key = ... under its [section]
        ("[email]\ntop_n = 0\n", "line 2, email.top_n: "),
        # dotted keys, at the top and in a section, and in a header
        ("# settings\nemail.top_n = 0\n", "line 2, email.top_n: "),
        ('[delivery]\nsmtp.port = 0\nsmtp.host = "h"\n', "line 2, delivery.smtp.port: "),
        ("[delivery . smtp]\nport = 0\n", "line 2, delivery.smtp.port: "),
        # inline tables, nested too
        ("email = { sparkline_weeks = 4, top_n = 0 }\n", "line 1, email.top_n: "),
        ("[delivery]\nsmtp = { host = 'h', port = 0 }\n", "line 2, delivery.smtp.port: "),
        ("delivery = { smtp = { port = 0 } }\n", "line 1, delivery.smtp.port: "),
        # quoted keys, in a header, as a key, dotted
        ("[ \"email\" ]\n'top_n' = 0\n", "line 2, email.top_n: "),
        ('[delivery."smtp"]\n"port" = 0\n', "line 2, delivery.smtp.port: "),
        ("'email'.\"top_n\" = 0\n", "line 1, email.top_n: "),
        # an array of tables where a section belongs: its first entry
        ("[newsletter]\ntitle = 'W'\n[[email]]\ntop_n = 3\n[[email]]\n", "line 3, email: "),
        # a section written after one of its subsections: its own header
        ("[delivery.smtp]\nport = 25\n\n[delivery]\nconcurrency = 0\n", "line 5, delivery."),
        ("[delivery.smtp]\nport = 25\n[delivery]\nbogus = 1\n", "line 4, delivery.bogus: "),
        # a multi-line value before the key: its lines are no settings
        (DECOY + "[email]\ntop_n = 0\n", "line 8, email.top_n: "),
        (DECOY + "email.top_n = 0\n", "line 7, newsletter.email: "),
        ("[alerts]\nemail = [\n  'ed@example.com',\n  'nope',\n]\n", "line 2, alerts.email: "),
    ],
)
def test_a_wrong_value_is_named_with_its_line_whatever_the_toml_shape(
    tmp_path: Path, toml: str, problem: str
) -> None:
    """The line of a wrong setting was found only for ``key = ...`` under a ``[section]``
    header: a dotted key, an inline table, a quoted key or header, an array of tables or a
    multi-line string's lines were named without a line, or at a line that only looked like
    the setting. Each is found now."""
    p = tmp_path / "c.toml"
    p.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(p)
    (said,) = info.value.problems
    assert said.startswith(problem), said


def test_a_problem_without_a_line_in_the_file_is_named_without_one(tmp_path: Path) -> None:
    """A problem of no one key (two settings that clash), or of text the scanner does not
    follow, has no line: never a wrong one, never a crash."""
    from newsletter.util.tomllines import key_lines

    p = tmp_path / "c.toml"
    p.write_text("[schedule]\napproval = 'required'\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(p)
    (said,) = info.value.problems
    assert said.startswith("(top level): [schedule] approval = 'required' needs"), said
    for unread in ("a = [1,", "[a\nb = 1", 'a = "x', "a = '''x", "= 1", "a = {b = 1"):
        assert key_lines(unread) is None
    with pytest.raises(ConfigError, match=r"configuration problem: email\.top_n: "):
        parse_config({"email": {"top_n": 0}}, text="email.top_n = [0,\n")


def test_every_setting_of_the_bundled_config_and_of_odd_toml_has_its_line() -> None:
    """Every key path tomllib reads has a line, and that line writes the key."""
    import tomllib

    from newsletter.util.tomllines import key_lines

    odd = (
        "a.b.c = 1\n[x]\ny = [[1, 2], [3]]\nz = [{ q = 1 }, { q = 2, r = { s = 3 } }]\n"
        "[[t]]\nu = 1\n[[t.v]]\nw = 1\n[[t.v]]\nw = 2\n[[t]]\nu = 2\n[[t.v]]\nw = 3\n"
        '[d]\ne = 1979-05-27 07:32:00Z # a comment [g]\nf = \'\'\'\n[h]\n\'\'\'\ng = """a"""""\n'
    )
    for text in ((REPO / "config.toml").read_text(encoding="utf-8"), odd):
        lines = key_lines(text)
        assert lines is not None
        rows = text.splitlines()
        for path in _paths(tomllib.loads(text), ()):
            assert path in lines, path
            last = path[-1]
            assert isinstance(last, int) or last in rows[lines[path] - 1], (path, lines[path])
    lines = key_lines(odd)
    assert lines is not None
    assert [lines[("t", i)] for i in (0, 1)] == [5, 11]
    assert [lines[("t", 0, "v", i, "w")] for i in (0, 1)] == [8, 10]
    assert lines[("t", 1, "v", 0, "w")] == 14
    assert lines[("x", "z", 1, "r", "s")] == 4
    assert lines[("d", "g")] == 20


def _paths(value: object, path: tuple[str | int, ...]) -> Iterator[tuple[str | int, ...]]:
    """Every key path in a parsed TOML value: tables' keys, arrays' indexes."""
    items: list[tuple[str | int, object]] = []
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    for k, v in items:
        yield (*path, k)
        yield from _paths(v, (*path, k))
