"""Claims: how the processes sending one issue share its frozen list, on one host or many.

A worker (a ``newsletter send`` coordinator, a process it started with ``--workers``, or a
``newsletter send-worker`` anywhere) takes a batch of the rows still to send in one short
transaction: ``SELECT ... FOR UPDATE SKIP LOCKED`` picks rows nobody holds (concurrent
claimers skip each other's rows instead of waiting), and the same transaction writes the
worker's token and a lease (``claimed_by``, ``claimed_until``, from the injected clock) on
them. The transaction then ends: the provider calls happen **outside** any transaction, and
each call's outcome is committed on its own as soon as it returns, fenced by the claim
(:meth:`~newsletter.send.ledger.SendLedger.record`).

Why leases and not row locks held across the provider call: a transaction held open around
a call keeps the outcome in limbo until the commit. If the database connection drops during
the call (a server restart, a failover, a network blip, an ``idle_in_transaction`` timeout),
the transaction is rolled back and the outcome of a call the provider already accepted is
lost: the whole call is sent again, up to 1,000 messages on a batch API. The locks would
also go only when the server notices the client is gone; for a host that vanished without
closing its sockets that is TCP keepalive, two hours by default. With claims, a call's
outcome needs only a short write after the call, on any connection of the pool.

A claim goes back to the pool three ways:

* **the worker dies** (killed, crashed, out of memory): each worker holds a PostgreSQL
  session advisory lock named after its token for as long as it runs; the server drops it
  when the process's connection closes, which the kernel does at once for a killed
  process. A claimer that finds the lock free (``pg_try_advisory_xact_lock``) knows the
  holder is gone and takes its rows right away;
* **its lease runs out** (``[delivery] lease_seconds``, 60 s by default): a heartbeat
  thread renews the worker's leases every quarter lease on the lock's own session. A
  host that died or was cut off stops renewing, and its rows are claimable one lease
  later, whatever its sockets look like to the server;
* **the worker lets go**: after SIGTERM or when it stops early, it clears its claims.

Kill windows (what a SIGKILL of a worker, or the loss of its host, can cost):

1. before a call: the claimed rows are unsent; another worker sends them (once);
2. during a call, or after the provider accepted it and before its outcome is committed:
   the rows are still queued under the dead claim; another worker sends them again **with
   the same Message-ID** (at most one call per sending thread of the dead worker: one
   message on SMTP and the file outbox, one provider call on a batch API), which mail
   clients and providers dedupe, as in the single-process kill window;
3. after the commit: nothing to redo.

A worker that is alive but lost its claim (it stalled past its lease, e.g. a stopped
process or a frozen VM, or its advisory-lock session was cut while the process lived on)
may overlap with the worker that took its rows by the call it has in flight (same
Message-ID); its next outcome write finds the rows taken, and it drops the batch. A message
the provider accepted is always recorded ``sent``, by whoever learns it first.

On SQLite there is one sending process (the coordinator's ``flock``), so any claim held by
another token is a dead one and is taken at once; there is no heartbeat.

Clocks: leases are compared with each worker's own clock. Keep the hosts' clocks in sync
(NTP); a skew of a few seconds against a 60-second lease changes nothing.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsletter.errors import DeliveryError
from newsletter.send.ledger import SEND_ROW, SendLedger, SendRow
from newsletter.store import Database
from newsletter.store.engine import lock_is_free
from newsletter.store.tables import TO_SEND, issues, sends
from newsletter.util.clock import Clock

#: Seconds between two looks at the ledger while the rows left are held by other workers.
POLL_SECONDS = 0.5


def new_token() -> str:
    """A worker's name in ``claimed_by``: host, process id, and a random part (never reused)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _lock_name(token: str) -> str:
    return f"newsletter.send-worker:{token}"


@dataclass(frozen=True, slots=True)
class Claim:
    """Rows one worker holds, claimed together during coordinator run ``run``."""

    rows: list[SendRow]
    run: str
    #: The workers holding rows of the issue when it was claimed, this one included: they
    #: share the provider's rate (its account's, not a process's).
    workers: int = 1

    @property
    def ids(self) -> list[int]:
        return [r.subscriber_id for r in self.rows]


