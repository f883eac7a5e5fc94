"""The sources file, `newsletter sources check|add`, `newsletter collect`, the weekly chain
(run-week collects first; the scheduler's collection job) and a killed collection."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from newsletter.cli import app
from newsletter.cli._app import CliState
from newsletter.config import load_config, parse_config
from newsletter.data.collect import Source, add_source, load_sources, parse_spec, read_manifest
from newsletter.data.collect.sources import parse_sources
from newsletter.data.snapshots import raw_path, read_snapshot, snapshot_path
from newsletter.errors import CollectError
from newsletter.send.schedule import (
    COLLECT_JOB_ID,
    JOB_ID,
    build_scheduler,
    collect_refusal,
    collect_week,
    issue_week,
)
from newsletter.send.service import collect_if_missing
from newsletter.util.clock import FixedClock
from tests.collect_support import FakeBoards, greenhouse_job, lever_posting, workable_job
from tests.conftest import NOW, REPO
from tests.send_support import POSTAL, add_subscribers

WEEK = date(2026, 11, 23)


def _invoke(args: list[str]) -> Result:
    return CliRunner().invoke(
        app, args, obj=CliState(clock=FixedClock(NOW)), env={"COLUMNS": "200"}
    )


def _config_file(tmp_path: Path, base: str, sources: str = "") -> Path:
    (tmp_path / "sources.toml").write_text(sources, encoding="utf-8")
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[newsletter]\npostal_address = "{POSTAL}"\nbase_url = "https://news.example.com"\n'
        f'[data]\nsnapshots_dir = "snapshots"\nrules_dir = "{REPO / "rules"}"\n'
        "max_snapshot_age_days = 36500\n"
        f'[database]\nurl = "sqlite:///{tmp_path / "newsletter.db"}"\n'
        '[delivery]\noutbox_dir = "outbox"\n'
        '[schedule]\nday = "mon"\ntime = 08:00:00\ntimezone = "UTC"\n'
        'collect_day = "sun"\ncollect_time = 18:00:00\n'
        '[collect]\nsources = "sources.toml"\ncontact = "ops@example.com"\nper_host_rate = 0\n'
        "max_attempts = 1\n"
        f'[collect.greenhouse]\nbase_url = "{base}/gh"\n'
        f'[collect.lever]\nbase_url = "{base}/lever"\n',
        encoding="utf-8",
    )
    return cfg


SOURCES_TOML = """\
# my boards
[[source]]
ats = "greenhouse"
board = "acme"
company = "Acme AI"   # display name
tags = ["lab"]

[[source]]
ats = "lever"
board = "widget"
company = "Widget Co"
"""


@pytest.fixture(autouse=True)
def wide_console() -> Iterator[None]:
    """Tables on one line each, whatever the terminal (or none, under xdist)."""
    from newsletter.cli._app import console

    old = console._width
    console.width = 200
    yield
    console._width = old


@pytest.fixture
def boards() -> FakeBoards:
    b = FakeBoards()
    b.add("greenhouse", "acme", [greenhouse_job(i) for i in range(30)])
    b.add("lever", "widget", [lever_posting(i) for i in range(120)])
    return b


@pytest.fixture
def base(boards: FakeBoards, serve_app: Callable[[Any], str]) -> str:
    return serve_app(boards.app())


# ---- the sources file ------------------------------------------------------------------


def test_sources_file_is_validated_with_every_problem_listed() -> None:
    bad = """
