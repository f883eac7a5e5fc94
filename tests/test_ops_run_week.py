"""A real `run-week` through failure and success: the run history, `status --format json`,
and each alert exactly once per condition (aiosmtpd receives the emails, a webhook server on
loopback the chat messages). Time moves with FixedClock.advance, never by sleeping."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from newsletter.audience.subscribers import SubscriberStore
from newsletter.config import Secrets, load_config
from newsletter.send.operations import collect_week
from newsletter.send.runs import RunHistory
from newsletter.store import open_store
from newsletter.util.clock import FixedClock
from tests.collect_support import FakeBoards, greenhouse_job, lever_posting
from tests.conftest import NOW
from tests.delivery_support import Handler, smtp_server
from tests.ops_support import (
    EDITOR,
    KEY,
    WEEK,
    Hook,
    add_snapshot,
    invoke,
    last_week,
    mail_to,
    text_of,
    write_config,
)

READERS = ["ann@example.org", "bo@example.org", "cy@example.org"]


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLETTER_SECRET_KEY", "test-secret-key-0123456789abcdef")


def _readers(cfg: Path, clock: FixedClock) -> None:
    with open_store(load_config(cfg)) as db:
        store = SubscriberStore(db, clock=clock)
        for address in READERS:
            store.add(address)


def _status(clock: FixedClock, cfg: Path) -> dict[str, Any]:
    r = invoke(clock, "--config", str(cfg), "status", "--format", "json")
    assert r.exit_code == 0, r.output
    doc: dict[str, Any] = json.loads(r.stdout)
    return doc


def _runs(cfg: Path) -> list[tuple[str, str, str]]:
    """(kind, outcome, trigger) of every run, oldest first."""
    with open_store(load_config(cfg)) as db:
        found = RunHistory(db, FixedClock(NOW)).recent(100)
    return [(r.kind, r.outcome, r.trigger) for r in reversed(found)]


def test_run_week_fails_then_succeeds_with_history_status_and_one_alert_per_condition(
    tmp_path: Path, serve_app: Callable[[Any], str]
) -> None:
    hook = Hook()
    hook_url = serve_app(hook.app()) + "/hook"
    handler = Handler()
    clock = FixedClock(NOW)
    with smtp_server(handler) as (_host, port):
        cfg = write_config(tmp_path, smtp_port=port, hook=hook_url)
        last_week(tmp_path)
        _readers(cfg, clock)

        # 1. this week's snapshot is missing: the step fails, the editors hear it once
        for _attempt in range(2):
            r = invoke(clock, "--config", str(cfg), "run-week")
            assert r.exit_code != 0 and "refusing to send: no snapshot" in r.output
            clock.advance(600)
        assert _runs(cfg) == [("signals", "failed", "run-week")] * 2
        assert len(hook.posts) == 1 and "snapshot is not ready" in hook.texts()[0]
        (alert,) = mail_to(handler, EDITOR)
        assert alert["Subject"] == (
            f"[AI Jobs Weekly alert] {KEY}: this week's snapshot is not ready, the send refused"
        )
        assert "no snapshot for this week (2026-11-23)" in text_of(alert)
        assert all(mail_to(handler, a) == [] for a in READERS)

        # 2. the snapshot arrives: the same command sends the issue
        add_snapshot(tmp_path, WEEK)
        r = invoke(clock, "--config", str(cfg), "run-week")
        assert r.exit_code == 0, r.output
        assert all(len(mail_to(handler, a)) == 1 for a in READERS)
        assert _runs(cfg)[2:] == [
            ("signals", "ok", "run-week"),
            ("render", "ok", "run-week"),
            ("send", "ok", "run-week"),
        ]
        doc = _status(clock, cfg)
        send, render, signals = doc["runs"][:3]
        assert (send["kind"], send["outcome"], send["issue_key"]) == ("send", "ok", KEY)
        assert send["counts"]["sent"] == 3 and send["counts"]["left"] == 0
        assert send["duration_seconds"] == 0.0  # the fixed clock did not move during it
        assert signals["counts"]["open"] > 0 and render["counts"]["html_bytes"] > 0
        assert doc["runs"][3]["error"].startswith("refusing to send: no snapshot")
        week = doc["this_week"]
        assert week["issue_key"] == KEY and week["snapshot"]["fresh"] is True
        assert week["rendered"] is True
        issue_now = week["issue"]
        assert (issue_now["status"], issue_now["sent"], issue_now["recipients"]) == ("sent", 3, 3)
        assert issue_now["left_to_retry"] == 0
        assert doc["schedule"]["send"]["next_run"] == "2026-11-30T08:55:00+00:00"
        (issue,) = doc["issues"]
        assert (issue["accepted"], issue["delivered"], issue["bounced"]) == (3, 3, 0)
        assert issue["bounce_rate"] == 0.0 and issue["window_complete"] is False
        assert doc["subscribers"]["counts"]["active"] == 3
        assert doc["subscribers"]["change_7d"]["active"] == 3
        assert {(a["key"], a["channel"], a["status"]) for a in doc["alerts"]["recent"]} == {
            (f"{KEY}:snapshot_stale", "webhook", "sent"),
            (f"{KEY}:snapshot_stale", f"email:{EDITOR}", "sent"),
        }

        # 3. a bounce and a complaint come back the next day: one alert each, once
        clock.advance(timedelta(days=1))
        with open_store(load_config(cfg)) as db:
            store = SubscriberStore(db, clock=clock)
            store.mark_bounced(READERS[0], "postmark webhook: hard bounce")
            store.mark_complained(READERS[1], "postmark webhook: spam complaint")
        for _check in range(2):
            r = invoke(clock, "--config", str(cfg), "alerts", "check")
            assert r.exit_code == 0, r.output
        assert len(hook.posts) == 3
        assert "bounce rate 33.33 % is above 2.00 %" in hook.texts()[1]
        assert "complaint rate 50.00 % is above 0.10 %" in hook.texts()[2]
        assert len(mail_to(handler, EDITOR)) == 3
        (issue,) = _status(clock, cfg)["issues"]
        assert (issue["bounced_later"], issue["complained"], issue["delivered"]) == (1, 1, 2)
        assert issue["checks"]["complaint_rate"] == "above_max"

        # 4. an unsubscribe 8 days after the send is not this issue's any more
        clock.advance(timedelta(days=7))
        with open_store(load_config(cfg)) as db:
            SubscriberStore(db, clock=clock).unsubscribe(READERS[2])
        doc = _status(clock, cfg)
        assert doc["issues"][0]["unsubscribed"] == 0
        assert doc["issues"][0]["window_complete"] is True
        assert doc["subscribers"]["counts"]["unsubscribed"] == 1
    # nothing above went to a reader twice
    assert all(len(mail_to(handler, a)) == 1 for a in READERS)


def test_a_failed_send_step_and_a_late_send_alert_once_and_never_block(
    tmp_path: Path, serve_app: Callable[[Any], str]
) -> None:
    """The provider refuses the account (5.7.0): the send step fails and alerts by webhook
    once; the alert email through the same refusing server cannot go, is logged, and the
    run's own error is what the command reports. Hours later the send is late: one more."""
    hook = Hook()
    hook_url = serve_app(hook.app()) + "/hook"

    def policy(address: str) -> str | None:
        return None if address == EDITOR else "530 5.7.0 Authentication required"

    handler = Handler(rcpt_reply=policy)
    clock = FixedClock(NOW)
    with smtp_server(handler) as (_host, port):
        cfg = write_config(tmp_path, smtp_port=port, hook=hook_url)
        last_week(tmp_path)
        add_snapshot(tmp_path, WEEK)
        _readers(cfg, clock)
        for _attempt in range(2):
            r = invoke(clock, "--config", str(cfg), "run-week")
            assert r.exit_code != 0 and "5.7.0" in r.output, r.output
        assert _runs(cfg)[-1] == ("send", "failed", "run-week")
        assert len(hook.posts) == 1 and "the send step failed" in hook.texts()[0]
        assert len(mail_to(handler, EDITOR)) == 1  # the editor's address is accepted
        handler.rcpt_reply = lambda _a: "550 5.7.1 relaying denied"  # now nothing goes
        clock.advance(timedelta(hours=5))  # due 08:55 + 4 h: the send is late
        for _check in range(2):
            r = invoke(clock, "--config", str(cfg), "alerts", "check")
        assert r.exit_code == 1  # the email channel failed (reported), the webhook did not
        assert len(hook.posts) == 2 and f"{KEY} was due Mon 2026-11-23 08:55 UTC" in hook.texts()[1]
        doc = _status(clock, cfg)
        late = {a["channel"]: a for a in doc["alerts"]["recent"] if a["kind"] == "send_late"}
        assert late["webhook"]["status"] == "sent"
        assert late[f"email:{EDITOR}"]["status"] == "failed"
        assert late[f"email:{EDITOR}"]["attempts"] == 2  # retried once by the second check
    assert all(mail_to(handler, a) == [] for a in READERS)


