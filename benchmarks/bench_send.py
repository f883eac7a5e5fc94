"""Full `send` path benchmark: 10,000 subscribers in a real SQLite store, the bundled week's
issue, ledger writes included (freeze, per-call outcome commits, finish).

1. the ``file`` provider (one .eml per subscriber, atomic writes);
2. SMTP to an aiosmtpd server on loopback (a child process, see bench_delivery.py).

Prints messages per second for each. Figures are noisy on a shared machine.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
N = 10_000


def _config(tmp: Path, **delivery: Any) -> Any:
    from newsletter.config import parse_config

    return parse_config(
        {
            "newsletter": {
                "postal_address": "AI Jobs Weekly, 548 Market St #12345, San Francisco, CA 94104",
                "base_url": "https://news.example.com",
            },
            "data": {"snapshots_dir": str(ROOT / "snapshots"), "state_dir": str(tmp)},
            "database": {"url": f"sqlite:///{tmp / 'newsletter.db'}"},
            "delivery": {"outbox_dir": str(tmp / "outbox")} | delivery,
        }
    )


def _subscribers(config: Any, n: int = N) -> None:
    import sqlalchemy as sa

    from newsletter.audience.subscribers import Consent, new_row
    from newsletter.models import Preferences
    from newsletter.store import open_store, subscribers
    from newsletter.util.clock import SYSTEM_CLOCK

    now = SYSTEM_CLOCK.now()
    consent = Consent(at=now, source="import", text="benchmark")
    prefs = [Preferences(), Preferences(metros=("Seattle",)), Preferences(seniority=("senior",))]
    rows = [
        new_row(
            f"reader{i}@example.org",
            name=f"Reader {i}",
            status="active",
            preferences=prefs[i % 3],
            consent=consent,
            now=now,
        )
        for i in range(n)
    ]
    with open_store(config) as db, db.write() as conn:
        conn.execute(sa.insert(subscribers), rows)


def run(label: str, config: Any) -> None:
    from newsletter.audience.subscribers import SubscriberStore
    from newsletter.config import Secrets
    from newsletter.send.service import link_signer, prepare_issue, send_issue
    from newsletter.store import open_store

    _subscribers(config)
    prepared = prepare_issue(config, dt.date(2026, 11, 23))
    with open_store(config) as db:
        store = SubscriberStore(db)
        signer, _dev = link_signer(config, Secrets(), "dry-run")
        t0 = time.perf_counter()
        recipients = store.active_recipients(signer, config.newsletter.base_url)
        report = send_issue(config, prepared, store, recipients)
        total = time.perf_counter() - t0
    assert report.sent == N and report.complete, report
    print(
        f"  {label:<34} {N:,} msgs in {total:5.1f} s = {N / total:7,.0f} msg/s "
        f"(recipients + freeze + send + ledger; concurrency {config.delivery.concurrency})"
    )


def main() -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_delivery import child

    print(f"send benchmark: {N:,} subscribers, full send path incl. SQLite ledger")
    with tempfile.TemporaryDirectory() as tmp:
        run("file provider (outbox .eml)", _config(Path(tmp)))
    with child("--serve-smtp") as port, tempfile.TemporaryDirectory() as tmp:
        smtp = {"host": "127.0.0.1", "port": port}
        run("smtp -> aiosmtpd (loopback)", _config(Path(tmp), provider="smtp", smtp=smtp))


if __name__ == "__main__":
    main()
