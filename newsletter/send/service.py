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

import hashlib
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import partial
from typing import Any, Literal

from newsletter.audience.sanitize import clean_name
from newsletter.audience.subscribers import SubscriberStore, recipient_of, signed_url
from newsletter.audience.tokens import TokenSigner
from newsletter.config import DEV_SECRET_KEY, Config, Secrets
from newsletter.data.collect import Collected, Source, collect, sources_configured
from newsletter.data.collect import replay as replay_collection
from newsletter.data.collect.run import OnBoard
from newsletter.data.pipeline import WeekData, build_week
from newsletter.data.signals.models import Signals
from newsletter.data.snapshots import snapshot_path, week_being_written
from newsletter.delivery import MessageFactory, RateLimiter, get_sender, sender_class
from newsletter.delivery.base import Sender, clock_sleep
from newsletter.delivery.message import format_date
from newsletter.delivery.models import OutgoingMessage, SendResult, SendStatus
from newsletter.edition.compliance import check_content, check_outgoing
from newsletter.edition.issue import compile_data, preview_recipient
from newsletter.edition.render import render_template
from newsletter.errors import DeliveryError, GuardError, NewsletterError, UsageError, first_line
from newsletter.models import Preferences, Recipient, RunTrigger
from newsletter.send.approval import (
    ApprovalRecord,
    Approvals,
    ApprovalSigner,
    issue_digest,
    with_banner,
)
from newsletter.send.claims import POLL_SECONDS, Claims, new_token
from newsletter.send.guards import (
    check_not_future,
    check_scheduled_snapshot,
    explicit_week_warning,
)
from newsletter.send.helpers import helpers
from newsletter.send.ledger import UNBUILT, IssueRecord, LedgerCounts, Outcome, SendLedger
from newsletter.send.ledger import short_reason as _short
from newsletter.send.monitor import FAILED_BOARDS, Monitor
from newsletter.send.runs import ignore_warning
from newsletter.send.schedule import current_issue_week, due_for, hours_after
from newsletter.send.sending import Loop, SenderFactory, Tally, run_threads
from newsletter.send.variants import IssueVariants
from newsletter.store import Database, open_store
from newsletter.util.clock import SYSTEM_CLOCK, Clock
from newsletter.util.weeks import iso_week_key

#: No secrets: enough for the ``file`` and ``memory`` providers.
NO_SECRETS = Secrets()


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

    def digest(self, provider: str) -> str:
        """What every worker must render alike: a SHA-256 of the default version's subject
        and both parts (merge tags unfilled) and the provider it goes through."""
        c = self.variants.content(Preferences())
        raw = "\0".join((self.issue_key, provider, c.subject, c.html, c.text))
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def prepare_issue(config: Config, week: date) -> PreparedIssue:
    """Signals (with the week's new roles and the editor's note) → compiled email → delivery
    variants (each checked by :func:`check_variants`)."""
    return render_week(config, build_week(config, week))


def render_week(config: Config, data: WeekData) -> PreparedIssue:
    """The compiled email (with the editor's note) and its delivery variants for a week's
    computed data."""
    compiled = compile_data(config, data)
    signals = compiled.signals
    variants = IssueVariants(compiled, config.newsletter)
    return PreparedIssue(signals.week, iso_week_key(signals.week), signals, variants)


def signal_counts(signals: Signals) -> dict[str, Any]:
    """What the run history keeps of a week's signals (the admin page charts them)."""
    t = signals.totals
    return {
        "open": t.open,
        "new": t.new,
        "removed": t.removed,
        "median_pay": signals.pay.median,
        "pay_n": signals.pay.n,
        "warnings": len(signals.data_health.warnings),
    }


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


def scheduled_week(config: Config, now: datetime, week: date | None = None) -> date:
    """The current issue (the one most recently due; ``week`` when the caller chose it
    already) for a scheduled / run-week send, after the snapshot guard."""
    week = current_issue_week(now, config.schedule) if week is None else week
    check_scheduled_snapshot(
        config.data.snapshots_dir, week, now, config.data.max_snapshot_age_days
    )
    return week


# ---------------------------------------------------------------------------------------
# The send


