"""Real SimplifyJobs weeks end to end: ingest all ten snapshots, then signals and the email of
the 2024-09-01 season rollover (810 of 855 open roles closed at once, 102 opened).
Skips where ../shared is absent."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from newsletter.config import Config
from newsletter.data.ingest import ingest
from newsletter.data.ingest.rules import Rules
from newsletter.data.ingest.run import write
from newsletter.data.pipeline import build_signals
from newsletter.data.signals.models import Signals
from newsletter.edition.issue import compile_issue
from tests.conftest import NOW


@pytest.fixture(scope="module")
def rollover(shared_real: Path, ingest_rules: Rules, tmp_path_factory: pytest.TempPathFactory
             ) -> tuple[Path, Signals]:  # fmt: skip
    snaps = tmp_path_factory.mktemp("simplify") / "snapshots"
    for path in sorted((shared_real / "simplifyjobs-new-grad").glob("listings_*.json")):
        week = date.fromisoformat(path.stem.removeprefix("listings_"))
        write(ingest([path], week, ingest_rules, now=NOW), snaps, week)
    return snaps, build_signals(Config(), date(2024, 9, 1), snaps)


def test_mass_removal_counted_and_flagged(rollover: tuple[Path, Signals]) -> None:
    _, s = rollover
    assert (s.week, s.previous_week) == (date(2024, 8, 26), date(2024, 8, 19))
    t = s.totals
    assert (t.open, t.open_prev, t.new, t.removed) == (147, 855, 102, 810)
    assert t.continuing == 45 and t.net_change == -708
    assert t.removed_in_drops == 810
    drops = [w for w in s.data_health.warnings if w.kind == "source_drop"]
    assert [(w.name, w.before, w.after) for w in drops] == [("simplify", 855, 147)]
    # The ingest report's closed listings are accounted for, not mistaken for bad rows.
    assert s.data_health.ingest_rejected_by_reason == {"closed": 969}
    assert s.pay.median is None and s.pay.n == 0  # SimplifyJobs lists no pay


def test_the_email_calls_it_a_rollover_not_a_market_move(
    rollover: tuple[Path, Signals],
) -> None:
    _, s = rollover
    body = compile_issue(s, Config()).public().text
    assert max(len(line) for line in body.splitlines()) <= 78  # wrapped; no URL is that long
    text = " ".join(body.split())  # the phrases below may span a wrapped line
    assert "810 of the removals came at once from source simplify" in text
    assert "rather than a market move" in text
    assert "969 closed or hidden listings skipped, 0 rejected as invalid" in text
    assert "No posting discloses annual USD pay" in text
    # No disclosed pay: each pay table is one line that says why, not rows of dashes.
    assert "PAY TIERS BY ROLE: no posting disclosed annual USD pay this week." in text
    assert "PAY TIERS BY SENIORITY: no posting disclosed annual USD pay this week." in text
    assert "$" not in body.split("PAY TIERS BY ROLE")[1].split("RISING SKILLS")[0]


def test_quiet_weeks_after_the_rollover_do_not_warn(rollover: tuple[Path, Signals]) -> None:
    snaps, _ = rollover
    later = build_signals(Config(), date(2024, 10, 20), snaps)
    assert later.totals.open == 136
    assert not [w for w in later.data_health.warnings if w.kind == "source_drop"]
