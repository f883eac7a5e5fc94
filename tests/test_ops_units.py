"""Units of the operations layer: attribution of reactions to issues, the list at a past
instant, alert text and dedupe, the approve link, the scheduler's check job."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from newsletter.audience.subscribers import SubscriberStore
from newsletter.config import Config, Secrets, parse_config
from newsletter.errors import TokenError
from newsletter.models import Recipient
from newsletter.send.alerts import Alerter, make_alert, webhook_payload
from newsletter.send.approval import Approvals, ApprovalSigner
from newsletter.send.ledger import SendLedger
from newsletter.send.runs import RunHistory
from newsletter.send.schedule import JOB_ID, WATCH_JOB_ID, build_scheduler
from newsletter.send.stats import counts_at, issue_stats, list_change
from newsletter.store import Database, open_store
from newsletter.store.tables import runs
from newsletter.util.clock import FixedClock
from tests.conftest import NOW

DAY = dt.timedelta(days=1)


def _config(tmp_path: Path, **alerts: object) -> Config:
    return parse_config(
        {
            "database": {"url": f"sqlite:///{tmp_path / 'n.db'}"},
            "delivery": {"outbox_dir": str(tmp_path / "outbox")},
            "alerts": alerts,
        }
    )


def _send(ledger: SendLedger, key: str, week: dt.date, ids: list[int], clock: FixedClock) -> None:
    """An issue whose rows were all accepted at the clock's time."""
    from newsletter.delivery.models import SendResult, SendStatus
    from newsletter.send.claims import Claims

    ledger.begin(key, week)
    ledger.freeze(
        key,
        "subject",
        [Recipient(subscriber_id=i, email=f"r{i}@example.org") for i in ids],
        "example.com",
        run_id="run-1",
    )
    claims = Claims(ledger, key, clock)
    claim = claims.claim(len(ids))
    assert claim is not None
    ledger.record(
        key,
        "file",
        [
            SendResult(
                message_id=r.message_id,
                subscriber_id=r.subscriber_id,
                email=r.email,
                status=SendStatus.SENT,
            )
            for r in claim.rows
        ],
        owner=claims.token,
        run=claim.run,
    )
    ledger.finish(key)


def reactions_scenario(db: Database) -> None:
    """Two issues a week apart and reactions around them, checked against the 7-day rule
    (run on SQLite here and on PostgreSQL in test_ops_postgres.py)."""
    clock = FixedClock(NOW - 30 * DAY)
    store = SubscriberStore(db, clock=clock)
    ids = [store.add(f"r{i}@example.org").id for i in range(4)]
    ledger = SendLedger(db, clock=clock)
    clock.advance(16 * DAY)  # NOW - 14 days
    _send(ledger, "2026-W46", dt.date(2026, 11, 9), ids, clock)
    clock.advance(2 * DAY)
    store.unsubscribe("r0@example.org")  # 2 days after W46
    clock.advance(5 * DAY)  # NOW - 7 days
    _send(ledger, "2026-W47", dt.date(2026, 11, 16), ids[1:], clock)
    clock.advance(DAY)
    store.mark_complained("r1@example.org", "spam")  # 1 day after W47 (8 after W46)
    clock.advance(5 * DAY + dt.timedelta(hours=23))
    store.mark_bounced("r2@example.org", "gone")  # 6 d 23 h after W47: still W47's
    clock.advance(dt.timedelta(hours=2))
    store.mark_bounced("r3@example.org", "gone")  # 7 d 1 h after W47: nobody's
    w47, w46 = issue_stats(db)
    assert (w46.issue_key, w46.unsubscribed, w46.complained, w46.bounced) == ("2026-W46", 1, 0, 0)
    assert (w47.accepted, w47.complained, w47.bounced_later, w47.delivered) == (3, 1, 1, 2)
    assert w47.bounce_rate == pytest.approx(1 / 3) and w47.complaint_rate == 0.5
    assert w46.unsubscribe_rate == 0.25
    # the list a week before the end: r0 unsubscribed, the rest active
    before = counts_at(db, clock.now() - 7 * DAY - dt.timedelta(hours=2))
    assert (before["active"], before["unsubscribed"]) == (3, 1)
    assert counts_at(db, clock.now())["bounced"] == 2


def test_reactions_go_to_the_latest_issue_within_seven_days(tmp_path: Path) -> None:
    with open_store(_config(tmp_path)) as db:
        reactions_scenario(db)


def test_the_list_at_a_past_instant(tmp_path: Path) -> None:
    clock = FixedClock(NOW - 10 * DAY)
    config = _config(tmp_path)
    with open_store(config) as db:
        store = SubscriberStore(db, clock=clock)
        store.add("a@example.org")
        store.add("b@example.org")
        clock.advance(5 * DAY)  # NOW - 5 days
        store.add("c@example.org")
        store.unsubscribe("a@example.org")
        clock.advance(DAY)
        store.remove("b@example.org")  # erased: gone from every count
        clock.advance(4 * DAY)
        assert counts_at(db, NOW - 8 * DAY) == {
            "pending": 0, "active": 1, "unsubscribed": 0, "bounced": 0, "complained": 0,
        }  # fmt: skip
        change = list_change(db, NOW)
    assert change.now["active"] == 1 and change.now["unsubscribed"] == 1
    assert change.before["active"] == 1  # a (b is erased; c came later)
    assert change.change == {
        "pending": 0, "active": 0, "unsubscribed": 1, "bounced": 0, "complained": 0,
    }  # fmt: skip
    assert (change.joined, change.erased) == (1, 1)


