"""Kill a real `newsletter send` mid-run (SIGKILL, SIGTERM, SIGINT), re-run: no one skipped,
no one mailed two different messages. Raw duplicates (the same Message-ID delivered twice
because the kill landed between the server's 250 and the ledger commit) are counted: at most
one per kill.

The sends read the last two bundled snapshots (what a send of 2026-11-23 compares), not all
nine: each process publishes the folder's weeks to the web archive before it sends.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.config import load_config
from newsletter.send.ledger import SendLedger
from newsletter.store import open_store
from tests.delivery_support import Handler, Received, smtp_server
from tests.send_support import DUE_NOW, POSTAL, add_subscribers, parse, recent_snapshots

#: Enough that every interrupt lands mid-run (after 15 more messages each) with messages left
#: for the final run; the property does not depend on the count.
N = 60


@dataclass
class Slow(Handler):
    """Takes a little time per message (before accepting), so kills land mid-run; a test
    may set ``delay`` to 0 once its interrupts are done."""

    delay: float = 0.015

    async def handle_DATA(  # noqa: N802 - aiosmtpd hook name
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        await asyncio.sleep(self.delay)
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content))
        )
        return f"250 2.0.0 Ok: queued as Q{len(self.received)}"


def _config_file(tmp_path: Path, port: int) -> Path:
    p = tmp_path / "config.toml"
    p.write_text(
        f'[newsletter]\npostal_address = "{POSTAL}"\nbase_url = "https://news.example.com"\n'
        f'[data]\nsnapshots_dir = "{recent_snapshots(tmp_path)}"\n'
        f'[database]\nurl = "sqlite:///{tmp_path / "newsletter.db"}"\n'
        f'[delivery]\nprovider = "smtp"\nconcurrency = 1\n'
        f'[delivery.smtp]\nhost = "127.0.0.1"\nport = {port}\n',
        encoding="utf-8",
    )
    return p


#: The send of the latest bundled week.
SEND = ("send", "--week", "2026-11-23")


def _start(cfg: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "NEWSLETTER_SECRET_KEY": "kill-test-secret"}
    return subprocess.Popen(
        [sys.executable, "-m", "newsletter", *DUE_NOW, "--config", str(cfg), *SEND],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=cfg.parent,
    )


def _wait_for(handler: Slow, at: int, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + 90  # a hang guard, not a timing assertion (slow CI machines)
    while len(handler.received) < at:
        if proc is not None and proc.poll() is not None:
            _out, err = proc.communicate()  # closes the pipe
            pytest.fail(f"the send ended (exit {proc.returncode}) early: {err.decode()}")
        assert time.monotonic() < deadline, "the send did not progress"
        time.sleep(0.002)


def _interrupt(proc: subprocess.Popen[bytes], handler: Slow, at: int, sig: int) -> None:
    try:
        _wait_for(handler, at, proc)
        proc.send_signal(sig)
    finally:
        proc.communicate(timeout=20)  # waits and closes the pipe


def _check(cfg: Path, handler: Slow) -> int:
    """Everyone got the issue, each under one Message-ID; returns the raw duplicate count."""
    ids: dict[str, list[str]] = defaultdict(list)
    for r in handler.received:
        ids[r.rcpt_tos[0]].append(parse(r.content)["Message-ID"])
    config = load_config(cfg)
    with open_store(config) as db:
        rows = SendLedger(db).rows("2026-W48")
    assert len(rows) == N and {r["status"] for r in rows} == {"sent"}
    assert set(ids) == {str(r["email"]) for r in rows}
    for r in rows:
        assert set(ids[str(r["email"])]) == {r["message_id"]}, "two different messages"
    return sum(len(v) - 1 for v in ids.values())


def _run(tmp_path: Path, signals: list[int]) -> tuple[int, list[int]]:
    """A send interrupted by each of ``signals`` in turn (each run resumed by the next one,
    15 messages after it starts sending), then run to the end: (raw duplicates, exit codes
    of the interrupted runs)."""
    handler = Slow()
    with smtp_server(handler) as (_host, port):
        cfg = _config_file(tmp_path, port)
        add_subscribers(load_config(cfg), N)
        codes = []
        for sig in signals:
            proc = _start(cfg)
            _interrupt(proc, handler, len(handler.received) + 15, sig)
            codes.append(proc.returncode)
        final = _start(cfg)
        _out, err = final.communicate(timeout=60)
        assert final.returncode == 0, err.decode()
        return _check(cfg, handler), codes


def test_sigkill_mid_run_then_rerun_completes_without_skips(tmp_path: Path) -> None:
    """Killed twice: the second kill hits a run that resumed the first one's."""
    kills = 2
    duplicates, codes = _run(tmp_path, [signal.SIGKILL] * kills)
    assert codes == [-signal.SIGKILL] * kills
    print(f"raw duplicates after {kills} SIGKILLs: {duplicates}")
    assert duplicates <= kills


def test_sigterm_and_sigint_stop_gracefully_and_are_exactly_once(tmp_path: Path) -> None:
    """A SIGTERM, then a SIGINT (Ctrl-C) to the run that resumed it: each stops after the
    calls in flight."""
    duplicates, codes = _run(tmp_path, [signal.SIGTERM, signal.SIGINT])
    assert codes == [3, 3]  # incomplete: run again
    assert duplicates == 0


def test_sigterm_caught_by_another_thread_still_stops_the_send(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kernel may hand a process's SIGTERM to any thread that does not block it; Python
    then runs the handler only when the main thread runs again. The send's main thread waits
    for its sending threads in short steps, so the send still stops after the calls in
    flight (it would otherwise go on to the last recipient)."""
    assert threading.current_thread() is threading.main_thread()  # handlers install here
    handler = Slow()
    with smtp_server(handler) as (_host, port):
        cfg = _config_file(tmp_path, port)
        add_subscribers(load_config(cfg), N)
        monkeypatch.setenv("NEWSLETTER_SECRET_KEY", "kill-test-secret")

        def from_another_thread() -> None:
            _wait_for(handler, 15)
            signal.pthread_kill(threading.get_ident(), signal.SIGTERM)

        killer = threading.Thread(target=from_another_thread, daemon=True)
        killer.start()
        args = [*DUE_NOW, "--config", str(cfg), *SEND]
        result = CliRunner().invoke(app, args)
        killer.join(timeout=90)
    assert result.exit_code == 3, result.output  # incomplete: stopped, run again
    assert "stopped before the end" in result.output
    assert len(handler.received) < N
