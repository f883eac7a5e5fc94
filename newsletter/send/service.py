"""The Monday send: guards → signals → render → compliance → ledger → provider.

:func:`prepare_issue` builds one week's issue (signals, compiled email, delivery variants)
and runs the compliance checks on every variant before anything is sent.
:func:`send_issue` drives the send through the ledger (:mod:`newsletter.send.ledger`): it
freezes the recipient list once, then works through the rows still to send with
``[delivery] concurrency`` workers, each with its own sender instance (senders are not
thread-safe) sharing one rate limiter. Each worker re-checks suppression and unsubscribes
just before each batch, and records every provider call's outcome in the ledger as soon as
the call returns (one message per call for SMTP and the file outbox), so a kill loses at
most the outcome of the calls in flight. A :class:`~newsletter.errors.ProviderError`
(bad credentials, suspended account) stops the run after recording what happened so far.
:func:`run_week` is the whole weekly job, idempotent: a quick no-op once the issue is sent.
"""

from __future__ import annotations

import queue
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any

from newsletter.audience.subscribers import SubscriberStore, recipient_of
from newsletter.audience.tokens import TokenSigner
from newsletter.config import DEV_SECRET_KEY, Config, secret
from newsletter.data.pipeline import build_signals
from newsletter.data.signals.models import Signals
from newsletter.delivery import MessageFactory, RateLimiter, get_sender, sender_class
from newsletter.delivery.base import Sender, chunked
from newsletter.delivery.message import format_date
from newsletter.delivery.models import OutgoingMessage, SendResult, SendStatus
from newsletter.edition.compliance import check_content, check_outgoing
from newsletter.edition.issue import compile_issue, preview_recipient
from newsletter.errors import DeliveryError, NewsletterError, ProviderError
from newsletter.models import Recipient
from newsletter.send.guards import check_scheduled_snapshot
from newsletter.send.ledger import LedgerCounts, SendLedger, SendRow
from newsletter.send.schedule import issue_week
from newsletter.send.variants import IssueVariants
from newsletter.util.clock import Clock
from newsletter.util.weeks import iso_week_key

#: Rows handed to a worker at a time; suppression is re-checked once per batch.
BATCH_ROWS = 100
SenderFactory = Callable[[], Sender[Any, Any]]


@dataclass(frozen=True)
class PreparedIssue:
    """One week's issue, rendered and ready to become messages."""

    week: date
    issue_key: str
    signals: Signals
    variants: IssueVariants

    @property
    def subject(self) -> str:
        return self.variants.subject or self.variants.compiled.subject


def prepare_issue(config: Config, week: date) -> PreparedIssue:
    """Signals → compiled email → delivery variants (each checked by :func:`check_variants`)."""
    signals = build_signals(config, week)
    variants = IssueVariants(compile_issue(signals, config), config.newsletter)
    return PreparedIssue(signals.week, iso_week_key(signals.week), signals, variants)


def check_variants(
    config: Config, prepared: PreparedIssue, recipients: Sequence[Recipient], clock: Clock
) -> int:
    """Compliance-check every variant these recipients get (content, then one full message
    per variant); raises ComplianceError before anything is sent. Returns how many variants
    the recipients get.
    """
    factory = MessageFactory()
    render = partial(factory.render, date=format_date(clock.now()))
    seen: set[object] = set()
    # the default version first, even with no recipients: compliance never depends on the list
    for r in [preview_recipient(config), *recipients]:
        if r.preferences in seen:
            continue
        seen.add(r.preferences)
        check_content(prepared.variants.content(r.preferences), config)
        msg = prepared.variants.message(r, issue_key=prepared.issue_key)
        check_outgoing(msg, config, render)
    return len({r.preferences for r in recipients})


def scheduled_week(config: Config, now: datetime) -> date:
    """This week's issue for a scheduled / run-week send, after the snapshot guard."""
    week = issue_week(now, config.schedule)
    check_scheduled_snapshot(
        config.data.snapshots_dir, week, now, config.data.max_snapshot_age_days
    )
    return week