[[source]]
ats = "greenhouse"
board = "acme corp"
company = "Acme"
[[source]]
ats = "taleo"
board = "x"
company = "X"
[[source]]
ats = "lever"
board = "widget"
[[source]]
ats = "url"
board = "feed"
[[source]]
ats = "greenhouse"
board = "ok"
company = "Ok"
colour = "red"
"""
    with pytest.raises(CollectError) as err:
        parse_sources(bad)
    msg = str(err.value)
    assert msg.count(";") == 4, msg  # five problems, one line
    for part in ("source 1 (acme corp): board", "source 2 (x): ats", "company", "needs url",
                 "source 5 (ok): colour: unknown setting"):  # fmt: skip
        assert part in msg
    assert "\n" not in msg
    dup = SOURCES_TOML + '[[source]]\nats = "lever"\nboard = "widget"\ncompany = "W"\n'
    with pytest.raises(CollectError, match="lever:widget is listed twice"):
        parse_sources(dup)
    assert load_sources(Path("/nonexistent/sources.toml")) == []


def test_a_name_or_address_with_a_trailing_newline_is_refused() -> None:
    # `$` also matches before a final newline: "acme\n" passed as a board name (and tag, and
    # url), and the newline went into the board's raw file names, its key and its ids
    entries = {
        "board": 'ats = "greenhouse"\nboard = "acme\\n"\ncompany = "Acme"',
        "tags": 'ats = "greenhouse"\nboard = "acme"\ncompany = "Acme"\ntags = ["lab\\n"]',
        "url": 'ats = "url"\nboard = "feed"\nurl = "https://x.example/a.csv\\n"',
    }
    for field, entry in entries.items():
        with pytest.raises(CollectError, match=f"source 1 .*{field}") as err:
            parse_sources(f"[[source]]\n{entry}\n")
        assert "\n" not in str(err.value)  # one line, the name's newline shown as \n
    with pytest.raises(ValueError, match="is not a board name"):
        Source.model_validate({"ats": "lever", "board": "acme\n", "company": "Acme"})
    assert parse_spec(" greenhouse:acme\n") == ("greenhouse", "acme")  # the spec is trimmed
    # the one test of a URL (util/urls): a user name before the host reads as one host and
    # goes to another; the sources' own regex let it pass
    with pytest.raises(CollectError, match="user name before its host"):
        parse_sources(
            '[[source]]\nats = "url"\nboard = "f"\nurl = "https://x.example@evil.example/a"\n'
        )


def test_a_board_api_base_url_with_a_query_fragment_or_space_is_refused() -> None:
    # the API's path is appended to the base URL: "https://host/?key=1" asked for
    # "/?key=1/v1/boards/acme/jobs" (the path became part of the query), "https://host/#x"
    # for "/" (every board "not found"), and a space went into the request line
    from newsletter.errors import ConfigError

    for bad in ("https://boards-api.greenhouse.io/?key=1", "https://boards-api.greenhouse.io#x",
                "https://boards-api.greenhouse.io/v1 x", "https://api.lever.co/\n"):  # fmt: skip
        with pytest.raises(ConfigError, match=r"greenhouse\.base_url") as err:
            parse_config({"collect": {"greenhouse": {"base_url": bad}}})
        assert "\n" not in str(err.value)
    ok = {"greenhouse": {"base_url": "http://127.0.0.1:8080/gh/"},
          "recruitee": {"base_url": "https://{board}.recruitee.com"}}  # fmt: skip
    collect = parse_config({"collect": ok}).collect
    assert collect.base_url("greenhouse") == "http://127.0.0.1:8080/gh"
    assert collect.base_url("recruitee") == "https://{board}.recruitee.com"


def test_add_keeps_comments_and_refuses_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(SOURCES_TOML, encoding="utf-8")
    add_source(path, Source(ats="ashby", board="orbit", company="Orbit Labs", tags=("lab",)))
    text = path.read_text(encoding="utf-8")
    assert "# my boards" in text and "# display name" in text
    assert [s.key for s in load_sources(path)] == ["greenhouse:acme", "lever:widget", "ashby:orbit"]
    with pytest.raises(CollectError, match="already in"):
        add_source(path, Source(ats="ashby", board="orbit", company="Other"))


def test_boards_differing_only_by_case_are_one_board(
    tmp_path: Path, base: str, boards: FakeBoards
) -> None:
    # "acme" and "Acme" were two boards: the same Greenhouse board (board names are not
    # case-sensitive in its URLs) fetched twice, its postings counted twice under two sources
    twice = SOURCES_TOML + '[[source]]\nats = "greenhouse"\nboard = "Acme"\ncompany = "Acme"\n'
    cfg = _config_file(tmp_path, base, twice)
    r = _invoke(["--config", str(cfg), "collect", "--week", "2026-11-23"])
    assert r.exit_code == 1 and len(r.output.strip().splitlines()) == 1, r.output
    assert (
        "source 3: greenhouse:Acme is listed twice (also source 1, as greenhouse:acme: board "
        "names are not case-sensitive)" in " ".join(r.output.split())
    )
    assert boards.log == [] and not (tmp_path / "snapshots").exists()  # nothing fetched
    path = tmp_path / "sources.toml"
    path.write_text(SOURCES_TOML, encoding="utf-8")
    with pytest.raises(CollectError, match=r"lever:WIDGET is already in .* as lever:widget"):
        add_source(path, Source(ats="lever", board="WIDGET", company="Widget"))
    assert path.read_text(encoding="utf-8") == SOURCES_TOML


def test_sources_add_command_creates_the_file(tmp_path: Path, base: str) -> None:
    cfg = _config_file(tmp_path, base)
    (tmp_path / "sources.toml").unlink()
    r = _invoke(["--config", str(cfg), "sources", "add", "greenhouse:anthropic",
                 "--company", "Anthropic", "--tag", "lab"])  # fmt: skip
    assert r.exit_code == 0, r.output
    (src,) = load_sources(tmp_path / "sources.toml")
    assert (src.key, src.company, src.tags) == ("greenhouse:anthropic", "Anthropic", ("lab",))
    r = _invoke(["--config", str(cfg), "sources", "add", "taleo:x", "--company", "X"])
    assert r.exit_code != 0 and "is not ATS:BOARD" in r.output
    r = _invoke(["--config", str(cfg), "sources", "add", "lever:x"])
    assert r.exit_code != 0 and "company" in r.output and "Traceback" not in r.output


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--company", "c" * 200], "lever:x: --company: must be 1 to 120 printable characters"),
        (["--company", ""], "lever:x: --company: must be 1 to 120 printable characters"),
        (["--company", "X", "--tag", "a b"], "lever:x: --tag: tags are single words: 'a b'"),
    ],
    ids=["long-company", "empty-company", "tag-of-two-words"],
)
def test_sources_add_names_the_option_whose_value_is_refused(
    tmp_path: Path, base: str, options: list[str], says: str
) -> None:
    """``sources add lever:x --company <200 characters>`` said only "lever:x: must be 1 to
    120 printable characters", without saying what must: the line names the option."""
    cfg = _config_file(tmp_path, base)
    before = (tmp_path / "sources.toml").read_text(encoding="utf-8")
    r = _invoke(["--config", str(cfg), "sources", "add", "lever:x", *options])
    assert r.exit_code == 1, r.output
    assert r.stderr == f"error: {says}\n"
    assert (tmp_path / "sources.toml").read_text(encoding="utf-8") == before


