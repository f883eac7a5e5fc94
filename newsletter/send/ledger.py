"""The send ledger: what each issue sent to whom, so a re-run never sends twice.

One ``issues`` row per ISO week (``2026-W48``: building → sending → sent, or failed) and one
``sends`` row per (issue, subscriber). The rules:

* The recipient list is **frozen** at the first start of a send: one ``queued`` row per
  eligible subscriber, each with its Message-ID generated and stored *before* any provider
  call. Later runs reuse that Message-ID, so receivers can dedupe a resend.
* A row becomes ``sent`` only after the provider accepted the message.
* ``failed`` rows carry the reason; ``retryable`` ones (retries exhausted on 429/5xx/SMTP 4xx)
  are tried again by the next run, permanent ones never, unless a refusal that stopped the
  run showed they were the sending side's (:meth:`SendLedger.reopen`).
* ``unknown`` (the request went out, no answer came back: a timeout after sending, an SMTP
  connection lost during DATA) is never skipped silently: it is counted and reported, and
  the next run resends it **with the same Message-ID**. At worst a reader gets the same
  message twice, which mail clients and providers dedupe by Message-ID.
* ``skipped`` rows were frozen but the subscriber unsubscribed, bounced, complained, paused
  or was suppressed before their batch went out (re-checked just before each batch).

An issue is ``sent`` once no row is left to send (queued, unknown or retryable).

Several processes may send one issue (PostgreSQL): each row is **claimed** by one worker at a
time (:mod:`newsletter.send.claims`), and every write of an outcome is fenced by that claim
(:meth:`SendLedger.record`, :meth:`SendLedger.skip`): a worker that lost its claim (it
stalled past its lease, or lost the database session that marks it alive, and another
worker took the row) never overwrites what the new holder records, except that an
accepted message is always recorded ``sent`` (it was). Each coordinator run has an id
(``issues.run_id``); the rows it attempted carry it (``sends.attempt_run``), so a run tries
each row once and leaves retryable and unknown ones to the next run, as one process does.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from newsletter.delivery.models import SendResult, SendStatus, new_message_id
from newsletter.models import Recipient
from newsletter.store import Database
from newsletter.store.tables import TO_SEND, issues, sends
from newsletter.util.clock import SYSTEM_CLOCK, Clock

#: The reason of a recipient whose message could not be built (not a bounce).
UNBUILT = "message not built"


def short_reason(reason: str) -> str:
    """A reason grouped for summaries (per-address details dropped)."""
    if reason.startswith(UNBUILT):
        return ": ".join(reason.split(": ")[:2])[:70]
    head = reason.split(":", 1)[0] if reason.startswith("invalid address") else reason
    return head[:70]


#: Rows a run (re)sends: queued, unknown, and failed ones that may be retried.
_TO_SEND = sa.text(TO_SEND)


@dataclass(frozen=True, slots=True)
class SendRow:
    subscriber_id: int
    email: str
    status: str
    message_id: str
    attempts: int


@dataclass(frozen=True, slots=True)
class IssueRecord:
    issue_key: str
    week: dt.date
    status: str
    subject: str
    recipients: int
    sent: int
    failed: int
    unknown: int
    skipped: int
    last_error: str | None
    frozen_at: dt.datetime | None
    finished_at: dt.datetime | None
    run_id: str | None = None
    digest: str | None = None
    key_check: str | None = None


@dataclass(frozen=True, slots=True)
class LedgerCounts:
    """Rows of one issue by outcome."""

    queued: int = 0
    sent: int = 0
    failed: int = 0  # permanent
    retryable: int = 0  # failed, to retry on the next run
    unknown: int = 0
    skipped: int = 0

    @property
    def remaining(self) -> int:
        """Rows a next run would still send."""
        return self.queued + self.retryable + self.unknown

    @property
    def total(self) -> int:
        return self.queued + self.sent + self.failed + self.retryable + self.unknown + self.skipped


@dataclass(frozen=True, slots=True)
class Recorded:
    """What :meth:`SendLedger.record` found: the rows of the call this worker no longer
    held (another worker took them), and the issue's status (``sending`` unless the send
    was stopped meanwhile, e.g. by another worker's account refusal)."""

    lost: frozenset[int]
    issue_status: str | None

    @property
    def go_on(self) -> bool:
        return not self.lost and self.issue_status == "sending"


#: The columns of a :class:`SendRow`, in its order.
SEND_ROW = (
    sends.c.subscriber_id,
    sends.c.email,
    sends.c.status,
    sends.c.message_id,
    sends.c.attempts,
)


