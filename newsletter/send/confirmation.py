"""Sign-up emails (double opt-in confirmations and "you are already subscribed" notices),
built by the same message builder as the issues and sent in the background.

:func:`signup_message` composes one with :func:`newsletter.delivery.compose.compose`, so it
carries what every message of the list carries: ``From``, ``Message-ID`` on the sending
domain, ``List-Id``, the RFC 8058 one-click pair ``List-Unsubscribe`` +
``List-Unsubscribe-Post`` (the reader's own unsubscribe link, also offered in the body as
"not you?"), and a DKIM signature where the provider signs (SMTP, file). The subject and
body are fixed per kind; the per-reader links are merge tags, so the sender's message
factory keeps one skeleton per kind however many sign-ups arrive.

:class:`SignupMailer` queues them and sends them from one background thread through a
sender built once at start-up by the caller (the ``serve`` command resolves the provider's
secrets there). The web page never waits for a mail server, so ``/subscribe`` answers alike
and in about the same time whatever the address's state; a failure is logged with the
subscriber id and reason (never the address or a token), and the person may sign up again.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any, Literal

from newsletter.audience.subscribers import Subscriber, link_url
from newsletter.audience.tokens import TokenSigner
from newsletter.config import Config
from newsletter.delivery.base import Sender
from newsletter.delivery.compose import compose
from newsletter.delivery.models import OutgoingMessage, SendStatus
from newsletter.edition.palette import LIGHT, roles
from newsletter.edition.render import Token, render_template
from newsletter.models import IssueContent, Recipient, merge_tag
from newsletter.util.clock import SYSTEM_CLOCK, Clock

log = logging.getLogger(__name__)

SignupMailKind = Literal["confirm", "notice"]
#: Sign-up emails waiting to be sent at most; more are dropped (and logged).
MAX_QUEUED = 1000
_TEMPLATES = {"confirm": "web/confirmation_email", "notice": "web/notice_email"}


def signup_subject(config: Config, kind: SignupMailKind) -> str:
    title = config.newsletter.title
    if kind == "confirm":
        return f"Please confirm your subscription to {title}"
    return f"You are already subscribed to {title}"


def signup_content(config: Config, kind: SignupMailKind) -> IssueContent:
    """The subject and both parts of a sign-up email, links left as merge tags."""
    n = config.newsletter
    context = {
        "title": n.title,
        "tagline": n.tagline,
        "postal_address": n.postal_address,
        "subject": signup_subject(config, kind),
        "confirm_url": Token(merge_tag("confirm_url")),
        "decline_url": Token(merge_tag("unsubscribe_url")),
        "unsubscribe_url": Token(merge_tag("unsubscribe_url")),
        "preferences_url": Token(merge_tag("preferences_url")),
        "pal": roles(LIGHT),
    }
    name = _TEMPLATES[kind]
    return IssueContent(
        subject=signup_subject(config, kind),
        html=render_template(f"{name}.html.j2", context),
        text=render_template(f"{name}.txt.j2", context),
        variant=f"signup-{kind}",
    )


def signup_message(
    config: Config, signer: TokenSigner, kind: SignupMailKind, sub: Subscriber
) -> OutgoingMessage:
    """The sign-up email of ``kind`` for ``sub`` (a confirm email needs an open request)."""
    base = config.newsletter.base_url
    recipient = Recipient(
        subscriber_id=sub.id,
        email=sub.email,
        unsubscribe_url=link_url(base, signer, "unsubscribe", sub),
        preferences_url=link_url(base, signer, "preferences", sub),
    )
    merge = {"confirm_url": link_url(base, signer, "confirm", sub)} if kind == "confirm" else {}
    return compose(
        config.newsletter,
        signup_content(config, kind),
        recipient,
        issue_key=f"signup-{kind}",
        merge=merge,
    )


@dataclass(frozen=True, slots=True)
class _Job:
    kind: SignupMailKind
    subscriber: Subscriber
    #: The mailer's monotonic time before which the job is not started.
    not_before: float = 0.0


class SignupMailer:
    """A queue of sign-up emails and the one thread that sends them (lazily started).

    ``sender`` is used only from that thread and closed by :meth:`close`. ``hold`` delays
    each job that long after it was queued, so building and sending an email never
    overlaps the answer of the request that queued it (and cannot time-mark that answer).
    """

    def __init__(
        self,
        config: Config,
        signer: TokenSigner,
        sender: Sender[Any, Any],
        *,
        max_queued: int = MAX_QUEUED,
        hold: float = 0.0,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.config = config
        self.signer = signer
        self.sender = sender
        self.hold = hold
        self.clock = clock
        self._queue: queue.Queue[_Job | None] = queue.Queue(maxsize=max_queued)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        #: Outcomes so far, by ``sent`` / ``failed`` / ``dropped`` (for logs and tests).
        self.counts: dict[str, int] = {"sent": 0, "failed": 0, "dropped": 0}

    def submit(self, kind: SignupMailKind, subscriber: Subscriber) -> bool:
        """Queue one email; never blocks. False (and logged) when the queue is full."""
        self._start()
        try:
            self._queue.put_nowait(_Job(kind, subscriber, self.clock.monotonic() + self.hold))
        except queue.Full:
            self.counts["dropped"] += 1
            log.error("sign-up email for subscriber %d dropped: the queue is full", subscriber.id)
            return False
        return True

    def join(self) -> None:
        """Wait until every email queued so far has been handled."""
        self._queue.join()

    def close(self) -> None:
        """Send what is queued, stop the thread, close the sender."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()
        self.sender.close()

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="signup-mailer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                wait = job.not_before - self.clock.monotonic()
                if wait > 0:
                    time.sleep(min(wait, self.hold))
                self._send(job)
            finally:
                self._queue.task_done()

    def _send(self, job: _Job) -> None:
        sid = job.subscriber.id
        try:
            msg = signup_message(self.config, self.signer, job.kind, job.subscriber)
            [result] = self.sender.send_batch([msg])
        except Exception as exc:  # a background thread must outlive any one email
            self.counts["failed"] += 1
            reason = _plain(exc).replace(job.subscriber.email, "<address>")
            log.error("%s email for subscriber %d not sent: %s", job.kind, sid, reason)
            return
        if result.status is SendStatus.SENT:
            self.counts["sent"] += 1
            return
        self.counts["failed"] += 1
        log.error(
            "%s email for subscriber %d not sent (%s): %s",
            job.kind,
            sid,
            result.status,
            result.reason.replace(job.subscriber.email, "<address>"),
        )


def _plain(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]
