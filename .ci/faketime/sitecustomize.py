"""Loaded (through PYTHONPATH) only by the shifted-clock test run in `.ci/run`.

That run fakes the wall clock with libfaketime and keeps the monotonic clock real
(FAKETIME_DONT_FAKE_MONOTONIC=1), as a real machine on another date would have it. libfaketime
0.9.10 then rejects the absolute monotonic deadline of ``clock_nanosleep``, which is how
Python 3.11's ``time.sleep`` waits (EINVAL). This replaces ``time.sleep`` by an equivalent
timed wait on a lock, which libfaketime leaves alone. It changes no clock reading.
"""

import os
import threading
import time

if "faketime" in os.environ.get("LD_PRELOAD", ""):

    def _sleep(seconds: float) -> None:
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        threading.Event().wait(seconds)

    time.sleep = _sleep