@dataclass(frozen=True, slots=True)
class Outcome:
    """Rows one run attempted, by status, retryable flag and reason."""

    status: str
    retryable: bool
    reason: str | None
    count: int


@dataclass
class SendLedger:
    """Ledger operations on an open :class:`~newsletter.store.Database` (thread-safe)."""

    db: Database
    clock: Clock = field(default=SYSTEM_CLOCK)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def lock(self) -> threading.Lock:
        """Serializes this process's ledger writes (SQLite takes one writer at a time)."""
        return self._lock

    # ---- issues ---------------------------------------------------------------------------
    def issue(self, issue_key: str) -> IssueRecord | None:
        with self.db.read() as conn:
            row = (
                conn.execute(sa.select(issues).where(issues.c.issue_key == issue_key))
                .mappings()
                .first()
            )
        if row is None:
            return None
        return IssueRecord(**{k: row[k] for k in IssueRecord.__slots__})

    def sending_issue(self) -> IssueRecord | None:
        """The newest issue being sent (``sending``), for a worker given no week."""
        with self.db.read() as conn:
            key = conn.execute(
                sa.select(issues.c.issue_key)
                .where(issues.c.status == "sending")
                .order_by(issues.c.week.desc())
                .limit(1)
            ).scalar()
        return None if key is None else self.issue(key)

    def begin(self, issue_key: str, week: dt.date) -> None:
        """Create the issue row (``building``) unless it exists; a failed one builds again."""
        now = self.clock.now()
        with self._lock, self.db.write() as conn:
            status = conn.execute(
                sa.select(issues.c.status).where(issues.c.issue_key == issue_key)
            ).scalar()
            if status is None:
                conn.execute(
                    sa.insert(issues).values(
                        issue_key=issue_key,
                        week=week,
                        status="building",
                        subject="",
                        recipients=0,
                        sent=0,
                        failed=0,
                        unknown=0,
                        skipped=0,
                        created_at=now,
                        updated_at=now,
                    )
                )

    def fail(self, issue_key: str, error: str) -> None:
        """Record why a run stopped (the issue is resumed by the next run)."""
        with self._lock, self.db.write() as conn:
            conn.execute(
                sa.update(issues)
                .where(issues.c.issue_key == issue_key, issues.c.status != "sent")
                .values(status="failed", last_error=error, updated_at=self.clock.now())
            )

    def freeze(
        self,
        issue_key: str,
        subject: str,
        recipients: Sequence[Recipient],
        domain: str,
        *,
        run_id: str | None = None,
        digest: str | None = None,
        key_check: str | None = None,
    ) -> int:
        """Queue one row per recipient with its Message-ID, once per issue; rows added.

        Every call starts a coordinator run: the issue is ``sending`` under ``run_id``, with
        the digest of what is sent and the signing key's check value (workers compare)."""
        now = self.clock.now()
        with self._lock, self.db.write() as conn:
            frozen = conn.execute(
                sa.select(issues.c.frozen_at).where(issues.c.issue_key == issue_key)
            ).scalar()
            values = {
                "status": "sending",
                "subject": subject,
                "updated_at": now,
                "run_id": run_id,
                "digest": digest,
                "key_check": key_check,
            }
            if frozen is not None:
                conn.execute(
                    sa.update(issues).where(issues.c.issue_key == issue_key).values(values)
                )
                return 0
            rows = [
                {
                    "issue_key": issue_key,
                    "subscriber_id": r.subscriber_id,
                    "email": r.email,
                    "status": "queued",
                    "retryable": False,
                    "message_id": new_message_id(domain),
                    "attempts": 0,
                    "updated_at": now,
                }
                for r in recipients
            ]
            if rows:
                conn.execute(sa.insert(sends), rows)
            conn.execute(
                sa.update(issues)
                .where(issues.c.issue_key == issue_key)
                .values({**values, "frozen_at": now, "recipients": len(rows)})
            )
            return len(rows)

    def finish(self, issue_key: str) -> LedgerCounts:
        """Store the counts; the issue is ``sent`` when nothing is left to send."""
        counts = self.counts(issue_key)
        now = self.clock.now()
        done = counts.remaining == 0
        with self._lock, self.db.write() as conn:
            conn.execute(
                sa.update(issues)
                .where(issues.c.issue_key == issue_key)
                .values(
                    status="sent" if done else "sending",
                    sent=counts.sent,
                    failed=counts.failed + counts.retryable,
                    unknown=counts.unknown,
                    skipped=counts.skipped,
                    last_error=None,
                    finished_at=now if done else None,
                    updated_at=now,
                )
            )
        return counts

    # ---- sends ----------------------------------------------------------------------------
    def counts(self, issue_key: str) -> LedgerCounts:
        q = (
            sa.select(sends.c.status, sends.c.retryable, sa.func.count())
            .where(sends.c.issue_key == issue_key)
            .group_by(sends.c.status, sends.c.retryable)
        )
        found: dict[str, int] = {}
        with self.db.read() as conn:
            for status, retryable, n in conn.execute(q):
                key = "retryable" if status == "failed" and retryable else str(status)
                found[key] = found.get(key, 0) + int(n)
        return LedgerCounts(**found)

    def left_reasons(self, issue_key: str, limit: int = 5) -> list[tuple[str, int]]:
        """Why the rows still to send are left (their last error, :func:`short_reason`), most
        frequent first; rows never attempted are "not attempted yet"."""
        q = (
            sa.select(sends.c.last_error, sa.func.count())
            .where(sends.c.issue_key == issue_key, _TO_SEND)
            .group_by(sends.c.last_error)
        )
        found: dict[str, int] = {}
        with self.db.read() as conn:
            for error, n in conn.execute(q):
                why = short_reason(error) if error else "not attempted yet"
                found[why] = found.get(why, 0) + int(n)
        return sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]

    def to_send(self, issue_key: str, limit: int | None = None) -> list[SendRow]:
        """Rows still to send (queued, unknown, failed-retryable), by subscriber id."""
        q = (
            sa.select(*SEND_ROW)
            .where(sends.c.issue_key == issue_key, _TO_SEND)
            .order_by(sends.c.subscriber_id)
            .limit(limit)
        )
        with self.db.read() as conn:
            return [SendRow(*r) for r in conn.execute(q)]

    def rows(self, issue_key: str) -> list[dict[str, object]]:
        """Every row of an issue (for reports and tests)."""
        q = sa.select(sends).where(sends.c.issue_key == issue_key).order_by(sends.c.subscriber_id)
        with self.db.read() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def pending(self, issue_key: str, run_id: str | None, *, besides: str | None = None) -> int:
        """Rows run ``run_id`` has still to attempt (held by a worker or not), leaving out
        those held by ``besides`` (the asking worker's own, in flight)."""
        q = sa.select(sa.func.count()).where(
            sends.c.issue_key == issue_key,
            _TO_SEND,
            sends.c.attempt_run.is_distinct_from(run_id),
        )
        if besides is not None:
            q = q.where(sa.or_(sends.c.claimed_by.is_(None), sends.c.claimed_by != besides))
        with self.db.read() as conn:
            return int(conn.execute(q).scalar() or 0)

    def outcomes(self, issue_key: str, run_id: str) -> list[Outcome]:
        """What run ``run_id`` did, whichever worker did it (the coordinator's report)."""
        q = (
            sa.select(sends.c.status, sends.c.retryable, sends.c.last_error, sa.func.count())
            .where(sends.c.issue_key == issue_key, sends.c.attempt_run == run_id)
            .group_by(sends.c.status, sends.c.retryable, sends.c.last_error)
        )
        with self.db.read() as conn:
            return [Outcome(str(s), bool(r), e, int(n)) for s, r, e, n in conn.execute(q)]

    def skip(
        self, issue_key: str, subscriber_ids: Iterable[int], reason: str, *, owner: str, run: str
    ) -> int:
        """Mark the rows ``owner`` holds ``skipped``; how many it still held."""
        return self._update(
            issue_key,
            subscriber_ids,
            [sends.c.claimed_by == owner],
            status="skipped",
            last_error=reason,
            claimed_by=None,
            claimed_until=None,
            attempt_run=run,
        )

    def reopen(
        self, issue_key: str, subscriber_ids: Iterable[int], reason: str, *, run: str
    ) -> int:
        """Put rows run ``run`` recorded as failed for good back to send (failed, retryable:
        the next run sends them) when a later refusal showed the failure was the sending
        side's, not the readers' (``ProviderError.resend``); how many it reopened."""
        failed_for_good = [
            sends.c.status == "failed",
            sends.c.retryable.is_(sa.false()),
            sends.c.attempt_run == run,
        ]
        return self._update(
            issue_key, subscriber_ids, failed_for_good, retryable=True, last_error=reason
        )

    def _update(
        self,
        issue_key: str,
        subscriber_ids: Iterable[int],
        where: list[sa.ColumnElement[bool]],
        **values: object,
    ) -> int:
        """Set ``values`` on these rows of the issue that match ``where``; how many."""
        ids = list(subscriber_ids)
        if not ids:
            return 0
        with self._lock, self.db.write() as conn:
            done = conn.execute(
                sa.update(sends)
                .where(sends.c.issue_key == issue_key, sends.c.subscriber_id.in_(ids), *where)
                .values(updated_at=self.clock.now(), **values)
            )
            return int(done.rowcount)

    def record(
        self,
        issue_key: str,
        provider: str,
        results: Sequence[SendResult],
        *,
        owner: str,
        run: str,
    ) -> Recorded:
        """Store provider outcomes in one transaction (``sent`` only for accepted ones).

        Fenced by the claim: an outcome is written to a row ``owner`` still holds (locked
        first, so no other worker takes it meanwhile); an accepted message is recorded
        ``sent`` even on a row another worker took (it was sent; their later outcome is then
        not written, as they no longer hold it). Other outcomes of lost rows are dropped."""
        if not results:
            return Recorded(frozenset(), self.status(issue_key))
        now = self.clock.now()
        ids = [r.subscriber_id for r in results]
        with self._lock, self.db.write() as conn:
            held = set(
                conn.execute(
                    sa.select(sends.c.subscriber_id)
                    .where(
                        sends.c.issue_key == issue_key,
                        sends.c.subscriber_id.in_(ids),
                        sends.c.claimed_by == owner,
                    )
                    .order_by(sends.c.subscriber_id)
                    .with_for_update()
                ).scalars()
            )
            mine = [
                _row_update(issue_key, provider, r, now, run)
                for r in results
                if r.subscriber_id in held
            ]
            if mine:
                conn.execute(_RECORD, mine)
            taken = [
                _row_update(issue_key, provider, r, now, run)
                for r in results
                if r.subscriber_id not in held and r.status is SendStatus.SENT
            ]
            if taken:
                conn.execute(_RECORD_TAKEN, taken)
            status = conn.execute(
                sa.select(issues.c.status).where(issues.c.issue_key == issue_key)
            ).scalar()
        return Recorded(frozenset(ids) - held, status)

    def status(self, issue_key: str) -> str | None:
        with self.db.read() as conn:
            found = conn.execute(
                sa.select(issues.c.status).where(issues.c.issue_key == issue_key)
            ).scalar()
        return None if found is None else str(found)


