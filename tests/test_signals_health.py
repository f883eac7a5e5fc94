"""Data health: a SimplifyJobs-shaped season rollover, ingest reports, composition shares."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from newsletter.config import Config
from newsletter.data.pipeline import build_signals
from newsletter.data.snapshots import report_path
from newsletter.errors import SnapshotError
from tests.conftest import posting
from tests.signals_support import run


def _rollover() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Shaped like SimplifyJobs 2024-08-25 -> 2024-09-01: 855 open, 810 removed, 102 new."""

    def row(i: int) -> dict[str, Any]:
        # one big company (35 postings) and many small ones, as on the real list
        company = "BigCo" if i < 35 else f"Company {i % 400}"
        return posting(f"s{i}", source="simplify", company=company, fingerprint=f"fp{i}")

    before = [row(i) for i in range(855)]
    after = before[810:] + [row(10_000 + i) for i in range(102)]
    return before, after


def test_mass_removal_counts_and_warning() -> None:
    before, after = _rollover()
    s = run([before, after])
    t = s.totals
    assert (t.open_prev, t.open, t.removed, t.new, t.continuing) == (855, 147, 810, 102, 45)
    assert t.net_change == -708
    assert t.removed_in_drops == 810  # each removal counted once, source and company overlap
    kinds = {(w.kind, w.name): w for w in s.data_health.warnings}
    src = kinds[("source_drop", "simplify")]
    assert (src.before, src.after, src.removed, src.new) == (855, 147, 810, 102)
    assert "810 of its 855" in src.message and "not a market move" in src.message
    assert ("company_drop", "BigCo") in kinds  # 35 postings, all removed
    assert all(w.before >= 20 for w in s.data_health.warnings)


def test_no_warning_for_ordinary_churn_or_small_groups() -> None:
    before = [posting(str(i), company="Big", source="big") for i in range(40)]
    before += [posting(f"t{i}", company="Tiny", source="tiny") for i in range(10)]
    # Big loses exactly half (20 of 40): not more than half; Tiny loses all 10 (< 20 postings)
    after = before[20:40] + [posting(f"n{i}", company="Big", source="big") for i in range(5)]
    s = run([before, after])
    assert s.data_health.warnings == []
    assert s.totals.removed_in_drops == 0


def test_composition_shares() -> None:
    rows = [
        posting("1", category="Other", metro=None, remote=False),
        posting("2", metro=None, remote=True, work_mode="remote"),
        posting("3", currency="USD", salary_mid=100_000.0),
        posting("4", seniority=None),
    ]
    h = run([rows]).data_health
    assert h.share_other_category == 0.25
    assert h.share_unknown_metro == 0.25  # remote postings have no metro by design
    assert h.share_without_pay == 0.75
    assert h.share_unknown_seniority == 0.25


def test_the_issue_says_how_much_pay_the_usd_figures_leave_out() -> None:
    """A third of the postings pay in euros: the medians are of the USD ones only, and the
    issue said nowhere that other currencies were left out. Its coverage line now does; a
    week paid in USD alone says nothing of it."""
    from newsletter.config import parse_config
    from newsletter.edition.view import build_view

    def paid(i: int, currency: str) -> dict[str, Any]:
        mid = 100_000.0 + 1_000 * i
        return posting(str(i), currency=currency, salary_min=mid, salary_max=mid, salary_mid=mid)

    rows = [paid(i, "EUR" if i % 3 == 0 else "USD") for i in range(60)]
    s = run([rows])
    assert s.data_health.share_non_usd_pay == pytest.approx(1 / 3)
    health = build_view(s, parse_config({})).health
    coverage = next(line for line in health if line.startswith("Coverage:"))
    assert coverage.endswith("33% with pay in another currency (not in the USD figures).")
    usd = run([[paid(i, "USD") for i in range(60)]])
    assert not any("another currency" in line for line in build_view(usd, parse_config({})).health)


def test_a_week_without_postings_has_no_shares_and_no_nan_in_the_issue() -> None:
    from newsletter.config import parse_config
    from newsletter.edition.issue import render_issue

    s = run([[posting(str(i)) for i in range(40)], []])
    h = s.data_health
    assert (s.totals.open, s.totals.removed) == (0, 40)
    shares = (h.share_other_category, h.share_unknown_metro, h.share_without_pay)
    assert shares == (None, None, None) and h.share_unknown_seniority is None
    issue = render_issue(s, parse_config({"newsletter": {"postal_address": "1 Main St"}}))
    assert "NaN" not in issue.html and "NaN" not in issue.text
    assert "Coverage:" not in issue.text