def test_failed_sources_alert_once_from_the_weekly_job(
    tmp_path: Path, serve_app: Callable[[Any], str]
) -> None:
    boards = FakeBoards()
    boards.add("greenhouse", "acme", [greenhouse_job(i) for i in range(30)])
    boards.add("lever", "widget", [lever_posting(i) for i in range(40)], "503", "503", "503")
    base = serve_app(boards.app())
    hook = Hook()
    hook_url = serve_app(hook.app()) + "/hook"
    clock = FixedClock(NOW)
    extra = (
        '[collect]\nsources = "sources.toml"\ncontact = "ops@example.com"\nper_host_rate = 0\n'
        f'max_attempts = 1\n[collect.greenhouse]\nbase_url = "{base}/gh"\n'
        f'[collect.lever]\nbase_url = "{base}/lever"\n'
    )
    cfg = write_config(tmp_path, smtp_port=None, hook=hook_url, extra=extra)
    (tmp_path / "sources.toml").write_text(
        '[[source]]\nats = "greenhouse"\nboard = "acme"\ncompany = "Acme <!channel>"\n'
        '[[source]]\nats = "lever"\nboard = "widget"\ncompany = "Widget"\n',
        encoding="utf-8",
    )
    last_week(tmp_path)
    _readers(cfg, clock)
    r = invoke(clock, "--config", str(cfg), "run-week")
    assert r.exit_code == 0, r.output
    assert _runs(cfg) == [
        ("collect", "ok", "run-week"),
        ("signals", "ok", "run-week"),
        ("render", "ok", "run-week"),
        ("send", "ok", "run-week"),
    ]
    (post,) = hook.posts
    assert "1 of 2 sources failed" in post["text"] and "lever:widget (failed" in post["text"]
    r = invoke(clock, "--config", str(cfg), "run-week")  # already sent: nothing new
    assert r.exit_code == 0 and len(hook.posts) == 1
    # the scheduler collects the week again an hour later, the board still failing: the
    # condition holds, the editors already know
    clock.advance(timedelta(hours=1))
    again = collect_week(load_config(cfg), Secrets(), WEEK, clock=clock, trigger="schedule")
    assert [b.status for b in again.boards if b.key.startswith("lever")] == ["failed"]
    assert _runs(cfg)[-1] == ("collect", "ok", "schedule") and len(hook.posts) == 1
    # a manual collection records its step too (as `cli`), and alerts no one
    r = invoke(clock, "--config", str(cfg), "collect", "--week", "2026-11-30")
    assert r.exit_code == 1, r.output  # the board failed: the exit status says so
    assert _runs(cfg)[-1] == ("collect", "ok", "cli") and len(hook.posts) == 1
    outbox = tmp_path / "outbox"
    assert len(list(outbox.glob(f"{KEY}/*.eml"))) == 3
    assert len(list(outbox.glob("editors-alerts/*.eml"))) == 1