def test_alert_text_is_one_clean_line_and_slack_safe(tmp_path: Path) -> None:
    config = _config(tmp_path, webhook_url="https://hooks.example.com/x")
    alert = make_alert(
        "sources_failed",
        dt.date(2026, 11, 23),
        "board <!channel> & co\r\nBcc: x@example.com",
        "\u202edetail\x00 <https://evil.example|click>",
        scope="Send Step!",
    )
    assert "\n" not in alert.summary and "\r" not in alert.summary
    assert "\u202e" not in alert.detail and "\x00" not in alert.detail
    assert alert.key == "2026-W48:sources_failed:send-step-"
    text = webhook_payload(config, alert)["text"]
    assert "<!channel>" not in text and "&lt;!channel&gt; &amp; co" in text
    assert "<https://evil" not in text


def test_a_failed_delivery_is_retried_then_given_up_and_never_raises(tmp_path: Path) -> None:
    calls: list[int] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(500)

    config = _config(tmp_path, webhook_url="https://hooks.example.com/x")
    clock = FixedClock(NOW)
    with open_store(config) as db:
        alerter = Alerter(config, Secrets(), db, clock, transport=httpx.MockTransport(refuse))
        alert = make_alert("send_late", dt.date(2026, 11, 23), "late")
        outcomes = [alerter.fire([alert])[0].status for _ in range(5)]
    assert outcomes == ["failed", "failed", "failed", "skipped", "skipped"]
    assert len(calls) == 3


def test_an_alert_is_never_stuck_sending(tmp_path: Path) -> None:
    """A webhook URL httpx refuses (InvalidURL is no HTTPError) and a process killed in
    mid-delivery left the alert 'sending': never retried, never delivered."""
    from newsletter.store.tables import alerts

    config = _config(tmp_path, webhook_url="https://hooks.example.com/x")
    bad = Secrets.of(alert_webhook_url="http://127.0.0.1:8899:99/x")
    alert = make_alert("send_late", dt.date(2026, 11, 23), "late")
    with open_store(config) as db:
        got = Alerter(config, bad, db, FixedClock(NOW)).fire([alert])
        assert [(d.status, "Invalid" in d.reason) for d in got] == [("failed", True)]
        with db.read() as conn:
            assert conn.execute(sa.select(alerts.c.status)).scalars().all() == ["failed"]

    killed = make_alert("snapshot_stale", dt.date(2026, 11, 23), "stale")
    sent: list[int] = []

    def ok(request: httpx.Request) -> httpx.Response:
        sent.append(1)
        return httpx.Response(200)

    with open_store(config) as db:
        with db.write() as conn:  # as a killed process leaves it
            conn.execute(
                sa.insert(alerts).values(
                    key=killed.key, channel="webhook", week=killed.week, kind=killed.kind,
                    status="sending", attempts=1, text="stale", created_at=NOW, updated_at=NOW,
                )
            )  # fmt: skip
        soon = Alerter(config, Secrets(), db, FixedClock(NOW + dt.timedelta(minutes=5)),
                       transport=httpx.MockTransport(ok))  # fmt: skip
        assert [d.status for d in soon.fire([killed])] == ["skipped"]  # maybe still running
        later = Alerter(config, Secrets(), db, FixedClock(NOW + dt.timedelta(minutes=15)),
                        transport=httpx.MockTransport(ok))  # fmt: skip
        assert [d.status for d in later.fire([killed])] == ["sent"]
    assert sent == [1]


def test_the_env_webhook_url_wins_and_delivers_once(tmp_path: Path) -> None:
    seen: list[str] = []

    def ok(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200)

    config = _config(tmp_path, webhook_url="https://hooks.example.com/config")
    secrets = Secrets.of(alert_webhook_url="https://hooks.example.com/env")
    with open_store(config) as db:
        alerter = Alerter(config, secrets, db, FixedClock(NOW), transport=httpx.MockTransport(ok))
        alert = make_alert("send_late", dt.date(2026, 11, 23), "late")
        assert [d.status for d in alerter.fire([alert, alert])] == ["sent", "skipped"]
    assert seen == ["https://hooks.example.com/env"]


