"""The send ledger: what each issue sent to whom, so a re-run never sends twice.

One ``issues`` row per ISO week (``2026-W48``: building → sending → sent, or failed) and one
``sends`` row per (issue, subscriber). The rules:

* The recipient list is **frozen** at the first start of a send: one ``queued`` row per
  eligible subscriber, each with its Message-ID generated and stored *before* any provider
  call. Later runs reuse that Message-ID, so receivers can dedupe a resend.
* A row becomes ``sent`` only after the provider accepted the message.
* ``failed`` rows carry the reason; ``retryable`` ones (retries exhausted on 429/5xx/SMTP 4xx)
  are tried again by the next run, permanent ones never.
* ``unknown`` (the request went out, no answer came back: a timeout after sending, an SMTP
  connection lost during DATA) is never skipped silently: it is counted and reported, and
  the next run resends it **with the same Message-ID**. At worst a reader gets the same
  message twice, which mail clients and providers dedupe by Message-ID.
* ``skipped`` rows were frozen but the subscriber unsubscribed, bounced, complained, paused
  or was suppressed before their batch went out (re-checked just before each batch).

An issue is ``sent`` once no row is left to send (queued, unknown or retryable).
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
from newsletter.store.tables import issues, sends
from newsletter.util.clock import SYSTEM_CLOCK, Clock

#: Rows a run (re)sends: queued, unknown, and failed ones that may be retried.
_TO_SEND = sa.or_(
    sends.c.status.in_(("queued", "unknown")),
    sa.and_(sends.c.status == "failed", sends.c.retryable.is_(True)),
)


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


@dataclass
class SendLedger:
    """Ledger operations on an open :class:`~newsletter.store.Database` (thread-safe)."""

    db: Database
    clock: Clock = field(default=SYSTEM_CLOCK)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

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
        self, issue_key: str, subject: str, recipients: Sequence[Recipient], domain: str
    ) -> int:
        """Queue one row per recipient with its Message-ID, once per issue; rows added."""
        now = self.clock.now()
        with self._lock, self.db.write() as conn:
            frozen = conn.execute(
                sa.select(issues.c.frozen_at).where(issues.c.issue_key == issue_key)
            ).scalar()
            values = {"status": "sending", "subject": subject, "updated_at": now}
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

    def to_send(self, issue_key: str, limit: int | None = None) -> list[SendRow]:
        """Rows still to send (queued, unknown, failed-retryable), by subscriber id."""
        q = (
            sa.select(
                sends.c.subscriber_id,
                sends.c.email,
                sends.c.status,
                sends.c.message_id,
                sends.c.attempts,
            )
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

    def skip(self, issue_key: str, subscriber_ids: Iterable[int], reason: str) -> None:
        ids = list(subscriber_ids)
        if not ids:
            return
        with self._lock, self.db.write() as conn:
            conn.execute(
                sa.update(sends)
                .where(sends.c.issue_key == issue_key, sends.c.subscriber_id.in_(ids))
                .values(status="skipped", last_error=reason, updated_at=self.clock.now())
            )

    def record(self, issue_key: str, provider: str, results: Sequence[SendResult]) -> None:
        """Store provider outcomes in one transaction (``sent`` only for accepted ones)."""
        if not results:
            return
        now = self.clock.now()
        params = [_row_update(issue_key, provider, r, now) for r in results]
        with self._lock, self.db.write() as conn:
            conn.execute(_RECORD, params)


#: One outcome per row (built once: statement construction is costly at one commit per call).
_RECORD = (
    sa.update(sends)
    .where(
        sends.c.issue_key == sa.bindparam("k_issue"),
        sends.c.subscriber_id == sa.bindparam("k_sid"),
    )
    .values(
        status=sa.bindparam("v_status"),
        retryable=sa.bindparam("v_retryable"),
        provider=sa.bindparam("v_provider"),
        provider_message_id=sa.bindparam("v_pid"),
        attempts=sends.c.attempts + sa.bindparam("v_attempts"),
        last_error=sa.bindparam("v_error"),
        updated_at=sa.bindparam("v_now"),
    )
)

_LEDGER_STATUS = {
    SendStatus.SENT: "sent",
    SendStatus.RETRYABLE: "failed",
    SendStatus.PERMANENT: "failed",
    SendStatus.UNKNOWN: "unknown",
}


def _row_update(
    issue_key: str, provider: str, r: SendResult, now: dt.datetime
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
    }
