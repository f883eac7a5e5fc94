"""The operations queries on a real PostgreSQL server (skipped where none is available)."""

from __future__ import annotations

import datetime as dt

import pytest

from newsletter.config import Secrets, parse_config
from newsletter.send.alerts import Alerter, make_alert
from newsletter.send.approval import Approvals
from newsletter.send.runs import RunHistory
from newsletter.store import open_database
from newsletter.util.clock import FixedClock
from tests.conftest import NOW
from tests.test_ops_units import reactions_scenario
from tests.test_store_postgres import _fresh

pytestmark = pytest.mark.postgres


def test_history_stats_alerts_and_approvals_on_postgres(postgres_url: str) -> None:
    url = _fresh(postgres_url, "ops")
    clock = FixedClock(NOW)
    with open_database(url) as db:
        reactions_scenario(db)
        history = RunHistory(db, clock, "schedule")
        with history.step("signals", dt.date(2026, 11, 23)) as step:
            step.counts.update(open=12, median_pay=150000.0)
        (run,) = history.latest_ok("signals")
        assert run.counts == {"open": 12, "median_pay": 150000.0} and run.trigger == "schedule"
        config = parse_config({"database": {"url": url}, "alerts": {"email": ["e@example.com"]}})
        sent: list[int] = []

        class Refusing:  # a provider that takes nothing: the claim must still hold
            def __enter__(self) -> Refusing:
                return self

            def __exit__(self, *_exc: object) -> None:
                pass

            def send_batch(self, messages: list[object]) -> list[object]:
                sent.append(len(messages))
                raise RuntimeError("provider down")

        alerter = Alerter(config, Secrets(), db, clock, sender_factory=Refusing)  # type: ignore[arg-type]
        alert = make_alert("send_late", dt.date(2026, 11, 23), "late")
        statuses = [alerter.fire([alert])[0].status for _ in range(4)]
        assert statuses == ["failed", "failed", "failed", "skipped"] and sent == [1, 1, 1]
        approvals = Approvals(db, clock)
        record = approvals.request(
            "2026-W48", dt.date(2026, 11, 23), "d", NOW + dt.timedelta(hours=1)
        )
        assert approvals.claim_preview("2026-W48") and not approvals.claim_preview("2026-W48")
        assert approvals.approve("2026-W48", "link", record.link_key) == "approved"