def test_a_manual_ingest_is_recorded(tmp_path: Path) -> None:
    from newsletter.data.synth import write_raw_csv

    clock = FixedClock(NOW)
    cfg = write_config(tmp_path, smtp_port=None, hook=None)
    raw = write_raw_csv(tmp_path / "raw.csv.gz", 200)
    r = invoke(clock, "--config", str(cfg), "ingest", str(raw), "--week", "2026-11-23")
    assert r.exit_code == 0, r.output
    bad = tmp_path / "bad.csv"
    bad.write_text("nothing,useful\n1,2\n", encoding="utf-8")
    r = invoke(clock, "--config", str(cfg), "ingest", str(bad), "--week", "2026-11-23")
    assert r.exit_code != 0
    assert _runs(cfg) == [("ingest", "ok", "cli"), ("ingest", "failed", "cli")]
    doc = _status(clock, cfg)
    ok, failed = doc["runs"][1], doc["runs"][0]
    assert ok["counts"]["rows_read"] == 200 and ok["counts"]["kept"] > 0
    assert failed["error"] and "\n" not in failed["error"]
    assert doc["alerts"]["recent"] == []  # a command at a terminal shows its own error


def test_status_without_a_database_says_so_and_makes_none(tmp_path: Path) -> None:
    """`status` run with the wrong config (or in the wrong folder) made a new empty database
    and reported no runs, no issue and no subscribers, exit 0: "nothing happened" where the
    real database may hold a failed send. It now says there is no database, one line, exit
    1, and makes none."""
    cfg = write_config(tmp_path, smtp_port=None, hook=None)
    for fmt in ("table", "json"):
        r = invoke(FixedClock(NOW), "--config", str(cfg), "status", "--format", fmt)
        assert r.exit_code == 1, r.output
        assert r.output.strip().splitlines() == [
            f"error: no database at {tmp_path / 'newsletter.db'} ({cfg}); nothing to read"
        ]
    assert not (tmp_path / "newsletter.db").exists()