def test_sources_check_reports_each_board(tmp_path: Path, base: str) -> None:
    extra = '[[source]]\nats = "greenhouse"\nboard = "gone"\ncompany = "Gone [bold]Inc[/]"\n'
    cfg = _config_file(tmp_path, base, SOURCES_TOML + extra)
    r = _invoke(["--config", str(cfg), "sources", "check"])
    assert r.exit_code == 1, r.output  # one board is not found
    out = " ".join(r.output.split())
    assert "greenhouse:acme" in out and "found" in out and "30" in out
    assert "120" in out and "not found (404)" in out
    assert "Gone [bold]Inc[/]" in out  # untrusted text is printed, never read as markup
    r = _invoke(["--config", str(cfg), "sources", "check", "--tag", "lab"])
    assert r.exit_code == 0, r.output
    assert not (tmp_path / "snapshots").exists()


def test_sources_check_of_a_tag_no_source_has_names_the_tags_there_are(
    tmp_path: Path, base: str, boards: FakeBoards
) -> None:
    """``sources check --tag Lab`` (tags are case-sensitive; the file says ``lab``) said "no
    sources to check in sources.toml", of a file listing two: the line names the tag asked
    for and the tags the file has. Nothing is fetched."""
    cfg = _config_file(tmp_path, base, SOURCES_TOML)
    r = _invoke(["--config", str(cfg), "sources", "check", "--tag", "Lab", "--tag", "eu"])
    assert r.exit_code == 1, r.output
    assert r.stderr == (
        f"error: no source in {tmp_path / 'sources.toml'} has the tag Lab or eu (its tags: lab)\n"
    )
    assert not boards.log


def test_sources_check_says_when_a_board_was_read_only_in_part(
    tmp_path: Path, base: str, boards: FakeBoards
) -> None:
    # a board whose paging could not be followed was "found" with the postings of its first
    # page, no word of why, and the check exited 0
    boards.add("workable", "hf", [workable_job(i) for i in range(25)])
    boards.quirks[("workable", "hf")] = "token-as-object"
    extra = '[[source]]\nats = "workable"\nboard = "hf"\ncompany = "Hugging Co"\n'
    cfg = _config_file(tmp_path, base, SOURCES_TOML + extra)
    with cfg.open("a", encoding="utf-8") as fh:
        fh.write(f'[collect.workable]\nbase_url = "{base}/workable"\n')
    r = _invoke(["--config", str(cfg), "sources", "check"])
    assert r.exit_code == 1, r.output
    row = " ".join(next(line for line in r.output.splitlines() if "workable:hf" in line).split())
    assert "incomplete" in row and "nextPage is not a page token (dict)" in row, row