def test_a_webhook_set_only_in_the_environment_is_a_channel(
    tmp_path: Path, serve_app: Callable[[Any], str]
) -> None:
    """NEWSLETTER_ALERT_WEBHOOK_URL alone (as config.toml advises for a credential) makes
    alerts fire and the scheduler's periodic check run; it did neither."""
    from newsletter.send.monitor import Monitor
    from newsletter.send.schedule import watching
    from tests.ops_support import Hook

    hook = Hook()
    url = serve_app(hook.app()) + "/hook"
    config = _config(tmp_path)  # no [alerts] email or webhook_url
    secrets = Secrets.of(alert_webhook_url=url)
    assert not watching(config) and watching(config, secrets)
    with open_store(config) as db:
        monitor = Monitor(config, secrets, db, FixedClock(NOW), trigger="schedule")
        alert = make_alert("send_late", dt.date(2026, 11, 23), "the issue is late")
        assert [d.status for d in monitor.fire([alert])] == ["sent"]
    assert hook.texts() and "the issue is late" in hook.texts()[0]


def test_the_approve_link_is_purpose_bound_single_use_and_expires(tmp_path: Path) -> None:
    clock = FixedClock(NOW)
    config = _config(tmp_path)
    signer = ApprovalSigner("k" * 32, clock)
    with open_store(config) as db:
        approvals = Approvals(db, clock)
        deadline = NOW + dt.timedelta(hours=1)
        record = approvals.request("2026-W48", dt.date(2026, 11, 23), "d1", deadline)
        assert approvals.request("2026-W48", dt.date(2026, 11, 23), "d1", deadline) == record
        token = signer.sign(record)
        assert signer.verify(token) == ("2026-W48", record.link_key)
        with pytest.raises(TokenError, match="not valid"):
            ApprovalSigner("other-key" * 4, clock).verify(token)
        from itsdangerous import URLSafeSerializer

        other_salt = URLSafeSerializer("k" * 32, salt="newsletter.unsubscribe.v1")
        forged = other_salt.dumps({"i": "2026-W48", "k": record.link_key, "e": 2**40})
        with pytest.raises(TokenError, match="not valid"):
            signer.verify(str(forged))
        assert approvals.approve("2026-W48", "link", "wrong-key") == "stale"
        assert approvals.approve("2026-W48", "link", record.link_key) == "approved"
        assert approvals.approve("2026-W48", "link", record.link_key) == "already"
        later = approvals.request("2026-W48", dt.date(2026, 11, 23), "d2", NOW + DAY)
        assert later.approved_at is None and later.link_key != record.link_key
        clock.advance(2 * DAY)
        with pytest.raises(TokenError, match="expired"):
            signer.verify(signer.sign(later))
        assert approvals.approve("2026-W48", "link", later.link_key) == "expired"
        assert approvals.approve("2026-W48", "cli") == "approved"


def test_a_history_that_cannot_be_written_never_stops_the_step(tmp_path: Path) -> None:
    notes: list[str] = []
    config = _config(tmp_path)
    with open_store(config) as db:
        with db.write() as conn:
            conn.execute(sa.text("DROP TABLE runs"))
        history = RunHistory(db, FixedClock(NOW), warn=notes.append)
        with history.step("signals", dt.date(2026, 11, 23)) as step:
            step.counts["open"] = 1
        with pytest.raises(ZeroDivisionError), history.step("render", dt.date(2026, 11, 23)):
            _ = 1 / 0
    assert len(notes) == 1 and "run history could not be written" in notes[0]
    assert runs.name == "runs"


def test_the_scheduler_checks_only_when_there_is_something_to_check(tmp_path: Path) -> None:
    quiet = _config(tmp_path / "new" / "state")  # a first start: the folder is not there yet
    loud = _config(tmp_path, email=["ed@example.com"], check_minutes=5)
    before = FixedClock(dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC))
    found = []
    for config in (quiet, loud):
        sched = build_scheduler(config, clock=before, collect_func=None)
        sched.start(paused=True)
        try:
            found.append({j.id: j for j in sched.get_jobs()})
        finally:
            sched.shutdown(wait=False)
    assert set(found[0]) == {JOB_ID}
    assert set(found[1]) == {JOB_ID, WATCH_JOB_ID}
    watch = found[1][WATCH_JOB_ID]
    assert watch.func_ref == "newsletter.send.jobs:watch_scheduled"
    assert watch.trigger.interval == dt.timedelta(minutes=5)


def test_a_preview_claim_a_killed_run_left_is_taken_again(tmp_path: Path) -> None:
    """A run killed while mailing the [PREVIEW] left previews = -1 for good: no editor ever
    got the approve link, and the next run said the copy 'went out on an earlier run'."""
    clock = FixedClock(NOW)
    with open_store(_config(tmp_path)) as db:
        approvals = Approvals(db, clock)
        approvals.request("2026-W48", dt.date(2026, 11, 23), "d1", NOW + DAY)
        assert approvals.claim_preview("2026-W48")  # ... and the run is killed here
        assert not approvals.claim_preview("2026-W48")  # another run may be mailing now
        clock.advance(dt.timedelta(minutes=11))
        assert approvals.claim_preview("2026-W48")  # the lease is over: taken again
        approvals.previewed("2026-W48", 2)
        clock.advance(DAY)
        assert not approvals.claim_preview("2026-W48")  # sent: never again for this version
