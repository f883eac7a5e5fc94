"""How long POST /subscribe takes for each state of the address, over a real uvicorn server.

Run: .venv/bin/python benchmarks/bench_subscribe.py [REQUESTS_PER_STATE]

The page must answer alike and in about the same time whether the address is new, pending,
active, unsubscribed, bounced or only on the suppression list: otherwise its timing tells
who is on the list. The app runs under uvicorn on loopback with a SQLite file and the SMTP
provider pointed at a local aiosmtpd server (as in production, the confirmation and "already
subscribed" emails go out from the background mailer), then again with the SMTP server down.
Each request uses a fresh address of its state; the states are interleaved in a shuffled
order, sent one at a time from a separate client process. Prints, per state, the answer
(status, body length with the address taken out) and the client-side latency: median, p90,
p99 and max in milliseconds, and the largest gap between two states' medians. Figures are
noisy on a shared machine; compare the states of one run, not runs.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx

from newsletter.audience.subscribers import SubscriberStore
from newsletter.audience.tokens import TokenSigner
from newsletter.config import DEV_SECRET_KEY, Config, Secrets, parse_config
from newsletter.delivery import get_sender
from newsletter.send.confirmation import SignupMailer
from newsletter.store import open_database
from newsletter.util.clock import SYSTEM_CLOCK, FixedClock
from newsletter.web.app import SUBSCRIBE_ANSWER_SECONDS, create_app
from tests.delivery_support import Handler, free_port, smtp_server
from tests.http_support import start_uvicorn

STATES = ("new", "pending-recent", "pending-old", "active", "unsubscribed", "bounced",
          "suppressed-only")  # fmt: skip


def _config(tmp: Path, smtp_port: int) -> Config:
    return parse_config(
        {
            "newsletter": {"postal_address": "1 Main St, Springfield"},
            "data": {"state_dir": str(tmp)},
            "database": {"url": f"sqlite:///{tmp / 'bench.db'}"},
            "delivery": {"provider": "smtp", "max_attempts": 1,
                         "smtp": {"host": "127.0.0.1", "port": smtp_port}},
            "web": {"subscribe_rate_per_hour": 1_000_000},
        }
    )  # fmt: skip


def _seed(url: str, n: int) -> dict[str, list[str]]:
    """``n`` addresses in each state."""
    out: dict[str, list[str]] = {s: [f"{s}-{i}@example.com" for i in range(n)] for s in STATES}
    with open_database(url) as db:
        store = SubscriberStore(db)
        earlier = SubscriberStore(db, clock=FixedClock(SYSTEM_CLOCK.now() - dt.timedelta(hours=1)))
        for a in out["pending-recent"]:
            store.signup(a, name="P", ip="10.0.0.1", wording="yes")
        for a in out["pending-old"]:
            earlier.signup(a, name="P", ip="10.0.0.1", wording="yes")
        for a in out["active"] + out["unsubscribed"] + out["bounced"]:
            store.add(a)
        for a in out["unsubscribed"]:
            store.unsubscribe(a)
        for a in out["bounced"]:
            store.mark_bounced(a, "550 no such user")
        for a in out["suppressed-only"]:
            store.mark_complained(a, "complaint before any sign-up")
    return out


def _client(base: str, order: list[tuple[str, str]]) -> list[tuple[str, float, tuple[int, int]]]:
    """POST each (state, address) in turn; (state, milliseconds, (status, body length))."""
    out = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for _ in range(20):  # warm-up
            client.get("/subscribe")
        for state, address in order:
            t0 = time.perf_counter()
            r = client.post("/subscribe", data={"email": address, "consent": "yes"})
            ms = (time.perf_counter() - t0) * 1000
            out.append((state, ms, (r.status_code, len(r.text.replace(address, "")))))
    return out


def _run(label: str, config: Config, n: int) -> None:
    addresses = _seed(config.database.url, n)
    order = [(s, a) for s in STATES for a in addresses[s]]
    random.Random(11).shuffle(order)
    with open_database(config.database.url) as db:
        signer = TokenSigner(DEV_SECRET_KEY)
        mailer = SignupMailer(
            config, signer, get_sender(config.delivery, Secrets()), hold=SUBSCRIBE_ANSWER_SECONDS
        )
        app = create_app(config, SubscriberStore(db), signer, mailer)
        server, thread, base = start_uvicorn(app, log_level="error")
        # the client runs in its own process, so its timings do not include the server's
        # threads (the background mailer) holding this process's GIL
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            measured = pool.apply(_client, (base, order))
        times: dict[str, list[float]] = defaultdict(list)
        answers: dict[str, set[tuple[int, int]]] = defaultdict(set)
        for state, ms, answer in measured:
            times[state].append(ms)
            answers[state].add(answer)
        t0 = time.perf_counter()
        mailer.join()
        drained = time.perf_counter() - t0
        server.should_exit = True
        thread.join()
        mailer.close()
    print(f"\n== {label}: {n} requests per state, shuffled")
    print(f"{'state':16} {'answer':>14} {'median':>8} {'p90':>8} {'p99':>8} {'max':>8}   (ms)")
    for s in STATES:
        ts = sorted(times[s])
        q = statistics.quantiles(ts, n=100)
        shown = ", ".join(f"{c} /{b}" for c, b in sorted(answers[s]))
        print(
            f"{s:16} {shown:>14} {statistics.median(ts):8.2f} {q[89]:8.2f} {q[98]:8.2f} "
            f"{ts[-1]:8.2f}"
        )
    medians = [statistics.median(times[s]) for s in STATES]
    print(f"largest gap between two states' medians: {max(medians) - min(medians):.2f} ms")
    print(f"background mailer: {mailer.counts} ({drained:.2f} s to drain after the last request)")


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, smtp_server(Handler()) as (_host, port):
        _run("SMTP server up", _config(Path(tmp) / "up", port), n)
    with tempfile.TemporaryDirectory() as tmp:
        _run("SMTP server down", _config(Path(tmp) / "down", free_port()), n)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
