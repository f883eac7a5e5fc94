"""SMTP against a real aiosmtpd server on loopback: counts, headers, 4xx/5xx, reconnects."""

from __future__ import annotations

import email
import email.policy
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dkim
import pytest

from newsletter.config import Secrets, parse_config
from newsletter.delivery import SendStatus, get_sender
from newsletter.delivery.base import DOWN_AFTER_CALLS, DOWN_MAX_WAITS, Backoff
from newsletter.delivery.dkim import DkimSigner
from newsletter.delivery.smtp import REPLY_MAX, SmtpSender
from newsletter.errors import ConfigError, ProviderError
from tests.delivery_support import Handler, content, message, smtp_server

WAITS: list[float] = []


def no_sleep(seconds: float) -> None:
    WAITS.append(seconds)


def sender(host: str, port: int, **kw: object) -> SmtpSender:
    return SmtpSender(host=host, port=port, timeout=5, backoff=Backoff(sleep=no_sleep), **kw)  # type: ignore[arg-type]


def test_n_messages_arrive_exactly_once_with_every_header_and_both_parts() -> None:
    handler = Handler()
    c = content(rows=30)
    msgs = [message(i, c) for i in range(25)]
    with smtp_server(handler) as (host, port), sender(host, port) as s:
        results = [r for batch in s.send(msgs) for r in batch]
        assert s.connections_opened == 1  # one connection reused for every message
    assert [r.status for r in results] == [SendStatus.SENT] * 25
    assert all(r.provider_message_id and "queued as" in r.provider_message_id for r in results)
    assert len(handler.received) == 25
    by_rcpt = {rcv.rcpt_tos[0]: rcv for rcv in handler.received}
    assert sorted(by_rcpt) == sorted(m.to.email for m in msgs)
    for m in msgs:
        rcv = by_rcpt[m.to.email]
        assert rcv.mail_from == "issues@example.com"
        got = email.message_from_bytes(rcv.content, policy=email.policy.default)
        assert got["From"] == "AI Jobs Weekly <issues@example.com>"
        assert got["To"] == f"Reader One <{m.to.email}>"
        assert got["Subject"] == c.subject
        assert got["Date"] is not None and got["Message-ID"] == m.message_id
        assert got["Reply-To"] == "editor@example.com"
        assert got["List-Id"] == "AI Jobs Weekly <weekly.example.com>"
        assert got["List-Unsubscribe"] == m.list_unsubscribe
        assert got["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        text, html = list(got.iter_parts())
        assert text.get_content_type() == "text/plain" and m.unsubscribe_url in text.get_content()
        assert html.get_content_type() == "text/html" and m.unsubscribe_url in html.get_content()


def test_rcpt_4xx_is_retried_then_left_retryable_and_5xx_is_permanent() -> None:
    tries: dict[str, int] = {}

    def rcpt(addr: str) -> str | None:
        tries[addr] = tries.get(addr, 0) + 1
        if addr == "soft@example.org" and tries[addr] < 3:
            return "451 4.7.1 greylisted, try later"
        if addr == "full@example.org":
            return "452 4.2.2 mailbox full"
        if addr == "gone@example.org":
            return "550 5.1.1 no such user"
        return None

    handler = Handler(rcpt_reply=rcpt)
    msgs = [
        message(1, email="ok@example.org"),
        message(2, email="soft@example.org"),
        message(3, email="full@example.org"),
        message(4, email="gone@example.org"),
    ]
    WAITS.clear()
    with smtp_server(handler) as (host, port), sender(host, port, max_attempts=4) as s:
        results = s.send_batch(msgs)
    ok, soft, full, gone = results
    assert ok.status is SendStatus.SENT and ok.attempts == 1
    assert soft.status is SendStatus.SENT and soft.attempts == 3  # greylisting passed on try 3
    assert full.status is SendStatus.RETRYABLE and full.attempts == 4
    assert "452" in full.reason
    assert gone.status is SendStatus.PERMANENT and "550 5.1.1" in gone.reason
    assert tries == {
        "ok@example.org": 1,
        "soft@example.org": 3,
        "full@example.org": 4,
        "gone@example.org": 1,
    }
    assert len(WAITS) == 3  # backoff between the 4 attempts, injected (no real sleep)
    assert WAITS[1] > WAITS[0] * 1.2 or WAITS[2] > WAITS[0]  # grows (with jitter)
    assert sorted(r.rcpt_tos[0] for r in handler.received) == ["ok@example.org", "soft@example.org"]


@pytest.mark.parametrize(
    ("reply", "bounce"),
    [
        ("550 5.1.1 no such user", True),  # addressing: the address does not exist
        ("553 5.1.3 bad destination mailbox address syntax", True),
        ("550 5.2.1 mailbox disabled", True),  # the mailbox
        ("501 5.5.4 syntax error in parameters", False),  # protocol: our client's error
        ("503 5.5.1 bad sequence of commands", False),
        ("500 5.5.2 command unrecognized", False),
        ("550 5.5.0 requested action not taken: mailbox unavailable", True),  # the wording
        ("550 5.5.0 user unknown", True),
        ("550 5.5.0 <gone@example.org>: Recipient address rejected: User unknown", True),
        ("550 requested action not taken", True),  # no enhanced code: 550/551/553 bounce
        ("551 user not local; please try <x@example.net>", True),
        ("553 mailbox name not allowed", True),
        ("554 transaction failed", False),  # no enhanced code, not an address code
        ("500 command not recognized", False),
        ("550 5.0.0 rejected", True),  # 5.0.x says nothing: the basic code decides
        ("554 5.0.0 rejected", False),
        ("554 5.0.0 no such user here", True),
    ],
)
def test_a_permanent_refusal_bounces_only_an_address_never_our_protocol_error(
    reply: str, bounce: bool
) -> None:
    """Every 5xx marked the reader bounced (suppressed for good): a protocol error of our
    client (5.5.x: RFC 3463's "protocol status") suppressed real readers. The address is
    refused by 5.1.x/5.2.x, by 550/551/553 without a telling enhanced code, and by any reply
    saying the mailbox does not exist; anything else is failed, the reader kept. Either way
    it is permanent: tried once, never again."""
    tries: list[str] = []

    def rcpt(addr: str) -> str | None:
        tries.append(addr)
        return reply if addr == "gone@example.org" else None

    msgs = [message(1, email="ok@example.org"), message(2, email="gone@example.org")]
    with smtp_server(Handler(rcpt_reply=rcpt)) as (host, port), sender(host, port) as s:
        ok, gone = s.send_batch(msgs)
    assert ok.status is SendStatus.SENT
    assert gone.status is SendStatus.PERMANENT and gone.reason.startswith(f"SMTP {reply}")
    assert gone.bounce is bounce
    assert ("reader kept" in gone.reason) is not bounce
    assert tries == ["ok@example.org", "gone@example.org"]


def test_policy_refusal_of_the_sender_stops_the_send_instead_of_bouncing_readers() -> None:
    # 5.7.x is security/policy (relay denied, unauthenticated, DMARC): the sender's problem.
    # Marking the reader bounced would suppress them for good; the send must stop instead.
    def rcpt(addr: str) -> str | None:
        if addr == "reader@gmail.example":
            return "550 5.7.26 unauthenticated email from example.com is not accepted"
        return None

    handler = Handler(rcpt_reply=rcpt)
    msgs = [message(1, email="ok@example.org"), message(2, email="reader@gmail.example")]
    with (
        smtp_server(handler) as (host, port),
        sender(host, port) as s,
        pytest.raises(ProviderError, match=r"550 5\.7\.26") as info,
    ):
        s.send_batch(msgs)
    assert [(r.email, r.status) for r in info.value.results] == [
        ("ok@example.org", SendStatus.SENT)
    ]
    assert [r.rcpt_tos[0] for r in handler.received] == ["ok@example.org"]


def test_only_the_same_kept_refusal_in_a_row_stops_and_hands_the_earlier_ones_back() -> None:
    """A refusal that keeps the reader (5.5.x, a bare 5xx) is the reader's own until the same
    reply (code and enhanced status: the text may name the address) comes back for
    REFUSED_IN_ROW messages in a row; an accepted message or another reply starts anew. The
    stop hands back the refused ones before it (``resend``); the last one has no result."""
    from newsletter.delivery.smtp import REFUSED_IN_ROW

    assert REFUSED_IN_ROW == 3
    syntax, sequence = "501 5.5.4 syntax error in <{}>", "503 5.5.1 bad sequence"
    plan = {"a": syntax, "b": syntax, "d": syntax, "e": syntax, "f": sequence, "g": sequence}
    plan["h"] = sequence

    def rcpt(addr: str) -> str | None:
        reply = plan.get(addr.split("@", maxsplit=1)[0])
        return reply.format(addr) if reply else None

    msgs = [message(i, email=f"{c}@example.org") for i, c in enumerate("abcdefgh")]
    with (
        smtp_server(Handler(rcpt_reply=rcpt)) as (host, port),
        sender(host, port) as s,
        pytest.raises(ProviderError, match=r"3 messages in a row alike.*503 5\.5\.1") as info,
    ):
        s.send_batch(msgs)
    assert [(r.email[0], r.status, r.bounce) for r in info.value.results] == [
        ("a", SendStatus.PERMANENT, False),
        ("b", SendStatus.PERMANENT, False),
        ("c", SendStatus.SENT, True),
        ("d", SendStatus.PERMANENT, False),
        ("e", SendStatus.PERMANENT, False),
        ("f", SendStatus.PERMANENT, False),
        ("g", SendStatus.PERMANENT, False),
    ]
    assert [r.email[0] for r in info.value.resend] == ["f", "g"]


@pytest.mark.parametrize(
    ("at", "reply", "whom"),
    [
        ("data", "552 5.3.4 message size exceeds fixed limit", "message"),
        ("data", "554 5.6.0 content rejected", "message"),
        # servers that check the sender only at RCPT TO (Postfix) or ask for a login there
        ("rcpt", "504 5.5.2 <issues@example.com>: Sender address rejected: need FQDN", "sender"),
        ("rcpt", "550 5.1.0 <issues@example.com>: Sender address rejected: User unknown", "sender"),
        ("rcpt", "553 5.1.7 bad sender's mailbox address syntax", "sender"),
        ("rcpt", "550 5.1.8 bad sender's system address", "sender"),
        ("rcpt", "530 Authentication required", "sender"),
        ("data", "535 5.0.0 authentication failed", "sender"),
    ],
)
def test_a_refusal_of_the_message_or_the_sender_stops_the_send_instead_of_failing_readers(
    at: str, reply: str, whom: str
) -> None:
    """RFC 3463's 5.3.x (mail system: too big) and 5.6.x (content) at DATA refuse the issue,
    which every reader would get alike: bouncing them would suppress the whole list. So do
    the refusals of the sender (its address, a login) at RCPT or DATA: the send stops at the
    first, which has no result (it stays to send)."""

    def refuse(addr: str) -> str | None:
        return reply if addr == "reader@example.org" else None

    handler = Handler(rcpt_reply=refuse) if at == "rcpt" else Handler(data_reply=refuse)
    msgs = [message(1, email="ok@example.org"), message(2, email="reader@example.org")]
    with (
        smtp_server(handler) as (host, port),
        sender(host, port) as s,
        pytest.raises(ProviderError, match=f"refused the {whom}") as info,
    ):
        s.send_batch(msgs)
    assert reply in str(info.value)
    assert [(r.email, r.status) for r in info.value.results] == [
        ("ok@example.org", SendStatus.SENT)
    ]


def test_a_recipient_refused_at_data_is_still_permanent() -> None:
    """A server that refuses the reader only at DATA (5.1.1 after a 250 to RCPT): a bounce."""
    handler = Handler(data_reply=lambda a: "550 5.1.1 no such user" if a == "gone@x.org" else None)
    with smtp_server(handler) as (host, port), sender(host, port) as s:
        ok, gone = s.send_batch([message(1, email="ok@x.org"), message(2, email="gone@x.org")])
    assert ok.status is SendStatus.SENT
    assert gone.status is SendStatus.PERMANENT and "550 5.1.1" in gone.reason


def test_reconnects_when_the_server_drops_the_connection() -> None:
    handler = Handler(drop_after=3)
    msgs = [message(i) for i in range(10)]
    with smtp_server(handler) as (host, port), sender(host, port) as s:
        results = s.send_batch(msgs)
        assert s.connections_opened == 4  # dropped after messages 3, 6 and 9
    assert handler.drops == 3
    assert all(r.status is SendStatus.SENT and r.attempts == 1 for r in results)
    assert sorted(r.rcpt_tos[0] for r in handler.received) == sorted(m.to.email for m in msgs)


def test_server_down_leaves_messages_retryable_after_max_attempts() -> None:
    from tests.delivery_support import free_port

    s = sender("127.0.0.1", free_port(), max_attempts=2)
    results = s.send_batch([message(1), message(2)])
    assert {r.status for r in results} == {SendStatus.RETRYABLE}
    assert all("cannot connect" in r.reason and r.attempts == 2 for r in results)


def test_invalid_address_is_permanent_without_touching_the_server() -> None:
    handler = Handler()
    with smtp_server(handler) as (host, port), sender(host, port) as s:
        (r,) = s.send_batch([message(1, email="not an address@@example")])
    assert r.status is SendStatus.PERMANENT and r.reason.startswith("invalid address")
    assert handler.rcpt_calls == []


def test_an_international_address_fails_alone_or_goes_out_in_ascii() -> None:
    """A local part that needs SMTPUTF8 is one permanent failure (it stopped the whole send);
    an internationalized domain goes out in its IDNA form, in RCPT and in To."""
    handler = Handler()
    msgs = [
        message(1),
        message(2, email="\u00fctf8@example.com"),
        message(3, email="x@ex\u00e4mple.com"),
        message(4),
    ]
    with smtp_server(handler) as (host, port), sender(host, port) as s:
        results = s.send_batch(msgs)
    status = {r.message_id: r for r in results}
    assert [status[m.message_id].status for m in msgs] == [
        SendStatus.SENT, SendStatus.PERMANENT, SendStatus.SENT, SendStatus.SENT,
    ]  # fmt: skip
    assert "before the @-sign are not supported" in status[msgs[1].message_id].reason
    rcpts = sorted(r.rcpt_tos[0] for r in handler.received)
    assert rcpts == ["reader1@example.org", "reader4@example.org", "x@xn--exmple-cua.com"]
    idn = next(r for r in handler.received if r.rcpt_tos[0].startswith("x@"))
    head = idn.content.split(b"\r\n\r\n")[0]
    assert b"<x@xn--exmple-cua.com>" in head and b"=?utf-8?q?ex" not in head


def test_registry_builds_smtp_sender_from_config(tmp_path: Path) -> None:
    handler = Handler()
    with smtp_server(handler) as (host, port):
        cfg = parse_config({"delivery": {"provider": "smtp", "smtp": {"host": host, "port": port}}})
        with get_sender(cfg.delivery, Secrets.from_env()) as s:
            assert isinstance(s, SmtpSender)
            (r,) = s.send_batch([message(1)])
    assert r.status is SendStatus.SENT and len(handler.received) == 1


def test_dkim_signature_covers_one_click_headers_and_verifies(
    dkim_key: tuple[Path, bytes],
) -> None:
    key, record = dkim_key
    cfg = parse_config(
        {"delivery": {"dkim": {"selector": "news", "domain": "example.com", "key_file": str(key)}}}
    )
    signer = DkimSigner.from_settings(cfg.delivery.dkim)
    assert signer is not None
    handler = Handler()
    with smtp_server(handler) as (host, port), sender(host, port, signer=signer) as s:
        assert s.send_batch([message(1)])[0].status is SendStatus.SENT
    raw = handler.received[0].content
    sig = email.message_from_bytes(raw)["DKIM-Signature"]
    signed = {h.strip().lower() for h in sig.split("h=")[1].split(";")[0].split(":")}
    assert {"list-unsubscribe", "list-unsubscribe-post", "from", "message-id"} <= signed

    def dns(name: bytes, timeout: int = 5) -> bytes:
        assert name == b"news._domainkey.example.com."
        return record

    assert dkim.verify(raw, dnsfunc=dns)
    tampered = raw.replace(
        b"List-Unsubscribe-Post: List-Unsubscribe=One-Click", b"List-Unsubscribe-Post: x"
    )
    assert not dkim.verify(tampered, dnsfunc=dns)


def test_partial_dkim_settings_are_a_config_error() -> None:
    cfg = parse_config({"delivery": {"dkim": {"selector": "news"}}})
    with pytest.raises(ConfigError, match=r"dkim\.domain.*dkim\.key_file"):
        DkimSigner.from_settings(cfg.delivery.dkim)


def test_starttls_and_login_with_password_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ssl

    from aiosmtpd.smtp import AuthResult

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(
        server: object, session: object, envelope: object, mechanism: str, data: object
    ) -> AuthResult:
        login = (data.login, data.password)  # type: ignore[attr-defined]
        logins.append(login)
        return AuthResult(success=login == (b"news", b"pw-from-env"))

    handler = Handler()
    monkeypatch.setenv("NEWSLETTER_SMTP_PASSWORD", "pw-from-env")
    options = {
        "tls_context": server_ctx,
        "require_starttls": True,
        "authenticator": authenticator,
        "auth_require_tls": True,
    }
    with smtp_server(handler, **options) as (host, port):
        cfg = parse_config(
            {
                "delivery": {
                    "provider": "smtp",
                    "smtp": {
                        "host": host,
                        "port": port,
                        "security": "starttls",
                        "username": "news",
                    },
                }
            }
        )
        client_ctx = ssl.create_default_context(cafile=str(cert))
        with get_sender(
            cfg.delivery,
            Secrets.from_env(),
            ssl_context=client_ctx,
            backoff=Backoff(sleep=no_sleep),
        ) as s:
            (r,) = s.send_batch([message(1)])
        assert r.status is SendStatus.SENT and logins == [(b"news", b"pw-from-env")]
    assert len(handler.received) == 1


def test_connection_lost_during_data_is_unknown_and_not_resent() -> None:
    handler = Handler(vanish_on_data=frozenset({"reader1@example.org"}))
    msgs = [message(i) for i in range(3)]
    with smtp_server(handler) as (host, port), sender(host, port) as s:
        results = s.send_batch(msgs)
    assert [r.status for r in results] == [SendStatus.SENT, SendStatus.UNKNOWN, SendStatus.SENT]
    assert "outcome unknown" in results[1].reason
    # delivered once: the unknown message was not sent a second time
    assert sorted(r.rcpt_tos[0] for r in handler.received) == [m.to.email for m in msgs]


@dataclass
class Outage(Handler):
    """A live server that answers every MAIL with ``421`` (closing) while ``down``."""

    down: bool = True

    async def handle_MAIL(  # noqa: N802 - aiosmtpd hook name
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: Any
    ) -> str:
        if self.down:
            return "421 4.3.2 service not available"
        return await super().handle_MAIL(server, session, envelope, address, mail_options)


def test_a_server_that_stays_down_is_probed_then_given_up_not_tried_for_days() -> None:
    """A closed port: the first DOWN_AFTER_CALLS messages spend every attempt; then each next
    message is one probe after the backoff's longest wait; after DOWN_MAX_WAITS waits the
    sender says it is unavailable (the send stops on it). All of it on injected waits."""
    from tests.delivery_support import free_port

    waits: list[float] = []
    s = SmtpSender(
        host="127.0.0.1",
        port=free_port(),
        timeout=5,
        max_attempts=3,
        backoff=Backoff(initial=1, maximum=60, jitter=0, sleep=waits.append),
    )
    attempts = []
    for i in range(DOWN_AFTER_CALLS + DOWN_MAX_WAITS):
        assert s.unavailable is None, i
        [r] = s.send_batch([message(i)])
        assert r.status is SendStatus.RETRYABLE and "cannot connect" in r.reason
        attempts.append(r.attempts)
    assert attempts == [3] * DOWN_AFTER_CALLS + [1] * DOWN_MAX_WAITS
    assert s.unavailable is not None and "cannot connect" in s.unavailable
    assert "30 minutes" in s.unavailable
    assert waits.count(60) == DOWN_MAX_WAITS  # the probes' waits; the rest is backoff
    assert len(waits) == DOWN_MAX_WAITS + DOWN_AFTER_CALLS * 2


def test_a_server_back_from_an_outage_gets_every_attempt_again() -> None:
    handler = Outage()
    waits: list[float] = []
    with (
        smtp_server(handler) as (host, port),
        SmtpSender(
            host=host,
            port=port,
            timeout=5,
            max_attempts=3,
            backoff=Backoff(initial=1, maximum=60, jitter=0, sleep=waits.append),
        ) as s,
    ):
        tried = [s.send_batch([message(i)])[0] for i in range(DOWN_AFTER_CALLS + 2)]
        assert [r.attempts for r in tried] == [3] * DOWN_AFTER_CALLS + [1, 1]
        assert {r.status for r in tried} == {SendStatus.RETRYABLE}
        handler.down = False
        [back] = s.send_batch([message(10)])
        assert back.status is SendStatus.SENT and back.attempts == 1
        handler.down = True  # down again: a fresh count, every attempt
        [again] = s.send_batch([message(11)])
        assert again.status is SendStatus.RETRYABLE and again.attempts == 3
        assert s.unavailable is None
    assert [r.rcpt_tos[0] for r in handler.received] == [message(10).to.email]


@pytest.mark.parametrize(
    "reply",
    [
        "550 5.1.1 " + "no\x1b[2J such user " * 600,  # one 11 KB line: past smtplib's 8192
        "550 5.1.1 " + "n" * 8100,  # one line just under it
        "\r\n".join(["550-5.1.1 " + "y" * 8000] * 40 + ["550 5.1.1 no such user"]),  # 320 KB
    ],
    ids=["one-11KB-line-with-escapes", "one-8KB-line", "40-lines-of-8KB"],
)
def test_a_huge_server_reply_is_recorded_cut_and_escaped_on_the_same_connection(
    reply: str,
) -> None:
    """A reply line over 8192 bytes was smtplib's "500 Line too long." with the connection
    closed: a server's 550 for a gone address read as a lost connection (the reader left to
    retry); a reply under that, or of many such lines, was stored and printed whole (320 KB
    as one failure's reason), control characters and all. The reply is read to its end, its
    code decides, and the reason is one line of at most REPLY_MAX characters, escaped."""
    gone = "gone@example.org"
    handler = Handler(rcpt_reply=lambda a: reply if a == gone else None)
    msgs = [message(1, email=gone), message(2, email="ok@example.org")]
    with smtp_server(handler) as (host, port), sender(host, port) as s:
        refused, ok = s.send_batch(msgs)
        opened = s.connections_opened
    assert refused.status is SendStatus.PERMANENT and refused.bounce, refused.reason[:200]
    assert refused.reason.startswith("SMTP 550 5.1.1 ")
    assert len(refused.reason) <= len("SMTP 550 ") + REPLY_MAX
    assert refused.reason.endswith("…")
    assert refused.reason.isprintable()  # no ESC, no line break
    assert "\x1b" not in refused.reason and ("\\x1b[2J" in refused.reason) is ("\x1b" in reply)
    assert ok.status is SendStatus.SENT and len(handler.received) == 1
    assert opened == 1  # the connection stayed in step: the next message went on it


def test_a_reply_of_endless_lines_is_read_no_further_than_its_budget() -> None:
    """A server sending continuation lines without end (here 1.1 MB of them) is dropped once
    one reply passed REPLY_READ_MAX bytes: the message is left to retry, never kept whole."""
    flood = "\r\n".join(["550-5.1.1 " + "y" * 8000] * 140 + ["550 5.1.1 no such user"])
    handler = Handler(rcpt_reply=lambda _a: flood)
    with smtp_server(handler) as (host, port), sender(host, port) as s:
        (result,) = s.send_batch([message(1, email="gone@example.org")])
    assert result.status is SendStatus.RETRYABLE
    assert "longer than 1048576 bytes" in result.reason and len(result.reason) < 1000
