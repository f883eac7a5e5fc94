"""Waits of the main thread that still let a signal's handler run.

Python runs a signal's handler in the main thread, when that thread next runs Python code.
The kernel may deliver a signal sent to the process to any of its threads that does not
block it (libfaketime's thread-safe build, for one, blocks signals in a thread while it
reads the clock; native thread pools seldom block them); a main thread then blocked in one
long wait (``Thread.join()``, ``Event.wait()``) does not wake, and SIGTERM is handled only
when the wait ends. These waits look every ``SIGNAL_LOOK_SECONDS`` instead.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

#: How long the main thread waits at most before it runs the handlers of pending signals.
SIGNAL_LOOK_SECONDS = 0.1


def join_all(threads: Iterable[threading.Thread]) -> None:
    """Wait until every one of ``threads`` has ended."""
    for t in threads:
        while t.is_alive():
            t.join(SIGNAL_LOOK_SECONDS)


def wait_for(event: threading.Event) -> None:
    """Wait until ``event`` is set (by a signal's handler, say)."""
    while not event.wait(SIGNAL_LOOK_SECONDS):
        pass