@dataclass
class SendReport:
    """What one run did (this run's outcomes, by every worker) and where the issue stands."""

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
    #: Set when ``[schedule] approval = "required"`` and no editor has approved yet: nothing
    #: was sent, the ``[PREVIEW]`` copies went out (now or on an earlier run).
    waiting: ApprovalWait | None = None

    @property
    def complete(self) -> bool:
        return self.ledger.remaining == 0 and self.stopped is None and self.waiting is None

    @property
    def rate(self) -> float:
        return self.sent / self.duration if self.duration > 0 else 0.0

    def add(self, outcomes: Sequence[Outcome]) -> None:
        """This run's outcomes as the ledger has them (whichever worker recorded them)."""
        for o in outcomes:
            if o.status == "sent":
                self.sent += o.count
            elif o.status == "skipped":
                self.skipped += o.count
            elif o.status == "unknown":
                self.unknown += o.count
            elif o.status == "failed":
                kind = "retryable" if o.retryable else "permanent"
                self.failed[f"{kind}: {_short(o.reason or '')}"] += o.count
                self.retryable += o.count if o.retryable else 0


@dataclass(frozen=True, slots=True)
class ApprovalWait:
    """A send waiting for the editors: the deadline, and previews sent by this run."""

    deadline: datetime
    previews_sent: int
    editors: int
    #: Another run holds the preview claim (mailing now, or killed: retried after a lease).
    preview_pending: bool = False


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


#: Why ``--workers`` and ``send-worker`` need PostgreSQL.
ONE_PROCESS_ON_SQLITE = (
    "sending from several processes needs PostgreSQL ([database] url = "
    "'postgresql+psycopg://...'); on SQLite one process sends (--workers 1)"
)
LOST_SESSION = (
    "this worker lost the database session that marks it alive, so other workers may take "
    "its rows; it stops before another call so that no one is mailed twice"
)


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
    signer: TokenSigner | None = None,
    run_id: str | None = None,
) -> SendReport:
    """Coordinate one run of the send of ``prepared`` to the frozen list (freezing it from
    ``recipients`` the first time) and send with this process's threads.

    One coordinator at a time per database: a second one raises DeliveryError at once, as
    it would start another run over the same rows. Workers (``send-worker``, or the
    processes ``--workers`` starts) may help on PostgreSQL: they claim batches of the same
    rows. The run ends when none of its rows is left to attempt (or on ``stop``, SIGTERM:
    after the calls in flight). Raises ProviderError (after recording every outcome so far)
    when the provider refuses the account, here or in another worker. ``signer`` (the link
    signer) lets workers check that they sign with the same key.
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
        ledger.begin(key, prepared.week)
        try:
            check_variants(config, prepared, recipients, clock)
        except NewsletterError as err:
            ledger.fail(key, str(err))
            raise
        run = run_id or new_run_id()
        digest = prepared.digest(provider)
        ledger.freeze(
            key,
            prepared.subject,
            recipients,
            config.newsletter.sending_domain,
            run_id=run,
            digest=digest,
            key_check=signer.key_check() if signer else None,
        )
        planned = ledger.pending(key, run)
        report = SendReport(key, prepared.subject, provider, planned=min(planned, limit or planned))
        if on_planned:
            on_planned(report.planned)
        by_id = {r.subscriber_id: r for r in recipients}

        def lookup(ids: Sequence[int]) -> dict[int, Recipient]:
            return {i: by_id[i] for i in store.mailable_ids(ids) if i in by_id}

        loop = Loop(
            claims=Claims(ledger, key, clock, config.delivery.lease_seconds, digest=digest),
            store=store,
            lookup=lookup,
            build=partial(recipient_message, prepared),
            batch_rows=_batch_rows(config),
            stop=stop or threading.Event(),
            limit=limit,
        )
        tick = progress or _no_progress
        with (
            loop.claims.hold(),
            _watch(
                ledger, key, run, pending=planned, planned=report.planned, progress=tick
            ) as ticks,
        ):
            if not ticks:  # one process sends (SQLite): count each outcome as it comes
                loop.progress = tick
            run_threads(
                loop,
                config.delivery.concurrency,
                sender_factory or _senders(config, secrets, clock, loop.stop),
            )
        report.duration = clock.monotonic() - started
        report.add(ledger.outcomes(key, run))
        return _conclude(ledger, loop, report)


def _conclude(ledger: SendLedger, loop: Loop, report: SendReport) -> SendReport:
    """The coordinator's end of a run: the issue's counts, and why it stopped if it did."""
    key = report.issue_key
    error = loop.error or (DeliveryError(LOST_SESSION) if loop.claims.lost.is_set() else None)
    if error is not None:
        ledger.fail(key, str(error))
        report.ledger = ledger.counts(key)
        if isinstance(error, NewsletterError):
            raise error
        raise DeliveryError(f"the send stopped: {error!r}") from error
    record = ledger.issue(key)
    if record is not None and record.status == "failed":  # another worker's refusal
        report.ledger = ledger.counts(key)
        raise DeliveryError(f"a worker stopped the send: {record.last_error}")
    report.ledger = ledger.finish(key)
    if loop.rate_limited and report.ledger.remaining:
        report.stopped = (
            f"the provider is rate-limiting the account ({loop.rate_limited}); the rest is "
            "left for the next run"
        )
    elif loop.unavailable and report.ledger.remaining:
        report.stopped = (
            f"the provider could not be reached: {loop.unavailable}; the rest is left for "
            "the next run"
        )
    elif loop.stop.is_set() and report.ledger.remaining:
        report.stopped = "stopped before the end"
    return report


def _no_progress(_n: int) -> None:
    pass


@contextmanager
def _watch(
    ledger: SendLedger,
    key: str,
    run: str,
    *,
    pending: int,
    planned: int,
    progress: Callable[[int], None],
) -> Iterator[bool]:
    """With several processes (PostgreSQL), report the run's progress whoever sends: the
    rows that left the run's to-do list, looked at every second; yields whether it does."""
    if not ledger.db.shared:
        yield False
        return
    done = threading.Event()
    told = [0]

    def tell() -> None:
        now = min(planned, max(0, pending - ledger.pending(key, run)))
        if now > told[0]:
            progress(now - told[0])
            told[0] = now

    def watch() -> None:
        while not done.wait(1.0):
            tell()

    t = threading.Thread(target=watch, name="send-progress", daemon=True)
    t.start()
    try:
        yield True
    finally:
        done.set()
        t.join()
        tell()