def test_ingest_report_is_read_when_present(
    make_snapshots: Callable[[dict[date, list[dict[str, Any]]]], Path], config: Config
) -> None:
    w1, w2 = date(2026, 11, 16), date(2026, 11, 23)
    snaps = make_snapshots({w1: [posting("a")], w2: [posting("a"), posting("b")]})
    assert build_signals(config, None, snaps).data_health.ingest_rows_read is None
    report = {
        "rows_read": 10,
        "kept": 2,
        "rejected": 5,
        "rejected_by_reason": {"missing_title": 4, "bad_url": 1},
        "duplicates": 3,
        "salary_unparsed": 1,
        "salary_out_of_range": 0,
    }
    path = report_path(snaps, w2)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(report))
    h = build_signals(config, None, snaps).data_health
    assert (h.ingest_rows_read, h.ingest_kept, h.ingest_rejected, h.ingest_duplicates) == (
        10,
        2,
        5,
        3,
    )
    assert h.ingest_rejected_by_reason == {"missing_title": 4, "bad_url": 1}
    path.write_text("{not json")
    with pytest.raises(SnapshotError, match="cannot read ingest report"):
        build_signals(config, None, snaps)


def test_older_snapshot_with_a_wrong_column_type_is_one_clear_error(
    make_snapshots: Callable[[dict[date, list[dict[str, Any]]]], Path], config: Config
) -> None:
    import polars as pl

    weeks = [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)]
    snaps = make_snapshots({w: [posting("a")] for w in weeks})
    bad = pl.read_parquet(snaps / "2026-11-02.parquet").with_columns(pl.lit(1).alias("skills"))
    bad.write_parquet(snaps / "2026-11-02.parquet")
    with pytest.raises(SnapshotError, match="column skills is"):
        build_signals(config, None, snaps)


def test_outage_then_return_is_flagged_both_weeks() -> None:
    """A scrape gap: 60 of 100 postings vanish for a week, then come back."""
    full = [posting(str(i), source="board", fingerprint=f"f{i}") for i in range(100)]
    gap = full[:40]
    dropped = run([full, gap])
    assert [w.kind for w in dropped.data_health.warnings] == ["source_drop", "company_drop"]
    assert dropped.totals.removed == dropped.totals.removed_in_drops == 60
    back = run([full, gap, full])
    assert (back.totals.new, back.totals.returned) == (60, 60)
    warning = back.data_health.warnings[0]
    assert warning.kind == "returned" and "not new roles" in warning.message
    # before/after mean what they mean for every warning: open postings last and this week
    assert (warning.before, warning.after, warning.new, warning.removed) == (40, 100, 60, 0)


def test_a_missing_week_is_said_and_no_weekly_rate_is_claimed() -> None:
    """Snapshots of weeks 0-4, then week 6 (week 5 never collected): 30 new postings a week,
    then 60 over two weeks. That is no rise, and the issue must not read as one week."""
    from datetime import timedelta

    from newsletter.config import parse_config
    from newsletter.data.signals import compute_signals
    from newsletter.data.signals.diff import WeekFrame
    from newsletter.edition.issue import render_issue
    from tests.conftest import frame
    from tests.signals_support import week

    def stock(n_weeks: int) -> list[dict[str, Any]]:  # 300 open, 30 replaced a week
        first = 30 * n_weeks
        return [posting(str(i)) for i in range(first, first + 300)]

    weeks = [0, 1, 2, 3, 4, 6]
    frames = [frame(stock(w)) for w in weeks]
    history = [WeekFrame(week(w), f.lazy()) for w, f in zip(weeks[:-2], frames[:-2], strict=True)]
    s = compute_signals(
        frames[-1], frames[-2], week=week(6), previous_week=week(4), history=history
    )
    assert (s.totals.new, s.totals.removed) == (60, 60)
    gaps = [w for w in s.data_health.warnings if w.kind == "snapshot_gap"]
    assert len(gaps) == 1 and "2 weeks earlier (1 week without a snapshot)" in gaps[0].message
    assert s.totals.new_rate_ratio is None
    assert any(line.startswith("totals.new_rate_ratio: the previous snapshot is 2 weeks old")
               for line in s.data_health.suppressed)  # fmt: skip
    text = " ".join(render_issue(s, parse_config({})).text.split())
    assert "Every change below compares with the snapshot of" in text
    assert "2 weeks earlier" in text and "a week earlier" not in text
    # consecutive weeks: no such warning, and the rate ratio is computed
    s = compute_signals(
        frames[-2], frames[-3], week=week(4), previous_week=week(4) - timedelta(7),
        history=history[:-1],
    )  # fmt: skip
    assert not [w for w in s.data_health.warnings if w.kind == "snapshot_gap"]
    assert s.totals.new_rate_ratio is not None


def test_below_the_gates_the_issue_says_so_and_counts_only_this_week() -> None:
    from newsletter.config import parse_config
    from newsletter.edition.issue import render_issue

    before = [posting(f"a{i}", metro="Austin, TX") for i in range(3)] + [
        posting(f"b{i}", metro="Boston, MA") for i in range(2)
    ]
    s = run([before, [posting("c0", metro="Austin, TX", salary_mid=None, currency=None)]])
    assert "metros: 1 metro(s) with fewer than 30 open" in s.data_health.suppressed  # not Boston
    text = " ".join(render_issue(s, parse_config({})).text.split())
    assert "This week: 1 open posting." in text
    assert "1 deduplicated open posting," in text
    assert "no company had 5 or more open roles this week" in text
    assert "no metro we track had 30 or more open roles this week" in text