@dataclass
class Claims:
    """One worker process's claims on one issue (thread-safe; one token per process)."""

    ledger: SendLedger
    issue_key: str
    clock: Clock
    lease: float = 60.0
    #: The digest of the issue this worker sends: it stops if the run's differs.
    digest: str | None = None
    token: str = field(default_factory=new_token)
    #: Set when the session marking this worker alive is gone: stop before the next call.
    lost: threading.Event = field(default_factory=threading.Event)
    #: The coordinator run of the latest claim.
    run: str | None = None
    _session: Connection | None = field(default=None, repr=False)
    _session_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def db(self) -> Database:
        return self.ledger.db

    @contextmanager
    def hold(self) -> Iterator[Claims]:
        """Mark this worker alive for the block (PostgreSQL: its session advisory lock);
        its claims left at the end go back to the pool."""
        try:
            if self.db.shared:
                with self.db.session_lock(_lock_name(self.token)) as conn:
                    self._session = conn
                    try:
                        yield self
                    finally:
                        with self._session_lock:
                            self._session = None
            else:
                yield self
        finally:
            self.release()

    # ---- taking and giving back -------------------------------------------------------
    def claim(self, limit: int) -> Claim | None:
        """Up to ``limit`` rows nobody (alive) holds, in subscriber order, now held by this
        worker; an empty claim when the rows left are all held; None when the issue is not
        being sent any more (finished, or stopped by another worker)."""
        now = self.clock.now()
        with self.ledger.lock, self.db.write() as conn:
            issue = conn.execute(
                sa.select(issues.c.status, issues.c.run_id, issues.c.digest).where(
                    issues.c.issue_key == self.issue_key
                )
            ).first()
            if issue is None or issue.status != "sending" or issue.run_id is None:
                return None
            if self.digest is not None and issue.digest != self.digest:
                raise DeliveryError(
                    f"issue {self.issue_key} being sent is not the one this worker rendered "
                    "(a new run started with other snapshots, templates or settings); "
                    "this worker stops"
                )
            run = str(issue.run_id)
            self.run = run
            if limit <= 0:
                return Claim([], run)
            free = sa.or_(sends.c.claimed_by.is_(None), sends.c.claimed_until < now)
            holders = self._holders(conn, now)
            dead = self._dead(conn, holders)
            if dead:
                free = sa.or_(free, sends.c.claimed_by.in_(dead))
            rows = conn.execute(
                sa.select(*SEND_ROW)
                .where(
                    sends.c.issue_key == self.issue_key,
                    sa.text(TO_SEND),
                    sends.c.attempt_run.is_distinct_from(run),
                    free,
                    sa.or_(sends.c.claimed_by.is_(None), sends.c.claimed_by != self.token),
                )
                .order_by(sends.c.subscriber_id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            if rows:
                conn.execute(
                    sa.update(sends)
                    .where(
                        sends.c.issue_key == self.issue_key,
                        sends.c.subscriber_id.in_([r.subscriber_id for r in rows]),
                    )
                    .values(claimed_by=self.token, claimed_until=self._until())
                )
        return Claim([SendRow(*r) for r in rows], run, workers=1 + len(holders) - len(dead))

    def _holders(self, conn: Connection, now: datetime) -> list[str]:
        """Other workers holding rows to send under a running lease."""
        return [
            str(h)
            for h in conn.execute(
                sa.select(sends.c.claimed_by)
                .where(
                    sends.c.issue_key == self.issue_key,
                    sends.c.claimed_by.is_not(None),
                    sends.c.claimed_by != self.token,
                    sends.c.claimed_until >= now,
                )
                .distinct()
            ).scalars()
        ]

    def _dead(self, conn: Connection, holders: list[str]) -> list[str]:
        """The ``holders`` whose process is gone (SQLite: every other one, as only the
        coordinator's process sends)."""
        if not self.db.shared:
            return holders
        return [h for h in holders if lock_is_free(conn, _lock_name(h))]

    def release(self, ids: Sequence[int] | None = None) -> None:
        """Give back the rows this worker still holds (of ``ids``, or all of them)."""
        q = sa.update(sends).where(
            sends.c.issue_key == self.issue_key, sends.c.claimed_by == self.token
        )
        if ids is not None:
            if not ids:
                return
            q = q.where(sends.c.subscriber_id.in_(list(ids)))
        with self.ledger.lock, self.db.write() as conn:
            conn.execute(q.values(claimed_by=None, claimed_until=None))

    def pending(self) -> int:
        """Rows the current run has still to attempt, apart from this worker's own."""
        return self.ledger.pending(self.issue_key, self.run, besides=self.token)

    # ---- staying alive ----------------------------------------------------------------
    def _until(self) -> datetime:
        return self.clock.now() + timedelta(seconds=self.lease)

    def renew(self) -> bool:
        """Extend this worker's leases, on the session that marks it alive; False (and
        :attr:`lost` set) when that session is gone. Rows being recorded right now are
        skipped (their claim ends with the write)."""
        with self._session_lock:
            conn = self._session
            if conn is None:
                return not self.db.shared
            held = (
                sa.select(sends.c.subscriber_id)
                .where(sends.c.issue_key == self.issue_key, sends.c.claimed_by == self.token)
                .with_for_update(skip_locked=True)
            )
            try:
                conn.execute(
                    sa.update(sends)
                    .where(sends.c.issue_key == self.issue_key, sends.c.subscriber_id.in_(held))
                    .values(claimed_until=self._until())
                )
                conn.commit()
            except sa.exc.SQLAlchemyError:
                self.lost.set()
                return False
        return True

    def heartbeat(self, done: threading.Event) -> None:
        """Renew the leases every quarter lease until ``done`` (a thread's target)."""
        while not done.wait(self.lease / 4):
            if not self.renew():
                return