def _senders(
    config: Config, secrets: Secrets, clock: Clock, stop: threading.Event
) -> SenderFactory:
    """One sender per thread, sharing one rate limiter (per process), all on the send's
    clock (HTTP-date Retry-After, rate limits) and waiting on its stop event (SIGTERM ends
    a backoff wait at once)."""
    limiter = RateLimiter(
        sender_class(config.delivery.provider).rate_per_second,
        clock=clock.monotonic,
        sleep=clock_sleep(clock, stop),
    )

    def factory() -> Sender[Any, Any]:
        return get_sender(config.delivery, secrets, limiter=limiter, clock=clock, stop=stop)

    return factory


def new_run_id() -> str:
    return uuid.uuid4().hex


def already_sent(ledger: SendLedger, issue_key: str, provider: str) -> SendReport | None:
    """The report of a run with nothing to do because the issue is sent, else None: the one
    "already sent" check (the send facade and :func:`send_issue` ask it)."""
    record = ledger.issue(issue_key)
    if record is None or record.status != "sent":
        return None
    report = SendReport(issue_key, record.subject, provider, already_sent=True)
    report.ledger = ledger.counts(issue_key)
    return report


def _batch_rows(config: Config) -> int:
    """Rows per claimed batch: ``[delivery] batch``, or a whole provider call for batch APIs."""
    cls = sender_class(config.delivery.provider)
    return (
        config.delivery.batch if cls.per_call() == 1 else max(config.delivery.batch, cls.per_call())
    )


# ---------------------------------------------------------------------------------------
# A worker: `newsletter send-worker`, on any host with the same config and database


