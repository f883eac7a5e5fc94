"""The ``smtp`` provider: smtplib over one reused connection, reconnecting on drops.

Each message is one SMTP transaction (``MAIL FROM``, one ``RCPT TO``, ``DATA``) on a
connection kept open across messages and batches. The reply to ``RCPT``/``DATA`` decides
the recipient's result: 2xx sent (the ``DATA`` reply, e.g. "queued as X", becomes the
provider message id), 4xx retryable, 5xx permanent. A connection that turns out to be dead
is reopened once at once; when a fresh connection fails too, the message is retryable and
the base backs off. A connection lost while the message itself was being transmitted gives
``unknown`` (it may have been delivered), which is not resent automatically. A refused
login, a 5xx to ``MAIL FROM``, or a 5xx to ``RCPT``/``DATA`` that refuses the sending side
(:func:`refused_side`) stops the send (:class:`~newsletter.errors.ProviderError`): that is
the sender's or the issue's problem, not the recipient's, and bouncing the reader would
suppress them for good (every reader, for a refusal of the issue itself). The sending side
is refused by an enhanced status ``5.7.x`` (security or policy: relay denied,
unauthenticated, DMARC) or ``5.1.7``/``5.1.8`` (the sender's address), by the basic codes
of authentication (``530`` required, ``534``, ``535`` failed, ``538``; RFC 4954), or by a
reply saying "Sender address rejected" (Postfix checks the sender at ``RCPT``); the issue
is refused by ``5.3.x`` (a message too big) or ``5.6.x`` (its content).

Any other 5xx is permanent (never retried), and bounces the reader (suppressed) only when
it refuses the address (:func:`refuses_address`): an enhanced status ``5.1.x``
(addressing) or ``5.2.x`` (the mailbox); ``550``, ``551`` or ``553`` (mailbox unavailable,
not local, name not allowed) without one, or with ``5.0.x``/``5.4.x``; or any reply saying
the mailbox or user does not exist (some servers send ``550 5.5.0 ... user unknown``). A
``5.5.x`` protocol error (``501 5.5.4 syntax error``, ``503 5.5.1 bad sequence``) or another
bare 5xx is a problem of our client, not of the address: recorded failed with the reply,
the reader kept. When the same such reply (basic code and enhanced status) comes back for
:data:`REFUSED_IN_ROW` messages in a row, it is not about them but about our sending, which
every reader would get alike: the send stops (ProviderError) and the messages of that run
of refusals are handed back to be sent again (``ProviderError.resend``), so a re-run after
the fix sends each reader once.

A server's text (a reply, an error holding one) is stored and printed as one line of at most
:data:`REPLY_MAX` characters, its control characters escaped (:func:`_text`); replies are
read with bounds smtplib lacks (:class:`_BoundedReplies`).
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import ssl
from dataclasses import dataclass
from typing import Any, Literal, Self

from newsletter.config import DeliverySettings, Secrets
from newsletter.delivery._mime import MimeCall, MimeSender
from newsletter.delivery.base import CallFailed, classify_smtp_code, sender_kwargs
from newsletter.delivery.dkim import DkimSigner
from newsletter.delivery.models import SendResult, SendStatus
from newsletter.errors import ProviderError
from newsletter.util.text import shown_value

Security = Literal["none", "starttls", "tls"]

#: RFC 3463 enhanced status 5.7.x (security or policy) or 5.1.7/5.1.8 (the sender's
#: mailbox or system address): a refusal of the sender.
_SENDER_REFUSAL = re.compile(r"5\.(?:7\.\d{1,3}|1\.[78])\b")
#: Basic codes of authentication (RFC 4954): 530 required, 534 mechanism too weak, 535
#: credentials invalid, 538 encryption required.
_AUTH_CODES = frozenset({530, 534, 535, 538})
#: The wording of a refused envelope sender (Postfix checks the sender at RCPT TO).
_SENDER_WORDING = re.compile(r"sender address rejected", re.IGNORECASE)
#: RFC 3463 enhanced status 5.3.x (the mail system: a message too big) or 5.6.x (its
#: content or media): a refusal of the message, which every reader gets alike.
_MESSAGE_REFUSAL = re.compile(r"5\.[36]\.\d{1,3}\b")
#: The same refusal neither of the address nor of the sender, this many messages in a row:
#: about our sending, not the readers (the send stops).
REFUSED_IN_ROW = 3


#: Any RFC 3463 enhanced status of a permanent failure, at the start of the reply text; its
#: subject (group 1): 0 other, 1 addressing, 2 mailbox, 4 network and routing, 5 protocol.
_ENHANCED = re.compile(r"5\.(\d{1,3})\.\d{1,3}\b")
#: An enhanced status of any class, whole.
_ENHANCED_STATUS = re.compile(r"[245]\.\d{1,3}\.\d{1,3}\b")
#: Enhanced subjects that are about the address: addressing (5.1.1 bad mailbox, 5.1.2 bad
#: domain) and the mailbox (5.2.1 disabled).
_ADDRESS_SUBJECTS = frozenset({"1", "2"})
#: Enhanced subjects that say nothing of whose fault it is: the basic code decides.
_UNSAID_SUBJECTS = frozenset({"0", "4"})
#: Basic codes that refuse the mailbox (RFC 5321): 550 unavailable, 551 not local, 553 name
#: not allowed.
_ADDRESS_CODES = frozenset({550, 551, 553})
#: The well-known wording of a mailbox that does not exist, whatever the codes say.
_NO_MAILBOX = re.compile(
    r"no such (?:user|mailbox|recipient|address|account)"
    r"|(?:user|recipient|mailbox|address|account)(?: name)? (?:is )?"
    r"(?:unknown|not found|does ?n[o']t exist|unavailable|invalid|disabled)"
    r"|unknown (?:user|recipient|mailbox|address)|invalid (?:recipient|mailbox)",
    re.IGNORECASE,
)


def refused_side(code: int, text: str) -> Literal["sender", "message"] | None:
    """Whom a permanent SMTP reply to RCPT or DATA refuses, when it is our side, which every
    reader would get alike: the ``sender`` (policy, the sender's address, authentication),
    the ``message`` (too big, its content), or None (the reader's address, or our client)."""
    if code in _AUTH_CODES or _SENDER_REFUSAL.match(text) or _SENDER_WORDING.search(text):
        return "sender"
    if _MESSAGE_REFUSAL.match(text):
        return "message"
    return None


def _reply_kind(response: SmtpReply) -> tuple[int, str | None]:
    """What makes two replies the same refusal: the basic code and the enhanced status (the
    text may name the address)."""
    enhanced = _ENHANCED_STATUS.match(response.text)
    return response.code, enhanced.group(0) if enhanced else None


def refuses_address(code: int, text: str) -> bool:
    """Whether a permanent SMTP reply refuses the address itself (bounce and suppress the
    reader), not our client or the message (a protocol error: failed, the reader kept)."""
    if _NO_MAILBOX.search(text):
        return True
    enhanced = _ENHANCED.match(text)
    if enhanced is None or enhanced.group(1) in _UNSAID_SUBJECTS:
        return code in _ADDRESS_CODES
    return enhanced.group(1) in _ADDRESS_SUBJECTS


@dataclass(frozen=True, slots=True)
class SmtpReply:
    code: int
    text: str


#: Longest server text kept (a failure's reason, a queue id, a refusal in an error line):
#: RFC 5321 caps a reply line at 512 octets; a longer one is cut (``…``).
REPLY_MAX = 512
#: Most bytes of one reply read (all its lines): a server that sends more is dropped.
REPLY_READ_MAX = 1 << 20
#: Most bytes of a reply line kept while reading (the rest of the line is read and dropped).
_LINE_KEEP = 2 * REPLY_MAX


def _text(raw: bytes | str | object) -> str:
    """A server's text (a reply, an error holding one) as stored and printed: one line, its
    lines joined by spaces, every control character shown as its escape (``\\x1b``), at
    most :data:`REPLY_MAX` characters."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    text = text[: 4 * REPLY_MAX] if len(text) > 4 * REPLY_MAX else text  # bound the work
    return shown_value(" ".join(text.replace("\r", "").split("\n")), REPLY_MAX)


class _BoundedReplies(smtplib.SMTP):
    """smtplib's ``getreply`` with bounds it lacks: a reply line longer than smtplib's 8192
    bytes is read to its end and cut (smtplib refused it as "500 Line too long." and closed
    the connection: a server's 550 read as a lost connection, the reader retried), and one
    reply of all its lines reads at most :data:`REPLY_READ_MAX` bytes (smtplib read any
    number of continuation lines, all kept)."""

    def getreply(self) -> tuple[int, bytes]:
        if self.file is None:
            if self.sock is None:
                raise smtplib.SMTPServerDisconnected("not connected")
            self.file = self.sock.makefile("rb")
        lines: list[bytes] = []
        left = REPLY_READ_MAX
        while True:
            line, left = self._bounded_line(left)
            lines.append(line[4:].strip(b" \t\r\n"))
            try:
                code = int(line[:3])
            except ValueError:
                return -1, b"\n".join(lines)
            if line[3:4] != b"-":
                return code, b"\n".join(lines)

    def _bounded_line(self, left: int) -> tuple[bytes, int]:
        """The next reply line (its first :data:`_LINE_KEEP` bytes), and what is left of
        the reply's budget."""
        assert self.file is not None
        kept = b""
        while True:
            try:
                chunk = self.file.readline(min(8192, left))
            except OSError as exc:
                self.close()
                raise smtplib.SMTPServerDisconnected(
                    f"connection unexpectedly closed: {exc}"
                ) from exc
            if not chunk:
                self.close()
                raise smtplib.SMTPServerDisconnected("connection unexpectedly closed")
            left -= len(chunk)
            if len(kept) < _LINE_KEEP:
                kept += chunk[: _LINE_KEEP - len(kept)]
            if chunk.endswith(b"\n"):
                return kept, left
            if left <= 0:
                self.close()
                raise smtplib.SMTPServerDisconnected(
                    f"the server's reply is longer than {REPLY_READ_MAX} bytes"
                )


class _SMTP(_BoundedReplies):
    pass


class _SMTPSSL(_BoundedReplies, smtplib.SMTP_SSL):
    pass


class SmtpSender(MimeSender[SmtpReply]):
    name = "smtp"
    batch_size = 100

    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: Security = "none",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        envelope_from: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.host, self.port, self.security = host, port, security
        self.username, self.password = username, password
        self.timeout = timeout
        self.envelope_from = envelope_from
        self.ssl_context = ssl_context
        self._conn: smtplib.SMTP | None = None
        #: Connections opened so far (reconnects included), for tests and reports.
        self.connections_opened = 0
        #: The messages refused in a row by the same reply that keeps the reader, its kind.
        self._refused: list[SendResult] = []
        self._refused_kind: tuple[int, str | None] | None = None

    @classmethod
    def from_settings(cls, settings: DeliverySettings, secrets: Secrets, **deps: Any) -> Self:
        s = settings.smtp
        password = (
            secrets.require("smtp_password", f"to log in to {s.host} as {s.username}")
            if s.username
            else None
        )
        return cls(
            host=s.host,
            port=s.port,
            security=s.security,
            username=s.username,
            password=password,
            timeout=s.timeout_seconds,
            envelope_from=s.envelope_from,
            ssl_context=deps.get("ssl_context"),
            signer=DkimSigner.from_settings(settings.dkim),
            **sender_kwargs(settings, deps),
        )

    # -- connection ---------------------------------------------------------------------
    def _open(self) -> smtplib.SMTP:
        ctx = self.ssl_context or ssl.create_default_context()
        try:
            if self.security == "tls":
                conn: smtplib.SMTP = _SMTPSSL(
                    self.host, self.port, timeout=self.timeout, context=ctx
                )
            else:
                conn = _SMTP(self.host, self.port, timeout=self.timeout)
            conn.ehlo()
            if self.security == "starttls":
                conn.starttls(context=ctx)
                conn.ehlo()
            if self.username:
                conn.login(self.username, self.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise ProviderError(
                self.name, f"login refused for {self.username}: {_text(exc.smtp_error)}"
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise ProviderError(self.name, f"server does not support {_text(exc)}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise CallFailed(
                SendStatus.RETRYABLE, f"cannot connect to {self.host}:{self.port}: {_text(exc)}"
            ) from exc
        self.connections_opened += 1
        return conn

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            conn.close()

    # -- one transaction ----------------------------------------------------------------
    def post(self, call: MimeCall) -> SmtpReply:
        for _ in range(2):
            fresh = self._conn is None
            if self._conn is None:
                self._conn = self._open()
            try:
                return self._transaction(self._conn, call)
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                self._drop()
                if fresh:
                    raise CallFailed(
                        SendStatus.RETRYABLE, f"connection lost: {_text(exc)}"
                    ) from exc
        raise CallFailed(SendStatus.RETRYABLE, "connection lost twice")

    def _transaction(self, conn: smtplib.SMTP, call: MimeCall) -> SmtpReply:
        env_from = self.envelope_from or call.message.sender.email
        code, resp = conn.mail(env_from)
        if code == 421:  # closing: treat like a dropped connection (reconnect at once)
            raise smtplib.SMTPServerDisconnected(f"{code} {_text(resp)}")
        if code != 250:
            self._reset(conn, code)
            if 400 <= code < 500:
                raise CallFailed(SendStatus.RETRYABLE, f"MAIL FROM deferred: {code} {_text(resp)}")
            raise ProviderError(self.name, f"MAIL FROM <{env_from}> refused: {code} {_text(resp)}")
        code, resp = conn.rcpt(call.message.to.email)
        if code not in (250, 251):
            self._reset(conn, code)
            return SmtpReply(code, _text(resp))
        try:
            code, resp = conn.data(call.data)
        except smtplib.SMTPDataError as exc:  # DATA itself refused: nothing was accepted
            self._reset(conn, exc.smtp_code)
            return SmtpReply(exc.smtp_code, _text(exc.smtp_error))
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            # The message may have been accepted before the reply was lost: never resend
            # blindly; the ledger records it as unknown.
            self._drop()
            raise CallFailed(
                SendStatus.UNKNOWN, f"connection lost during DATA, outcome unknown: {_text(exc)}"
            ) from exc
        if code != 250:
            self._reset(conn, code)
        return SmtpReply(code, _text(resp))

    def _reset(self, conn: smtplib.SMTP, code: int) -> None:
        if code == 421:  # the server is closing the connection
            self._drop()
            return
        try:
            conn.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def parse(self, call: MimeCall, response: SmtpReply) -> list[SendResult]:
        status = classify_smtp_code(response.code)
        if status is SendStatus.SENT:
            self._refused = []
            return [SendResult.of(call.message, status, provider_message_id=response.text)]
        reply = f"SMTP {response.code} {response.text}"
        if status is not SendStatus.PERMANENT:
            self._refused = []
            return [SendResult.of(call.message, status, reason=reply, bounce=False)]
        whom = refused_side(response.code, response.text)
        if whom is not None:
            raise ProviderError(self.name, f"the server refused the {whom}: {reply}")
        if refuses_address(response.code, response.text):
            self._refused = []
            return [SendResult.of(call.message, status, reason=reply)]
        kept = f"{reply} (reader kept: a refusal of our client, not of the address)"
        result = SendResult.of(call.message, status, reason=kept, bounce=False)
        self._kept_refusal(result, response, reply)
        return [result]

    def _kept_refusal(self, result: SendResult, response: SmtpReply, reply: str) -> None:
        """Count the refusals that keep the reader, alike and in a row; at
        :data:`REFUSED_IN_ROW` the send stops, handing the earlier ones back to be sent."""
        kind = _reply_kind(response)
        if kind != self._refused_kind:
            self._refused, self._refused_kind = [], kind
        self._refused.append(result)
        if len(self._refused) < REFUSED_IN_ROW:
            return
        earlier, self._refused = tuple(self._refused[:-1]), []
        raise ProviderError(
            self.name,
            f"the server refused {REFUSED_IN_ROW} messages in a row alike, none for its "
            f"address (our sending, not the readers): {reply}",
            resend=earlier,
        )