# ---- newsletter collect ----------------------------------------------------------------


def test_collect_command_prints_a_table_per_board(
    tmp_path: Path, base: str, boards: FakeBoards
) -> None:
    cfg = _config_file(tmp_path, base, SOURCES_TOML)
    r = _invoke(["--config", str(cfg), "collect", "--week", "2026-11-23"])
    assert r.exit_code == 0, r.output
    out = " ".join(r.output.split())
    assert "greenhouse:acme" in out and "lever:widget" in out and "150 postings kept" in out
    boards.faults[("lever", "widget")] = ["503"]
    r = _invoke(["--config", str(cfg), "collect", "--week", "2026-11-30"])
    # the snapshot is written with what answered, and the exit status says a board failed
    assert r.exit_code == 1, r.output
    out = " ".join(r.output.split())
    assert "carried" in out and "HTTP 503" in out and "120 carried" in out
    assert "1 of 2 boards failed (lever:widget carried)" in out
    assert snapshot_path(tmp_path / "snapshots", date(2026, 11, 30)).exists()
    r = _invoke(["--config", str(cfg), "collect", "--week", "2026-11-30", "--replay"])
    assert r.exit_code == 1, r.output
    assert "120 carried" in " ".join(r.output.split())


def test_a_snapshot_folder_with_brackets_prints_as_it_is(tmp_path: Path, base: str) -> None:
    # the caption naming the snapshot was read as Rich markup: "[/]" in the folder's name
    # ended the command with a MarkupError traceback (after the snapshot was written), and
    # "[red]" vanished from the path shown
    cfg = _config_file(tmp_path, base, SOURCES_TOML)
    for name in ("a[/]b", "[red]c"):
        r = _invoke(["--config", str(cfg), "collect", "--week", "2026-11-23",
                     "--snapshots", str(tmp_path / name)])  # fmt: skip
        assert r.exit_code == 0, r.output
        assert f"{tmp_path / name}/2026-11-23.parquet" in "".join(r.output.split()), r.output


def test_a_log_gets_every_board_key_whole_and_a_gone_board_is_not_found(
    tmp_path: Path, base: str, boards: FakeBoards
) -> None:
    from newsletter.cli._app import console

    console.width = 80  # a cron log: not a terminal, 80 columns
    long = "a-board-with-a-rather-long-name-that-the-cron-log-keeps-whole"
    extra = f'[[source]]\nats = "greenhouse"\nboard = "{long}"\ncompany = "Long Name Inc"\n'
    boards.add("greenhouse", long, [], "410")
    cfg = _config_file(tmp_path, base, SOURCES_TOML + extra)
    r = _invoke(["--config", str(cfg), "collect", "--week", "2026-11-23"])
    assert r.exit_code == 1, r.output  # a board not found is a board that failed
    row = next(line for line in r.output.splitlines() if long in line)
    assert f"greenhouse:{long}" in row and "not found" in row and "gone (HTTP 410)" in row
    boards.faults[("greenhouse", long)] = ["410"]
    r = _invoke(["--config", str(cfg), "sources", "check"])
    row = next(line for line in r.output.splitlines() if long in line)
    assert f"greenhouse:{long}" in row and "not found (410)" in row


def test_when_no_board_answers_the_one_line_says_why_each_failed(
    tmp_path: Path, base: str, boards: FakeBoards
) -> None:
    cfg = _config_file(tmp_path, base, SOURCES_TOML)
    boards.faults[("greenhouse", "acme")] = ["503"]
    del boards.boards[("lever", "widget")]
    r = _invoke(["--config", str(cfg), "collect", "--week", "2026-11-23"])
    assert r.exit_code == 1 and len(r.output.strip().splitlines()) == 1, r.output
    # the one line alone: the progress bar, drawn on a terminal only, left an empty line
    # before it on a log (a cron job's, this runner's)
    assert r.stderr.startswith("error: no board answered"), r.stderr
    assert "no board answered (2 tried: greenhouse:acme HTTP 503; lever:widget not found " in (
        " ".join(r.output.split())
    )


