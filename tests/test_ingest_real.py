"""Real data: every lukebarousse 2023 weekly CSV (no hand-written mapping) and all ten
SimplifyJobs snapshots ingest, with every row accounted for. Skips where the data is absent."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from newsletter.data.ingest import ingest
from newsletter.data.ingest.rules import Rules
from tests.conftest import NOW


def test_all_lukebarousse_weeks(shared_real: Path, ingest_rules: Rules) -> None:
    files = sorted(
        (shared_real / "lukebarousse-data-jobs" / "2023-salaried").glob("postings_*.csv")
    )
    assert len(files) == 53
    result = ingest(files, date(2023, 12, 25), ingest_rules, now=NOW)
    r = result.report
    assert r.rows_read == 32_672
    assert r.kept + r.rejected + r.duplicates == r.rows_read
    assert r.rejected == 0
    assert r.duplicates == 6  # the source repeats 6 job_keys
    assert r.share_with_pay > 0.99  # every row of this set carries a salary
    assert r.salary_unparsed == 0
    assert r.share_with_skills > 0.85
    assert r.share_with_metro > 0.4
    snap = result.snapshot
    assert snap["posting_id"].str.starts_with("csv:").all()
    assert set(snap["currency"].drop_nulls()) == {"USD"}
    assert snap["posted_at"].min() == date(2023, 1, 1)
    # Anywhere means remote in this data
    anywhere = snap.filter(pl.col("location") == "Anywhere")
    assert (anywhere["work_mode"] == "remote").all()


@pytest.mark.parametrize("name", ["postings_2023-03-05.csv", "postings_2023-10-29.csv"])
def test_one_lukebarousse_week(shared_real: Path, ingest_rules: Rules, name: str) -> None:
    path = shared_real / "lukebarousse-data-jobs" / "2023-salaried" / name
    week = date.fromisoformat(name[9:19]) - timedelta(days=6)
    result = ingest([path], week, ingest_rules, now=NOW)
    expected = pl.read_csv(path, infer_schema=False).height
    assert result.report.rows_read == expected
    assert result.report.balanced
    cats = set(result.snapshot["category"])
    assert {"Data Scientist", "Data Engineer"} <= cats


def test_all_simplify_snapshots(shared_real: Path, ingest_rules: Rules) -> None:
    folder = shared_real / "simplifyjobs-new-grad"
    files = sorted(folder.glob("listings_*.json"))
    assert len(files) == 10
    expected_open = {"2024-08-18": 852, "2024-09-01": 147, "2024-10-20": 136}
    for path in files:
        week_end = path.stem.removeprefix("listings_")
        result = ingest([path], date.fromisoformat(week_end), ingest_rules, now=NOW)
        r = result.report
        assert r.balanced, path
        assert r.kept + r.duplicates == r.rows_read - r.rejected_not_open
        assert set(r.rejected_by_reason) <= {"closed", "hidden"}
        if week_end in expected_open:
            assert r.kept == expected_open[week_end], week_end
        snap = result.snapshot
        assert snap["posting_id"].str.starts_with("simplify:").all()
        assert r.share_with_metro > 0.4
        assert (snap["seniority"] != "leadership").mean() > 0.95  # type: ignore[operator]


def test_hacker_news_json_records(shared_real: Path, ingest_rules: Rules) -> None:
    """A generic JSON array of records with list fields (titles, locations, tech stack)."""
    path = shared_real / "hn-who-is-hiring" / "hn_who_is_hiring_2026-02.json"
    result = ingest([path], date(2026, 2, 2), ingest_rules, now=NOW)
    r = result.report
    assert r.rows_read == 307 and r.balanced
    assert set(r.rejected_by_reason) == {"missing title"}
    assert r.with_pay > 50
    assert set(r.currencies) >= {"USD"}
    assert r.share_with_skills > 0.7
