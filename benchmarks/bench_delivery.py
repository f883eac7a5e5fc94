"""Delivery benchmarks: 10,000 recipients, a ~50 KB issue (real render from the bundled
snapshots, padded). Prints messages per second; run with `make bench` or directly.

1. message building: a fresh EmailMessage per recipient (naive) vs MessageFactory (spliced);
2. SMTP to an aiosmtpd server on loopback: SmtpSender (building included) vs a bare
   smtplib loop sending the same pre-built bytes to the same server in the same run;
3. HTTP providers against a local HTTP server on loopback: SendGrid and Postmark batches,
   Mailgun one call per message.

The servers run in child processes (this file with --serve-smtp / --serve-http), so client
and server each get a core. Figures are noisy on a shared machine.
"""

from __future__ import annotations

import json
import smtplib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newsletter.delivery import IssueContent, OutgoingMessage, Sender

ROOT = Path(__file__).resolve().parent.parent
N = 10_000
NAIVE_SAMPLE = 1_000
TARGET_HTML = 50_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# ----------------------------------------------------------------------------- servers


def serve_smtp(port: int) -> None:
    from aiosmtpd.controller import Controller

    class Sink:
        count = 0

        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
            Sink.count += 1
            return f"250 2.0.0 Ok: queued as Q{Sink.count}"

    ctl = Controller(Sink(), hostname="127.0.0.1", port=port, data_size_limit=0)
    ctl.start()
    print("ready", flush=True)
    sys.stdin.read()
    ctl.stop()


