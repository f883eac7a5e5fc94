"""Feeds of new postings (source kind ``new``): the open stock is what was seen within
``[data] open_window_days``, removals age out, and no drop warning fires for aging out."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.config import Config, parse_config
from newsletter.data.ingest import ingest
from newsletter.data.ingest.rules import Rules
from newsletter.data.ingest.run import write
from newsletter.data.pipeline import build_signals
from newsletter.data.snapshots import report_path
from newsletter.edition.issue import compile_issue
from newsletter.errors import ConfigError
from tests.conftest import NOW, REPO, posting

MONDAYS = [date(2026, 9, 7) + timedelta(weeks=i) for i in range(8)]
Make = Callable[[dict[date, list[dict[str, Any]]]], Path]


def _weeks() -> dict[date, list[dict[str, Any]]]:
    """A stock board (the same 50 postings every week) and a feed delivering 30 + 10·i new
    postings in week i, each posting once."""
    board = [posting(f"b{j}", source="board", company="Board Co") for j in range(50)]
    return {
        w: board
        + [
            posting(f"f{i}-{j}", source="feed", company=f"Co {j % 4}", fingerprint=f"f{i}-{j}")
            for j in range(30 + 10 * i)
        ]
        for i, w in enumerate(MONDAYS)
    }


def _config(tmp_path: Path, **data: Any) -> Config:
    return parse_config({"data": {"snapshots_dir": str(tmp_path / "snapshots"), **data}})


def test_a_feed_declared_in_config_is_open_for_the_window(
    tmp_path: Path, make_snapshots: Make
) -> None:
    snaps = make_snapshots(_weeks())
    config = _config(tmp_path, source_kinds={"feed": "new"})
    s = build_signals(config, None, snaps)
    delivered = [30 + 10 * i for i in range(8)]
    # 30 days: the deliveries of this week and the 4 before (0, 7, 14, 21, 28 days old)
    assert s.totals.open == 50 + sum(delivered[3:])
    assert s.totals.open_prev == 50 + sum(delivered[2:7])
    assert s.totals.new == delivered[7]
    assert s.totals.removed == s.totals.removed_aged_out == delivered[2]
    assert [p.open for p in s.history] == [
        50 + sum(delivered[max(0, i - 4) : i + 1]) for i in range(8)
    ]
    assert s.data_health.warnings == []
    assert s.data_health.source_kinds == {"board": "stock", "feed": "new"}
    assert s.data_health.open_window_days == 30
    text = compile_issue(s, config).public().text
    assert f"{delivered[2]} removed ({delivered[2]} aged out)" in text
    assert "Source feed delivers only new postings: each counts as open for 30 days" in text


def test_a_shorter_window_ages_postings_out_sooner(tmp_path: Path, make_snapshots: Make) -> None:
    snaps = make_snapshots(_weeks())
    s = build_signals(
        _config(tmp_path, source_kinds={"feed": "new"}, open_window_days=8), None, snaps
    )
    assert s.totals.open == 50 + 100 + 90  # this week's and last week's deliveries
    assert s.totals.removed_aged_out == 80


def test_a_feed_posting_seen_again_after_ageing_out_raises_no_returned_warning(
    tmp_path: Path, make_snapshots: Make
) -> None:
    weeks = _weeks()
    first = [r for r in weeks[MONDAYS[0]] if r["source"] == "feed"]
    weeks[MONDAYS[7]] = weeks[MONDAYS[7]] + first[:25]  # delivered again, 7 weeks later
    snaps = make_snapshots(weeks)
    s = build_signals(_config(tmp_path, source_kinds={"feed": "new"}), None, snaps)
    assert s.totals.returned == 25
    assert s.data_health.warnings == []
    # the same as a stock source: a gap that came back, flagged
    stock = build_signals(_config(tmp_path), None, snaps)
    assert "returned" in [w.kind for w in stock.data_health.warnings]


def test_the_same_files_as_stock_warn_as_today(tmp_path: Path, make_snapshots: Make) -> None:
    snaps = make_snapshots(_weeks())
    s = build_signals(_config(tmp_path), None, snaps)
    assert s.totals.open == 150 and s.totals.removed == 90 and s.totals.removed_aged_out == 0
    assert [w.kind for w in s.data_health.warnings][:1] == ["source_drop"]
    assert s.data_health.source_kinds == {"board": "stock", "feed": "stock"}
    assert s.data_health.open_window_days is None


def test_kind_recorded_by_ingest_is_used_and_config_overrides_it(
    tmp_path: Path, runner: CliRunner
) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[data]\nsnapshots_dir = "snaps"\nrules_dir = "{REPO / "rules"}"\n', encoding="utf-8"
    )
    raw = tmp_path / "raw.csv"
    for i, week in enumerate(MONDAYS[:3]):
        raw.write_text(
            "id,title,company\n" + "".join(f"{i}-{j},ML Engineer,Co {j}\n" for j in range(25)),
            encoding="utf-8",
        )
        argv = ["--config", str(cfg), "ingest", str(raw), "--week", str(week), "--kind", "new"]
        res = runner.invoke(app, argv)
        assert res.exit_code == 0, res.output
    report = json.loads(report_path(tmp_path / "snaps", MONDAYS[2]).read_text())
    assert report["source_kinds"] == {"csv": "new"}
    config = parse_config({"data": {"snapshots_dir": str(tmp_path / "snaps")}})
    s = build_signals(config, None, None)
    assert (s.totals.open, s.totals.removed) == (75, 0)
    assert s.data_health.source_kinds == {"csv": "new"}
    stock = parse_config(
        {"data": {"snapshots_dir": str(tmp_path / "snaps"), "source_kinds": {"csv": "stock"}}}
    )
    assert build_signals(stock, None, None).totals.open == 25
    bad = runner.invoke(app, ["ingest", str(raw), "--week", "2026-11-23", "--kind", "flow"])
    assert bad.exit_code != 0 and "flow" in bad.output


def test_a_bad_kind_in_config_is_named() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config({"data": {"source_kinds": {"csv": "flow"}, "open_window_days": 0}})
    assert "data.source_kinds.csv" in str(err.value) and "data.open_window_days" in str(err.value)


LUKE = [date(2023, 1, 2) + timedelta(weeks=i) for i in range(8)]


@pytest.fixture(scope="module")
def luke(
    shared_real: Path, ingest_rules: Rules, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, list[int]]:
    """Eight lukebarousse weekly files (postings by posting date), ingested as a feed and as
    stock; returns both folders and the rows kept each week."""
    folder = shared_real / "lukebarousse-data-jobs" / "2023-salaried"
    root = tmp_path_factory.mktemp("luke")
    kept = []
    for monday in LUKE:
        path = folder / f"postings_{(monday + timedelta(days=6)).isoformat()}.csv"
        fed = ingest([path], monday, ingest_rules, now=NOW, kind="new")
        write(fed, root / "new", monday)
        write(ingest([path], monday, ingest_rules, now=NOW), root / "stock", monday)
        kept.append(fed.report.kept)
    return root / "new", root / "stock", kept


def test_lukebarousse_as_a_feed_follows_the_window(luke: tuple[Path, Path, list[int]]) -> None:
    new, _, kept = luke
    s = build_signals(Config(), None, new)
    assert [p.open for p in s.history] == [sum(kept[max(0, i - 4) : i + 1]) for i in range(8)]
    assert s.totals.new == kept[7] and s.totals.removed == s.totals.removed_aged_out == kept[2]
    assert not [w for w in s.data_health.warnings if w.kind in ("source_drop", "company_drop")]
    assert s.data_health.source_kinds == {"csv": "new"}
    assert s.skills.method == s.pay.method == "new-vs-earlier-new"
    text = " ".join(compile_issue(s, Config()).public().text.split())  # lines are wrapped at 78
    assert "came at once from source csv" not in text


def test_lukebarousse_as_stock_behaves_as_before(luke: tuple[Path, Path, list[int]]) -> None:
    _, stock, kept = luke
    s = build_signals(Config(), None, stock)
    assert [p.open for p in s.history] == kept
    assert s.totals.removed == kept[6] and s.totals.removed_aged_out == 0
    drop = [w for w in s.data_health.warnings if w.kind == "source_drop"]
    assert [(w.name, w.before, w.removed) for w in drop] == [("csv", kept[6], kept[6])]
    text = " ".join(compile_issue(s, Config()).public().text.split())  # lines are wrapped at 78
    assert f"{kept[6]:,} of the removals came at once from source csv" in text


def test_compact_frames_give_the_same_figures_as_the_stored_types(config: Config) -> None:
    """The pipeline computes on frames of the stored types (categoricals, STORED_SCHEMA);
    the signals are the same, to the byte, as from the snapshots' own string types, on the
    bundled weeks (their 12-week history included), and the new-role candidates alike."""
    from newsletter.data.newroles import new_roles
    from newsletter.data.pipeline import (
        HISTORY_COLUMNS,
        build_week,
        expand,
        read_ingest_report,
    )
    from newsletter.data.signals.compute import compute_week
    from newsletter.data.signals.diff import WeekFrame
    from newsletter.data.snapshots import read_snapshot, resolve_weeks, scan_snapshot

    bundled = REPO / "snapshots"
    pair = resolve_weeks(bundled, None)
    assert pair.previous is not None
    stored = compute_week(
        read_snapshot(bundled, pair.week),
        read_snapshot(bundled, pair.previous),
        week=pair.week,
        previous_week=pair.previous,
        top_n=config.email.top_n,
        history=[
            WeekFrame(w, scan_snapshot(bundled, w, HISTORY_COLUMNS).pipe(expand))
            for w in pair.history
        ],
        ingest_report=read_ingest_report(bundled, pair.week),
        source_kinds={},
        open_window_days=config.data.open_window_days,
    )
    compacted = build_week(config, None, bundled)
    assert build_signals(config, None, bundled).model_dump_json() == (
        stored.signals.model_dump_json()
    )
    assert compacted.signals.model_dump_json() == stored.signals.model_dump_json()
    roles = new_roles(stored.arrivals, week=pair.week, previous_week=pair.previous)
    assert compacted.new_roles == roles
    assert roles.rows
    assert stored.signals.totals.open > 0


def test_a_feed_whose_window_is_still_filling_says_so(tmp_path: Path, make_snapshots: Make) -> None:
    """A feed's first weeks: its 30-day window holds 2 weekly deliveries this week against 1
    last week, so its open postings (and the total) rise by a whole delivery with nothing
    ageing out. The issue said "Open roles rose 114.4% to 1,306 (697 new and 0 removed),
    led by Other (+249, +122.7%)" on the real lukebarousse weeks: a warning and the summary
    now say that the change follows the window, not the market; a full window says nothing."""
    weeks = _weeks()
    config = _config(tmp_path, source_kinds={"feed": "new"})
    snaps = make_snapshots({w: weeks[w] for w in MONDAYS[:2]})
    s = build_signals(config, None, snaps)
    assert (s.totals.open_prev, s.totals.open) == (50 + 30, 50 + 30 + 40)
    (w,) = s.data_health.warnings
    assert (w.kind, w.name, w.before, w.after) == ("feed_window", "feed", 30, 70)
    assert w.message == (
        "Source feed delivers only new postings, and its 30-day window holds 2 weekly "
        "deliveries this week against 1 last week: its open postings (30 to 70) and the "
        "week's changes grow with that window, not with the market."
    )
    text = " ".join(compile_issue(s, config).public().text.split())
    assert (
        "(40 new and 0 removed); source feed delivers only new postings, counted open for 30 "
        "days, and its window holds another number of weekly deliveries than last week, so "
        "the change follows that window rather than the market."
    ) in text
    assert "quiet" not in text and "led by" not in text
    # five deliveries in both windows (weeks 4 and 5 of the feed): no warning
    full = make_snapshots({w: weeks[w] for w in MONDAYS[:6]})
    assert build_signals(config, None, full).data_health.warnings == []


def test_no_spotlight_for_a_company_whose_feed_window_is_filling(
    tmp_path: Path, make_snapshots: Make
) -> None:
    """The real lukebarousse weeks: while the feed's window filled, "Upwork made the week's
    largest hiring move: 67 open roles, +23 (23 new, 0 removed)", a week's delivery with
    nothing able to age out yet. A company of a feed whose window is filling is never the
    spotlight; once the window is full it may be again."""
    board = [posting(f"b{j}", source="board", company="Board Co") for j in range(50)]

    def delivery(i: int) -> list[dict[str, Any]]:
        return [posting(f"g{i}-{j}", source="feed", company="Grower", fingerprint=f"g{i}-{j}")
                for j in range(20 + 10 * i)]  # fmt: skip

    config = _config(tmp_path, source_kinds={"feed": "new"})
    snaps = make_snapshots({w: board + delivery(i) for i, w in enumerate(MONDAYS[:2])})
    s = build_signals(config, None, snaps)
    grower = next(c for c in s.company_detail.top if c.name == "Grower")
    assert (grower.open, grower.open_prev, grower.new, grower.removed) == (50, 20, 30, 0)
    assert s.company_detail.spotlight is None
    assert (
        "company_detail.spotlight: no company with >= 20 open postings moved past the mover "
        "gate (companies of a feed whose open window is filling are left out)"
    ) in s.data_health.suppressed
    # a full window (5 deliveries on both sides): Grower's growth is its own again
    snaps = make_snapshots({w: board + delivery(i) for i, w in enumerate(MONDAYS[:6])})
    spot = build_signals(config, None, snaps).company_detail.spotlight
    assert spot is not None and spot.name == "Grower"
