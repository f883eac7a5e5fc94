"""The whole send path over a real loopback SMTP server (aiosmtpd) and a real SQLite ledger."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import pytest

from newsletter.audience.subscribers import SubscriberStore
from newsletter.config import Config, Secrets, load_config
from newsletter.delivery import Backoff, get_sender
from newsletter.delivery.base import Sender
from newsletter.errors import ProviderError
from newsletter.send.ledger import SendLedger
from newsletter.send.service import (
    PreparedIssue,
    SendReport,
    link_signer,
    prepare_issue,
    send_issue,
)
from newsletter.send.status import status_report
from newsletter.store import open_store
from newsletter.util.clock import FixedClock
from tests.conftest import NOW
from tests.delivery_support import Handler, smtp_server
from tests.ops_support import add_snapshot, invoke, last_week, write_config
from tests.send_support import POSTAL, WEEK, add_subscribers, parse, parts, send_config

KEY = "2026-W48"


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLETTER_SECRET_KEY", "test-secret-key-for-real-sends")


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> PreparedIssue:
    return prepare_issue(send_config(tmp_path_factory.mktemp("prep")), WEEK)


def _config(tmp_path: Path, port: int, **delivery: Any) -> Config:
    smtp = {"host": "127.0.0.1", "port": port}
    return send_config(tmp_path, provider="smtp", smtp=smtp, **delivery)


def _send(config: Config, prepared: PreparedIssue, **kw: Any) -> SendReport:
    def factory() -> Sender[Any, Any]:
        return get_sender(
            config.delivery,
            Secrets.from_env(),
            backoff=Backoff(initial=0.01, maximum=0.02, jitter=0),
        )

    with open_store(config) as db:
        store = SubscriberStore(db)
        signer, dev = link_signer(config, Secrets.from_env(), "send")
        assert not dev
        recipients = store.active_recipients(signer, config.newsletter.base_url)
        return send_issue(config, prepared, store, recipients, sender_factory=factory, **kw)


def _rows(config: Config) -> dict[str, dict[str, Any]]:
    with open_store(config) as db:
        return {str(r["email"]): r for r in SendLedger(db).rows(KEY)}


def test_n_subscribers_n_messages_every_header_and_part(
    tmp_path: Path, prepared: PreparedIssue
) -> None:
    handler = Handler()
    with smtp_server(handler) as (_host, port):
        config = _config(tmp_path, port, concurrency=2)
        add_subscribers(config, 12)
        report = _send(config, prepared)
        assert (report.sent, report.complete) == (12, True)
        assert len(handler.received) == 12
        rows = _rows(config)
        for got in handler.received:
            (rcpt,) = got.rcpt_tos
            msg = parse(got.content)
            row = rows[rcpt]
            assert row["status"] == "sent" and row["provider"] == "smtp"
            assert str(row["provider_message_id"]).startswith("2.0.0 Ok: queued as")
            assert msg["Message-ID"] == row["message_id"]
            assert re.fullmatch(r"<[^@>]+@news\.example\.com>", msg["Message-ID"])
            assert msg["From"] == "AI Jobs Weekly <issues@news.example.com>"
            assert parseaddr(msg["To"])[1] == rcpt
            assert msg["Subject"] == prepared.subject
            assert msg["Date"] and msg["Reply-To"] == "editor@news.example.com"
            assert msg["List-Id"] == "AI Jobs Weekly <weekly.news.example.com>"
            unsub, mailto = re.findall(r"<([^>]+)>", msg["List-Unsubscribe"])
            assert unsub.startswith("https://news.example.com/unsubscribe/")
            assert mailto == "mailto:unsubscribe@news.example.com"
            assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            text, html = parts(msg)
            assert unsub in text and unsub in html.replace("&amp;", "&")
            assert POSTAL in text
        assert report.ledger.sent == 12
        # a re-run sends nothing more
        again = _send(config, prepared)
        assert again.already_sent and len(handler.received) == 12


@dataclass
class Flaky(Handler):
    """4xx once for 'bo' addresses, 5xx always for 'cy', 4xx always for 'ann1@'."""

    seen: Counter[str] = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self.seen = Counter()

        def reply(addr: str) -> str | None:
            self.seen[addr] += 1
            if addr.startswith("cy"):
                return "550 5.1.1 no such user"
            if addr.startswith("bo") and self.seen[addr] == 1:
                return "451 4.7.1 greylisted, try again"
            if addr == "ann3@example.org" and self.blocking:
                return "452 4.2.2 mailbox full"
            return None

        self.rcpt_reply = reply

    blocking: bool = True


def test_4xx_retried_5xx_bounced_and_suppressed_rerun_finishes(
    tmp_path: Path, prepared: PreparedIssue
) -> None:
    handler = Flaky()
    with smtp_server(handler) as (_host, port):
        config = _config(tmp_path, port)
        add_subscribers(config, 6)  # ann0 bo1 cy2 ann3 bo4 cy5
        report = _send(config, prepared)
        rows = _rows(config)
        delivered = sorted(r.rcpt_tos[0] for r in handler.received)
        assert delivered == ["ann0@example.org", "bo1@example.org", "bo4@example.org"]
        assert rows["bo1@example.org"]["attempts"] == 2  # 451 once, then accepted
        for cy in ("cy2@example.org", "cy5@example.org"):
            assert rows[cy]["status"] == "failed" and not rows[cy]["retryable"]
            assert "550" in str(rows[cy]["last_error"])
        full = rows["ann3@example.org"]
        assert (full["status"], full["retryable"], full["attempts"]) == ("failed", True, 3)
        assert report.retryable == 1 and not report.complete
        assert sum(n for k, n in report.failed.items() if k.startswith("permanent")) == 2
        # status says why the row is left, not only how many are
        due = FixedClock(config.schedule.due_for(WEEK) + dt.timedelta(hours=1))
        with open_store(config) as db:
            left = status_report(config, db, due)["this_week"]["issue"]
        assert left["left_to_retry"] == 1
        assert left["left_reasons"] == [{"reason": "SMTP 452 4.2.2 mailbox full", "count": 1}]
        with open_store(config) as db:
            store = SubscriberStore(db)
            assert store.get("cy2@example.org").status == "bounced"
            assert store.is_suppressed("cy5@example.org")
        # next run: the mailbox has room again; only the retryable row is sent
        handler.blocking = False
        again = _send(config, prepared)
        assert (again.sent, again.complete) == (1, True)
        assert len(handler.received) == 4
        assert _rows(config)["ann3@example.org"]["message_id"] == full["message_id"]
        assert _send(config, prepared).already_sent
        assert len(handler.received) == 4


def test_unknown_outcome_is_resent_next_run_with_the_same_message_id(
    tmp_path: Path, prepared: PreparedIssue
) -> None:
    handler = Handler(vanish_on_data=frozenset({"bo1@example.org"}))
    with smtp_server(handler) as (_host, port):
        config = _config(tmp_path, port)
        add_subscribers(config, 3)
        report = _send(config, prepared)
        assert (report.sent, report.unknown, report.complete) == (2, 1, False)
        row = _rows(config)["bo1@example.org"]
        assert row["status"] == "unknown" and "unknown" in str(row["last_error"])
        handler.vanish_on_data = frozenset()
        assert _send(config, prepared).complete
        ids = [
            parse(r.content)["Message-ID"]
            for r in handler.received
            if r.rcpt_tos == ["bo1@example.org"]
        ]
        assert len(ids) == 2 and ids[0] == ids[1] == row["message_id"]


def test_unsubscribed_after_freeze_is_skipped_not_mailed(
    tmp_path: Path, prepared: PreparedIssue
) -> None:
    handler = Handler()
    with smtp_server(handler) as (_host, port):
        config = _config(tmp_path, port)
        add_subscribers(config, 5)
        first = _send(config, prepared, limit=2)
        assert (first.sent, first.ledger.queued) == (2, 3)
        with open_store(config) as db:
            SubscriberStore(db).unsubscribe("ann3@example.org")
        rest = _send(config, prepared)
        assert (rest.sent, rest.skipped, rest.complete) == (2, 1, True)
        assert "ann3@example.org" not in [r.rcpt_tos[0] for r in handler.received]
        assert _rows(config)["ann3@example.org"]["status"] == "skipped"


@dataclass
class RefusesSender(Handler):
    """Accepts two messages, then refuses the envelope sender (an account-level failure)."""

    async def handle_MAIL(  # noqa: N802 - aiosmtpd hook name
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: Any
    ) -> str:
        if len(self.received) >= 2:
            return "550 5.7.1 sender not allowed"
        envelope.mail_from = address
        return "250 OK"


def test_provider_error_stops_the_run_after_recording_outcomes(
    tmp_path: Path, prepared: PreparedIssue
) -> None:
    handler = RefusesSender()
    with smtp_server(handler) as (_host, port):
        config = _config(tmp_path, port)
        add_subscribers(config, 5)
        with pytest.raises(ProviderError, match="refused"):
            _send(config, prepared)
        rows = _rows(config)
        assert sorted(r["status"] for r in rows.values()) == ["queued"] * 3 + ["sent"] * 2
        with open_store(config) as db:
            issue = SendLedger(db).issue(KEY)
            assert (
                issue is not None
                and issue.status == "failed"
                and "refused" in str(issue.last_error)
            )


def test_a_server_that_stays_down_stops_the_send_with_the_rest_left_for_the_next_run(
    tmp_path: Path, prepared: PreparedIssue
) -> None:
    """No SMTP server at all: the send probes it, then stops saying why, within minutes (on
    the default waits: here, milliseconds) instead of trying every reader for hours; what was
    tried is retryable, the rest queued, and nothing is lost."""
    from newsletter.delivery.base import DOWN_AFTER_CALLS, DOWN_MAX_WAITS
    from tests.delivery_support import free_port

    config = _config(tmp_path, free_port())
    add_subscribers(config, DOWN_AFTER_CALLS + DOWN_MAX_WAITS + 7)
    report = _send(config, prepared)
    assert not report.complete and report.sent == 0
    assert report.stopped is not None and "could not be reached" in report.stopped
    statuses = Counter(r["status"] for r in _rows(config).values())
    assert statuses["queued"] == 7
    assert sum(statuses.values()) == DOWN_AFTER_CALLS + DOWN_MAX_WAITS + 7


def test_our_protocol_error_keeps_the_reader_and_an_unknown_address_is_suppressed(
    tmp_path: Path, prepared: PreparedIssue
) -> None:
    """A 5.5.x reply (our client's protocol error) suppressed the reader like an unknown
    address: now it is recorded failed with its reply and the reader stays active; the
    unknown address is bounced. Neither is sent again by the next run."""
    replies = {
        "bo1@example.org": "501 5.5.4 syntax error in parameters",
        "cy2@example.org": "550 5.1.1 no such user",
    }
    tries: Counter[str] = Counter()

    def rcpt(addr: str) -> str | None:
        tries[addr] += 1
        return replies.get(addr)

    handler = Handler(rcpt_reply=rcpt)
    with smtp_server(handler) as (_host, port):
        config = _config(tmp_path, port)
        add_subscribers(config, 3)  # ann0 bo1 cy2
        _send(config, prepared)
        rows = _rows(config)
        kept, gone = rows["bo1@example.org"], rows["cy2@example.org"]
        assert (kept["status"], kept["retryable"]) == ("failed", False)
        assert str(kept["last_error"]).startswith("SMTP 501 5.5.4 syntax error")
        assert (gone["status"], gone["retryable"]) == ("failed", False)
        with open_store(config) as db:
            store = SubscriberStore(db)
            assert store.get("bo1@example.org").status == "active"
            assert not store.is_suppressed("bo1@example.org")
            assert store.get("cy2@example.org").status == "bounced"
        _send(config, prepared)  # a second run retries neither
    assert tries == {"ann0@example.org": 1, "bo1@example.org": 1, "cy2@example.org": 1}


@dataclass
class SendingRefused(Handler):
    """Refuses the sending side while ``refusal`` is set: at MAIL FROM (``at="mail"``) or at
    each RCPT TO, the way Postfix checks the sender and policy only there (``at="rcpt"``)."""

    refusal: str | None = None
    at: str = "mail"

    async def handle_MAIL(  # noqa: N802 - aiosmtpd hook name
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: Any
    ) -> str:
        if self.refusal and self.at == "mail":
            return self.refusal
        return await super().handle_MAIL(server, session, envelope, address, mail_options)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if self.refusal and self.at == "rcpt":
            self.rcpt_calls.append(address)
            return self.refusal
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


def _fixed_rerun_sends_each_once(
    handler: SendingRefused, config: Config, prepared: PreparedIssue, readers: int
) -> None:
    """The server fixed, the next run sends every reader not sent yet, each exactly once."""
    handler.refusal = None
    again = _send(config, prepared)
    assert again.complete
    got = Counter(r.rcpt_tos[0] for r in handler.received)
    assert sorted(got) == [str(e) for e in sorted(_rows(config))] and len(got) == readers
    assert set(got.values()) == {1}
    assert {r["status"] for r in _rows(config).values()} == {"sent"}
    with open_store(config) as db:
        store = SubscriberStore(db)
        assert all(store.get(e).status == "active" for e in got)


@pytest.mark.parametrize(
    ("at", "refusal"),
    [
        ("mail", "553 5.5.4 <issues@news.example.com>: sender address syntax"),
        ("rcpt", "504 5.5.2 <issues@news.example.com>: Sender address rejected: need FQDN"),
        ("rcpt", "550 5.1.0 <issues@news.example.com>: Sender address rejected: User unknown"),
        ("rcpt", "553 5.1.8 <issues@news.example.com>: Domain of sender address does not exist"),
        ("rcpt", "530 Authentication required"),
        ("rcpt", "535 Authentication credentials invalid"),
    ],
)
def test_a_refusal_of_the_sender_stops_at_once_and_a_fixed_rerun_sends_each_once(
    tmp_path: Path, prepared: PreparedIssue, at: str, refusal: str
) -> None:
    """A refusal of our sending side that every reader would get (the envelope sender, its
    domain, authentication), at MAIL FROM or at RCPT TO (Postfix checks the sender there):
    at RCPT it failed the readers one by one ('reader kept'; 'User unknown' even bounced
    them), burning through the list. Now the first one stops the send with the reply, the
    readers stay queued and unsuppressed, and the run after the fix sends each of them once."""
    handler = SendingRefused(refusal=refusal, at=at)
    with smtp_server(handler) as (_host, port):
        config = _config(tmp_path, port)
        add_subscribers(config, 5)
        with pytest.raises(ProviderError, match="refused") as info:
            _send(config, prepared)
        assert refusal in str(info.value)
        assert {r["status"] for r in _rows(config).values()} == {"queued"}
        assert len(handler.rcpt_calls) == (1 if at == "rcpt" else 0)
        with open_store(config) as db:
            issue = SendLedger(db).issue(KEY)
            assert issue is not None and issue.status == "failed"
            assert refusal in str(issue.last_error)
        _fixed_rerun_sends_each_once(handler, config, prepared, 5)


def test_the_same_protocol_error_for_every_reader_stops_the_send_and_hands_them_back(
    tmp_path: Path, prepared: PreparedIssue
) -> None:
    """A 5.5.x reply that is about our client, not the address, and that every reader gets
    (here each RCPT TO): each message failed for good one by one ('reader kept', never
    retried), the whole list lost this issue. Now REFUSED_IN_ROW alike in a row stop the send;
    those refused before the stop are handed back (failed, retryable), the rest stays queued,
    nobody is suppressed, and the run after the fix sends each reader exactly once."""
    from newsletter.delivery.smtp import REFUSED_IN_ROW

    refusal = "501 5.5.4 Syntax error in parameters"
    handler = SendingRefused(refusal=refusal, at="rcpt")
    with smtp_server(handler) as (_host, port):
        config = _config(tmp_path, port)
        add_subscribers(config, 8)
        with pytest.raises(ProviderError, match=f"refused {REFUSED_IN_ROW} messages in a row"):
            _send(config, prepared)
        assert len(handler.rcpt_calls) == REFUSED_IN_ROW
        rows = _rows(config)
        tried = [rows[a] for a in handler.rcpt_calls[:-1]]
        assert all((r["status"], r["retryable"]) == ("failed", True) for r in tried)
        assert all("in a row" in str(r["last_error"]) for r in tried)
        assert Counter(r["status"] for r in rows.values()) == {
            "queued": 8 - REFUSED_IN_ROW + 1,
            "failed": REFUSED_IN_ROW - 1,
        }
        with open_store(config) as db:
            assert SendLedger(db).counts(KEY).remaining == 8
        _fixed_rerun_sends_each_once(handler, config, prepared, 8)


def test_the_cli_stops_with_one_line_and_exit_1_then_resumes(tmp_path: Path) -> None:
    """`newsletter send` against a server refusing the envelope sender at RCPT TO: one error
    line naming the reply, exit 1, nobody failed; after the fix the same command finishes."""
    refusal = "504 5.5.2 <issues@news.example.com>: Sender address rejected: need FQDN"
    handler = SendingRefused(refusal=refusal, at="rcpt")
    clock = FixedClock(NOW)
    with smtp_server(handler) as (_host, port):
        cfg = write_config(tmp_path, smtp_port=port, hook=None)
        last_week(tmp_path)
        add_snapshot(tmp_path, WEEK)
        config = load_config(cfg)
        add_subscribers(config, 4)
        r = invoke(clock, "--config", str(cfg), "send")
        assert r.exit_code == 1, r.output
        (line,) = [x for x in r.stderr.splitlines() if "error" in x]  # after the progress bar
        assert line.startswith("error: smtp: the server refused the sender") and refusal in line
        assert {row["status"] for row in _rows(config).values()} == {"queued"}
        handler.refusal = None
        r = invoke(clock, "--config", str(cfg), "send")
        assert r.exit_code == 0, r.output
        assert sorted(m.rcpt_tos[0] for m in handler.received) == sorted(_rows(config))
