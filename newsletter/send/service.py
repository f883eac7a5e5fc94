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
One recipient whose message cannot be built (an address or name that would break a header,
stored before the sanitiser existed) is recorded as failed with the reason, never retried,
and the send goes on for everyone else.

The facade at the end is what the command line and the scheduler's job call, one function
per command: :func:`send_week` (``send``, ``run-week``, the scheduler: idempotent, a quick
no-op once the issue is sent; the weekly job collects the week first when its snapshot is
missing), :func:`dry_run_week`, :func:`copy_week` (``send --to``) and
:func:`preview_reader`. :func:`link_signer` is the one link-signing policy. Secrets come in
as :class:`~newsletter.config.Secrets`, read by the caller at the edge.
"""

from __future__ import annotations

import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import partial
from typing import Any, Literal

from newsletter.audience.subscribers import SubscriberStore, recipient_of, signed_url
from newsletter.audience.tokens import TokenSigner
from newsletter.config import DEV_SECRET_KEY, Config, Secrets
from newsletter.data.collect import Collected, collect, sources_configured
from newsletter.data.signals.models import Signals
from newsletter.data.snapshots import snapshot_path
from newsletter.delivery import MessageFactory, RateLimiter, get_sender, sender_class
from newsletter.delivery.base import Sender, chunked
from newsletter.delivery.message import format_date
from newsletter.delivery.models import OutgoingMessage, SendResult, SendStatus
from newsletter.edition.compliance import check_content, check_outgoing
from newsletter.edition.issue import compile_week, preview_recipient
from newsletter.errors import DeliveryError, NewsletterError, ProviderError, first_line
from newsletter.models import Preferences, Recipient
from newsletter.send.guards import check_scheduled_snapshot, explicit_week_warning
from newsletter.send.ledger import LedgerCounts, SendLedger, SendRow
from newsletter.send.schedule import issue_week
from newsletter.send.variants import IssueVariants
from newsletter.store import open_store
from newsletter.util.clock import SYSTEM_CLOCK, Clock
from newsletter.util.weeks import iso_week_key

#: No secrets: enough for the ``file`` and ``memory`` providers.
NO_SECRETS = Secrets()
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
    """Signals (with the week's new roles and the editor's note) → compiled email → delivery
    variants (each checked by :func:`check_variants`)."""
    compiled = compile_week(config, week)
    signals = compiled.signals
    variants = IssueVariants(compiled, config.newsletter)
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
        try:  # one recipient's bad data must not stop everyone: try the next of this variant
            msg = prepared.variants.message(r, issue_key=prepared.issue_key)
        except ValueError:
            continue
        seen.add(r.preferences)
        check_content(prepared.variants.content(r.preferences), config)
        check_outgoing(msg, config, render)
    for prefs in {r.preferences for r in recipients} - seen:  # nobody of it could be built
        stand_in = replace(preview_recipient(config), preferences=prefs)
        check_content(prepared.variants.content(prefs), config)
        check_outgoing(
            prepared.variants.message(stand_in, issue_key=prepared.issue_key), config, render
        )
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
    if reason.startswith(UNBUILT):
        return ": ".join(reason.split(": ")[:2])[:70]
    head = reason.split(":", 1)[0] if reason.startswith("invalid address") else reason
    return head[:70]


#: The reason of a recipient whose message could not be built.
UNBUILT = "message not built"


def recipient_message(
    prepared: PreparedIssue, recipient: Recipient, message_id: str | None = None
) -> OutgoingMessage | str:
    """The recipient's message, or the reason it cannot be built (a value that would break
    a header): a per-recipient failure, never one that stops the send."""
    try:
        return prepared.variants.message(
            recipient, issue_key=prepared.issue_key, message_id=message_id
        )
    except ValueError as exc:
        return f"{UNBUILT}: {first_line(exc)}"


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
    secrets: Secrets = NO_SECRETS,
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
        if done := already_sent(ledger, key, provider):
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
                return get_sender(config.delivery, secrets, limiter=limiter)

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


def already_sent(ledger: SendLedger, issue_key: str, provider: str) -> SendReport | None:
    """The report of a run with nothing to do because the issue is sent, else None: the one
    "already sent" check (the send facade and :func:`send_issue` ask it)."""
    record = ledger.issue(issue_key)
    if record is None or record.status != "sent":
        return None
    report = SendReport(issue_key, record.subject, provider, already_sent=True)
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
    messages: list[OutgoingMessage] = []
    unbuilt: list[SendResult] = []
    for r in batch:
        if r.subscriber_id in gone:
            continue
        built = recipient_message(run.prepared, run.recipients[r.subscriber_id], r.message_id)
        if isinstance(built, str):
            unbuilt.append(
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
    if unbuilt:  # recorded failed with the reason; not a bounce, so the address stays listed
        _record(run, sender, unbuilt, bounce=False)
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


def _record(
    run: _Run, sender: Sender[Any, Any], results: list[SendResult], *, bounce: bool = True
) -> None:
    run.ledger.record(run.prepared.issue_key, sender.name, results)
    run.tally(results)
    run.progress(len(results))
    for r in results:
        if bounce and r.status is SendStatus.PERMANENT:
            run.store.mark_bounced(r.email, f"{run.prepared.issue_key}: {r.reason}")


# ---------------------------------------------------------------------------------------
# The weekly job's first step


def collect_if_missing(config: Config, week: date, clock: Clock) -> Collected | None:
    """Collect ``week`` first when its snapshot is missing and the sources file lists boards
    (collect -> ingest -> signals -> render -> send); None when there was nothing to do."""
    if snapshot_path(config.data.snapshots_dir, week).exists() or not sources_configured(config):
        return None
    return collect(config, week, clock=clock)


# ---------------------------------------------------------------------------------------
# Signing links: the one policy

DEV_KEY_NOTE = (
    "NEWSLETTER_SECRET_KEY is not set: signing links with the development key, which is "
    "only acceptable because [delivery] provider = 'file' (a demo outbox). Set it before a "
    "real send: links signed with the development key are forgeable"
)

#: What links are signed for: a send (or a test copy), a dry run, a preview, the web pages.
LinkUse = Literal["send", "dry-run", "preview", "serve"]
_LINK_PURPOSE: dict[LinkUse, str] = {
    "send": "to sign the unsubscribe and preferences links",
    "dry-run": "to sign the unsubscribe and preferences links",
    "preview": "to sign preview links",
    "serve": "to sign confirmation and unsubscribe links",
}


def link_signer(config: Config, secrets: Secrets, use: LinkUse) -> tuple[TokenSigner, bool]:
    """The signer of subscriber links for ``use``, and whether it is the development key.

    The one link-signing policy: the web pages (``serve``) and real sends need
    NEWSLETTER_SECRET_KEY, except a send to the ``file`` outbox (the demo); dry runs and
    previews, which mail nobody, may fall back to the development key.
    """
    allow_dev = use in ("dry-run", "preview") or (
        use == "send" and config.delivery.provider == "file"
    )
    key = secrets.require("secret_key", _LINK_PURPOSE[use], allow_dev=allow_dev)
    return TokenSigner(key), key == DEV_SECRET_KEY


@dataclass(frozen=True, slots=True)
class DryRunReport:
    issue_key: str
    subject: str
    would_send: int
    variants: int
    total_bytes: int
    issue_status: str | None
    #: Recipients whose message could not be built, by reason (a real run records them failed).
    unbuilt: Counter[str] = field(default_factory=Counter)


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
    unbuilt: Counter[str] = Counter()
    for r, mid in todo:
        msg = recipient_message(prepared, r, mid)
        if isinstance(msg, str):
            unbuilt[_short(msg)] += 1
            continue
        size += len(factory.render(msg, date=date))
    return DryRunReport(
        prepared.issue_key,
        prepared.subject,
        len(todo) - sum(unbuilt.values()),
        variants,
        size,
        record.status if record else None,
        unbuilt,
    )


def send_test_copy(
    config: Config,
    prepared: PreparedIssue,
    store: SubscriberStore,
    signer: TokenSigner,
    email: str,
    *,
    secrets: Secrets = NO_SECRETS,
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
    factory = sender_factory or (lambda: get_sender(config.delivery, secrets))
    with factory() as sender:
        (result,) = sender.send_batch([msg])
    return result


# ---------------------------------------------------------------------------------------
# The facade: one call per command. The CLI parses, calls one of these, prints; the
# scheduler's job calls send_week. Each reads "now" from ``clock`` and warns through ``warn``.


def _ignore(_note: str) -> None:
    pass


def _week_to_send(
    config: Config, week: date | None, now: datetime, warn: Callable[[str], None]
) -> tuple[date, bool]:
    """The week to send and whether it is the scheduled one (this week's: the snapshot guard
    applies); an explicit earlier week goes ahead with a warning."""
    current = issue_week(now, config.schedule)
    if week is None:
        return current, True
    if note := explicit_week_warning(week, current):
        warn(note)
    return week, False


def send_week(
    config: Config,
    secrets: Secrets,
    *,
    week: date | None = None,
    limit: int | None = None,
    clock: Clock = SYSTEM_CLOCK,
    warn: Callable[[str], None] = _ignore,
    stop: threading.Event | None = None,
    progress: Callable[[int], None] | None = None,
    on_planned: Callable[[int], None] | None = None,
    sender_factory: SenderFactory | None = None,
    collect_first: bool = False,
) -> SendReport:
    """The Monday send, once: ``send``, ``send --catch-up``, ``run-week`` and the scheduler.

    ``week`` None is this week's issue. A quick no-op when the issue is already sent (the
    one "already sent" check); else, with ``collect_first`` (the weekly job: ``run-week``,
    the scheduler), the week's collection when its snapshot is missing and sources are
    configured; then the snapshot guard (this week's issue only), signals, render,
    compliance, and the send through the ledger, resuming a half-done one.
    """
    target, scheduled = _week_to_send(config, week, clock.now(), warn)
    with open_store(config) as db:
        store = SubscriberStore(db, clock=clock)
        ledger = SendLedger(db, clock=clock)
        if done := already_sent(ledger, iso_week_key(target), config.delivery.provider):
            return done
        if scheduled and collect_first:
            collect_if_missing(config, target, clock)
        if scheduled:
            scheduled_week(config, clock.now())
        signer, dev = link_signer(config, secrets, "send")
        if dev:
            warn(DEV_KEY_NOTE)
        prepared = prepare_issue(config, target)
        recipients = store.active_recipients(signer, config.newsletter.base_url)
        return send_issue(
            config,
            prepared,
            store,
            recipients,
            sender_factory=sender_factory,
            limit=limit,
            stop=stop,
            progress=progress,
            on_planned=on_planned,
            ledger=ledger,
            secrets=secrets,
        )


@dataclass(frozen=True, slots=True)
class _Ready:
    prepared: PreparedIssue
    store: SubscriberStore
    signer: TokenSigner

    def recipients(self, config: Config) -> list[Recipient]:
        return self.store.active_recipients(self.signer, config.newsletter.base_url)


@contextmanager
def _prepared(
    config: Config,
    secrets: Secrets,
    week: date | None,
    *,
    clock: Clock,
    warn: Callable[[str], None],
    use: LinkUse,
) -> Iterator[_Ready]:
    """The week's issue prepared, with an open subscriber store and the link signer."""
    target, scheduled = _week_to_send(config, week, clock.now(), warn)
    if scheduled:
        scheduled_week(config, clock.now())
    with open_store(config) as db:
        signer, dev = link_signer(config, secrets, use)
        if dev and use == "send":
            warn(DEV_KEY_NOTE)
        yield _Ready(prepare_issue(config, target), SubscriberStore(db, clock=clock), signer)


def dry_run_week(
    config: Config,
    secrets: Secrets,
    *,
    week: date | None = None,
    clock: Clock = SYSTEM_CLOCK,
    warn: Callable[[str], None] = _ignore,
) -> DryRunReport:
    """``send --dry-run``: build and check every message a real run would send now."""
    with _prepared(config, secrets, week, clock=clock, warn=warn, use="dry-run") as ready:
        return dry_run(config, ready.prepared, ready.store, ready.recipients(config))


@dataclass(frozen=True, slots=True)
class CopyReport:
    """What ``send --to`` did: the issue's key and the one result."""

    issue_key: str
    result: SendResult


def copy_week(
    config: Config,
    secrets: Secrets,
    to: str,
    *,
    week: date | None = None,
    clock: Clock = SYSTEM_CLOCK,
    warn: Callable[[str], None] = _ignore,
    sender_factory: SenderFactory | None = None,
) -> CopyReport:
    """``send --to``: one ``[TEST]`` copy of the week's issue to ``to``; the ledger is
    untouched."""
    with _prepared(config, secrets, week, clock=clock, warn=warn, use="send") as ready:
        result = send_test_copy(
            config,
            ready.prepared,
            ready.store,
            ready.signer,
            to,
            secrets=secrets,
            sender_factory=sender_factory,
        )
        return CopyReport(ready.prepared.issue_key, result)


def preview_reader(
    config: Config,
    secrets: Secrets,
    email: str,
    *,
    name: str | None = None,
    preferences: Preferences = Preferences(),
    clock: Clock = SYSTEM_CLOCK,
) -> Recipient:
    """The reader ``newsletter preview --subscriber`` renders for: a stored subscriber's
    name, picks and signed links (a new reader, id 0, for an address not on the list),
    with the given name and non-empty picks overriding what is stored."""
    signer, _dev = link_signer(config, secrets, "preview")
    base = config.newsletter.base_url
    with open_store(config) as db:
        stored = SubscriberStore(db, clock=clock).find(email)
    if stored is not None:
        found = recipient_of(stored, signer, base)
    else:
        found = Recipient(
            subscriber_id=0,
            email=email,
            unsubscribe_url=signed_url(base, signer, "unsubscribe", 0, "preview"),
            preferences_url=signed_url(base, signer, "preferences", 0, "preview"),
        )
    prefs = found.preferences
    return replace(
        found,
        name=name if name is not None else found.name,
        preferences=Preferences(
            categories=preferences.categories or prefs.categories,
            metros=preferences.metros or prefs.metros,
            seniority=preferences.seniority or prefs.seniority,
        ),
    )