@dataclass
class WorkerReport:
    """What one worker process did."""

    token: str
    issue_key: str | None = None
    #: Why there was nothing to do (no issue being sent, already sent).
    idle: str | None = None
    tally: Tally = field(default_factory=Tally)
    duration: float = 0.0
    #: Rows the run still had to attempt when this worker stopped on SIGTERM.
    left: int = 0


def work_issue(
    config: Config,
    secrets: Secrets,
    *,
    week: date | None = None,
    wait: float = 0.0,
    run_id: str | None = None,
    clock: Clock = SYSTEM_CLOCK,
    stop: threading.Event | None = None,
    sender_factory: SenderFactory | None = None,
) -> WorkerReport:
    """Help send the issue being sent (``week``'s, else the newest one ``sending``).

    Waits up to ``wait`` seconds for a coordinator to start it (and, with ``run_id``, that
    coordinator run). Renders the issue itself and sends only when its rendering and its
    link-signing key match the coordinator's (same snapshots, templates, settings and
    NEWSLETTER_SECRET_KEY); then claims batches until the run has none left. PostgreSQL
    only. Raises ProviderError on an account refusal (which stops every worker) and
    DeliveryError when another worker's refusal stopped the send.
    """
    stop = stop or threading.Event()
    with open_store(config) as db:
        if not db.shared:
            raise UsageError(ONE_PROCESS_ON_SQLITE)
        ledger = SendLedger(db, clock=clock)
        signer, _dev = link_signer(config, secrets, "send", clock)
        token = new_token()
        found = _issue_to_work(
            config, ledger, signer, week=week, run_id=run_id, wait=wait, clock=clock, stop=stop
        )
        if isinstance(found, str):
            return WorkerReport(token, idle=found)
        record, prepared = found
        lease = config.delivery.lease_seconds
        claims = Claims(ledger, record.issue_key, clock, lease, digest=record.digest, token=token)
        store = SubscriberStore(db, clock=clock)
        base = config.newsletter.base_url
        loop = Loop(
            claims=claims,
            store=store,
            lookup=lambda ids: store.mailable_recipients(ids, signer, base),
            build=partial(recipient_message, prepared),
            batch_rows=_batch_rows(config),
            stop=stop,
        )
        started = clock.monotonic()
        with claims.hold():
            run_threads(
                loop,
                config.delivery.concurrency,
                sender_factory or _senders(config, secrets, clock, loop.stop),
            )
        report = WorkerReport(claims.token, record.issue_key, tally=loop.tally)
        report.duration = clock.monotonic() - started
        if loop.error is not None:
            if isinstance(loop.error, NewsletterError):
                raise loop.error
            raise DeliveryError(f"the worker stopped: {loop.error!r}") from loop.error
        if claims.lost.is_set():
            raise DeliveryError(LOST_SESSION)
        now = ledger.issue(record.issue_key)
        if now is not None and now.status == "failed":
            raise DeliveryError(f"the send of {record.issue_key} was stopped: {now.last_error}")
        if stop.is_set():
            report.left = ledger.pending(record.issue_key, claims.run)
        return report


def _issue_to_work(
    config: Config,
    ledger: SendLedger,
    signer: TokenSigner,
    *,
    week: date | None,
    run_id: str | None,
    wait: float,
    clock: Clock,
    stop: threading.Event,
) -> tuple[IssueRecord, PreparedIssue] | str:
    """The issue to help with and its rendering here; or why there is nothing to do."""
    deadline = clock.monotonic() + wait
    # told the week (a helper of `send --workers`), render while the coordinator freezes
    prepared = prepare_issue(config, week) if week is not None else None
    while True:
        record = ledger.issue(iso_week_key(week)) if week else ledger.sending_issue()
        mismatch = None
        if record is not None and record.status == "sent":
            return f"issue {record.issue_key} is already sent"
        if (
            run_id is not None
            and record is not None
            and record.run_id == run_id
            and record.status != "sending"
        ):
            return f"the coordinator's run of {record.issue_key} ended ({record.status})"
        if record is None or record.status != "sending" or record.run_id is None:
            why = "no issue is being sent"
        elif run_id is not None and record.run_id != run_id:
            why = "the coordinator's run has not started"
        else:
            if prepared is None or prepared.week != record.week:
                prepared = prepare_issue(config, record.week)
            mismatch = _differs(record, prepared, config.delivery.provider, signer)
            if mismatch is None:
                return record, prepared
            why = mismatch
        if stop.is_set() or clock.monotonic() >= deadline:
            if mismatch is not None:
                raise DeliveryError(mismatch)
            return why
        stop.wait(POLL_SECONDS)


