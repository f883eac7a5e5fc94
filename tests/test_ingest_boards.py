"""The ingest adapters of the job-board answers `newsletter collect` saves: detection, fields,
closed and unlisted jobs, and replaying a saved raw file with `newsletter ingest`."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from newsletter.data.ingest import Format, Input, ingest
from newsletter.data.ingest.formats import detect
from newsletter.data.ingest.rules import Rules
from tests.collect_support import (
    ashby_job,
    greenhouse_job,
    lever_posting,
    recruitee_offer,
    smartrecruiters_posting,
    workable_job,
)
from tests.conftest import NOW

WEEK = date(2026, 11, 23)


def _write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_bytes(gzip.compress(json.dumps(data).encode()))
    return path


@pytest.mark.parametrize(
    ("fmt", "data"),
    [
        (Format.ashby, {"apiVersion": "1", "jobs": [ashby_job(1)]}),
        (Format.smartrecruiters,
         {"offset": 0, "limit": 100, "totalFound": 1, "content": [smartrecruiters_posting(1)]}),
        (Format.workable, {"total": 1, "results": [workable_job(1)]}),
        (Format.recruitee, {"offers": [recruitee_offer(1)]}),
    ],
)  # fmt: skip
def test_each_answer_is_detected(tmp_path: Path, fmt: Format, data: Any) -> None:
    assert detect(_write(tmp_path, "page.json.gz", data)) is fmt


def test_fields_of_each_board(tmp_path: Path, ingest_rules: Rules) -> None:
    files = [
        _write(tmp_path, "a.json.gz", {"apiVersion": "1", "jobs": [
            ashby_job(1, workplaceType="Remote"), ashby_job(2, isListed=False)]}),
        _write(tmp_path, "s.json.gz", {"offset": 0, "limit": 100, "totalFound": 1,
                                       "content": [smartrecruiters_posting(1)]}),
        Input(_write(tmp_path, "w.json.gz", {"total": 2, "results": [
            workable_job(1), workable_job(2, state="closed")]}), Format.workable, board="hf"),
        _write(tmp_path, "r.json.gz", {"offers": [recruitee_offer(1, salary={
            "min": 60000, "max": 80000, "currency": "EUR", "period": "year"})]}),
    ]  # fmt: skip
    result = ingest(files, WEEK, ingest_rules, now=NOW)
    assert result.report.rejected_by_reason == {"hidden": 1, "closed": 1}
    rows = {r["source"]: r for r in result.snapshot.iter_rows(named=True)}
    ashby = rows["ashby"]
    assert (ashby["company"], ashby["work_mode"], ashby["salary_mid"]) == (
        "orbit",
        "remote",
        210_000,
    )
    sr = rows["smartrecruiters"]
    assert (sr["company"], sr["metro"], sr["url"]) == (
        "BigCo",
        "Austin",
        "https://jobs.smartrecruiters.com/bigco/7440000001",
    )
    wk = rows["workable"]
    assert (wk["work_mode"], wk["country"], wk["company"]) == ("remote", "DE", None) or wk[
        "company"
    ]
    rc = rows["recruitee"]
    assert (rc["company"], rc["currency"], rc["salary_mid"]) == ("SmallCo", "EUR", 70_000)
    assert "Docker" in rc["skills"] and "Kubernetes" in rc["skills"]


def test_a_saved_raw_file_replays_with_ingest(tmp_path: Path, ingest_rules: Rules) -> None:
    path = _write(tmp_path, "orbit.p000.json.gz", {"apiVersion": "1", "jobs": [ashby_job(3)]})
    snap = ingest([path], WEEK, ingest_rules, source="ashby:orbit", now=NOW).snapshot
    assert snap["posting_id"].to_list() == ["ashby:orbit:0b8c1e2f-0000-4000-9000-000000000003"]
    assert snap.filter(pl.col("salary_mid").is_not_null()).height == 1


def test_a_cut_emoji_spoils_one_title_not_the_board(tmp_path: Path, ingest_rules: Rules) -> None:
    """A board that truncates text may send half of a surrogate pair ("\\ud83d"): JSON
    accepts it, UTF-8 cannot hold it. That character becomes U+FFFD; every job is kept."""
    page = tmp_path / "gh.json"
    jobs = [greenhouse_job(1), greenhouse_job(2)]
    text = json.dumps({"jobs": jobs}).replace(
        '"Machine Learning Engineer 1"', '"Machine Learning Engineer \\ud83d"'
    )
    assert "\\ud83d" in text
    page.write_text(text, encoding="utf-8")
    snap = ingest([page], WEEK, ingest_rules, now=NOW).snapshot
    assert sorted(snap["title"].to_list()) == [
        "Machine Learning Engineer 2",
        "Machine Learning Engineer \ufffd",
    ]


@pytest.mark.parametrize(
    ("ranges", "lo", "hi"),
    [
        ([{"min_cents": 4500, "max_cents": 6000, "currency_type": "USD", "title": "Hourly"}],
         45 * 2080, 60 * 2080),
        ([{"min_cents": 4500, "max_cents": 6000, "currency_type": "USD", "title": "Zone A"}],
         45 * 2080, 60 * 2080),  # under 300 a unit: hourly, as in pay text
        ([{"min_cents": 15_000_000, "max_cents": 18_000_000, "currency_type": "USD",
           "title": "Base"}], 150_000, 180_000),
        ([{"min_cents": 4500, "max_cents": 6000, "currency_type": "USD", "title": "NYC hourly"},
          {"min_cents": 5000, "max_cents": 7000, "currency_type": "USD", "title": "SF hourly"}],
         45 * 2080, 70 * 2080),  # several ranges: the span of all (no city matches)
    ],
)  # fmt: skip
def test_greenhouse_hourly_ranges_are_hourly(
    tmp_path: Path, ingest_rules: Rules, ranges: list[dict[str, Any]], lo: float, hi: float
) -> None:
    page = tmp_path / "gh.json"
    page.write_text(json.dumps({"jobs": [greenhouse_job(1, pay_input_ranges=ranges)]}))
    row = ingest([page], WEEK, ingest_rules, now=NOW).snapshot.row(0, named=True)
    assert (row["salary_min"], row["salary_max"], row["currency"]) == (lo, hi, "USD")


_NO_AMOUNTS = {"min": None, "max": None, "currency": "USD", "interval": "per-year-salary"}


@pytest.mark.parametrize(
    ("over", "lo", "hi"),
    [
        ({"salaryRange": _NO_AMOUNTS,
          "salaryDescriptionPlain": "The salary range is $150,000 - $190,000 per year."},
         150_000, 190_000),
        ({"salaryRange": _NO_AMOUNTS,
          "salaryDescription": "<div>The salary range is <b>$150,000 - $190,000</b>.</div>"},
         150_000, 190_000),  # only the HTML form
        ({"salaryRange": {}, "salaryDescriptionPlain": "$150,000 - $190,000 a year"},
         150_000, 190_000),
        ({"salaryRange": {"min": 120000, "max": 140000, "currency": "USD",
                          "interval": "per-year-salary"},
          "salaryDescriptionPlain": "$150,000 - $190,000 a year"},
         120_000, 140_000),  # a range with amounts decides
    ],
)  # fmt: skip
def test_lever_pay_text_counts_where_the_range_has_no_amounts(
    tmp_path: Path, ingest_rules: Rules, over: dict[str, Any], lo: float, hi: float
) -> None:
    page = tmp_path / "lever.json"
    page.write_text(json.dumps([lever_posting(1, **over)]))
    snap = ingest([page], WEEK, ingest_rules, fmt=Format.lever, now=NOW).snapshot
    row = snap.row(0, named=True)
    assert (row["salary_min"], row["salary_max"], row["currency"]) == (lo, hi, "USD")


def test_locations_given_as_lists_or_objects_are_kept(tmp_path: Path, ingest_rules: Rules) -> None:
    files = [
        _write(tmp_path, "r.json.gz", {"offers": [
            recruitee_offer(1, location=["Amsterdam", "Rotterdam"], city=None)]}),
        _write(tmp_path, "a.json.gz", {"apiVersion": "1", "jobs": [
            ashby_job(1, location={"city": "Austin", "region": "TX", "country": "US"})]}),
    ]  # fmt: skip
    snap = ingest(files, WEEK, ingest_rules, now=NOW).snapshot
    by_source = dict(zip(snap["source"], snap["location"], strict=True))
    assert by_source == {"recruitee": "Amsterdam; Rotterdam", "ashby": "Austin, TX, US"}


def test_a_number_a_board_sends_as_text_is_read_strictly() -> None:
    from newsletter.data.ingest._records import number

    assert [number(v) for v in ("15000000", " 150000.5 ", ".5", 150000, 1.5)] == [
        15_000_000.0, 150_000.5, 0.5, 150_000.0, 1.5,
    ]  # fmt: skip
    junk = ("15,000", "150k", "1e5", "-5", "1.2.3", "nan", "", "٣٠٠", True, float("inf"), None)
    assert [number(v) for v in junk] == [None] * len(junk)


def test_a_boards_own_state_never_becomes_a_reject_reason(
    tmp_path: Path, ingest_rules: Rules
) -> None:
    states = ["closed", "Archived", "draft", "INTERNAL", "on_hold", "\x1b[2J" + "Z" * 3000,
              "Published", "published"]  # fmt: skip
    jobs = [workable_job(i, state=s) for i, s in enumerate(states)]
    offers = [recruitee_offer(1, status="filled"), recruitee_offer(2, status="hiring-paused")]
    files = [
        Input(_write(tmp_path, "w.json.gz", {"total": 8, "results": jobs}), Format.workable,
              board="hf"),
        _write(tmp_path, "r.json.gz", {"offers": offers}),
    ]  # fmt: skip
    result = ingest(files, WEEK, ingest_rules, now=NOW)
    r = result.report
    assert r.rejected_by_reason == {
        "other state": 2, "archived": 1, "closed": 1, "draft": 1, "filled": 1, "internal": 1,
        "paused": 1,
    }  # fmt: skip
    assert r.rejected_not_open == r.rejected == 8 and r.kept == 2
    assert set(result.rejects["reason"]) == set(r.rejected_by_reason)


def test_the_url_column_keeps_what_safe_url_keeps() -> None:
    """The column's fast pattern and safe_url never disagree."""
    from newsletter.data.ingest.normalize import clean_urls
    from newsletter.util.urls import safe_url

    urls = [
        "https://jobs.lever.co/acme/1?lever-source=x#apply", " https://acme.com/jobs ",
        "HTTP://ACME.COM", "https://jobs.example.local/1", "http://localhost:8080/x",
        "https://10.0.0.5/x", "https://8.8.8.8/x", "https://acme.com:99999/x",
        "https://user@acme.com/x", "javascript:alert(1)", "data:text/html,x", "/jobs/1",
        "acme.com/jobs", "https://acme.com/a b", "https://acme.com/\u200bx", "https://xn--bcher-kva.example/",
        "https://acme.com./x", "https://ac_me.com/x", "https://acme.com/" + "x" * 2000, None,
        "https://127.0.0.1\\.acme.com/x", "https://acme.com/a\\b",
    ]  # fmt: skip
    frame = clean_urls(pl.DataFrame({"url": urls}, schema={"url": pl.String}))
    assert frame["url"].to_list() == [safe_url(u) for u in urls]
    assert frame["url"][urls.index("https://127.0.0.1\\.acme.com/x")] is None
    status = frame["url_status"].to_list()
    assert status.count("none") == 1 and status.count("ok") == sum(1 for u in urls if safe_url(u))
