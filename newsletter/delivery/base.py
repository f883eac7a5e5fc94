"""The sender contract and its fixed send algorithm.

Every provider is a :class:`Sender`. The base owns the order of work, and providers fill
in three steps only::

    send_batch(messages)                         (fixed, here)
      repeat with tenacity (exponential backoff + jitter, Retry-After honoured,
                            at most ``max_attempts``; none after a Retry-After beyond
                            MAX_WAIT_SECONDS or once ``stop`` is set; waits on the
                            sender's clock / stop event) while some messages are retryable:
        for call in build_calls(pending)         (provider: group into provider calls)
            rate limiter waits
            response = post(call)                (provider: I/O; raises CallFailed when the
                                                  whole call failed, ProviderError when the
                                                  provider refuses everything for good)
            results += parse(call, response)     (provider: per-recipient SendResult)

Results come from a closed set (:class:`~newsletter.delivery.models.SendStatus`). What
is retried inside one ``send_batch``: ``retryable`` results, and ``unknown`` ones only for
providers that dedupe by idempotency key (``retry_unknown``). Whatever is still not sent
after the last attempt comes back as it is, for the send ledger to keep and report.

A sender instance is not thread-safe (an SMTP sender owns one connection): for parallel
sends, build one sender per worker; the rate limiter may be shared (it is thread-safe).

Error taxonomy (what the providers map to):

* retryable: HTTP 408, 429 and 5xx, connect errors and connect timeouts (nothing was sent),
  SMTP 4xx replies, a dropped SMTP connection;
* unknown: read/write timeouts after the request went out;
* permanent (per recipient): invalid address, inactive/suppressed recipient, SMTP 5xx;
* :class:`~newsletter.errors.ProviderError` (stops the send): bad credentials, unverified
  sender, account suspended or out of quota, a payload the provider calls malformed, an
  SMTP refusal of the sending side (``5.7.x`` policy, the envelope sender, authentication)
  or the same SMTP refusal of our client for several messages in a row
  (:mod:`newsletter.delivery.smtp`).

A provider that is down (:data:`DOWN_AFTER_CALLS` calls in a row failed as a whole after all
their attempts) is probed: each next call is tried once after the backoff's longest wait, so
an outage costs the messages of those probes (retryable, for the next run), never hours of
every message's attempts; past :data:`DOWN_MAX_WAITS` waits :attr:`Sender.unavailable`
says why and the send stops (like a 429: the rest stays for the next run).
"""

from __future__ import annotations

import random
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import Any, ClassVar, Generic, Self, TypeVar, cast

from email_validator import EmailNotValidError
from tenacity import RetryCallState, Retrying, retry_if_result, stop_after_attempt
from tenacity.stop import stop_base

from newsletter.config import DeliverySettings, Secrets
from newsletter.delivery.models import OutgoingMessage, SendResult, SendStatus, wire_address
from newsletter.errors import DeliveryError, ProviderError
from newsletter.util.clock import SYSTEM_CLOCK, Clock

CallT = TypeVar("CallT")
RespT = TypeVar("RespT")

#: Longest wait between attempts: a provider asking for more (Retry-After) ends the call's
#: attempts at once (its messages stay retryable for the next run), never a shorter wait.
MAX_WAIT_SECONDS = 15 * 60.0
#: Calls in a row that failed as a whole after every attempt (no connection, HTTP 5xx)
#: before the provider is taken to be down: from then on each next call is tried once,
#: after the backoff's longest wait, instead of every message spending all its attempts.
DOWN_AFTER_CALLS = 3
#: Waits of the backoff's longest (60 s by default) the provider may stay down before the
#: send stops (:attr:`Sender.unavailable`); what is left stays for the next run.
DOWN_MAX_WAITS = 30


def clock_sleep(clock: Clock, stop: threading.Event | None = None) -> Callable[[float], None]:
    """A sleep on ``clock``: a clock that moves itself (``FixedClock.sleep``) is moved; the
    real clock waits on ``stop`` when given (returning early once it is set), else sleeps."""
    moved = getattr(clock, "sleep", None)
    if callable(moved):
        return cast(Callable[[float], None], moved)
    if stop is not None:
        event = stop

        def wait(seconds: float) -> None:
            event.wait(max(0.0, seconds))

        return wait
    return time.sleep