def _differs(
    record: IssueRecord, prepared: PreparedIssue, provider: str, signer: TokenSigner
) -> str | None:
    """Why this host must not send ``record``'s issue, or None when it may."""
    if record.digest != prepared.digest(provider):
        return (
            f"issue {record.issue_key} renders differently here than on its coordinator: use "
            "the same snapshots, templates, config.toml and version on every host"
        )
    if record.key_check is not None and record.key_check != signer.key_check():
        return (
            "NEWSLETTER_SECRET_KEY differs from the coordinator's: this worker's unsubscribe "
            "links would not work, so it sends nothing"
        )
    return None


# ---------------------------------------------------------------------------------------
# The weekly job's first step


def needs_collect(config: Config, week: date) -> bool:
    """The weekly job collects ``week`` first when its snapshot is missing and the sources
    file lists boards (collect -> ingest -> signals -> render -> send)."""
    return not snapshot_path(config.data.snapshots_dir, week).exists() and sources_configured(
        config
    )


#: How often the weekly job looks again at a collection of its week another process runs.
COLLECTION_POLL_SECONDS = 30.0


def await_collection(
    config: Config,
    week: date,
    clock: Clock,
    *,
    stop: threading.Event | None = None,
    warn: Callable[[str], None] = ignore_warning,
) -> None:
    """Wait while another process collects ``week`` (the scheduler's collection job still
    running at the send time, a ``newsletter collect``): its snapshot is the one to send,
    where a second collection would be refused at once and fail the send. The wait lasts at
    most until the issue's misfire grace has passed (a send later than that is stale), then
    the weekly job goes on (and its own collection says the week is busy)."""
    directory = config.data.snapshots_dir
    if not week_being_written(directory, week):
        return
    s = config.schedule
    deadline = hours_after(due_for(week, s), s.misfire_grace_hours)
    warn(
        f"a collection of the week of {week.isoformat()} is running: the send waits for it "
        f"(until {deadline.astimezone(s.zone).strftime('%a %H:%M %Z')} at most)"
    )
    sleep = clock_sleep(clock, stop)
    while week_being_written(directory, week) and clock.now() < deadline:
        if stop is not None and stop.is_set():
            return
        sleep(min(COLLECTION_POLL_SECONDS, (deadline - clock.now()).total_seconds()))


def collect_if_missing(config: Config, week: date, clock: Clock) -> Collected | None:
    """Collect ``week`` when :func:`needs_collect`; None when there was nothing to do."""
    return collect(config, week, clock=clock) if needs_collect(config, week) else None


def collect_recorded(
    monitor: Monitor,
    config: Config,
    week: date,
    *,
    replay: bool = False,
    sources: Sequence[Source] | None = None,
    on_board: OnBoard | None = None,
) -> Collected:
    """One collection, recorded as a ``collect`` step; failed boards alert the editors."""
    with monitor.step("collect", week) as step:
        if replay:
            done = replay_collection(config, week, clock=monitor.clock)
        else:
            done = collect(config, week, clock=monitor.clock, sources=sources, on_board=on_board)
        r = done.report
        step.counts.update(
            boards=len(done.boards),
            ok=sum(1 for b in done.boards if b.status in ("ok", "empty")),
            failed=sum(1 for b in done.boards if b.status in FAILED_BOARDS),
            kept=r.kept,
            carried=r.carried,
            rejected=r.rejected,
        )
    monitor.sources(week, [(b.key, b.status, b.reason) for b in done.boards])
    return done


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