# ---------------------------------------------------------------------------------------
# The send


@dataclass
class SendReport:
    """What one run did (this run's outcomes) and where the issue stands."""

    issue_key: str
    subject: str
    provider: str
    sent: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    retryable: int = 0
    unknown: int = 0
    skipped: int = 0
    #: Rows this run set out to send.
    planned: int = 0
    already_sent: bool = False
    stopped: str | None = None
    duration: float = 0.0
    ledger: LedgerCounts = field(default_factory=LedgerCounts)

    @property
    def complete(self) -> bool:
        return self.ledger.remaining == 0 and self.stopped is None

    @property
    def rate(self) -> float:
        return self.sent / self.duration if self.duration > 0 else 0.0


@dataclass
class _Run:
    """Shared state of the workers of one send."""

    prepared: PreparedIssue
    ledger: SendLedger
    store: SubscriberStore
    recipients: dict[int, Recipient]
    report: SendReport
    stop: threading.Event
    progress: Callable[[int], None]
    lock: threading.Lock = field(default_factory=threading.Lock)
    error: BaseException | None = None

    def tally(self, results: Sequence[SendResult]) -> None:
        with self.lock:
            for r in results:
                if r.status is SendStatus.SENT:
                    self.report.sent += 1
                elif r.status is SendStatus.RETRYABLE:
                    self.report.retryable += 1
                    self.report.failed[f"retryable: {_short(r.reason)}"] += 1
                elif r.status is SendStatus.PERMANENT:
                    self.report.failed[f"permanent: {_short(r.reason)}"] += 1
                else:
                    self.report.unknown += 1

    def skipped(self, n: int) -> None:
        with self.lock:
            self.report.skipped += n


def _short(reason: str) -> str:
    """A reason grouped for the summary (per-address details dropped)."""
    head = reason.split(":", 1)[0] if reason.startswith("invalid address") else reason
    return head[:70]