def _record_statement(*where: sa.ColumnElement[bool]) -> sa.Update:
    """One outcome per row (built once: statement construction is costly at one commit per
    call); the claim is cleared and the run noted."""
    return (
        sa.update(sends)
        .where(
            sends.c.issue_key == sa.bindparam("k_issue"),
            sends.c.subscriber_id == sa.bindparam("k_sid"),
            *where,
        )
        .values(
            status=sa.bindparam("v_status"),
            retryable=sa.bindparam("v_retryable"),
            provider=sa.bindparam("v_provider"),
            provider_message_id=sa.bindparam("v_pid"),
            attempts=sends.c.attempts + sa.bindparam("v_attempts"),
            last_error=sa.bindparam("v_error"),
            updated_at=sa.bindparam("v_now"),
            claimed_by=None,
            claimed_until=None,
            attempt_run=sa.bindparam("v_run"),
        )
    )


#: A row the worker holds; an accepted message on a row another worker took (once).
_RECORD = _record_statement()
_RECORD_TAKEN = _record_statement(sends.c.status != "sent")

_LEDGER_STATUS = {
    SendStatus.SENT: "sent",
    SendStatus.RETRYABLE: "failed",
    SendStatus.PERMANENT: "failed",
    SendStatus.UNKNOWN: "unknown",
}


def _row_update(
    issue_key: str, provider: str, r: SendResult, now: dt.datetime, run: str
) -> dict[str, object]:
    return {
        "k_issue": issue_key,
        "k_sid": r.subscriber_id,
        "v_status": _LEDGER_STATUS[r.status],
        "v_retryable": r.status is SendStatus.RETRYABLE,
        "v_provider": provider,
        "v_pid": r.provider_message_id,
        "v_attempts": r.attempts,
        "v_error": r.reason or None,
        "v_now": now,
        "v_run": run,
    }
