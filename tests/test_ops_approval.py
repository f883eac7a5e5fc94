"""`[schedule] approval = "required"`: the weekly job mails a [PREVIEW] with a signed approve
link and waits; without an approval by the deadline nothing is sent and an alert says so;
after an approval (command line or link) the send completes exactly once."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from newsletter.audience.subscribers import SubscriberStore
from newsletter.audience.tokens import TokenSigner
from newsletter.config import Secrets, load_config
from newsletter.delivery import get_sender
from newsletter.send.approval import Approvals
from newsletter.send.confirmation import SignupMailer
from newsletter.send.ledger import SendLedger
from newsletter.send.operations import watch
from newsletter.send.runs import RunHistory
from newsletter.store import open_store
from newsletter.util.clock import FixedClock
from newsletter.web.app import create_app
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

SECRET = "test-secret-key-0123456789abcdef"
READERS = ["ann@example.org", "bo@example.org", "cy@example.org"]
APPROVAL = '[schedule]\napproval = "required"\napproval_deadline_hours = 3\n'


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLETTER_SECRET_KEY", SECRET)


def _setup(tmp_path: Path, port: int, hook: str | None, clock: FixedClock) -> Path:
    cfg = write_config(tmp_path, smtp_port=port, hook=hook)
    text = cfg.read_text(encoding="utf-8").replace(
        '[schedule]\nday = "mon"',
        '[schedule]\napproval = "required"\napproval_deadline_hours = 3\nday = "mon"',
    )
    cfg.write_text(text, encoding="utf-8")
    last_week(tmp_path)
    add_snapshot(tmp_path, WEEK)
    with open_store(load_config(cfg)) as db:
        store = SubscriberStore(db, clock=clock)
        for a in READERS:
            store.add(a)
    return cfg


def _to_readers(handler: Handler) -> int:
    return sum(len(mail_to(handler, a)) for a in READERS)


def _approve_url(handler: Handler) -> str:
    (preview,) = mail_to(handler, EDITOR)
    assert preview["Subject"].startswith("[PREVIEW] AI jobs, week of Nov 23")
    found = re.search(r"https://news\.example\.com/approve/(\S+)", text_of(preview))
    assert found is not None
    return found.group(1)


def test_without_approval_nothing_is_sent_and_the_alert_fires_then_approve_sends_once(
    tmp_path: Path, serve_app: Callable[[Any], str]
) -> None:
    hook = Hook()
    hook_url = serve_app(hook.app()) + "/hook"
    handler = Handler()
    clock = FixedClock(NOW)
    with smtp_server(handler) as (_host, port):
        cfg = _setup(tmp_path, port, hook_url, clock)
        for _run in range(2):  # the preview goes out once, however often the job runs
            r = invoke(clock, "--config", str(cfg), "run-week")
            assert r.exit_code == 0, r.output
            assert "waits for an editor's approval" in r.output
            clock.advance(600)
        assert _to_readers(handler) == 0
        token = _approve_url(handler)
        (preview,) = mail_to(handler, EDITOR)
        assert "PREVIEW of 2026-W48: not sent to subscribers yet" in text_of(preview)
        assert "3 subscriber(s) get it once an editor approves it" in text_of(preview)
        with open_store(load_config(cfg)) as db:
            runs = RunHistory(db, clock).recent(10)
        assert [r.outcome for r in runs if r.kind == "send"] == ["waiting"] * 2

        # the deadline (08:55 + 3 h) passes: nothing is sent, one alert says so
        clock.advance(timedelta(hours=3))
        for _check in range(2):
            assert invoke(clock, "--config", str(cfg), "alerts", "check").exit_code == 0
            assert invoke(clock, "--config", str(cfg), "run-week").exit_code == 0
        assert _to_readers(handler) == 0
        missing = [t for t in hook.texts() if "was not approved" in t]
        assert len(missing) == 1 and "nothing was sent" in missing[0]
        assert len([m for m in mail_to(handler, EDITOR) if "alert" in m["Subject"]]) == 1
        assert not any("was due" in t for t in hook.texts())  # waiting is not a late send
        doc = invoke(clock, "--config", str(cfg), "status", "--format", "json").stdout
        assert '"state": "expired"' in doc

        # the link has expired with the deadline; the command line still decides
        with open_store(load_config(cfg)) as db:
            app = create_app(
                load_config(cfg),
                SubscriberStore(db, clock=clock),
                TokenSigner(SECRET),
                SignupMailer(
                    load_config(cfg),
                    TokenSigner(SECRET),
                    get_sender(load_config(cfg).delivery, Secrets.of(secret_key=SECRET)),
                ),
            )
            base = serve_app(app)
            r_get = httpx.get(f"{base}/approve/{token}")
            assert r_get.status_code == 400 and "expired" in r_get.text
        r = invoke(clock, "--config", str(cfg), "approve", "2026-11-25")
        assert r.exit_code == 0 and "is approved" in r.output
        for _run in range(2):
            r = invoke(clock, "--config", str(cfg), "run-week")
            assert r.exit_code == 0, r.output
        assert [len(mail_to(handler, a)) for a in READERS] == [1, 1, 1]
        r = invoke(clock, "--config", str(cfg), "approve", "2026-11-23")
        assert "already sent" in r.output


def test_the_link_approves_once_and_the_scheduler_check_sends_exactly_once(
    tmp_path: Path, serve_app: Callable[[Any], str]
) -> None:
    handler = Handler()
    clock = FixedClock(NOW)
    with smtp_server(handler) as (_host, port):
        cfg = _setup(tmp_path, port, None, clock)
        config = load_config(cfg)
        assert invoke(clock, "--config", str(cfg), "run-week").exit_code == 0
        token = _approve_url(handler)
        secrets = Secrets.of(secret_key=SECRET)
        with open_store(config) as db:
            store = SubscriberStore(db, clock=clock)
            mailer = SignupMailer(config, TokenSigner(SECRET), get_sender(config.delivery, secrets))
            base = serve_app(create_app(config, store, TokenSigner(SECRET), mailer))
            # a GET (a mail scanner) shows the page and approves nothing
            page = httpx.get(f"{base}/approve/{token}")
            assert page.status_code == 200 and "Approve issue 2026-W48?" in page.text
            assert httpx.head(f"{base}/approve/{token}").status_code == 200  # nor a HEAD
            assert Approvals(db, clock).get(KEY).approved_at is None  # type: ignore[union-attr]
            # a subscriber's link is no approve link, nor a forged one
            sub_token = TokenSigner(SECRET).sign("unsubscribe", 1, "k" * 22)
            assert httpx.post(f"{base}/approve/{sub_token}").status_code == 400
            assert httpx.post(f"{base}/approve/{token[:-2]}xx").status_code == 400
            done = httpx.post(f"{base}/approve/{token}")
            assert done.status_code == 200 and "is approved" in done.text
            again = httpx.post(f"{base}/approve/{token}")
            assert again.status_code == 200 and "is approved" in again.text
            record = Approvals(db, clock).get(KEY)
            assert record is not None and record.approved_via == "link"
        # the scheduler's periodic check sends it, once
        for _tick in range(3):
            watch(config, secrets, clock=clock)
            clock.advance(900)
        assert [len(mail_to(handler, a)) for a in READERS] == [1, 1, 1]
        with open_store(config) as db:
            issue = SendLedger(db).issue(KEY)
        assert issue is not None and issue.status == "sent" and issue.sent == 3


def test_a_changed_issue_is_previewed_and_approved_anew(tmp_path: Path) -> None:
    """An approval is for the issue the editors saw: after the snapshot changes, the old
    link is dead and a new preview goes out."""
    handler = Handler()
    clock = FixedClock(NOW)
    with smtp_server(handler) as (_host, port):
        cfg = _setup(tmp_path, port, None, clock)
        config = load_config(cfg)
        assert invoke(clock, "--config", str(cfg), "run-week").exit_code == 0
        first = _approve_url(handler)
        assert invoke(clock, "--config", str(cfg), "approve", "2026-11-23").exit_code == 0
        add_snapshot(tmp_path, WEEK, source="2026-11-16")  # the week's postings changed
        r = invoke(clock, "--config", str(cfg), "run-week")
        assert r.exit_code == 0 and "waits for an editor's approval" in r.output
        assert _to_readers(handler) == 0
        previews = mail_to(handler, EDITOR)
        assert len(previews) == 2
        with open_store(config) as db:
            from newsletter.send.approval import ApprovalSigner
            from newsletter.send.operations import approve_link

            assert approve_link(db, ApprovalSigner(SECRET, clock), first, clock).outcome == "stale"
        assert invoke(clock, "--config", str(cfg), "approve", "2026-11-23").exit_code == 0
        assert invoke(clock, "--config", str(cfg), "run-week").exit_code == 0
        assert [len(mail_to(handler, a)) for a in READERS] == [1, 1, 1]


def test_approval_needs_editors() -> None:
    from newsletter.config import parse_config
    from newsletter.errors import ConfigError

    with pytest.raises(ConfigError, match="needs \\[alerts\\] email"):
        parse_config({"schedule": {"approval": "required"}})


def test_approve_without_approvals_says_they_are_off(tmp_path: Path) -> None:
    """With [schedule] approval = "auto" no [PREVIEW] is ever sent: approve said "run-week
    prepares the issue and sends the preview", which it never does then."""
    cfg = write_config(tmp_path, smtp_port=None, hook=None)
    r = invoke(FixedClock(NOW), "--config", str(cfg), "approve", "2026-11-23")
    assert r.exit_code == 1
    assert r.stderr == (
        'error: nothing to approve: approvals are off ([schedule] approval = "auto"), so '
        "each issue is sent at its time without one\n"
    )