def link_signer(
    config: Config, secrets: Secrets, use: LinkUse, clock: Clock = SYSTEM_CLOCK
) -> tuple[TokenSigner, bool]:
    """The signer of subscriber links for ``use``, and whether it is the development key;
    ``clock`` dates its links and tells when a confirm link has expired (the caller's
    clock, the one its store reads).

    The one link-signing policy: the web pages (``serve``) and real sends need
    NEWSLETTER_SECRET_KEY, except a send to the ``file`` outbox (the demo); dry runs and
    previews, which mail nobody, may fall back to the development key.
    """
    allow_dev = use in ("dry-run", "preview") or (
        use == "send" and config.delivery.provider == "file"
    )
    key = secrets.require("secret_key", _LINK_PURPOSE[use], allow_dev=allow_dev)
    return TokenSigner(key, clock), key == DEV_SECRET_KEY


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


def refuse_no_one(
    ledger: SendLedger, prepared: PreparedIssue, recipients: Sequence[Recipient]
) -> None:
    """GuardError when an issue not begun would go to no one: freezing an empty list would
    record the issue sent to no one, and the readers who join later would never get it
    ("already sent (0 sent)"). The send and its dry run refuse it alike."""
    if not recipients and ledger.issue(prepared.issue_key) is None:
        raise GuardError(
            f"no one to send the issue of {prepared.week.isoformat()} to: the list has no "
            "active, unpaused subscriber; nothing was sent or recorded (add subscribers with "
            "`newsletter subscribers add` or `import`, then run again)"
        )


def dry_run(
    config: Config,
    prepared: PreparedIssue,
    store: SubscriberStore,
    recipients: Sequence[Recipient],
) -> DryRunReport:
    """Build and check every message a real run would send now; send and record nothing
    (an issue for no one is refused as the send refuses it: :func:`refuse_no_one`)."""
    ledger = SendLedger(store.db, clock=store.clock)
    refuse_no_one(ledger, prepared, recipients)
    variants = check_variants(config, prepared, recipients, store.clock)
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


def _week_to_send(
    config: Config,
    week: date | None,
    now: datetime,
    warn: Callable[[str], None],
    *,
    ledger: bool = True,
) -> tuple[date, bool]:
    """The week to send and whether it is the scheduled one (the current issue, the one most
    recently due: the snapshot guard applies); an explicit earlier week goes ahead with a
    warning.

    The current issue is computed from ``now``, so a run the scheduler starts late (within
    its misfire grace, at most a week) sends the issue that was due, even when Monday 00:00
    came in between.

    An explicit week later than the current issue is refused for a real send (``ledger``:
    it would use up that week's ledger slot); a dry run or a test copy of it goes ahead with
    a warning (checking the coming issue before it is due)."""
    current = current_issue_week(now, config.schedule)
    if week is None:
        return current, True
    if week > current:
        due = due_for(week, config.schedule)
        if ledger:
            check_not_future(week, current, due)
        warn(
            f"the issue of {week.isoformat()} is not due until "
            f"{due.strftime('%a %Y-%m-%d %H:%M %Z')}: nothing goes to the list"
        )
    if note := explicit_week_warning(week, current):
        warn(note)
    return week, False


def publish_week(
    config: Config, week: date, clock: Clock, warn: Callable[[str], None] = ignore_warning
) -> None:
    """The week's page in the web archive (with the index, feed and methodology), before its
    issue goes out: every issue links to it ("view in browser", "how we measure"). A failure
    is a warning: the issue itself still goes out."""
    from newsletter.edition.archive import build_archive

    try:
        build_archive(config, clock=clock, weeks=(week,))
    except (NewsletterError, OSError) as exc:
        warn(f"the web archive was not updated ({first_line(exc)}): its links may not work")


