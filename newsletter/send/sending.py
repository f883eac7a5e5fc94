"""The send loop of one process: claim a batch, re-check it, send it call by call.

Each of ``[delivery] concurrency`` threads, with its own sender (senders are not
thread-safe; the rate limiter is shared, and takes the share of the provider's rate the
claim gives: one over the live workers holding rows), repeats: claim a batch of rows
(:class:`~newsletter.send.claims.Claims`), look its subscribers up again just before it goes
out (those who unsubscribed, bounced, complained, paused or were suppressed meanwhile are
``skipped``; the others get their current name, picks and links), build each message (a
stored address that can never be mailed is ``failed`` as an invalid address and suppressed;
one whose other stored values cannot be built is ``failed`` with the reason, never retried;
either way the batch goes on), then send it one provider call at a time, recording each
call's outcome as soon as it returns. When every row left is held by other workers, it
looks again every half second (a dead worker's rows come back), and ends once the run has
none left.

A thread stops before its next call on SIGTERM (``stop``), when its worker lost its claims
(:attr:`Claims.lost`), when an outcome write finds rows taken by another worker (it drops
the rest of the batch), or when the issue stops being sent (another worker's account
refusal). A :class:`~newsletter.errors.ProviderError` (bad credentials, suspended account)
is recorded with the outcomes so far (the failures it hands back, ``resend``, are reopened
for the next run) and marks the issue ``failed``, which stops every worker on every host at
its next write or claim.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError

from newsletter.audience.subscribers import SubscriberStore
from newsletter.delivery.base import Sender, chunked
from newsletter.delivery.models import OutgoingMessage, SendResult, SendStatus, wire_address
from newsletter.errors import ProviderError
from newsletter.models import Recipient
from newsletter.send.claims import POLL_SECONDS, Claim, Claims
from newsletter.send.ledger import SendLedger, short_reason
from newsletter.util.waits import join_all

log = logging.getLogger(__name__)

SenderFactory = Callable[[], Sender[Any, Any]]
#: Recipients of these subscriber ids who may be mailed right now (the per-batch re-check).
Lookup = Callable[[Sequence[int]], dict[int, Recipient]]
#: A recipient's message with the ledger's Message-ID, or the reason it cannot be built.
Build = Callable[[Recipient, str], OutgoingMessage | str]

SKIPPED = "no longer subscribed when its batch went out"


@dataclass
class Tally:
    """What one process's threads did."""

    sent: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    retryable: int = 0
    unknown: int = 0
    skipped: int = 0
    #: Permanent failures whose subscriber could not be marked bounced (logged each).
    not_suppressed: int = 0

    def add(self, results: Sequence[SendResult]) -> None:
        for r in results:
            if r.status is SendStatus.SENT:
                self.sent += 1
            elif r.status is SendStatus.RETRYABLE:
                self.retryable += 1
                self.failed[f"retryable: {short_reason(r.reason)}"] += 1
            elif r.status is SendStatus.PERMANENT:
                self.failed[f"permanent: {short_reason(r.reason)}"] += 1
            else:
                self.unknown += 1


def address_problem(email: str) -> str | None:
    """Why a stored address can never be mailed (the reason of an ``invalid address``
    failure), or None when it can: a control character, or what the validator refuses."""
    if any(ord(c) < 32 or ord(c) == 127 for c in email):
        return "it holds a line break or a control character"
    try:
        wire_address(email)
    except EmailNotValidError as exc:
        return str(exc)
    return None


def _ignore(_n: int) -> None:
    pass


@dataclass
class Loop:
    """Shared state of one process's sending threads."""

    claims: Claims
    store: SubscriberStore
    lookup: Lookup
    build: Build
    batch_rows: int
    stop: threading.Event
    progress: Callable[[int], None] = _ignore
    #: At most this many rows claimed by this process (``send --limit``).
    limit: int | None = None
    tally: Tally = field(default_factory=Tally)
    error: BaseException | None = None
    #: The issue stopped being sent under this process (another worker's refusal).
    halted: bool = False
    #: Why this process stopped sending: the provider rate-limits the account (HTTP 429
    #: still answered after the call's attempts); the rows left stay for the next run.
    rate_limited: str | None = None
    #: Why this process stopped sending: the provider stayed down (Sender.unavailable).
    unavailable: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def ledger(self) -> SendLedger:
        return self.claims.ledger

    @property
    def issue_key(self) -> str:
        return self.claims.issue_key

    def stopping(self) -> bool:
        return self.stop.is_set() or self.halted or self.claims.lost.is_set()

    def take(self) -> int:
        """Rows the next claim may take (the batch size, or what ``limit`` leaves)."""
        with self.lock:
            if self.limit is None:
                return self.batch_rows
            n = min(self.batch_rows, self.limit)
            self.limit -= n
            return n

    def give_back(self, n: int) -> None:
        if self.limit is not None and n > 0:
            with self.lock:
                self.limit += n

    def fail(self, exc: BaseException) -> None:
        with self.lock:
            self.error = self.error or exc
        self.stop.set()

    def counted(self, results: Sequence[SendResult], skipped: int = 0) -> None:
        with self.lock:
            self.tally.add(results)
            self.tally.skipped += skipped
        self.progress(len(results) + skipped)


def run_threads(loop: Loop, threads: int, factory: SenderFactory) -> None:
    """Send with ``threads`` threads (and the lease heartbeat) until the run has no row left
    for this process, or it stops; Ctrl-C finishes the calls in flight, like SIGTERM."""
    done = threading.Event()
    beat = threading.Thread(target=loop.claims.heartbeat, args=(done,), daemon=True)
    beat.start()
    workers = [
        threading.Thread(target=_thread, args=(loop, factory), name=f"send-{i}")
        for i in range(threads)
    ]
    for t in workers:
        t.start()
    try:
        join_all(workers)
    except KeyboardInterrupt:
        loop.stop.set()
        join_all(workers)
    finally:
        done.set()
        beat.join()


