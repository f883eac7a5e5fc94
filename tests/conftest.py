"""Shared fixtures: tiny hand-made snapshots, a config pointing at temp folders, the CLI."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from newsletter.config import Config, parse_config
from newsletter.snapshots import SNAPSHOT_SCHEMA, write_snapshot

REPO = Path(__file__).resolve().parent.parent
SHARED_REAL = REPO.parent / "shared" / "data" / "real"


def posting(pid: str, **over: Any) -> dict[str, Any]:
    """One canonical posting with sensible defaults; override any field."""
    row: dict[str, Any] = {
        "posting_id": f"t:{pid}",
        "source": "t",
        "fingerprint": f"fp-{pid}",
        "title": "Machine Learning Engineer",
        "company": "Acme AI",
        "location": "San Francisco, CA",
        "metro": "San Francisco Bay Area",
        "country": "US",
        "work_mode": "onsite",
        "remote": False,
        "category": "AI/ML Engineer",
        "seniority": "mid",
        "salary_min": None,
        "salary_max": None,
        "salary_mid": None,
        "currency": None,
        "skills": ["Python"],
        "posted_at": date(2026, 11, 2),
        "url": None,
    }
    row.update(over)
    return row


def frame(rows: Iterable[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=dict(SNAPSHOT_SCHEMA))


@pytest.fixture
def make_snapshots(tmp_path: Path) -> Callable[[dict[date, list[dict[str, Any]]]], Path]:
    """Write {week: rows} as canonical snapshots into a temp folder; returns the folder."""

    def _make(weeks: dict[date, list[dict[str, Any]]]) -> Path:
        d = tmp_path / "snapshots"
        for week, rows in weeks.items():
            write_snapshot(frame(rows), d, week)
        return d

    return _make


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """A config whose state lives under tmp_path."""
    return parse_config(
        {
            "data": {"snapshots_dir": str(tmp_path / "snapshots"), "state_dir": str(tmp_path)},
            "database": {"url": f"sqlite:///{tmp_path / 'newsletter.db'}"},
            "delivery": {"outbox_dir": str(tmp_path / "outbox")},
        }
    )


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def shared_real() -> Path:
    """The real job-posting data beside the repo; skips cleanly where it is absent."""
    if not SHARED_REAL.is_dir():
        pytest.skip(f"real data not available at {SHARED_REAL}")
    return SHARED_REAL


@pytest.fixture(scope="session")
def ingest_rules() -> Any:
    """The shipped rules (rules/*.yaml), loaded once per test session."""
    from newsletter.ingest import load_rules

    return load_rules(REPO / "rules")
