"""One send shared by three processes on PostgreSQL (a coordinator and two `send-worker`s),
against a real SMTP server: SIGKILL two of them mid-send, let the third finish the run, re-run
`send --workers 3`: everyone got the issue under one Message-ID. Raw duplicates (the same
Message-ID delivered twice because a kill landed between the server's 250 and the ledger
commit) are counted: at most one per killed process (one sending thread each). Under SIGTERM
there are none. SQLite refuses more than one sending process with one line.

The server is slow (30 ms a message) until the signals are sent, so that all three processes
are sending when they arrive; what is left after them goes at full speed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.config import load_config
from newsletter.send.ledger import SendLedger
from newsletter.store import open_store
from tests.delivery_support import smtp_server
from tests.send_support import DUE_NOW, POSTAL, add_subscribers, parse, recent_snapshots
from tests.test_send_kill import Slow
from tests.test_store_postgres import _fresh

N = 300
WEEK = "2026-11-23"


@dataclass
class Slower(Slow):
    """30 ms per message: one process alone would need ~9 s, so all three join in."""

    delay: float = 0.03


def _config_file(tmp_path: Path, port: int, url: str) -> Path:
    p = tmp_path / "config.toml"
    p.write_text(
        f'[newsletter]\npostal_address = "{POSTAL}"\nbase_url = "https://news.example.com"\n'
        f'[data]\nsnapshots_dir = "{recent_snapshots(tmp_path)}"\n'
        f'[database]\nurl = "{url}"\n'
        f'[delivery]\nprovider = "smtp"\nconcurrency = 1\nbatch = 10\n'
        f'[delivery.smtp]\nhost = "127.0.0.1"\nport = {port}\n',
        encoding="utf-8",
    )
    return p


def _start(cfg: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "NEWSLETTER_SECRET_KEY": "workers-test-secret"}
    return subprocess.Popen(
        [sys.executable, "-m", "newsletter", *DUE_NOW, "--config", str(cfg), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=cfg.parent,
    )


def _holders(engine: sa.Engine) -> int:
    """Workers holding claims right now."""
    try:
        with engine.connect() as conn:
            q = "SELECT count(DISTINCT claimed_by) FROM sends WHERE claimed_by IS NOT NULL"
            return int(conn.execute(sa.text(q)).scalar() or 0)
    except sa.exc.ProgrammingError:  # the tables are not there yet
        return 0


def _when_all_send(procs: list[subprocess.Popen[bytes]], handler: Slower, url: str) -> None:
    """Wait until all three processes hold claims and some mail went out (one pooled
    connection asks, not a new server process per look)."""
    deadline = time.monotonic() + 120  # a hang guard, not a timing assertion
    engine = sa.create_engine(url)
    try:
        while len(handler.received) < 20 or _holders(engine) < len(procs):
            for p in procs:
                assert p.poll() is None, p.stderr.read() if p.stderr else ""
            assert time.monotonic() < deadline, "the workers did not all start sending"
            time.sleep(0.01)
    finally:
        engine.dispose()


def _check(cfg: Path, handler: Slower) -> int:
    """Everyone got the issue, each under one Message-ID; returns the raw duplicate count."""
    ids: dict[str, list[str]] = defaultdict(list)
    for r in handler.received:
        ids[r.rcpt_tos[0]].append(parse(r.content)["Message-ID"])
    with open_store(load_config(cfg)) as db:
        ledger = SendLedger(db)
        rows = ledger.rows("2026-W48")
        record = ledger.issue("2026-W48")
    assert record is not None and record.status == "sent"
    assert len(rows) == N and {r["status"] for r in rows} == {"sent"}
    assert set(ids) == {str(r["email"]) for r in rows}
    for r in rows:
        assert set(ids[str(r["email"])]) == {r["message_id"]}, "two different messages"
    return sum(len(v) - 1 for v in ids.values())


def _three(cfg: Path) -> list[subprocess.Popen[bytes]]:
    worker = ("send-worker", "--week", WEEK, "--wait", "120")
    return [_start(cfg, "send", "--week", WEEK), _start(cfg, *worker), _start(cfg, *worker)]


@contextmanager
def _three_started(
    postgres_url: str, tmp_path: Path, name: str, handler: Slower
) -> Iterator[tuple[Path, str, list[subprocess.Popen[bytes]]]]:
    """A fresh database ``name`` with N subscribers, an SMTP server answering with ``handler``
    and the three processes of one send started: (config file, database URL, processes)."""
    url = _fresh(postgres_url, name)
    with smtp_server(handler) as (_host, port):
        cfg = _config_file(tmp_path, port, url)
        add_subscribers(load_config(cfg), N)
        yield cfg, url, _three(cfg)


def _rerun(cfg: Path) -> None:
    final = _start(cfg, "send", "--week", WEEK, "--workers", "3")
    _out, err = final.communicate(timeout=180)
    assert final.returncode == 0, err.decode()


@pytest.mark.postgres
def test_three_workers_sigkill_two_then_rerun_is_exactly_once(
    postgres_url: str, tmp_path: Path
) -> None:
    handler = Slower()
    with _three_started(postgres_url, tmp_path, "workers_kill", handler) as (cfg, url, procs):
        coordinator, first, second = procs
        _when_all_send(procs, handler, url)
        for p in (coordinator, first):
            p.send_signal(signal.SIGKILL)
        for p in (coordinator, first):
            p.communicate(timeout=20)
            assert p.returncode == -signal.SIGKILL
        handler.delay = 0.0
        before = len(handler.received)
        # the survivor takes the dead workers' rows back and ends the run
        _out, err = second.communicate(timeout=180)
        assert second.returncode == 0, err.decode()
        assert len(handler.received) > before
        with open_store(load_config(cfg)) as db:
            counts = SendLedger(db).counts("2026-W48")
        assert counts.remaining == 0  # no row left behind by the dead workers
        _rerun(cfg)
        duplicates = _check(cfg, handler)
    print(f"raw duplicates after 2 SIGKILLs of 3 workers: {duplicates}")
    assert duplicates <= 2


@pytest.mark.postgres
def test_three_workers_sigterm_stop_gracefully_and_exactly_once(
    postgres_url: str, tmp_path: Path
) -> None:
    handler = Slower()
    with _three_started(postgres_url, tmp_path, "workers_term", handler) as (cfg, url, procs):
        _when_all_send(procs, handler, url)
        for p in procs:
            p.send_signal(signal.SIGTERM)
        codes = []
        for p in procs:
            p.communicate(timeout=30)
            codes.append(p.returncode)
        assert codes == [3, 3, 3]  # each stopped with messages left: run again
        assert len(handler.received) < N
        handler.delay = 0.0
        _rerun(cfg)
        assert _check(cfg, handler) == 0


@pytest.mark.postgres
def test_an_account_refusal_in_one_worker_stops_them_all(postgres_url: str, tmp_path: Path) -> None:
    refused = "bo130@example.org"  # a row in the middle of the list
    handler = Slower(rcpt_reply=lambda a: "550 5.7.1 sender refused" if a == refused else None)
    with _three_started(postgres_url, tmp_path, "workers_refused", handler) as (cfg, _url, procs):
        errors = []
        for p in procs:
            _out, err = p.communicate(timeout=180)
            assert p.returncode != 0
            errors.append(err.decode())
    assert any("refused the sender" in e for e in errors), errors
    with open_store(load_config(cfg)) as db:
        ledger = SendLedger(db)
        record = ledger.issue("2026-W48")
        counts = ledger.counts("2026-W48")
    assert record is not None and record.status == "failed"
    assert record.last_error is not None and "refused the sender" in record.last_error
    # every process stopped: the rows after the refusal are left for the next run
    assert counts.remaining > 0 and len(handler.received) == counts.sent < N
    assert len({r.rcpt_tos[0] for r in handler.received}) == len(handler.received)


def test_sqlite_refuses_more_than_one_sending_process(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[newsletter]\npostal_address = "{POSTAL}"\n'
        f'[database]\nurl = "sqlite:///{tmp_path / "newsletter.db"}"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["--config", str(cfg), "send", "--workers", "2"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [
        "error: sending from several processes needs PostgreSQL ([database] url = "
        "'postgresql+psycopg://...'); on SQLite one process sends (--workers 1)"
    ]
    worker = CliRunner().invoke(app, ["--config", str(cfg), "send-worker"])
    assert worker.exit_code == 2 and "needs PostgreSQL" in worker.output