def _thread(loop: Loop, factory: SenderFactory) -> None:
    try:
        with ExitStack() as stack:
            sender: Sender[Any, Any] | None = None
            while not loop.stopping():
                want = loop.take()
                claim = loop.claims.claim(want)
                if claim is None:  # stopped by another worker (or finished)
                    loop.give_back(want)
                    loop.halted = True
                    return
                loop.give_back(want - len(claim.rows))
                if not claim.rows:
                    if want == 0 or loop.claims.pending() == 0:
                        return
                    loop.stop.wait(POLL_SECONDS)  # others hold the rest: a dead one's return
                    continue
                if sender is None:
                    sender = stack.enter_context(factory())
                _send_claimed(loop, sender, claim)
    except ProviderError as exc:  # the account is refused: every worker stops
        loop.ledger.fail(loop.issue_key, str(exc))
        loop.fail(exc)
    except BaseException as exc:
        loop.fail(exc)


def _send_claimed(loop: Loop, sender: Sender[Any, Any], claim: Claim) -> None:
    """Send one claimed batch; rows not done when it stops early go back to the pool."""
    try:
        finished = _send_rows(loop, sender, claim)
    except BaseException:
        with suppress(sa.exc.SQLAlchemyError):  # else the lease or the lock's end returns them
            loop.claims.release(claim.ids)
        raise
    if not finished:
        loop.claims.release(claim.ids)


def _send_rows(loop: Loop, sender: Sender[Any, Any], claim: Claim) -> bool:
    """Whether the whole batch was done (False: stopped, or rows taken by another)."""
    key, token = loop.issue_key, loop.claims.token
    eligible = loop.lookup(claim.ids)
    gone = [i for i in claim.ids if i not in eligible]
    skipped = loop.ledger.skip(key, gone, SKIPPED, owner=token, run=claim.run)
    loop.counted([], skipped)
    if skipped < len(gone):
        return False
    sender.limiter.share(claim.workers)  # the account's rate, shared by the workers sending
    messages: list[OutgoingMessage] = []
    invalid: list[SendResult] = []
    unbuilt: list[SendResult] = []
    for r in claim.rows:
        if r.subscriber_id not in eligible:
            continue
        recipient = eligible[r.subscriber_id]
        bad = address_problem(recipient.email)
        built = (
            f"invalid address: {bad}" if bad is not None else loop.build(recipient, r.message_id)
        )
        if isinstance(built, str):
            (invalid if bad is not None else unbuilt).append(
                SendResult(
                    message_id=r.message_id,
                    subscriber_id=r.subscriber_id,
                    email=r.email,
                    status=SendStatus.PERMANENT,
                    reason=built,
                    attempts=0,
                )
            )
        else:
            messages.append(built)
    # a stored address that can never be mailed (legacy data): failed and suppressed
    if invalid and not _record(loop, sender, invalid, claim.run):
        return False
    # recorded failed with the reason; not a bounce, so the address stays listed
    if unbuilt and not _record(loop, sender, unbuilt, claim.run, bounce=False):
        return False
    # One provider call at a time, recorded as soon as it returns (smallest kill window).
    for chunk in chunked(messages, sender.per_call()):
        if loop.stopping():
            return False
        try:
            results = sender.send_batch(chunk)
        except ProviderError as err:
            _record(loop, sender, list(err.results), claim.run)
            ids = [r.subscriber_id for r in err.resend]
            loop.ledger.reopen(loop.issue_key, ids, str(err), run=claim.run)
            raise
        if not _record(loop, sender, results, claim.run):
            return False
        if sender.rate_limited:  # hammering a limited account batch after batch helps no one
            with loop.lock:
                loop.rate_limited = loop.rate_limited or sender.rate_limited
            loop.stop.set()
            return False
        if sender.unavailable:  # down through every probe: the rest waits for the next run
            with loop.lock:
                loop.unavailable = loop.unavailable or sender.unavailable
            loop.stop.set()
            return False
    return True


def _record(
    loop: Loop,
    sender: Sender[Any, Any],
    results: list[SendResult],
    run: str,
    *,
    bounce: bool = True,
) -> bool:
    """Record a call's outcomes; whether the batch goes on."""
    got = loop.ledger.record(loop.issue_key, sender.name, results, owner=loop.claims.token, run=run)
    kept = [r for r in results if r.subscriber_id not in got.lost or r.status is SendStatus.SENT]
    loop.counted(kept)
    for r in kept:
        if bounce and r.status is SendStatus.PERMANENT and r.bounce:
            _bounce(loop, r)
    if got.issue_status != "sending":
        loop.halted = True  # stopped by another worker: this process ends too
    return got.go_on


def _bounce(loop: Loop, r: SendResult) -> None:
    """Suppress the subscriber of a permanent failure, by id (the stored address is never
    re-validated). The outcome is already in the ledger; one recipient's bookkeeping error
    is logged and counted, and never stops the send for the others."""
    try:
        loop.store.mark_bounced_id(r.subscriber_id, f"{loop.issue_key}: {r.reason}")
    except Exception as exc:  # one recipient's bookkeeping, never the send
        log.error("subscriber %d not marked bounced: %s", r.subscriber_id, exc)
        with loop.lock:
            loop.tally.not_suppressed += 1
