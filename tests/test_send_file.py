"""The file outbox is exactly-once even across the kill window: one file per (issue,
subscriber), named by the ledger's Message-ID and written atomically."""

from __future__ import annotations

import threading
from io import StringIO
from pathlib import Path

import pytest
import sqlalchemy as sa
from rich.console import Console

from newsletter.audience.subscribers import SubscriberStore
from newsletter.cli.send import _progress
from newsletter.config import Secrets
from newsletter.delivery._mime import MimeCall
from newsletter.delivery.memory import MemorySender
from newsletter.delivery.models import SendStatus
from newsletter.errors import ComplianceError, DeliveryError, GuardError
from newsletter.send.ledger import SendLedger
from newsletter.send.service import (
    SendReport,
    link_signer,
    prepare_issue,
    send_issue,
    send_week,
)
from newsletter.store import open_store
from newsletter.store.tables import sends
from newsletter.util.clock import FixedClock
from tests.conftest import NOW
from tests.send_support import WEEK, add_subscribers, send_config


def test_resend_after_the_kill_window_rewrites_the_same_file(tmp_path: Path) -> None:
    config = send_config(tmp_path)
    add_subscribers(config, 6)
    prepared = prepare_issue(config, WEEK)
    outbox = config.delivery.outbox_dir / prepared.issue_key
    with open_store(config) as db:
        store = SubscriberStore(db)
        signer, dev = link_signer(config, Secrets.from_env(), "send")
        assert dev  # the file provider may use the development key (demo)
        recipients = store.active_recipients(signer, config.newsletter.base_url)
        assert send_issue(config, prepared, store, recipients).sent == 6
        files = sorted(outbox.iterdir())
        before = {p.name: p.read_bytes() for p in files}
        # as if a kill landed after two files were written but before their commits
        with db.write() as conn:
            conn.execute(sa.update(sends).where(sends.c.subscriber_id <= 2).values(status="queued"))
            conn.execute(sa.text("UPDATE issues SET status = 'sending'"))
        again = send_issue(config, prepared, store, recipients)
        assert (again.sent, again.complete) == (2, True)
    after = sorted(outbox.iterdir())
    assert [p.name for p in after] == [p.name for p in files]  # no second file for anyone
    assert len(after) == 6 and all(p.suffix == ".eml" for p in after)
    assert before.keys() == {p.name for p in after}


def test_an_unwritable_outbox_stops_with_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    config = send_config(tmp_path, outbox_dir=str(blocker))
    add_subscribers(config, 2)
    prepared = prepare_issue(config, WEEK)
    with open_store(config) as db:
        store = SubscriberStore(db)
        signer, _dev = link_signer(config, Secrets.from_env(), "send")
        recipients = store.active_recipients(signer, config.newsletter.base_url)
        with pytest.raises(DeliveryError, match="the send stopped"):
            send_issue(config, prepared, store, recipients)
        ledger = SendLedger(db)
        issue = ledger.issue(prepared.issue_key)
        assert issue is not None and issue.status == "failed"
        assert ledger.counts(prepared.issue_key).queued == 2  # nothing marked sent


def test_compliance_is_checked_even_with_no_subscribers(tmp_path: Path) -> None:
    config = send_config(tmp_path, outbox_dir=str(tmp_path / "outbox"))
    bad = config.model_copy(
        update={"newsletter": config.newsletter.model_copy(update={"postal_address": ""})}
    )
    prepared = prepare_issue(bad, WEEK)
    with open_store(bad) as db, pytest.raises(ComplianceError, match="postal address"):
        send_issue(bad, prepared, SubscriberStore(db), [])


