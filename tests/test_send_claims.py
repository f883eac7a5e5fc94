"""Claims on real databases: a row goes to one worker at a time, an expired lease (the
injected clock's) or a dead worker's session gives it back, and outcome writes are fenced by
the claim (an accepted message is recorded ``sent`` whoever holds the row)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from newsletter.delivery.models import SendResult, SendStatus
from newsletter.models import Recipient
from newsletter.send.claims import Claims
from newsletter.send.ledger import SendLedger
from newsletter.store import Database, open_database
from newsletter.util.clock import FixedClock
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