class CallFailed(Exception):  # noqa: N818 - a control-flow signal, not an error report
    """A whole provider call failed; every message in it gets ``status``."""

    def __init__(
        self,
        status: SendStatus,
        reason: str,
        *,
        retry_after: float | None = None,
        rate_limited: bool = False,
    ):
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.retry_after = retry_after
        #: The provider said "too many requests" (HTTP 429): the account is being limited.
        self.rate_limited = rate_limited


@dataclass(frozen=True, slots=True, kw_only=True)
class Backoff:
    """Exponential backoff with full jitter; ``sleep`` is injectable so tests don't wait."""

    initial: float = 1.0
    maximum: float = 60.0
    jitter: float = 1.0
    sleep: Callable[[float], None] = time.sleep

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (never less than Retry-After; the
        caller gives up instead when Retry-After is beyond :data:`MAX_WAIT_SECONDS`)."""
        exp = min(self.maximum, self.initial * 2.0 ** (attempt - 1))
        wait = exp + random.uniform(0, self.jitter)
        if retry_after is not None:
            return max(min(wait, MAX_WAIT_SECONDS), retry_after)
        return min(wait, MAX_WAIT_SECONDS)


class RateLimiter:
    """At most ``per_second`` calls per second (spaced evenly); thread-safe.

    A provider's rate is its account's (Resend: 2 requests/s per team), so when several
    processes send, each takes its :meth:`share` of it."""

    def __init__(
        self,
        per_second: float | None,
        *,
        clock: Callable[[], float] = SYSTEM_CLOCK.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._base = 1.0 / per_second if per_second else 0.0
        self.interval = self._base
        self._clock = clock
        self._sleep = sleep
        self._last = float("-inf")
        self._lock = threading.Lock()

    def share(self, processes: int) -> None:
        """Take one ``processes``-th of the rate from the next call on (the processes
        sending to the same account right now, this one included)."""
        with self._lock:
            self.interval = self._base * max(1, processes)

    def wait(self) -> None:
        with self._lock:
            if not self.interval:
                return
            now = self._clock()
            start = max(now, self._last + self.interval)
            self._last = start
        if start > now:
            self._sleep(start - now)


@dataclass(slots=True)
class _Progress:
    results: dict[str, SendResult] = field(default_factory=dict)
    attempts: int = 0
    #: The reason of the last "too many requests" answer (HTTP 429), if any.
    rate_limited: str | None = None
    #: The reason of the last call that failed as a whole, retryably (no connection, 5xx).
    call_failed: str | None = None
    #: Some call had an answer (or an outcome other than "failed as a whole, retryable").
    answered: bool = False


class Sender(ABC, Generic[CallT, RespT]):
    """One delivery provider behind the fixed send algorithm (see the module docstring)."""

    #: Registry name, as written in ``[delivery] provider``.
    name: ClassVar[str]
    #: Most messages one ``send_batch`` handles (one provider call for batch APIs).
    batch_size: ClassVar[int] = 100
    #: Provider calls per second (None: unlimited).
    rate_per_second: ClassVar[float | None] = None
    #: Retry ``unknown`` outcomes too (only safe with provider-side idempotency).
    retry_unknown: ClassVar[bool] = False

    def __init__(
        self,
        *,
        max_attempts: int = 5,
        backoff: Backoff | None = None,
        limiter: RateLimiter | None = None,
        clock: Clock = SYSTEM_CLOCK,
        stop: threading.Event | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.max_attempts = max_attempts
        #: The one source of "now" (the Date header, HTTP-date Retry-After, rate limits).
        self.clock = clock
        #: The send's stop (SIGTERM): backoff waits end early and no new attempt starts.
        self.stop = stop
        self.backoff = backoff or Backoff(sleep=clock_sleep(clock, stop))
        self.limiter = limiter or RateLimiter(
            self.rate_per_second, clock=clock.monotonic, sleep=self.backoff.sleep
        )
        #: Set when the last :meth:`send_batch` left messages retryable after the provider
        #: answered "too many requests" (HTTP 429): its reason. The send stops on it.
        self.rate_limited: str | None = None
        #: Set when the provider has been down (:data:`DOWN_AFTER_CALLS`) through
        #: :data:`DOWN_MAX_WAITS` waits: why. The send stops on it.
        self.unavailable: str | None = None
        self._failed_in_row = 0
        self._down_waits = 0

    @classmethod
    def per_call(cls) -> int:
        """Messages one provider call carries at most: ``batch_size`` for batch APIs, 1 for
        the senders that transmit whole MIME messages (SMTP, file, memory)."""
        return cls.batch_size

    # -- construction -----------------------------------------------------------------
    @classmethod
    @abstractmethod
    def from_settings(cls, settings: DeliverySettings, secrets: Secrets, **deps: Any) -> Self:
        """Build the sender from ``[delivery]`` and the secrets the caller read at the edge."""

    # -- the three provider steps -----------------------------------------------------
    @abstractmethod
    def build_calls(self, messages: Sequence[OutgoingMessage]) -> Sequence[CallT]:
        """Group ``messages`` into provider calls (each call knows its messages)."""

    @abstractmethod
    def call_messages(self, call: CallT) -> Sequence[OutgoingMessage]:
        """The messages a call carries."""

    @abstractmethod
    def post(self, call: CallT) -> RespT:
        """Perform the call; raise CallFailed / ProviderError when it failed as a whole."""

    @abstractmethod
    def parse(self, call: CallT, response: RespT) -> list[SendResult]:
        """Per-recipient results of a call, one per message it carries."""

    def close(self) -> None:
        """Release connections (default: nothing to release)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the fixed algorithm ----------------------------------------------------------
    def send(self, messages: Iterable[OutgoingMessage]) -> Iterator[list[SendResult]]:
        """Send in provider-sized batches, yielding each batch's results as it completes."""
        for chunk in chunked(messages, self.batch_size):
            yield self.send_batch(chunk)

    def send_batch(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        """Send one batch with retries; one result per message, in input order."""
        ids = [m.message_id for m in messages]
        if len(set(ids)) != len(ids):
            raise DeliveryError("a batch holds the same Message-ID twice")
        progress = _Progress()
        self.rate_limited = None
        down = self._failed_in_row >= DOWN_AFTER_CALLS  # then: one attempt, a probe
        retrying = Retrying(
            stop=stop_after_attempt(1 if down else self.max_attempts) | _StopWhen(self._give_up),
            wait=self._wait,
            retry=retry_if_result(bool),
            sleep=self.backoff.sleep,
            retry_error_callback=lambda _state: [],
            reraise=True,
        )
        try:
            retrying(self._attempt, list(messages), progress)
        except ProviderError as err:
            # everything that has an outcome so far (record it), in input order
            err.results = tuple(progress.results[i] for i in ids if i in progress.results)
            raise
        results = [progress.results[i] for i in ids]
        if progress.rate_limited and any(r.status is SendStatus.RETRYABLE for r in results):
            self.rate_limited = progress.rate_limited
        self._watch_outage(progress)
        return results

    def _watch_outage(self, progress: _Progress) -> None:
        """Count the batches in a row whose every call failed as a whole: once the provider
        is down, wait the backoff's longest before the next call (a probe), and give up
        after :data:`DOWN_MAX_WAITS` such waits (:attr:`unavailable`)."""
        if progress.answered or progress.call_failed is None:
            self._failed_in_row = self._down_waits = 0
            return
        self._failed_in_row += 1
        if self._failed_in_row < DOWN_AFTER_CALLS or (self.stop is not None and self.stop.is_set()):
            return
        if self._down_waits >= DOWN_MAX_WAITS:
            waited = self._down_waits * self.backoff.maximum
            self.unavailable = (
                f"{progress.call_failed} ({self._failed_in_row} calls in a row, "
                f"{waited / 60:.0f} minutes)"
            )
            return
        self._down_waits += 1
        self.backoff.sleep(self.backoff.maximum)

    @staticmethod
    def _retry_after(state: RetryCallState) -> float | None:
        pending: list[SendResult] = state.outcome.result() if state.outcome else []
        hints = [r.retry_after for r in pending if r.retry_after is not None]
        return max(hints) if hints else None

    def _wait(self, state: RetryCallState) -> float:
        return self.backoff.delay(state.attempt_number, self._retry_after(state))

    def _give_up(self, state: RetryCallState) -> bool:
        """No further attempt: the send is stopping, or the provider asks for a longer wait
        than :data:`MAX_WAIT_SECONDS` (the messages stay retryable, for the next run)."""
        if self.stop is not None and self.stop.is_set():
            return True
        hint = self._retry_after(state)
        return hint is not None and hint > MAX_WAIT_SECONDS

    def _attempt(self, messages: list[OutgoingMessage], progress: _Progress) -> list[SendResult]:
        """One pass over what is still pending; returns the results worth retrying."""
        if progress.attempts and self.stop is not None and self.stop.is_set():
            return []  # stopped during the backoff wait: what is pending stays as it is
        progress.attempts += 1
        pending = [
            m
            for m in messages
            if m.message_id not in progress.results
            or self._should_retry(progress.results[m.message_id])
        ]
        valid: list[OutgoingMessage] = []
        for m in pending:
            try:
                address = wire_address(m.to.email)
            except EmailNotValidError as exc:
                progress.results[m.message_id] = SendResult.of(
                    m, SendStatus.PERMANENT, reason=f"invalid address: {exc}"
                )
                continue
            to = m.to if address == m.to.email else replace(m.to, email=address)
            valid.append(m if to is m.to else replace(m, to=to))
        for call in self._calls(valid, progress):
            carried = self.call_messages(call)
            self.limiter.wait()
            try:
                results = self.parse(call, self.post(call))
                progress.answered = True
            except CallFailed as failed:
                if failed.rate_limited:
                    progress.rate_limited = failed.reason
                if failed.status is SendStatus.RETRYABLE:
                    progress.call_failed = failed.reason
                else:
                    progress.answered = True
                results = [
                    SendResult.of(
                        m, failed.status, reason=failed.reason, retry_after=failed.retry_after
                    )
                    for m in carried
                ]
            except ProviderError as err:
                for r in err.results:
                    progress.results[r.message_id] = r
                raise
            for r in results:
                progress.results[r.message_id] = _with_attempts(r, progress.attempts)
        return [
            progress.results[m.message_id]
            for m in pending
            if self._should_retry(progress.results[m.message_id])
        ]

    def _calls(self, messages: list[OutgoingMessage], progress: _Progress) -> Sequence[CallT]:
        """The calls of ``messages``; a message that cannot be built (a header no policy
        accepts) is recorded as failed and left out, the others are built as usual."""
        try:
            return self.build_calls(messages)
        except ValueError:  # find the culprits one by one (email's defects are ValueErrors)
            pass
        built: list[OutgoingMessage] = []
        for m in messages:
            try:
                self.build_calls([m])
            except ValueError as exc:
                progress.results[m.message_id] = SendResult.of(
                    m, SendStatus.PERMANENT, reason=f"the message cannot be built: {exc!r}"
                )
            else:
                built.append(m)
        return self.build_calls(built)

    def _should_retry(self, r: SendResult) -> bool:
        return r.status is SendStatus.RETRYABLE or (
            self.retry_unknown and r.status is SendStatus.UNKNOWN
        )


class _StopWhen(stop_base):
    """A tenacity stop condition from a predicate."""

    def __init__(self, predicate: Callable[[RetryCallState], bool]) -> None:
        self.predicate = predicate

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.predicate(retry_state)


def _with_attempts(r: SendResult, attempts: int) -> SendResult:
    return replace(r, attempts=attempts)


def chunked(items: Iterable[OutgoingMessage], size: int) -> Iterator[list[OutgoingMessage]]:
    """Consecutive lists of at most ``size`` items."""
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def classify_smtp_code(code: int) -> SendStatus:
    """SMTP reply class → status: 2xx sent, 4xx retryable, 5xx permanent."""
    if 200 <= code < 300:
        return SendStatus.SENT
    if 400 <= code < 500:
        return SendStatus.RETRYABLE
    return SendStatus.PERMANENT


def sender_kwargs(settings: DeliverySettings, deps: dict[str, Any]) -> dict[str, Any]:
    """The common constructor arguments every sender takes, from config and injected deps."""
    clock = deps.get("clock") or SYSTEM_CLOCK
    stop = deps.get("stop")
    return {
        "max_attempts": settings.max_attempts,
        "backoff": deps.get("backoff") or Backoff(sleep=clock_sleep(clock, stop)),
        "limiter": deps.get("limiter"),
        "clock": clock,
        "stop": stop,
    }
