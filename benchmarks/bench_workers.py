"""One send shared by several processes: 100,000 subscribers on PostgreSQL, sent with
`newsletter send --workers N` (N = 1 and 4) to a SendGrid-like HTTP provider on loopback.

The provider (a child process) records every (address, Message-ID) it accepts; after each
run the benchmark checks that each address was mailed exactly once, under the Message-ID the
ledger holds. Prints wall time, msgs/s, the CPU time of the send's processes (coordinator and
helpers) and the load average. A throw-away PostgreSQL server runs on a Unix socket (as the
tests' ``postgres_url`` fixture); without PostgreSQL (initdb/pg_ctl, psycopg) it says so and
skips. Figures are noisy on a shared 2-core machine: the server, PostgreSQL and the workers
share the cores, so more workers add parallel waits on the provider, not CPU.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
N = int(os.environ.get("BENCH_WORKERS_N", "100000"))
WEEK = "2026-11-23"
PG_BIN = Path("/usr/lib/postgresql/15/bin")


# ----------------------------------------------------------------------------- provider


def serve(port: int) -> None:
    """A SendGrid-like /v3/mail/send that records each personalization's address and
    Message-ID; GET /stats tells and resets what it saw."""
    import threading
    from collections import Counter
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: Counter[tuple[str, str]] = Counter()
    calls = [0]
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _answer(self, code: int, body: bytes = b"") -> None:
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            if code == 202:
                self.send_header("X-Message-Id", "sg-bench")
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            with lock:
                per_address = Counter(a for a, _m in seen)
                stats = {
                    "calls": calls[0],
                    "accepted": sum(seen.values()),
                    "addresses": len(per_address),
                    "pairs": dict(("\t".join(k), v) for k, v in seen.items()),
                }
                seen.clear()
                calls[0] = 0
            self._answer(200, json.dumps(stats).encode())

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            body = json.loads(raw)
            with lock:
                calls[0] += 1
                for p in body["personalizations"]:
                    seen[(p["to"][0]["email"], p["custom_args"]["message_id"])] += 1
            self._answer(202)

    srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("ready", flush=True)
    srv.serve_forever()


@contextmanager
def provider() -> Iterator[int]:
    from bench_delivery import free_port

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def stats(port: int) -> dict[str, Any]:
    import httpx

    out: dict[str, Any] = httpx.get(f"http://127.0.0.1:{port}/stats", timeout=120).json()
    return out


# ----------------------------------------------------------------------------- PostgreSQL


def _pg(cmd: list[str], as_postgres: bool) -> None:
    if as_postgres:  # root: the server refuses to run as root (as tests/conftest.py does)
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)


@contextmanager
def postgres() -> Iterator[str | None]:
    initdb, pg_ctl = PG_BIN / "initdb", PG_BIN / "pg_ctl"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        yield None
        return
    as_postgres = os.geteuid() == 0
    if not initdb.exists() or (as_postgres and shutil.which("runuser") is None):
        yield None
        return
    base = Path(tempfile.mkdtemp(prefix="nlbench-pg-"))
    if as_postgres:
        import pwd

        pw = pwd.getpwnam("postgres")
        os.chown(base, pw.pw_uid, pw.pw_gid)
    data = base / "data"
    _pg([str(initdb), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"], as_postgres)
    opts = f"-k {base} -c listen_addresses='' -F -c max_connections=100"
    _pg([str(pg_ctl), "-D", str(data), "-o", opts, "-l", str(base / "log"), "-w", "start"],
        as_postgres)  # fmt: skip
    try:
        yield f"postgresql+psycopg://postgres@/{{db}}?host={base}"
    finally:
        _pg([str(pg_ctl), "-D", str(data), "-m", "immediate", "-w", "stop"], as_postgres)
        shutil.rmtree(base, ignore_errors=True)


def fresh_database(url_template: str, name: str) -> str:
    import sqlalchemy as sa

    admin = sa.create_engine(url_template.format(db="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url_template.format(db=name)


# ----------------------------------------------------------------------------- one run


def config_file(tmp: Path, url: str, port: int) -> Path:
    p = tmp / "config.toml"
    p.write_text(
        "[newsletter]\n"
        'postal_address = "AI Jobs Weekly, 548 Market St #12345, San Francisco, CA 94104"\n'
        'base_url = "https://news.example.com"\n'
        f'[data]\nsnapshots_dir = "{ROOT / "snapshots"}"\nstate_dir = "{tmp}"\n'
        f'[database]\nurl = "{url}"\n'
        '[delivery]\nprovider = "sendgrid"\nconcurrency = 2\n'
        f'[delivery.sendgrid]\nbase_url = "http://127.0.0.1:{port}"\n',
        encoding="utf-8",
    )
    return p


def subscribers(config_path: Path) -> None:
    from bench_send import _subscribers

    from newsletter.config import load_config

    _subscribers(load_config(config_path), N)


def ledger_ids(config_path: Path) -> dict[str, str]:
    from newsletter.config import load_config
    from newsletter.send.ledger import SendLedger
    from newsletter.store import open_store

    with open_store(load_config(config_path)) as db:
        rows = SendLedger(db).rows("2026-W48")
    assert {r["status"] for r in rows} == {"sent"}, "rows left unsent"
    return {str(r["email"]): str(r["message_id"]) for r in rows}


def run(url_template: str, port: int, workers: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = fresh_database(url_template, f"bench_w{workers}")
        cfg = config_file(Path(tmp), url, port)
        subscribers(cfg)
        env = {
            **os.environ,
            "NEWSLETTER_SECRET_KEY": "bench-secret",
            "NEWSLETTER_SENDGRID_API_KEY": "bench-key",
        }
        cmd = [sys.executable, "-m", "newsletter", "--config", str(cfg), "send", "--week", WEEK,
               "--workers", str(workers)]  # fmt: skip
        load0 = os.getloadavg()[0]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        done = subprocess.run(cmd, check=False, env=env, capture_output=True, text=True, cwd=tmp)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        load = os.getloadavg()[0]
        if done.returncode != 0:
            raise SystemExit(f"send --workers {workers} failed: {done.stderr[-2000:]}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        seen = stats(port)
        ids = ledger_ids(cfg)
        pairs = {tuple(k.split("\t")): v for k, v in seen["pairs"].items()}
        once = (
            seen["accepted"] == N
            and seen["addresses"] == N
            and all(v == 1 for v in pairs.values())
            and all(ids.get(a) == m for a, m in pairs)
            and len(ids) == N
        )
        print(
            f"  --workers {workers}: {N:,} msgs in {wall:6.1f} s wall = {N / wall:6,.0f} msg/s; "
            f"CPU {cpu:6.1f} s (send processes); load {load0:4.1f}->{load:4.1f}; "
            f"{seen['calls']} calls; "
            f"exactly once per address (server count by Message-ID and address): "
            f"{'yes' if once else 'NO'}"
        )
        if not once:
            raise SystemExit("a run did not mail each address exactly once")


def main() -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    print(
        f"send across processes: {N:,} subscribers, PostgreSQL ledger, SendGrid-like API on "
        "loopback (1,000 per call), concurrency 2 per process; wall includes start-up, "
        "render, freeze and helpers' own render"
    )
    with postgres() as url:
        if url is None:
            print("  skipped: PostgreSQL (initdb under /usr/lib/postgresql/15/bin, psycopg, "
                  "non-root) is not available")  # fmt: skip
            return
        with provider() as port:
            for workers in (1, 4):
                run(url, port, workers)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]))
    else:
        main()