def send_issue(
    config: Config,
    prepared: PreparedIssue,
    store: SubscriberStore,
    recipients: Sequence[Recipient],
    *,
    sender_factory: SenderFactory | None = None,
    limit: int | None = None,
    stop: threading.Event | None = None,
    progress: Callable[[int], None] | None = None,
    on_planned: Callable[[int], None] | None = None,
    ledger: SendLedger | None = None,
) -> SendReport:
    """Send ``prepared`` to the frozen list (freezing it from ``recipients`` the first time).

    Raises ProviderError (after recording every outcome so far) when the provider refuses
    the account. ``stop`` ends the run after the calls in flight (graceful SIGTERM). One
    send at a time per database: a second one raises DeliveryError at once, as it would
    read the same queued rows and mail them again.
    """
    clock = store.clock
    started = clock.monotonic()
    ledger = ledger or SendLedger(store.db, clock=clock)
    with ledger.db.exclusive("send") as held:
        if not held:
            raise DeliveryError(
                "another send is running on this database; this run stops so that no one "
                "gets the issue twice (run it again once that one has finished)"
            )
        key = prepared.issue_key
        provider = config.delivery.provider
        if done := already_sent(config, ledger, key):
            return done
        report = SendReport(key, prepared.subject, provider)
        ledger.begin(key, prepared.week)
        try:
            check_variants(config, prepared, recipients, clock)
        except NewsletterError as err:
            ledger.fail(key, str(err))
            raise
        ledger.freeze(key, prepared.subject, recipients, config.newsletter.sending_domain)
        rows = ledger.to_send(key, limit)
        report.planned = len(rows)
        if on_planned:
            on_planned(len(rows))
        if sender_factory is None:
            limiter = RateLimiter(sender_class(provider).rate_per_second)

            def sender_factory() -> Sender[Any, Any]:
                return get_sender(config, limiter=limiter)

        run = _Run(
            prepared=prepared,
            ledger=ledger,
            store=store,
            recipients={r.subscriber_id: r for r in recipients},
            report=report,
            stop=stop or threading.Event(),
            progress=progress or (lambda _n: None),
        )
        work: queue.SimpleQueue[list[SendRow]] = queue.SimpleQueue()
        size = _batch_rows(sender_class(provider))
        for batch in _batches(rows, size):
            work.put(batch)
        workers = [
            threading.Thread(target=_worker, args=(run, work, sender_factory), name=f"send-{i}")
            for i in range(min(config.delivery.concurrency, max(1, -(-len(rows) // size))))
        ]
        for t in workers:
            t.start()
        try:
            for t in workers:
                t.join()
        except KeyboardInterrupt:  # Ctrl-C: like SIGTERM, finish the calls in flight
            run.stop.set()
            for t in workers:
                t.join()
        report.duration = clock.monotonic() - started
        if run.error is not None:
            ledger.fail(key, str(run.error))
            report.ledger = ledger.counts(key)
            if isinstance(run.error, NewsletterError):
                raise run.error
            raise DeliveryError(f"the send stopped: {run.error!r}") from run.error
        report.ledger = ledger.finish(key)
        if run.stop.is_set() and report.ledger.remaining:
            report.stopped = "stopped before the end"
        return report


def already_sent(config: Config, ledger: SendLedger, issue_key: str) -> SendReport | None:
    """The report of a run with nothing to do because the issue is sent, else None."""
    record = ledger.issue(issue_key)
    if record is None or record.status != "sent":
        return None
    report = SendReport(issue_key, record.subject, config.delivery.provider, already_sent=True)
    report.ledger = ledger.counts(issue_key)
    return report


def _batch_rows(cls: type[Sender[Any, Any]]) -> int:
    """Rows per worker batch: BATCH_ROWS, or a whole provider call for batch APIs."""
    return BATCH_ROWS if cls.per_call() == 1 else max(BATCH_ROWS, cls.per_call())


def _batches(rows: Sequence[SendRow], size: int) -> list[list[SendRow]]:
    return [list(rows[i : i + size]) for i in range(0, len(rows), size)]


def _worker(run: _Run, work: queue.SimpleQueue[list[SendRow]], factory: SenderFactory) -> None:
    try:
        with factory() as sender:
            while not run.stop.is_set():
                try:
                    batch = work.get_nowait()
                except queue.Empty:
                    return
                _send_rows(run, sender, batch)
    except BaseException as exc:
        with run.lock:
            run.error = run.error or exc
        run.stop.set()


def _send_rows(run: _Run, sender: Sender[Any, Any], batch: list[SendRow]) -> None:
    key = run.prepared.issue_key
    eligible = run.store.mailable_ids(r.subscriber_id for r in batch)
    gone = {
        r.subscriber_id
        for r in batch
        if r.subscriber_id not in eligible or r.subscriber_id not in run.recipients
    }
    run.ledger.skip(key, gone, "no longer subscribed when its batch went out")
    run.skipped(len(gone))
    run.progress(len(gone))
    messages: list[OutgoingMessage] = [
        run.prepared.variants.message(
            run.recipients[r.subscriber_id], issue_key=key, message_id=r.message_id
        )
        for r in batch
        if r.subscriber_id not in gone
    ]
    # One provider call at a time, recorded as soon as it returns (smallest kill window).
    for chunk in chunked(messages, sender.per_call()):
        if run.stop.is_set():
            return
        try:
            results = sender.send_batch(chunk)
        except ProviderError as err:
            _record(run, sender, list(err.results))
            raise
        _record(run, sender, results)


def _record(run: _Run, sender: Sender[Any, Any], results: list[SendResult]) -> None:
    run.ledger.record(run.prepared.issue_key, sender.name, results)
    run.tally(results)
    run.progress(len(results))
    for r in results:
        if r.status is SendStatus.PERMANENT:
            run.store.mark_bounced(r.email, f"{run.prepared.issue_key}: {r.reason}")


# ---------------------------------------------------------------------------------------
# The weekly job


def run_week(
    config: Config,
    store: SubscriberStore,
    recipients: Callable[[], Sequence[Recipient]],
    **send_options: Any,
) -> SendReport:
    """The whole weekly job once: a quick no-op if this week's issue is already sent,
    else guards → signals → render → compliance → send (resuming a half-done send).
    "Now" is the store's clock.
    """
    now = store.clock.now()
    week = issue_week(now, config.schedule)
    ledger = SendLedger(store.db, clock=store.clock)
    if done := already_sent(config, ledger, iso_week_key(week)):
        return done
    scheduled_week(config, now)
    prepared = prepare_issue(config, week)
    return send_issue(config, prepared, store, recipients(), ledger=ledger, **send_options)


# ---------------------------------------------------------------------------------------
# Secrets, dry runs and test copies

DEV_KEY_NOTE = (
    "NEWSLETTER_SECRET_KEY is not set: signing links with the development key, which is "
    "only acceptable because [delivery] provider = 'file' (a demo outbox). Set it before a "
    "real send: links signed with the development key are forgeable"
)


def send_signer(config: Config, *, dry_run: bool = False) -> tuple[TokenSigner, bool]:
    """The link signer for a send and whether it is the development key.

    Real sends need NEWSLETTER_SECRET_KEY, except to the ``file`` outbox (demo); dry runs
    may use the development key.
    """
    allow_dev = dry_run or config.delivery.provider == "file"
    key = secret("secret_key", "to sign the unsubscribe and preferences links", allow_dev=allow_dev)
    return TokenSigner(key), key == DEV_SECRET_KEY


@dataclass(frozen=True, slots=True)
class DryRunReport:
    issue_key: str
    subject: str
    would_send: int
    variants: int
    total_bytes: int
    issue_status: str | None


def dry_run(
    config: Config,
    prepared: PreparedIssue,
    store: SubscriberStore,
    recipients: Sequence[Recipient],
) -> DryRunReport:
    """Build and check every message a real run would send now; send and record nothing."""
    variants = check_variants(config, prepared, recipients, store.clock)
    ledger = SendLedger(store.db, clock=store.clock)
    record = ledger.issue(prepared.issue_key)
    if record is not None and record.frozen_at is not None:
        by_id = {r.subscriber_id: r for r in recipients}
        todo: list[tuple[Recipient, str | None]] = [
            (by_id[row.subscriber_id], row.message_id)
            for row in ledger.to_send(prepared.issue_key)
            if row.subscriber_id in by_id
        ]
    else:
        todo = [(r, None) for r in recipients]
    factory = MessageFactory()
    date = format_date(store.clock.now())
    size = 0
    for r, mid in todo:
        msg = prepared.variants.message(r, issue_key=prepared.issue_key, message_id=mid)
        size += len(factory.render(msg, date=date))
    return DryRunReport(
        prepared.issue_key,
        prepared.subject,
        len(todo),
        variants,
        size,
        record.status if record else None,
    )


def send_test_copy(
    config: Config,
    prepared: PreparedIssue,
    store: SubscriberStore,
    signer: TokenSigner,
    email: str,
    *,
    sender_factory: SenderFactory | None = None,
) -> SendResult:
    """Send one ``[TEST]`` copy to ``email`` through the configured provider; no ledger.

    A subscriber's address gets their own version (name, picks, links); any other address
    gets the default version with preview links.
    """
    sub = store.find(email)
    if sub is not None:
        recipient = recipient_of(sub, signer, config.newsletter.base_url)
    else:
        stand_in = preview_recipient(config)
        recipient = Recipient(
            subscriber_id=0,
            email=email.strip(),
            unsubscribe_url=stand_in.unsubscribe_url,
            preferences_url=stand_in.preferences_url,
        )
    test = IssueVariants(
        prepared.variants.compiled, config.newsletter, subject=f"[TEST] {prepared.subject}"
    )
    msg = test.message(recipient, issue_key=f"test-{prepared.issue_key}")
    check_content(msg.content, config)
    factory = sender_factory or (lambda: get_sender(config))
    with factory() as sender:
        (result,) = sender.send_batch([msg])
    return result