def test_a_second_send_while_one_is_running_stops_instead_of_sending_twice(
    tmp_path: Path,
) -> None:
    # e.g. cron's 09:30 backstop starting while the 07:30 run is still sending: the second
    # run would freeze nothing new, read the same queued rows and mail everyone again.
    config = send_config(tmp_path)
    add_subscribers(config, 4)
    prepared = prepare_issue(config, WEEK)
    in_flight, release = threading.Event(), threading.Event()

    class Slow(MemorySender):
        def post(self, call: MimeCall) -> SendStatus:
            in_flight.set()
            release.wait(10)
            return super().post(call)

    first = Slow()
    outcome: dict[str, object] = {}

    def run_first() -> None:
        with open_store(config) as db:
            store = SubscriberStore(db)
            signer, _dev = link_signer(config, Secrets.from_env(), "send")
            recipients = store.active_recipients(signer, config.newsletter.base_url)
            outcome["report"] = send_issue(
                config, prepared, store, recipients, sender_factory=lambda: first
            )

    thread = threading.Thread(target=run_first)
    thread.start()
    try:
        assert in_flight.wait(10)
        second = MemorySender()
        with open_store(config) as db:  # its own connections, as another process has
            store = SubscriberStore(db)
            signer, _dev = link_signer(config, Secrets.from_env(), "send")
            recipients = store.active_recipients(signer, config.newsletter.base_url)
            with pytest.raises(DeliveryError, match="another send is running"):
                send_issue(config, prepared, store, recipients, sender_factory=lambda: second)
        assert second.calls == []
    finally:
        release.set()
        thread.join(20)
    report = outcome["report"]
    assert isinstance(report, SendReport) and (report.sent, report.complete) == (4, True)
    assert sorted(m.to.email for m, _ in first.outbox) == sorted(
        r.email for r in recipients
    )  # each reader exactly once
    with open_store(config) as db:  # the lock is released: a re-run is a quick no-op
        store = SubscriberStore(db)
        again = send_issue(config, prepared, store, recipients)
        assert again.already_sent and again.sent == 0


def test_the_send_publishes_the_archive_page_its_issue_links_to(tmp_path: Path) -> None:
    """'View in browser' and 'How we measure' pointed at pages only `newsletter archive`
    wrote: after a scheduled send they answered 404. The send publishes its week's page
    (and keeps the weeks published before it in the index)."""
    from datetime import UTC, date, datetime
    from email import message_from_bytes

    from newsletter.edition.archive import default_archive_dir
    from newsletter.send.service import send_week
    from newsletter.util.clock import FixedClock

    config = send_config(tmp_path)
    add_subscribers(config, 2)
    clock = FixedClock(datetime(2026, 11, 30, 6, 0, tzinfo=UTC))
    earlier = date(2026, 11, 16)
    for week in (earlier, WEEK):
        assert send_week(config, Secrets(), week=week, clock=clock).sent == 2
    archive = default_archive_dir(config)
    # the first publication (no index yet) writes every past week; later ones their own
    assert {"2026-11-16.html", "2026-11-23.html"} <= {p.name for p in archive.glob("2026-*")}
    assert (archive / "methodology.html").is_file() and (archive / "feed.xml").is_file()
    index = (archive / "index.html").read_text()
    assert "2026-11-23.html" in index and "2026-11-16.html" in index
    eml = next((config.delivery.outbox_dir / "2026-W48").iterdir())
    text = message_from_bytes(eml.read_bytes()).get_payload()[0].get_payload(decode=True).decode()
    assert "https://news.example.com/archive/2026-11-23.html" in text


def test_a_send_to_an_empty_list_records_nothing_and_a_later_one_sends(tmp_path: Path) -> None:
    """With no active subscriber the send is refused in one line: it had frozen an empty list
    and marked the issue sent ("issue is complete"), so readers added afterwards never got
    it (the re-run said "already sent (0 sent)")."""
    config = send_config(tmp_path)
    clock = FixedClock(NOW)
    with pytest.raises(GuardError, match="no one to send the issue of 2026-11-23 to"):
        send_week(config, Secrets.from_env(), week=WEEK, clock=clock)
    with open_store(config) as db:
        assert SendLedger(db).issue("2026-W48") is None
    add_subscribers(config, 2)
    report = send_week(config, Secrets.from_env(), week=WEEK, clock=clock)
    assert (report.sent, report.complete) == (2, True)


def test_the_progress_bar_counts_its_time_from_the_first_message_not_the_render() -> None:
    """The bar was made (and its clock started) before the issue was rendered and the list
    frozen: a render of 100 s and 10 messages sent in 2 s read 0:01:42 of sending. Its time,
    rate and ETA count from the start of sending (``planned``)."""
    now = [0.0]
    out = StringIO()
    with _progress(Console(file=out, width=200), lambda: now[0]) as (advance, planned):
        now[0] = 100.0  # rendering, compliance, freezing the list
        planned(10)
        now[0] = 102.0
        advance(10)
    line = out.getvalue()
    assert "10/10" in line and "5 msg/s" in line
    assert "0:00:02" in line and "0:01:42" not in line