def send_week(
    config: Config,
    secrets: Secrets,
    *,
    week: date | None = None,
    limit: int | None = None,
    clock: Clock = SYSTEM_CLOCK,
    warn: Callable[[str], None] = ignore_warning,
    stop: threading.Event | None = None,
    progress: Callable[[int], None] | None = None,
    on_planned: Callable[[int], None] | None = None,
    sender_factory: SenderFactory | None = None,
    collect_first: bool = False,
    trigger: RunTrigger = "cli",
    workers: int | None = None,
) -> SendReport:
    """The Monday send, once: ``send``, ``send --catch-up``, ``run-week`` and the scheduler.

    ``week`` None is this week's issue. A quick no-op when the issue is already sent (the
    one "already sent" check); else, with ``collect_first`` (the weekly job: ``run-week``,
    the scheduler), the week's collection when its snapshot is missing and sources are
    configured; then the snapshot guard (this week's issue only) and signals, render, and
    the send through the ledger (compliance first), resuming a half-done one. With
    ``[schedule] approval = "required"`` the send waits for an editor's approval (the
    ``[PREVIEW]`` copies go out on the first run). Each step is recorded in the run history
    (started by ``trigger``); a failed step, failed sources and the time-dependent
    conditions alert the editors, once per week each (never blocking the send).

    ``workers`` (default ``[delivery] workers``) processes send, this one included: the
    others are ``send-worker`` processes it starts on this host (PostgreSQL only; SQLite
    refuses more than one with a one-line UsageError).
    """
    processes = config.delivery.workers if workers is None else workers
    with open_store(config) as db:
        if processes > 1 and not db.shared:
            raise UsageError(ONE_PROCESS_ON_SQLITE)
        if processes > 1 and limit is not None:
            raise UsageError("--limit counts one process's messages: send with --workers 1")
        target, scheduled = _week_to_send(config, week, clock.now(), warn)
        monitor = Monitor(config, secrets, db, clock, trigger, warn, sender_factory)
        try:
            store = SubscriberStore(db, clock=clock)
            ledger = SendLedger(db, clock=clock)
            if done := already_sent(ledger, iso_week_key(target), config.delivery.provider):
                return done
            if scheduled and collect_first and needs_collect(config, target):
                await_collection(config, target, clock, stop=stop, warn=warn)
                if needs_collect(config, target):  # none ran, or it wrote no snapshot
                    collect_recorded(monitor, config, target)
            with monitor.step("signals", target) as step:
                if scheduled:
                    scheduled_week(config, clock.now(), target)
                data = build_week(config, target)
                step.counts.update(signal_counts(data.signals))
            with monitor.step("render", target) as step:
                prepared = render_week(config, data)
                default = prepared.variants.content(Preferences())
                step.counts.update(html_bytes=len(default.html.encode()), subject=default.subject)
            with monitor.step("send", target) as step:
                signer, dev = link_signer(config, secrets, "send", clock)
                if dev:
                    warn(DEV_KEY_NOTE)
                recipients = store.active_recipients(signer, config.newsletter.base_url)
                refuse_no_one(ledger, prepared, recipients)
                if config.schedule.approval == "required":
                    # the editors see (and approve) only an issue that may be sent
                    check_variants(config, prepared, recipients, clock)
                    waiting = await_approval(
                        config,
                        secrets,
                        db,
                        prepared,
                        recipients=len(recipients),
                        clock=clock,
                        sender_factory=sender_factory,
                    )
                    if waiting is not None:
                        step.outcome = "waiting"
                        step.counts.update(
                            recipients=len(recipients), previews=waiting.previews_sent
                        )
                        return SendReport(
                            prepared.issue_key,
                            prepared.subject,
                            config.delivery.provider,
                            waiting=waiting,
                        )
                publish_week(config, target, clock, warn)
                stop = stop or threading.Event()
                run = new_run_id()
                with helpers(
                    config, secrets, week=target, run_id=run, count=processes - 1, clock=clock
                ):
                    report = send_issue(
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
                        signer=signer,
                        run_id=run,
                    )
                led = report.ledger
                step.counts.update(
                    sent=report.sent,
                    failed=sum(report.failed.values()),
                    unknown=report.unknown,
                    skipped=report.skipped,
                    recipients=led.total,
                    sent_total=led.sent,
                    left=led.remaining,
                    workers=processes,
                )
                step.outcome = "ok" if report.complete or report.already_sent else "incomplete"
                return report
        finally:
            monitor.check()


