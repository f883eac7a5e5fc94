"""Run the `newsletter` CLI in a subprocess at a chosen instant, the clock ticking from there.

    python tests/clockrun.py 2026-11-23T09:00:00+00:00 --config cfg.toml schedule

For tests of real processes (the scheduler in the foreground) that must not depend on the
date they run on: time-machine moves every clock the process reads (ours through
``SystemClock``, APScheduler's own) to the given instant.
"""

from __future__ import annotations

import sys
from datetime import datetime

import time_machine

from newsletter.cli import main

if __name__ == "__main__":
    instant = datetime.fromisoformat(sys.argv[1])
    sys.argv = ["newsletter", *sys.argv[2:]]
    with time_machine.travel(instant, tick=True):
        main()
