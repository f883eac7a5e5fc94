"""The processes ``newsletter send --workers N`` starts on its own host to help it.

Each is a ``newsletter send-worker`` with the same config file and secrets (passed in its
environment), told the week and the coordinator's run id, so that it waits for that run
and helps with it only. They are ordinary workers: one that dies costs what any worker's
death costs (:mod:`newsletter.send.claims`), and the coordinator's own threads take its rows
back. SIGTERM to the coordinator is passed on to them once its own calls in flight are
recorded; an error in the coordinator stops them the same way, and so does the end of the
run (they have nothing left to send).
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

from newsletter.config import Config, Secrets
from newsletter.errors import UsageError
from newsletter.util.clock import SYSTEM_CLOCK, Clock

#: Seconds a helper waits for the coordinator's run to start (it renders the issue first).
HELPER_WAIT = 300
#: Seconds the coordinator waits for its helpers to finish once the run has no row left.
HELPER_GRACE = 120


def helper_command(
    config: Config, week: date, run_id: str, now: datetime | None = None
) -> list[str]:
    """The command line of one helper; ``now``: the coordinator's instant when its clock is
    not the system's (``newsletter --now``), passed on so that every process of the send
    compares the leases on one clock (a helper on the real clock would take the rows a
    coordinator days behind it had just claimed, and send them twice)."""
    if config.path is None:
        raise UsageError("--workers starts processes that read the same config file: pass one")
    shifted = ["--now", now.isoformat()] if now is not None else []
    return [
        sys.executable,
        "-m",
        "newsletter",
        *shifted,
        "--config",
        str(config.path),
        "send-worker",
        "--week",
        week.isoformat(),
        "--run-id",
        run_id,
        "--wait",
        str(HELPER_WAIT),
    ]


@contextmanager
def helpers(
    config: Config,
    secrets: Secrets,
    *,
    week: date,
    run_id: str,
    count: int,
    clock: Clock = SYSTEM_CLOCK,
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` helper processes for the block, on ``clock``'s time; at its end they are
    stopped (SIGTERM) and waited for."""
    if count <= 0:
        yield []
        return
    now = None if clock is SYSTEM_CLOCK else clock.now()
    cmd = helper_command(config, week, run_id, now)
    env = secrets.environment()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(count):
            procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL))
        yield procs
    finally:
        # The block ends when the coordinator's run has no row left to attempt (every
        # outcome recorded, whoever sent it), or when it stopped or failed: either way a
        # helper has nothing more to send (one still rendering need not finish), and
        # SIGTERM lets one in a call record its outcome first.
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=HELPER_GRACE)
            except subprocess.TimeoutExpired:
                p.send_signal(signal.SIGTERM)
                p.wait()
