"""Counts of one and weeks with nothing to compare, from real snapshots through `preview`."""

from __future__ import annotations

import re
import shutil
from datetime import date
from html import unescape
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.data.snapshots import write_snapshot
from tests.conftest import REPO, frame, posting

WEEK, PREV = date(2026, 11, 23), date(2026, 11, 16)


def _preview(
    tmp_path: Path, weeks: dict[date, list[dict[str, Any]]], config: str = ""
) -> tuple[str, str]:
    """The issue's HTML (tags dropped, spaces joined) and text (lines joined)."""
    snaps = tmp_path / "snapshots"
    for week, rows in weeks.items():
        write_snapshot(frame(rows), snaps, week)
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[data]\nsnapshots_dir = "{snaps}"\nstate_dir = "state"\n'
        f'[database]\nurl = "sqlite:///{tmp_path / "n.db"}"\n{config}',
        encoding="utf-8",
    )
    out = tmp_path / "out" / "issue.html"
    args = ["--config", str(cfg), "preview", "--snapshots", str(snaps), "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    html = re.sub(r"<[^>]+>", " ", out.read_text(encoding="utf-8"))
    html = re.sub(r"[\s\u00a0]+", " ", unescape(html))
    text = re.sub(r"\s+", " ", out.with_suffix(".txt").read_text(encoding="utf-8"))
    return html, text


def test_one_new_posting_and_one_repost_are_counted_in_the_singular(tmp_path: Path) -> None:
    before = [posting(f"a{i}", company=f"Co{i % 4}") for i in range(40)]
    # a0 closed; a repost of it (same fingerprint, new id) and one genuinely new posting
    now = [*before[1:], posting("b1", company="Co1"), posting("rep", fingerprint="fp-a0")]
    html, text = _preview(tmp_path, {PREV: before, WEEK: now})
    for body in (html, text):
        assert "(2 new, 1 of them a repost, and 1 removed)" in body
        assert "1 repost excluded" in body
        assert (
            "New this week counts 2 postings not in last week's snapshot, "
            "less 1 repost of recently removed roles." in body
        )
        assert "reposts" not in body.replace("of them reposts", "")
    html, text = _preview(tmp_path / "one", {PREV: before, WEEK: [*before, posting("b1")]})
    for body in (html, text):
        assert "New this week counts 1 posting not in last week's snapshot." in body


def test_one_more_company_drop_is_one_company(tmp_path: Path) -> None:
    """Four companies lose over half their postings at once: three are named, the fourth is
    "1 more company", not "1 more companies"."""
    before = [posting(f"a{i}", company=f"Co{i % 5}") for i in range(125)]
    now = [p for i, p in enumerate(before) if i % 5 == 4 or i < 25]
    html, text = _preview(tmp_path, {PREV: before, WEEK: now})
    for body in (html, text):
        assert body.count("Data health: Company Co") == 3
        assert "Data health: 1 more company lost over half their postings at once" in body
        assert "more companies" not in body


def test_the_first_week_has_no_count_of_new_postings(tmp_path: Path) -> None:
    """With no earlier snapshot nothing is new or removed against it: the tile says "first
    week" like the open roles' change, not "0 · 0 removed" beside a headline that says the
    changes start next week."""
    html, text = _preview(tmp_path, {WEEK: [posting(f"a{i}") for i in range(30)]})
    assert "New this week: — · first week" in text
    assert "New this week — first week" in html
    for body in (html, text):
        assert "week-over-week changes start next week" in body
        assert "0 removed" not in body


def test_the_first_week_prints_no_column_of_changes_it_cannot_have(tmp_path: Path) -> None:
    """With no earlier snapshot the most-requested skills and who is hiring had a change
    column of dashes only, under notes about "last week", while the issue's own legend says
    a dash is a figure held back with its n: the first week has no such column."""
    rows = [posting(f"a{i}", company=f"Co{i % 2}", skills=["Python", "SQL"]) for i in range(30)]
    html, text = _preview(tmp_path, {WEEK: rows})
    assert "- Co0: Open roles 15" in text and "Python: Share 100.0% · Postings 30" in text
    for body in (html, text):
        assert "Net change" not in body and "Change —" not in body
        assert "last week's share" not in body and "net change on last week" not in body


def _rust_weeks() -> dict[date, list[dict[str, Any]]]:
    """100 postings closed (10 naming Rust) and 100 new (60 naming Rust): open roles held at
    400, one skill tested (Python is in all), and Rust rises."""
    before = [
        posting(f"a{i}", company=f"Co{i % 20}", skills=["Python", *(["Rust"] * (i % 10 == 0))])
        for i in range(400)
    ]
    new = [
        posting(f"b{i}", company=f"Co{i % 20}", skills=["Python", *(["Rust"] * (i < 60))])
        for i in range(100)
    ]
    return {PREV: before, WEEK: before[100:] + new}


def test_a_quiet_week_with_a_move_it_allows_does_not_say_nothing_moved(tmp_path: Path) -> None:
    """``[email] quiet_max_movers = 1`` keeps the quiet variant for a week with one skill move:
    the move is named, and neither the headline nor the skills table says no skill moved."""
    html, text = _preview(tmp_path, _rust_weeks(), "[email]\nquiet_max_movers = 1\n")
    for body in (html, text):
        assert "A quiet week: open roles held at 400 (±0)." in body
        assert "Rust is the week's fastest-rising skill (60.0% of new postings" in body
        assert "moved beyond noise" not in body


def test_one_skill_tested_is_one_skill(tmp_path: Path) -> None:
    html, text = _preview(tmp_path, _rust_weeks())
    for body in (html, text):
        assert "compare this week's 100 new postings with the 100 that closed" in body
        assert "ranked by z (1 skill tested)." in body
        assert "stands out among the 1 candidate move tested together this week" in body


def test_a_level_with_no_posting_left_stays_in_the_mix_with_its_fall(tmp_path: Path) -> None:
    """Last week a third of the postings were entry level, this week none: the mix shows
    "Entry 0% (−33.3 pp)" so its changes add up to zero, instead of two levels that gained
    33.3 pp between them out of nowhere."""
    before = [posting(f"a{i}", seniority=("entry", "mid", "senior")[i % 3]) for i in range(90)]
    now = [p for p in before if p["seniority"] != "entry"]
    now += [posting(f"b{i}", seniority="mid") for i in range(5)]
    html, text = _preview(tmp_path, {PREV: before, WEEK: now})
    for body in (html, text):
        assert "Entry 0% (−33.3 pp)" in body
        assert "Mid 54% (+20.5 pp)" in body and "Senior 46% (+12.8 pp)" in body


def test_levels_with_equal_counts_print_equal_shares_of_the_mix(tmp_path: Path) -> None:
    """40 entry, 40 mid and 40 senior postings printed "Entry 34% · Mid 33% · Senior 33%"
    (the bar's widths: one level a point above two equal ones); each is now 33%."""
    levels = ("entry", "mid", "senior")
    before = [posting(f"a{i}", seniority=levels[i % 3]) for i in range(90)]
    now = [posting(f"b{i}", seniority=levels[i % 3]) for i in range(120)]
    html, text = _preview(tmp_path, {PREV: before, WEEK: now})
    for body in (html, text):
        assert "Entry 33% (±0.0 pp)" in body
        assert "Mid 33% (±0.0 pp)" in body and "Senior 33% (±0.0 pp)" in body
        assert "34%" not in body


def test_one_posting_with_pay_in_300_is_not_0_percent_disclosed(tmp_path: Path) -> None:
    """1 of 300 postings discloses pay: "pay disclosed in 0% of full-time roles (1 with annual
    USD pay)" and "100% without pay" contradicted the count beside them."""
    usd = {"currency": "USD", "salary_min": 140e3, "salary_max": 160e3, "salary_mid": 150e3}
    before = [posting(f"a{i}") for i in range(300)]
    html, text = _preview(tmp_path, {PREV: before, WEEK: [*before[1:], posting("p", **usd)]})
    for body in (html, text):
        assert "pay disclosed in <1% of full-time roles (1 with annual USD pay)." in body
        assert ", >99% without pay." in body
        assert "0% of full-time" not in body and "100% without pay" not in body


def test_a_level_with_one_posting_in_420_is_not_0_percent_of_the_mix(tmp_path: Path) -> None:
    """Its bar is too thin to draw (width 0), but its share is not 0%."""
    before = [posting(f"a{i}", seniority=("mid", "senior")[i % 2]) for i in range(400)]
    now = [*before[1:], posting("lead", seniority="leadership")]
    now += [posting(f"b{i}", seniority="mid") for i in range(20)]  # 420: not a quiet week
    html, text = _preview(tmp_path, {PREV: before, WEEK: now})
    for body in (html, text):
        assert "Mid 52% (+2.1 pp)" in body and "Senior 48% (−2.4 pp)" in body
        assert "Leadership <1% (+0.2 pp)" in body


def _six_of_eight_weeks(tmp_path: Path) -> tuple[str, str]:
    """The issue of six bundled snapshots of the eight weeks Oct 5 to Nov 23 (none on Oct 19
    and Nov 2)."""
    snaps = tmp_path / "snapshots"
    snaps.mkdir()
    for f in (REPO / "snapshots").glob("*.parquet"):
        if f.stem not in ("2026-10-19", "2026-11-02"):
            shutil.copy(f, snaps / f.name)
    return _preview(tmp_path, {})


def test_the_trend_line_says_when_its_weeks_are_not_consecutive(tmp_path: Path) -> None:
    """Six bundled snapshots of the eight weeks Oct 5 to Nov 23 (none on Oct 19 and Nov 2):
    the trend line said "Last 6 weeks, Oct 5 to Nov 23", six points read as consecutive."""
    html, text = _six_of_eight_weeks(tmp_path)
    for body in (html, text):
        assert (
            "6 weekly snapshots over the last 8 weeks, Oct 5 to Nov 23 (2 weeks without one), "
            "oldest first:" in body
        )
        assert "Last 6 weeks" not in body
        assert "Open roles: 4,200 · 4,243 · 4,270 · 4,323 · 4,362 · 4,335" in body


def test_every_data_health_warning_ends_with_its_full_stop(tmp_path: Path) -> None:
    """The snapshot-gap warning, alone among the warnings, had no full stop: "Data health:
    the previous snapshot is from 2026-11-09, ..., span 2 weeks, not one" ran into the next
    line; a message of an ingest report without one gets its full stop as well."""
    rows = [posting(f"a{i}") for i in range(40)]
    html, text = _preview(tmp_path, {date(2026, 11, 9): rows, WEEK: rows})
    for body in (html, text):
        assert (
            "Data health: The previous snapshot is from 2026-11-09, 2 weeks earlier (1 week "
            "without a snapshot): new, removed and every change here span 2 weeks, not one. "
        ) in body


def test_skill_and_pay_windows_say_when_their_weeks_lack_a_snapshot(tmp_path: Path) -> None:
    """With no snapshot on Oct 19 and Nov 2, the skill baseline (the new postings of the four
    snapshots Oct 12 to Nov 16) covers six weeks and the pay shift's recent window (Oct 26 to
    Nov 23) six as well: the issue said "the previous 4 weeks" and "the last 4 weeks"."""
    html, text = _six_of_eight_weeks(tmp_path)
    for body in (html, text):
        assert (
            "Skill moves compare this week's new postings with those of the previous 4 weekly "
            "snapshots over 6 weeks (2 weeks without one), ranked by z" in body
        )
        assert (
            "The pay shift compares the median of new postings of the last 4 weekly snapshots "
            "over 6 weeks (2 weeks without one) with the week before (Bonett–Price" in body
        )
        assert (
            "Ranked by z of the log-odds change of new postings against those of the previous "
            "4 weekly snapshots over 6 weeks (2 weeks without one); only moves" in body
        )
        assert "4 weeks" not in body
