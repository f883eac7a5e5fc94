"""Hostile job-board answers, served on a real loopback HTTP server and collected for real:
one posting of a board that a reader of JSON could choke on costs that posting, never the
board, and what reaches the snapshot is what the ingest rules say."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from newsletter.config import Config
from newsletter.data.collect import Source, collect
from newsletter.data.snapshots import read_snapshot
from newsletter.edition.preview import preview
from newsletter.util.clock import FixedClock
from tests.collect_support import FakeBoards, ashby_job, collect_config, greenhouse_job
from tests.conftest import NOW

WEEK = date(2026, 11, 23)


@pytest.fixture
def boards() -> FakeBoards:
    return FakeBoards()


@pytest.fixture
def cfg(tmp_path: Path, boards: FakeBoards, serve_app: Callable[[Any], str]) -> Config:
    return collect_config(tmp_path, serve_app(boards.app()))


def run(cfg: Config, *sources: Source, week: date = WEEK) -> Any:
    clock = FixedClock(NOW + (week - WEEK))
    return collect(cfg, week, clock=clock, sources=list(sources))


def nested(depth: int, inner: object) -> object:
    """``inner`` inside ``depth`` JSON arrays (as deep as the JSON parser reads)."""
    return json.loads("[" * depth + json.dumps(inner) + "]" * depth)


def test_a_posting_with_a_deeply_nested_location_costs_only_that_posting(
    cfg: Config, boards: FakeBoards
) -> None:
    deep = nested(900, "Paris")
    boards.add("greenhouse", "acme", [greenhouse_job(1), greenhouse_job(2, location=deep)])
    boards.add("ashby", "orbit", [ashby_job(1), ashby_job(2, location=deep)])
    done = run(
        cfg,
        Source(ats="greenhouse", board="acme", company="Acme AI"),
        Source(ats="ashby", board="orbit", company="Orbit Labs"),
    )
    assert [(b.key, b.status) for b in done.boards] == [
        ("greenhouse:acme", "ok"),
        ("ashby:orbit", "ok"),
    ]
    snap = read_snapshot(cfg.data.snapshots_dir, WEEK)
    assert snap.height == 4 and done.report.rows_read == 4
    rows = {r["posting_id"]: r for r in snap.iter_rows(named=True)}
    assert rows["greenhouse:acme:4000001"]["location"] == "San Francisco, CA"
    assert rows["greenhouse:acme:4000002"]["location"] is None  # a list of lists is no place


@pytest.mark.browser
def test_the_issue_of_a_few_small_boards_fits_a_phone(
    cfg: Config, boards: FakeBoards, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The second collection of a few boards: a tile's note ("not compared: last week n=5,
    needs 30") is a phrase longer than a tile is wide at 375 px; it wraps, and the page
    never scrolls sideways."""
    acme = Source(ats="greenhouse", board="acme", company="Acme AI")
    orbit = Source(ats="ashby", board="orbit", company="Orbit Labs")
    boards.add("greenhouse", "acme", [greenhouse_job(i) for i in range(3)])
    boards.add("ashby", "orbit", [ashby_job(i) for i in range(2)])
    run(cfg, acme, orbit, week=WEEK - timedelta(days=7))
    boards.add("greenhouse", "acme", [greenhouse_job(i) for i in range(6)])
    boards.add("ashby", "orbit", [ashby_job(i) for i in range(4)])
    run(cfg, acme, orbit)
    html, _, _ = preview(cfg, tmp_path / "issue.html", WEEK)
    browser = request.getfixturevalue("browser")  # after collect: Playwright runs its own loop
    page = browser.new_page(viewport={"width": 375, "height": 800})
    page.goto(html.as_uri())
    tiles = page.evaluate(
        "[...document.querySelectorAll('.bg-tile')].map(t => t.textContent.replace(/\\s+/g, ' '))"
    )
    assert any("not compared" in t for t in tiles), tiles
    wide, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert wide <= inner, f"horizontal scroll at 375 px: {wide} > {inner}"
    page.close()