def test_one_employer_posting_most_new_roles_is_a_warning_not_a_skill_trend() -> None:
    """270 new roles from one company (its template names Python, never SQL) made Python
    'the week's fastest-rising skill' and SQL fade: the week's moves were one employer's."""
    from tests.conftest import posting
    from tests.signals_support import run

    prev = [
        posting(f"p{i}", company=f"Co{i % 20}", skills=["SQL", "Python"][: 1 + i % 2])
        for i in range(400)
    ]
    new = [posting(f"m{i}", company="MegaCorp", skills=["Python"]) for i in range(270)]
    s = run([prev, prev[40:] + new])
    warning = [w for w in s.data_health.warnings if w.kind == "new_concentration"]
    assert [(w.name, w.new) for w in warning] == [("MegaCorp", 270)]
    assert "posted 270 of this week's 270 new postings (100%)" in warning[0].message
    assert "not in last week's data" in warning[0].message
    assert not s.skills.rising and not s.skills.falling
    held = [x for x in s.data_health.suppressed if x.startswith("skills.rising/falling")]
    assert held and "one company posted 100% of this week's new postings" in held[0]
    assert s.skills.held == ["Python", "SQL"]
    # the issue says the moves are held back (not "no skill moved"), the week is no calm one,
    # and a company new to the data is no spotlight "hiring move"
    from newsletter.config import parse_config
    from newsletter.edition.headline import is_quiet
    from newsletter.edition.view import build_view

    config = parse_config({})
    view = build_view(s, config)
    assert view.top_skills is not None and view.top_skills.note.startswith(
        "Skill moves are held back this week: one company posted most"
    )
    assert not is_quiet(s, config)
    assert s.company_detail.spotlight is None or s.company_detail.spotlight.name != "MegaCorp"


def test_a_skill_one_company_brings_is_not_a_rising_skill() -> None:
    from tests.conftest import posting
    from tests.signals_support import run

    prev = [posting(f"p{i}", company=f"Co{i % 25}", skills=["SQL"]) for i in range(500)]
    spread = [posting(f"n{i}", company=f"Co{i % 25}", skills=["SQL"]) for i in range(150)]
    one = [posting(f"m{i}", company="Co1", skills=["SQL", "Rust"]) for i in range(40)]
    s = run([prev, prev[190:] + spread + one])  # Co1: 40 + 6 of 190 new (24%): no warning
    assert not [w for w in s.data_health.warnings if w.kind == "new_concentration"]
    assert "Rust" not in [m.name for m in s.skills.rising]
    assert any("Rust (their new postings came mostly" in x for x in s.data_health.suppressed)


def test_one_role_on_two_sources_is_counted_and_said() -> None:
    """200 identical postings from two sources with different ids: kept twice (the ids
    differ), but counted and said, where the issue only said 'deduplicated'."""
    from newsletter.config import parse_config
    from newsletter.edition.view import build_view
    from tests.conftest import posting
    from tests.signals_support import run

    a = [posting(f"a{i}", source="a", fingerprint=f"fp{i}", company=f"C{i}") for i in range(200)]
    b = [posting(f"b{i}", source="b", fingerprint=f"fp{i}", company=f"C{i}") for i in range(200)]
    own = [posting(f"c{i}", source="a", fingerprint=f"own{i}") for i in range(200)]
    s = run([a + own, a + b + own])
    assert s.data_health.cross_source == 400
    lines = build_view(s, parse_config({})).health
    assert any(
        line.startswith("400 open postings share company, title and place") for line in lines
    )
    assert run([own, own]).data_health.cross_source is None


def test_a_share_of_a_warning_that_is_not_all_never_reads_100_percent(
    email_config: Config,
) -> None:
    """249 of a company's 250 postings removed read "(100%; ...)", and one company posting
    299 of the week's 300 new postings "(100%)" (also in the skills held back): each is
    ">99%" now, in the signals and in the issue's data-health note."""
    from newsletter.edition.view import build_view

    prev = [posting(f"b{i}", company="BigCo", source="big", skills=["SQL"]) for i in range(250)]
    prev += [
        posting(f"p{i}", company=f"Co{i % 10}", source="small", skills=["SQL"]) for i in range(100)
    ]
    new = [
        posting(f"m{i}", company="MegaCorp", source="small", skills=["Python"]) for i in range(299)
    ]
    s = run([prev, [prev[0], *prev[290:], *new, posting("o", company="Co1", source="small")]])
    drop = {w.name: w.message for w in s.data_health.warnings if w.kind == "company_drop"}
    assert "249 of its 250 postings were removed at once (>99%; 0 new, 1 open now)" in drop["BigCo"]
    (many,) = [w.message for w in s.data_health.warnings if w.kind == "new_concentration"]
    assert "MegaCorp posted 299 of this week's 300 new postings (>99%)" in many
    (held,) = [x for x in s.data_health.suppressed if x.startswith("skills.rising/falling")]
    assert "one company posted >99% of this week's new postings" in held
    health = [x for x in build_view(s, email_config).health if x.startswith("Data health:")]
    assert len(health) == 3 and all("(>99%" in x and "100%" not in x for x in health)