def await_approval(
    config: Config,
    secrets: Secrets,
    db: Database,
    prepared: PreparedIssue,
    *,
    recipients: int,
    clock: Clock,
    sender_factory: SenderFactory | None = None,
) -> ApprovalWait | None:
    """None when the editors approved this issue (as it is now); else the wait, after the
    ``[PREVIEW]`` copies went out to the editors (once per version of the issue)."""
    s = config.schedule
    deadline = hours_after(due_for(prepared.week, s), s.approval_deadline_hours)
    approvals = Approvals(db, clock)
    record = approvals.request(
        prepared.issue_key, prepared.week, issue_digest(prepared.variants), deadline
    )
    if record.approved_at is not None:
        return None
    sent = 0
    if approvals.claim_preview(prepared.issue_key):
        try:
            sent = send_previews(
                config,
                secrets,
                prepared,
                record,
                recipients=recipients,
                clock=clock,
                sender_factory=sender_factory,
            )
        finally:
            approvals.previewed(prepared.issue_key, sent)
        return ApprovalWait(record.deadline, sent, len(config.alerts.email))
    pending = record.previews < 0
    return ApprovalWait(record.deadline, sent, len(config.alerts.email), preview_pending=pending)


def send_previews(
    config: Config,
    secrets: Secrets,
    prepared: PreparedIssue,
    record: ApprovalRecord,
    *,
    recipients: int,
    clock: Clock,
    sender_factory: SenderFactory | None = None,
) -> int:
    """One ``[PREVIEW]`` copy per editor, with the approve link at the top; how many the
    provider accepted. DeliveryError when none was."""
    key = secrets.require(
        "secret_key",
        "to sign the approve link",
        allow_dev=config.delivery.provider == "file",
    )
    url = f"{config.newsletter.base_url}/approve/{ApprovalSigner(key, clock).sign(record)}"
    local = record.deadline.astimezone(config.schedule.zone)
    context = {
        "issue_key": prepared.issue_key,
        "week": prepared.week.isoformat(),
        "recipients": f"{recipients:,}",
        "deadline": local.strftime("%a %Y-%m-%d %H:%M %Z"),
        "approve_url": url,
    }
    banner = (
        render_template("ops/approval_banner.html.j2", context),
        render_template("ops/approval_banner.txt.j2", context),
    )
    preview = IssueVariants(
        prepared.variants.compiled, config.newsletter, subject=f"[PREVIEW] {prepared.subject}"
    )
    stand_in = preview_recipient(config)
    messages = []
    for editor in config.alerts.email:
        msg = preview.message(
            replace(stand_in, email=editor), issue_key=f"preview-{prepared.issue_key}"
        )
        messages.append(replace(msg, content=with_banner(msg.content, *banner)))
    factory = sender_factory or (lambda: get_sender(config.delivery, secrets, clock=clock))
    with factory() as sender:
        results = sender.send_batch(messages)
    accepted = sum(1 for r in results if r.status is SendStatus.SENT)
    if not accepted:
        why = "; ".join(sorted({_short(r.reason) for r in results})) or "no answer"
        raise DeliveryError(f"the [PREVIEW] copy reached no editor: {why}")
    return accepted


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
    target, scheduled = _week_to_send(config, week, clock.now(), warn, ledger=False)
    if scheduled:
        scheduled_week(config, clock.now(), target)
    with open_store(config) as db:
        signer, dev = link_signer(config, secrets, use, clock)
        if dev and use == "send":
            warn(DEV_KEY_NOTE)
        yield _Ready(prepare_issue(config, target), SubscriberStore(db, clock=clock), signer)


def dry_run_week(
    config: Config,
    secrets: Secrets,
    *,
    week: date | None = None,
    clock: Clock = SYSTEM_CLOCK,
    warn: Callable[[str], None] = ignore_warning,
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
    warn: Callable[[str], None] = ignore_warning,
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
    with the given name (cleaned as a sign-up's is) and non-empty picks overriding what is
    stored."""
    signer, _dev = link_signer(config, secrets, "preview", clock)
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
        name=clean_name(name) if name is not None else found.name,
        preferences=Preferences(
            categories=preferences.categories or prefs.categories,
            metros=preferences.metros or prefs.metros,
            seniority=preferences.seniority or prefs.seniority,
        ),
    )