def test_collect_without_sources_is_one_line(tmp_path: Path, base: str) -> None:
    cfg = _config_file(tmp_path, base)
    r = _invoke(["--config", str(cfg), "collect"])
    assert r.exit_code == 1 and "no sources to collect" in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_a_sources_file_that_does_not_exist_is_called_so(tmp_path: Path, base: str) -> None:
    """A new user who had not copied sources.example.toml yet was told the file "lists
    none", and ``sources check`` "no sources to check in sources.toml", of a file that is
    not there: both lines say it does not exist, an empty one that it lists none."""
    cfg = _config_file(tmp_path, base)
    path = tmp_path / "sources.toml"
    how = "(add one with `newsletter sources add greenhouse:BOARD --company NAME`)"
    for there, why in ((True, "lists none"), (False, "does not exist")):
        if not there:
            path.unlink()
        for args, what in ((["collect"], "collect"), (["sources", "check"], "check")):
            r = _invoke(["--config", str(cfg), *args])
            assert r.exit_code == 1, r.output
            assert r.stderr == f"error: no sources to {what}: {path} {why} {how}\n"


@pytest.mark.parametrize("kind", ["binary", "folder", "pipe"])
def test_a_sources_file_that_cannot_be_read_is_one_line(
    tmp_path: Path, base: str, kind: str
) -> None:
    """A sources file that is not UTF-8 text made `sources add` end in a UnicodeDecodeError
    traceback (and `sources check` quote Python's codec message); a named pipe blocked
    both until something wrote to it. Each is one line now, and the file is left as it
    was."""
    cfg = _config_file(tmp_path, base)
    path = tmp_path / "sources.toml"
    path.unlink()
    if kind == "binary":
        path.write_bytes(b"\x1f\x8b\x08\x00binary\xff\xfe")
    elif kind == "folder":
        path.mkdir()
    else:
        os.mkfifo(path)
    said = {
        "binary": "it is not UTF-8 text",
        "folder": "Is a directory",
        "pipe": "it is not a regular file (a pipe, socket or device)",
    }[kind]
    for args in (["sources", "add", "lever:x", "--company", "X"], ["sources", "check"],
                 ["collect"]):  # fmt: skip
        r = _invoke(["--config", str(cfg), *args])
        assert r.exit_code == 1, r.output
        assert r.stderr == f"error: cannot read the sources file {path}: {said}\n", args
    if kind == "binary":
        assert path.read_bytes() == b"\x1f\x8b\x08\x00binary\xff\xfe"


def test_the_default_week_is_the_next_issue() -> None:
    s = parse_config({"schedule": {"day": "mon", "time": "08:00:00", "timezone": "UTC"}}).schedule
    sunday_evening = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)
    assert collect_week(sunday_evening, s) == date(2026, 11, 30)
    monday_early = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    assert collect_week(monday_early, s) == date(2026, 11, 30)
    monday_late = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert collect_week(monday_late, s) == date(2026, 12, 7)
    # after a Monday send that failed for want of this week's snapshot: this week, which the
    # send's guard asks for (next week's only once this one exists)
    missing = {date(2026, 11, 30)}
    assert collect_week(monday_late, s, lambda w: w not in missing) == date(2026, 11, 30)
    assert collect_week(monday_late, s, lambda w: True) == date(2026, 12, 7)
    # past the grace the issue will not go out: the coming week's, as usual
    sunday_after = datetime(2026, 12, 6, 18, 0, tzinfo=UTC)
    assert collect_week(sunday_after, s, lambda w: w not in missing) == date(2026, 12, 7)


