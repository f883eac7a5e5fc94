"""Claims on real databases: a row goes to one worker at a time, an expired lease (the
injected clock's) or a dead worker's session gives it back, and outcome writes are fenced by
the claim (an accepted message is recorded ``sent`` whoever holds the row)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from newsletter.audience.subscribers import SubscriberStore
from newsletter.config import Secrets
from newsletter.delivery import Backoff, RateLimiter, get_sender
from newsletter.delivery.base import Sender
from newsletter.delivery.models import SendResult, SendStatus
from newsletter.models import Recipient
from newsletter.send.claims import Claims
from newsletter.send.ledger import SendLedger
from newsletter.send.service import link_signer, prepare_issue, send_issue
from newsletter.store import Database, open_database, open_store
from newsletter.util.clock import FixedClock
from tests.conftest import NOW
from tests.send_support import WEEK, add_subscribers, send_config
from tests.test_store_postgres import _fresh

KEY = "2026-W48"


def _ledger(db: Database, clock: FixedClock, n: int = 6) -> SendLedger:
    ledger = SendLedger(db, clock=clock)
    ledger.begin(KEY, dt.date(2026, 11, 23))
    people = [Recipient(subscriber_id=i, email=f"r{i}@example.org") for i in range(1, n + 1)]
    ledger.freeze(KEY, "subject", people, "example.com", run_id="run-1")
    return ledger


def _result(row_id: int, mid: str, status: SendStatus) -> SendResult:
    return SendResult(
        message_id=mid,
        subscriber_id=row_id,
        email=f"r{row_id}@example.org",
        status=status,
        reason="" if status is SendStatus.SENT else "scripted",
    )


def _status(ledger: SendLedger) -> dict[int, str]:
    return {int(str(r["subscriber_id"])): str(r["status"]) for r in ledger.rows(KEY)}


def test_outcome_writes_are_fenced_by_the_claim(tmp_path: Path, clock: FixedClock) -> None:
    with open_database(f"sqlite:///{tmp_path / 'n.db'}") as db:
        ledger = _ledger(db, clock)
        a, b = Claims(ledger, KEY, clock), Claims(ledger, KEY, clock)
        first = a.claim(2)
        assert first is not None and first.ids == [1, 2]
        # SQLite has one sending process: another token's claim is a dead one, taken at once
        second = b.claim(2)
        assert second is not None and second.ids == [1, 2]
        mids = {r.subscriber_id: r.message_id for r in first.rows}
        got = ledger.record(
            KEY,
            "file",
            [_result(1, mids[1], SendStatus.RETRYABLE), _result(2, mids[2], SendStatus.SENT)],
            owner=a.token,
            run=first.run,
        )
        assert got.lost == {1, 2} and not got.go_on
        assert _status(ledger)[1] == "queued"  # a's failure is not written over b's claim
        assert _status(ledger)[2] == "sent"  # but what the provider accepted is recorded
        late = ledger.record(
            KEY,
            "file",
            [_result(2, mids[2], SendStatus.PERMANENT), _result(1, mids[1], SendStatus.SENT)],
            owner=b.token,
            run=second.run,
        )
        assert late.lost == {2}  # its claim on 2 ended with a's "sent"
        assert (_status(ledger)[1], _status(ledger)[2]) == ("sent", "sent")
        # a row attempted in this run is not claimed again before the next run
        rest = b.claim(10)
        assert rest is not None and rest.ids == [3, 4, 5, 6]


@pytest.mark.postgres
def test_a_lease_runs_out_on_the_clock_and_a_dead_session_frees_at_once(
    postgres_url: str, clock: FixedClock
) -> None:
    with open_database(_fresh(postgres_url, "claims")) as db:
        ledger = _ledger(db, clock)
        a, b = Claims(ledger, KEY, clock, lease=60), Claims(ledger, KEY, clock, lease=60)
        with a.hold():
            taken = a.claim(3)
            assert taken is not None and taken.ids == [1, 2, 3]
            with b.hold():
                others = b.claim(10)
                assert others is not None and others.ids == [4, 5, 6]  # a is alive: skipped
                b.release()
                clock.advance(dt.timedelta(seconds=59))
                none = b.claim(10)
                assert none is not None and none.ids == [4, 5, 6]
                b.release([4, 5, 6])
                assert a.renew()  # the heartbeat extends a's lease from the clock's now
                clock.advance(dt.timedelta(seconds=59))
                assert b.claim(2) is not None
                b.release()
                clock.advance(dt.timedelta(seconds=2))  # 61 s after the renewal
                expired = b.claim(3)
                assert expired is not None and expired.ids == [1, 2, 3]
                b.release()
        # a worker whose session is gone (a killed process's closes at once) while its
        # lease still runs: its rows are taken at once
        ghost = Claims(ledger, KEY, clock, lease=60)  # never holds its session lock
        held = ghost.claim(2)
        assert held is not None and held.ids == [1, 2]
        c = Claims(ledger, KEY, clock, lease=60)
        with c.hold():
            after = c.claim(2)
            assert after is not None and after.ids == [1, 2]


@pytest.mark.postgres
def test_the_workers_sending_share_the_providers_rate(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Resend allows 2 requests/s per team, not per process: while another worker holds rows
    of the issue, this one calls once a second; alone again, twice. Each process spaced its
    calls at the provider's whole rate, so N workers sent N times it (and were refused
    with 429s until the send stopped)."""
    monkeypatch.setenv("NEWSLETTER_RESEND_API_KEY", "re-key")
    monkeypatch.setenv("NEWSLETTER_SECRET_KEY", "claims-test-secret")
    config = send_config(
        tmp_path, database_url=_fresh(postgres_url, "share"), provider="resend", concurrency=1
    )
    add_subscribers(config, 300)  # three calls of 100
    prepared = prepare_issue(config, WEEK)
    clock = FixedClock(NOW)
    limiter = RateLimiter(2.0, clock=clock.monotonic, sleep=clock.sleep)
    started: list[float] = []
    with open_store(config) as db, ExitStack() as stack:
        other = Claims(SendLedger(db, clock=clock), prepared.issue_key, clock)

        def resend(request: httpx.Request) -> httpx.Response:
            started.append(clock.monotonic())
            if len(started) == 2:
                other.release()  # the other worker is done with its rows (and stays alive)
            sent = json.loads(request.content)
            return httpx.Response(200, json={"data": [{"id": f"re-{i}"} for i in range(len(sent))]})

        def factory() -> Sender[Any, Any]:
            if not started:  # another worker joins and takes a call's rows
                stack.enter_context(other.hold())
                assert (taken := other.claim(100)) is not None and len(taken.rows) == 100
            return get_sender(
                config.delivery,
                Secrets.from_env(),
                client=httpx.Client(transport=httpx.MockTransport(resend)),
                backoff=Backoff(sleep=clock.sleep),
                limiter=limiter,
                clock=clock,
            )

        store = SubscriberStore(db, clock=clock)
        signer, _dev = link_signer(config, Secrets.from_env(), "send", clock)
        recipients = store.active_recipients(signer, config.newsletter.base_url)
        report = send_issue(config, prepared, store, recipients, sender_factory=factory)
    assert (report.sent, report.complete) == (300, True)
    gaps = [b - a for a, b in itertools.pairwise(started)]
    assert gaps == [1.0, 0.5]  # with the other worker alive and holding rows, then alone