def serve_http(port: int) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: with Nagle's algorithm on, the body waits
        # for the client's delayed ACK (40 ms), which capped a call-per-message provider at
        # ~16 calls a second. A real provider's server does not wait so.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            if self.path.endswith("/messages"):  # Mailgun form data: one message a call
                assert raw.count(b'name="to"') == 1 and b'name="h:Message-Id"' in raw
                out = json.dumps({"id": "<mg@bench>", "message": "Queued. Thank you."}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)
                return
            if self.path == "/email/batch":  # Postmark
                # Count the messages without parsing ~30 MB of JSON per call: the stand-in
                # server shares the 2 cores with the client being measured. (A key in a
                # JSON string value is escaped, so each raw match is one message.)
                n = raw.count(b'"HtmlBody":')
                out = json.dumps(
                    [{"ErrorCode": 0, "Message": "OK", "MessageID": f"pm-{i}"} for i in range(n)]
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
            else:  # SendGrid /v3/mail/send
                assert json.loads(raw)["personalizations"]
                out = b""
                self.send_response(202)
                self.send_header("X-Message-Id", "sg-bench")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

    srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("ready", flush=True)
    srv.serve_forever()


@contextmanager
def child(mode: str) -> Iterator[int]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, __file__, mode, str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield port
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.terminate()
        proc.wait(timeout=10)


# ----------------------------------------------------------------------------- data


def issue_and_messages() -> tuple[IssueContent, list[OutgoingMessage]]:
    from newsletter.config import load_config
    from newsletter.data.pipeline import build_signals
    from newsletter.delivery import IssueContent, compose
    from newsletter.edition.issue import render_issue
    from newsletter.models import Recipient

    cfg = load_config(ROOT / "config.toml")
    issue = render_issue(build_signals(cfg), cfg)
    head, _, rest = issue.html.partition("<body")
    body_open, _, body = rest.partition(">")
    inner, _, tail = body.rpartition("</body>")
    copies = max(1, -(-TARGET_HTML // max(1, len(inner.encode()))))  # ceil: ~50 KB or a bit more
    footer = (
        f'<p>{cfg.newsletter.postal_address}</p><p><a href="%%unsubscribe_url%%">Unsubscribe'
        '</a> · <a href="%%preferences_url%%">Preferences</a></p>'
    )
    html = f"{head}<body{body_open}>{inner * copies}{footer}</body>{tail}"
    text = (
        f"{issue.text}\n{cfg.newsletter.postal_address}\n"
        "Unsubscribe: %%unsubscribe_url%%\nPreferences: %%preferences_url%%\n"
    )
    content = IssueContent(subject=issue.subject, html=html, text=text)
    recipients = [
        Recipient(
            subscriber_id=i,
            email=f"reader{i}@example.org",
            name=f"Reader {i}",
            unsubscribe_url=f"https://news.example.com/u/{i}.AbCdEfGhIjKlMnOpQrStUvWxYz012345",
            preferences_url=f"https://news.example.com/p/{i}.AbCdEfGhIjKlMnOpQrStUvWxYz012345",
        )
        for i in range(N)
    ]
    msgs = [compose(cfg.newsletter, content, r, issue_key="2026-W48") for r in recipients]
    return content, msgs


def timed_send(sender: Sender[Any, Any], msgs: list[OutgoingMessage]) -> tuple[int, float]:
    """Send everything; return how many were accepted and the seconds it took."""
    t = time.perf_counter()
    sent = sum(1 for batch in sender.send(msgs) for r in batch if r.status == "sent")
    return sent, time.perf_counter() - t


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>9,.0f} msgs/s  ({n:,} in {seconds:.2f} s)"


# ----------------------------------------------------------------------------- benches


def bench_build(msgs: list[OutgoingMessage]) -> list[bytes]:
    from newsletter.delivery import MessageFactory, render_naive
    from newsletter.delivery.message import format_date
    from newsletter.util.clock import SYSTEM_CLOCK

    date = format_date(SYSTEM_CLOCK.now())  # a benchmark is an edge: the system clock
    sample = msgs[:NAIVE_SAMPLE]
    t = time.perf_counter()
    for m in sample:
        render_naive(m, date=date)
    naive = time.perf_counter() - t
    factory = MessageFactory()
    t = time.perf_counter()
    built = [factory.render(m, date=date) for m in msgs]
    fast = time.perf_counter() - t
    print(f"  build naive (EmailMessage per recipient): {rate(len(sample), naive)}")
    print(f"  build spliced (MessageFactory):           {rate(len(msgs), fast)}")
    print(f"  speed-up: {(len(msgs) / fast) / (len(sample) / naive):.0f}x")
    return built


def bench_smtp(msgs: list[OutgoingMessage], built: list[bytes]) -> None:
    from newsletter.delivery.base import Backoff
    from newsletter.delivery.smtp import SmtpSender

    with child("--serve-smtp") as port:
        conn = smtplib.SMTP("127.0.0.1", port, timeout=30)
        t = time.perf_counter()
        for m, data in zip(msgs, built, strict=True):
            conn.sendmail("issues@example.com", [m.to.email], data)
        bare = time.perf_counter() - t
        conn.quit()
        with SmtpSender(host="127.0.0.1", port=port, timeout=30, backoff=Backoff()) as sender:
            sent, ours = timed_send(sender, msgs)
    print(f"  smtp bare smtplib loop (pre-built bytes): {rate(len(msgs), bare)}")
    print(f"  smtp SmtpSender (building included):      {rate(sent, ours)}")
    print(f"  SmtpSender / bare: {(sent / ours) / (len(msgs) / bare):.0%}  (goal >= 80%)")


def bench_http(msgs: list[OutgoingMessage]) -> None:
    import os

    import httpx

    from newsletter.config import Secrets, parse_config
    from newsletter.delivery import get_sender

    os.environ.setdefault("NEWSLETTER_SENDGRID_API_KEY", "bench")
    os.environ.setdefault("NEWSLETTER_POSTMARK_TOKEN", "bench")
    os.environ.setdefault("NEWSLETTER_MAILGUN_API_KEY", "bench")
    with child("--serve-http") as port:
        for provider in ("sendgrid", "mailgun", "postmark"):
            settings = {"base_url": f"http://127.0.0.1:{port}", "domain": "mg.example.com"}
            if provider != "mailgun":
                del settings["domain"]
            cfg = parse_config({"delivery": {"provider": provider, provider: settings}})
            with httpx.Client(timeout=120) as client:
                sent, took = timed_send(
                    get_sender(cfg.delivery, Secrets.from_env(), client=client), msgs
                )
            note = {
                "sendgrid": "one body per batch",
                "mailgun": "one call per message",
                "postmark": "full HTML per message",
            }[provider]
            print(f"  http {provider:<9} ({note}): {rate(sent, took)}  (goal >= 3,000)")


def main() -> None:
    sys.path.insert(0, str(ROOT))
    content, msgs = issue_and_messages()
    html_kb = len(content.html.encode()) / 1000
    print(f"delivery benchmark: {len(msgs):,} recipients, HTML {html_kb:.0f} KB")
    built = bench_build(msgs)
    print(f"  message size: {len(built[0]) / 1000:.0f} KB on the wire")
    bench_smtp(msgs, built)
    bench_http(msgs)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve-smtp":
        serve_smtp(int(sys.argv[2]))
    elif len(sys.argv) == 3 and sys.argv[1] == "--serve-http":
        serve_http(int(sys.argv[2]))
    else:
        main()