def test_collecting_a_week_that_has_ended_is_refused(
    tmp_path: Path, base: str, boards: FakeBoards
) -> None:
    cfg = _config_file(tmp_path, base, SOURCES_TOML)
    snapshots = load_config(cfg).data.snapshots_dir
    last = date(2026, 11, 16)
    r = _invoke(["--config", str(cfg), "collect", "--week", "2026-11-18"])
    assert r.exit_code == 2, r.output
    assert r.output.strip() == (
        "error: week 2026-11-16 ended on 2026-11-22: the job boards show only the postings "
        "open now, which would be filed under a past week; rebuild it from its saved answers "
        "with `newsletter collect --week 2026-11-16 --replay`"
    )
    assert not snapshots.exists() and not boards.log  # nothing fetched, nothing written
    # collected while it was on, that week's snapshot is never replaced by today's postings
    then = CliState(clock=FixedClock(datetime(2026, 11, 20, 9, 0, tzinfo=UTC)))
    args = ["--config", str(cfg), "collect", "--week", "2026-11-16"]
    assert CliRunner().invoke(app, args, obj=then).exit_code == 0
    before = snapshot_path(snapshots, last).read_bytes()
    boards.add("greenhouse", "acme", [greenhouse_job(i) for i in range(3)])
    r = _invoke(args)
    assert r.exit_code == 2 and "and replace its snapshot" in r.output
    assert snapshot_path(snapshots, last).read_bytes() == before
    r = _invoke([*args, "--replay"])  # its saved answers: allowed
    assert r.exit_code == 0, r.output
    assert read_snapshot(snapshots, last).height == 150


def test_the_late_issues_week_may_still_be_collected() -> None:
    """After a Sunday send that failed for want of its snapshot, Monday's collection is for
    that (ended) week while the issue may still go out: the week collect_week picks."""
    sunday = {"day": "sun", "time": "18:00:00", "timezone": "UTC", "misfire_grace_hours": 48}
    s = parse_config({"schedule": sunday}).schedule
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    late = date(2026, 11, 16)  # its issue was due Sunday 2026-11-22 18:00
    assert collect_week(monday, s, lambda w: False) == late
    assert collect_refusal(late, monday, s, has_snapshot=False) is None
    assert collect_refusal(late, monday, s, has_snapshot=True) is not None
    past_grace = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    assert collect_refusal(late, past_grace, s, has_snapshot=False) is not None
    assert collect_refusal(date(2026, 11, 9), monday, s, has_snapshot=False) is not None
    assert collect_refusal(date(2026, 11, 30), monday, s, has_snapshot=True) is None


def test_a_week_more_than_a_week_ahead_is_refused(
    tmp_path: Path, boards: FakeBoards, base: str
) -> None:
    """``collect --week 2062-11-20`` (a typo for 2026) filed today's postings under 2062,
    the snapshot every command then took for the latest. A week after the next calendar
    week is refused before anything is fetched; this week and the next are collected."""
    cfg = _config_file(tmp_path, base, SOURCES_TOML)
    s = load_config(cfg).schedule
    for ahead, refused in ((0, False), (7, False), (14, True)):
        week = WEEK + timedelta(days=ahead)
        assert (collect_refusal(week, NOW, s, has_snapshot=False) is not None) is refused
    r = _invoke(["--config", str(cfg), "collect", "--week", "2062-11-20"])
    assert r.exit_code == 2, r.output
    assert r.stderr == (
        "error: week 2062-11-20 is more than a week ahead: the job boards show the postings "
        "open now, which belong to this week or the next; without --week, collect picks the "
        "next issue's (2026-11-30)\n"
    )
    assert not (tmp_path / "snapshots").exists() and not boards.log  # nothing fetched


# ---- the weekly chain --------------------------------------------------------------------


def test_run_week_collects_first_then_sends(tmp_path: Path, base: str) -> None:
    cfg = _config_file(tmp_path, base, SOURCES_TOML)
    config = load_config(cfg)
    add_subscribers(config, 2)
    week = issue_week(NOW, config.schedule)
    assert not snapshot_path(config.data.snapshots_dir, week).exists()
    r = _invoke(["--config", str(cfg), "run-week"])
    assert r.exit_code == 0, r.output
    snap = read_snapshot(config.data.snapshots_dir, week)
    assert snap.height == 150
    assert len(list((tmp_path / "outbox").rglob("*.eml"))) == 2
    # the snapshot exists now: a second run collects nothing (and sends nothing)
    assert collect_if_missing(config, week, FixedClock(NOW)) is None


def test_run_week_without_sources_still_refuses_a_missing_snapshot(
    tmp_path: Path, base: str
) -> None:
    cfg = _config_file(tmp_path, base)
    r = _invoke(["--config", str(cfg), "run-week"])
    assert r.exit_code != 0 and "no snapshot for this week" in r.output


def test_the_scheduler_gets_a_collection_job_when_sources_exist(tmp_path: Path, base: str) -> None:
    cfg = _config_file(tmp_path, base, SOURCES_TOML)
    config = load_config(cfg)
    before = FixedClock(datetime(2026, 11, 25, 12, 0, tzinfo=UTC))  # a Wednesday
    sched = build_scheduler(config, kwargs={"config_path": str(cfg)}, clock=before)
    sched.start(paused=True)
    try:
        jobs = {j.id: j for j in sched.get_jobs()}
    finally:
        sched.shutdown(wait=False)
    assert set(jobs) == {JOB_ID, COLLECT_JOB_ID}
    trigger = jobs[COLLECT_JOB_ID].trigger
    assert str(trigger.fields[4]) == "sun" and str(trigger.fields[5]) == "18"  # type: ignore[attr-defined]
    assert jobs[COLLECT_JOB_ID].func_ref == "newsletter.send.jobs:collect_scheduled"


# ---- a killed collection -------------------------------------------------------------------


def test_an_ingest_of_the_week_a_collection_is_writing_is_refused(
    tmp_path: Path, base: str, boards: FakeBoards
) -> None:
    # nothing kept `ingest` and `collect` of the same week apart: two processes wrote the
    # week's snapshot, rejects and report at once, and the week held whichever renamed last
    cfg = _config_file(tmp_path, base, SOURCES_TOML)
    export = tmp_path / "jobs.csv"
    export.write_text("id,title,company\n1,ML Engineer,Other Co\n", encoding="utf-8")
    ingest = ["--config", str(cfg), "ingest", str(export), "--week", "2026-11-23"]
    boards.faults[("lever", "widget")] = ["hold"]
    collecting = subprocess.Popen(
        [sys.executable, str(REPO / "tests" / "clockrun.py"), NOW.isoformat(),
         "--config", str(cfg), "collect", "--week", "2026-11-23"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert boards.held.wait(60), "the collection never reached the held board"
        r = _invoke(ingest)  # this process, while the other one collects the week
        assert r.exit_code == 1, r.output
        assert len(r.output.strip().splitlines()) == 1
        assert "another collect or ingest of the week of 2026-11-23 is running" in r.output
    finally:
        boards.release.set()
        _, err = collecting.communicate(timeout=120)
    assert collecting.returncode == 0, err
    snap = read_snapshot(tmp_path / "snapshots", WEEK)
    assert (set(snap["source"]), snap.height) == ({"greenhouse:acme", "lever:widget"}, 150)
    assert _invoke(ingest).exit_code == 0  # the collection ended: the week is free again
    assert not list((tmp_path / "snapshots").glob(".*.lock"))


def test_a_killed_collection_leaves_the_previous_snapshot(
    tmp_path: Path, base: str, boards: FakeBoards
) -> None:
    cfg = _config_file(tmp_path, base, SOURCES_TOML)
    assert _invoke(["--config", str(cfg), "collect", "--week", "2026-11-23"]).exit_code == 0
    config = load_config(cfg)
    snap = snapshot_path(config.data.snapshots_dir, WEEK)
    before = snap.read_bytes()
    manifest = read_manifest(config.data.snapshots_dir, WEEK)
    boards.add("lever", "widget", [lever_posting(i) for i in range(10)])
    boards.faults[("greenhouse", "acme")] = ["slow:60"]
    seen = len(boards.log)
    proc = subprocess.Popen(
        [
            sys.executable,
            str(REPO / "tests" / "clockrun.py"),  # at NOW: the week is still on
            NOW.isoformat(),
            "--config",
            str(cfg),
            "collect",
            "--week",
            "2026-11-23",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(600):  # until the slow board is being fetched (at most 30 s)
            if any(k == "greenhouse" for k, *_ in boards.log[seen:]):
                break
            time.sleep(0.05)
        else:
            pytest.fail("the collection never reached the slow board")
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert snap.read_bytes() == before  # the snapshot is whole: last run's
    assert read_manifest(config.data.snapshots_dir, WEEK) == manifest
    assert not [p for p in snap.parent.iterdir() if p.name.endswith(".tmp")]
    leftovers = list(raw_path(config.data.snapshots_dir, WEEK).parent.glob(".2026-11-23.*"))
    assert leftovers  # the staging folder of the killed run...
    r = _invoke(["--config", str(cfg), "collect", "--week", "2026-11-23"])
    assert r.exit_code == 0, r.output
    assert not list(raw_path(config.data.snapshots_dir, WEEK).parent.glob(".2026-11-23.*"))
    assert read_snapshot(config.data.snapshots_dir, WEEK).height == 40
