"""Collect against a real local HTTP server shaped like each job-board API (uvicorn on
loopback): rows counted independently from the served JSON, paging, 404, 429 with
Retry-After, 5xx then success, truncated and unparsable bodies, a slow board, carry-forward
of a failed board, zero-job boards, and the diff of two collected weeks."""

from __future__ import annotations

import asyncio
import gzip
import json
import shutil
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from newsletter.config import Config
from newsletter.data.collect import Source, check_sources, collect, replay
from newsletter.data.collect.manifest import read_manifest
from newsletter.data.pipeline import build_signals
from newsletter.data.snapshots import raw_path, read_snapshot, rejects_path, snapshot_path
from newsletter.edition.issue import render_issue
from newsletter.errors import CollectError, IngestError
from newsletter.util.clock import FixedClock
from tests.collect_support import (
    FakeBoards,
    ashby_job,
    collect_config,
    greenhouse_job,
    lever_posting,
    recruitee_offer,
    smartrecruiters_posting,
    workable_job,
)
from tests.conftest import NOW

WEEK = date(2026, 11, 23)
SOURCES = [
    Source(ats="greenhouse", board="acme", company="Acme AI"),
    Source(ats="lever", board="widget", company="Widget Co"),
    Source(ats="ashby", board="orbit", company="Orbit Labs"),
    Source(ats="smartrecruiters", board="bigco", company="BigCo"),
    Source(ats="workable", board="hf", company="Hugging Co"),
    Source(ats="recruitee", board="smallco", company="SmallCo"),
]


class FakeSleep:
    """An injected sleep: records each wait and moves the clock instead of waiting."""

    def __init__(self, clock: FixedClock) -> None:
        self.clock = clock
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(seconds)
        await asyncio.sleep(0)


@pytest.fixture
def boards() -> FakeBoards:
    b = FakeBoards()
    b.add("greenhouse", "acme", [greenhouse_job(i) for i in range(3)])
    b.add("lever", "widget", [lever_posting(i) for i in range(250)])  # three pages
    b.add("ashby", "orbit", [ashby_job(i) for i in range(5)])
    b.add("smartrecruiters", "bigco", [smartrecruiters_posting(i) for i in range(230)])
    b.add("workable", "hf", [workable_job(i) for i in range(25)])  # three pages
    b.add("recruitee", "smallco", [recruitee_offer(i) for i in range(4)])
    return b


@pytest.fixture
def served(boards: FakeBoards, serve_app: Callable[[Any], str]) -> str:
    return serve_app(boards.app())


@pytest.fixture
def cfg(tmp_path: Path, served: str) -> Config:
    return collect_config(tmp_path, served)


def served_ids(boards: FakeBoards) -> set[str]:
    """Posting ids as the snapshot must hold them, derived from the served JSON alone."""
    key = {
        "greenhouse": "id",
        "lever": "id",
        "ashby": "id",
        "smartrecruiters": "id",
        "workable": "id",
        "recruitee": "id",
    }
    return {
        f"{kind}:{board}:{job[key[kind]]}"
        for (kind, board), jobs in boards.boards.items()
        for job in jobs
    }


def run(cfg: Config, week: date = WEEK, sources: list[Source] | None = None, **kw: Any) -> Any:
    clock = kw.pop("clock", FixedClock(NOW + (week - WEEK)))
    return collect(cfg, week, clock=clock, sources=sources or SOURCES, **kw)


def test_every_kind_rows_match_the_served_json(cfg: Config, boards: FakeBoards) -> None:
    done = run(cfg)
    snap = read_snapshot(cfg.data.snapshots_dir, WEEK)
    per_source = dict(snap.group_by("source").len().iter_rows())
    served = {f"{k}:{b}": len(jobs) for (k, b), jobs in boards.boards.items()}
    assert per_source == served
    assert set(snap["posting_id"]) == served_ids(boards)
    assert done.report.rows_read == sum(served.values()) and done.report.rejected == 0
    # the display names of the sources file, not the API's
    assert dict(snap.select("source", "company").unique().iter_rows()) == {
        s.key: s.company for s in SOURCES
    }
    # paging: Lever by skip, SmartRecruiters by offset, Workable by token
    lever_skips = [q["skip"] for k, _, q, _ in boards.log if k == "lever"]
    assert lever_skips == ["0", "100", "200"]
    sr_offsets = [q["offset"] for k, _, q, _ in boards.log if k == "smartrecruiters"]
    assert sr_offsets == ["0", "100", "200"]
    assert sum(1 for k, *_ in boards.log if k == "workable") == 3
    assert all("ops@example.com" in ua for *_, ua in boards.log)


def test_raw_responses_are_kept_compressed_with_a_manifest(cfg: Config, boards: FakeBoards) -> None:
    run(cfg)
    folder = raw_path(cfg.data.snapshots_dir, WEEK)
    manifest = read_manifest(cfg.data.snapshots_dir, WEEK)
    assert manifest is not None and all(b.status == "ok" for b in manifest.boards)
    lever = next(b for b in manifest.boards if b.key == "lever:widget")
    assert lever.pages == 3 and lever.jobs == 250 and len(lever.files) == 3
    first = json.loads(gzip.decompress((folder / lever.files[0]).read_bytes()))
    assert first == boards.boards[("lever", "widget")][:100]  # byte for byte the answer
    assert not list(folder.parent.glob(".*"))  # no staging folder left
    # the week's report names the raw files where they are (not the renamed staging folder)
    report = json.loads((cfg.data.snapshots_dir / "reports" / f"{WEEK}.json").read_text())
    paths = [Path(f["path"]) for f in report["files"]]
    assert paths and all(p.is_file() and p.parent.parent == folder for p in paths), paths


def test_pay_and_text_as_the_boards_publish_them(
    tmp_path: Path, served: str, boards: FakeBoards
) -> None:
    """Greenhouse content escaped twice with &mdash; pay (the board the issue describes),
    Greenhouse pay ranges per location, Lever salaryRange, Ashby compensation."""
    content = (
        "&lt;p&gt;Build &lt;b&gt;RAG&lt;/b&gt; systems.&lt;/p&gt;&lt;p&gt;The base salary "
        "range for this role is $196,000 &amp;mdash; $278,100 USD.&lt;/p&gt;"
        "&lt;script&gt;alert(1)&lt;/script&gt;"
    )
    ranges = [
        {
            "min_cents": 19730000,
            "max_cents": 22510000,
            "currency_type": "USD",
            "title": "McLean, VA",
        },
        {
            "min_cents": 21520000,
            "max_cents": 24560000,
            "currency_type": "USD",
            "title": "New York, NY",
        },
    ]
    boards.add(
        "greenhouse",
        "acme",
        [
            greenhouse_job(1, content=content),
            greenhouse_job(
                2, content="", location={"name": "New York, NY"}, pay_input_ranges=ranges
            ),
            greenhouse_job(3, content="", location={"name": "Remote"}, pay_input_ranges=ranges),
        ],
    )
    boards.add(
        "lever",
        "widget",
        [
            lever_posting(
                1,
                salaryRange={"min": 90, "max": 120, "currency": "USD", "interval": "per-hour-wage"},
            )
        ],
    )
    cfg = collect_config(tmp_path, served)
    run(cfg, sources=SOURCES[:3])
    snap = read_snapshot(cfg.data.snapshots_dir, WEEK).sort("posting_id")
    pay = {r["posting_id"]: (r["salary_min"], r["salary_max"]) for r in snap.iter_rows(named=True)}
    assert pay["greenhouse:acme:4000001"] == (196_000, 278_100)
    assert pay["greenhouse:acme:4000002"] == (215_200, 245_600)  # its own location
    assert pay["greenhouse:acme:4000003"] == (197_300, 245_600)  # the span
    assert pay["lever:widget:5a1b2c3d-0000-4000-8000-000000000001"] == (90 * 2080, 120 * 2080)
    assert pay["ashby:orbit:0b8c1e2f-0000-4000-9000-000000000000"] == (180_000, 240_000)
    assert "RAG" in snap.filter(pl.col("posting_id") == "greenhouse:acme:4000001")["skills"][0]


def test_employment_as_each_board_states_it(
    tmp_path: Path, served: str, boards: FakeBoards
) -> None:
    """Each board's own employment field (Greenhouse: a custom metadata field) becomes the
    posting's employment type, read from the field; a board that says nothing gives null."""

    def lever_categories(commitment: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {"location": "New York, NY", "allLocations": ["New York, NY"]}
        return out | ({"commitment": commitment} if commitment else {})

    def gh_field(name: str, value: Any) -> list[dict[str, Any]]:
        return [{"id": 1, "name": name, "value": value, "value_type": "single_select"}]

    jobs = {
        "greenhouse": [
            greenhouse_job(1, metadata=gh_field("Employment Type", "Contract")),
            greenhouse_job(2, metadata=[*gh_field("Work Type", "Remote"),
                                        *gh_field("Job Type", ["Full-time", "Internship"])]),
            greenhouse_job(3),  # metadata null
        ],
        "lever": [
            lever_posting(1, categories=lever_categories("Contract")),
            lever_posting(2, categories=lever_categories("Part-time")),
            lever_posting(3, categories=lever_categories(None)),
        ],
        "ashby": [
            ashby_job(1), ashby_job(2, employmentType="Intern"),
            ashby_job(3, employmentType="Temporary"),
        ],
        "smartrecruiters": [
            smartrecruiters_posting(1),
            smartrecruiters_posting(2, typeOfEmployment={"id": "contract", "label": "Contract"}),
            smartrecruiters_posting(3, typeOfEmployment={"id": "intern"}),
        ],
        "workable": [
            workable_job(1), workable_job(2, type="contract"), workable_job(3, type="part"),
        ],
        "recruitee": [
            recruitee_offer(1), recruitee_offer(2, employment_type_code="freelance"),
            recruitee_offer(3, employment_type_code="internship"),
        ],
    }  # fmt: skip
    for source in SOURCES:
        boards.add(source.ats, source.board, jobs[source.ats])
    cfg = collect_config(tmp_path, served)
    done = run(cfg)
    snap = read_snapshot(cfg.data.snapshots_dir, WEEK)
    got = {
        (source, title.split()[-1]): employment
        for source, title, employment in snap.select("source", "title", "employment").rows()
    }
    assert got == {
        ("greenhouse:acme", "1"): "contract", ("greenhouse:acme", "2"): "internship",
        ("greenhouse:acme", "3"): None,
        ("lever:widget", "1"): "contract", ("lever:widget", "2"): "part_time",
        ("lever:widget", "3"): None,
        ("ashby:orbit", "1"): "full_time", ("ashby:orbit", "2"): "internship",
        ("ashby:orbit", "3"): "temporary",
        ("smartrecruiters:bigco", "1"): "full_time", ("smartrecruiters:bigco", "2"): "contract",
        ("smartrecruiters:bigco", "3"): "internship",
        ("workable:hf", "1"): "full_time", ("workable:hf", "2"): "contract",
        ("workable:hf", "3"): "part_time",
        ("recruitee:smallco", "1"): "full_time", ("recruitee:smallco", "2"): "contract",
        ("recruitee:smallco", "3"): "internship",
    }  # fmt: skip
    assert done.report.employment_source == {"explicit": 16, "none": 2}


def test_sources_check_found_not_found_and_failing(cfg: Config, boards: FakeBoards) -> None:
    boards.add("ashby", "broken", [], "503", "503", "503")
    sources = [
        *SOURCES[:2],
        Source(ats="greenhouse", board="nosuchboard", company="Nobody"),
        Source(ats="ashby", board="broken", company="Broken"),
    ]
    sleep = FakeSleep(FixedClock(NOW))
    got = {r.key: r for r in check_sources(cfg, sources, clock=sleep.clock, sleep=sleep)}
    assert (got["greenhouse:acme"].status, got["greenhouse:acme"].jobs) == ("ok", 3)
    assert (got["lever:widget"].status, got["lever:widget"].jobs) == ("ok", 250)
    assert got["greenhouse:nosuchboard"].status == "not_found"
    assert got["greenhouse:nosuchboard"].http_status == 404
    assert got["ashby:broken"].status == "failed" and got["ashby:broken"].reason == "HTTP 503"
    assert not snapshot_path(cfg.data.snapshots_dir, WEEK).exists()  # a check writes nothing


def test_429_waits_at_least_retry_after(cfg: Config, boards: FakeBoards) -> None:
    boards.faults[("greenhouse", "acme")] = ["429:7"]
    sleep = FakeSleep(FixedClock(NOW))
    done = run(cfg, sources=SOURCES[:1], clock=sleep.clock, sleep=sleep)
    assert done.boards[0].status == "ok" and done.boards[0].postings == 3
    assert len(sleep.waits) == 1 and sleep.waits[0] >= 7


def test_a_retry_after_date_past_any_calendar_is_no_hint_not_a_crash(
    cfg: Config, boards: FakeBoards
) -> None:
    """``Retry-After: Mon, 1 Jan 99999999999 00:00:00 GMT`` (a year no date holds) raised
    OverflowError out of the fetcher's retries: the board failed at once, on a 429 it would
    have got past. It is no hint: the backoff applies, as it does to any other Retry-After
    that cannot be read (and to an HTTP provider's, read by the same function)."""
    boards.faults[("greenhouse", "acme")] = ["429:Mon, 1 Jan 99999999999 00:00:00 GMT"]
    boards.faults[("ashby", "orbit")] = ["429:01 Jan 0000 12:00 99999999999999999999"]
    sleep = FakeSleep(FixedClock(NOW))
    done = run(cfg, sources=[SOURCES[0], SOURCES[2]], clock=sleep.clock, sleep=sleep)
    assert [(b.key, b.status) for b in done.boards] == [
        ("greenhouse:acme", "ok"), ("ashby:orbit", "ok"),
    ]  # fmt: skip
    assert len(sleep.waits) == 2


def test_5xx_then_success_and_retries_are_bounded(cfg: Config, boards: FakeBoards) -> None:
    boards.faults[("ashby", "orbit")] = ["503"]
    boards.add("recruitee", "smallco", [recruitee_offer(1)], "503", "503", "503", "503")
    sleep = FakeSleep(FixedClock(NOW))
    done = run(cfg, sources=[SOURCES[2], SOURCES[5]], clock=sleep.clock, sleep=sleep)
    status = {b.key: (b.status, b.reason) for b in done.boards}
    assert status["ashby:orbit"] == ("ok", None)
    assert status["recruitee:smallco"] == ("failed", "HTTP 503")
    tries = [k for k, *_ in boards.log if k == "recruitee"]
    assert len(tries) == cfg.collect.max_attempts  # 3 tries, then the board fails
    assert len(sleep.waits) == 1 + (cfg.collect.max_attempts - 1)


def test_a_408_request_timeout_is_retried_not_a_failed_board(
    cfg: Config, boards: FakeBoards
) -> None:
    # 408: the server gave up waiting for the request (RFC 9110: it may be repeated)
    boards.faults[("ashby", "orbit")] = ["408"]
    sleep = FakeSleep(FixedClock(NOW))
    done = run(cfg, sources=[SOURCES[2]], clock=sleep.clock, sleep=sleep)
    assert [(b.status, b.reason) for b in done.boards] == [("ok", None)]
    assert len([k for k, *_ in boards.log if k == "ashby"]) == 2


def test_paging_that_cycles_fails_its_board_at_the_first_repeat(
    cfg: Config, boards: FakeBoards
) -> None:
    boards.faults[("workable", "hf")] = ["cycle"] * 50  # tokens a -> b -> a -> ...
    done = run(cfg, sources=[SOURCES[0], SOURCES[4]])
    status = {b.key: (b.status, b.reason) for b in done.boards}
    assert status["greenhouse:acme"][0] == "ok"
    assert status["workable:hf"] == (
        "failed", "its pages repeat (page 4 asks for one already read)"
    )  # fmt: skip
    assert len([k for k, *_ in boards.log if k == "workable"]) == 3  # not max_pages


def test_pages_that_repeat_the_same_postings_stop_at_the_first_repeat(
    cfg: Config, boards: FakeBoards
) -> None:
    # a server that ignores skip/offset answers the first page again and again: each
    # request differs (skip=100, 200, ...), so only the postings show the board repeats
    boards.quirks[("lever", "widget")] = "ignores-skip"
    boards.quirks[("smartrecruiters", "bigco")] = "ignores-offset"
    done = run(cfg, sources=[SOURCES[0], SOURCES[1], SOURCES[3]])
    status = {b.key: (b.status, b.reason) for b in done.boards}
    assert status["greenhouse:acme"][0] == "ok"
    for key in ("lever:widget", "smartrecruiters:bigco"):
        assert status[key] == ("failed", "its pages repeat (page 2 holds the postings of page 1)")
    assert len([k for k, *_ in boards.log if k == "lever"]) == 2  # not max_pages
    assert len([k for k, *_ in boards.log if k == "smartrecruiters"]) == 2
    manifest = read_manifest(cfg.data.snapshots_dir, WEEK)
    assert manifest is not None
    assert {b.key: b.problem for b in manifest.boards if not b.ok} == {
        "lever:widget": "paging",
        "smartrecruiters:bigco": "paging",
    }


def test_truncated_and_unparsable_bodies_fail_only_their_board(
    cfg: Config, boards: FakeBoards
) -> None:
    boards.faults[("greenhouse", "acme")] = ["truncate"] * 3
    boards.faults[("ashby", "orbit")] = ["garbage"]
    sleep = FakeSleep(FixedClock(NOW))
    done = run(cfg, clock=sleep.clock, sleep=sleep)
    status = {b.key: b for b in done.boards}
    assert status["greenhouse:acme"].status == "failed"
    assert "connection" in (status["greenhouse:acme"].reason or "")
    assert status["ashby:orbit"].status == "failed"
    assert "unparsable" in (status["ashby:orbit"].reason or "")
    assert all(status[s.key].status == "ok" for s in SOURCES[1:] if s.ats != "ashby")
    snap = read_snapshot(cfg.data.snapshots_dir, WEEK)
    assert set(snap["source"]) == {
        "lever:widget",
        "smartrecruiters:bigco",
        "workable:hf",
        "recruitee:smallco",
    }


def test_a_redirect_loop_fails_its_board_in_one_clear_line(cfg: Config, boards: FakeBoards) -> None:
    # the board's reason read "unexpected TooManyRedirects: Exceeded maximum allowed redirects."
    boards.faults[("greenhouse", "acme")] = ["loop"] * 20
    done = run(cfg, sources=SOURCES[:2])
    row = {b.key: b for b in done.boards}["greenhouse:acme"]
    assert (row.status, row.reason) == ("failed", "too many redirects (loop?) at 127.0.0.1")
    assert {b.key: b.status for b in done.boards}["lever:widget"] == "ok"
    (warning,) = done.report.source_warnings
    assert warning.message == (
        "Source greenhouse:acme (Acme AI) could not be fetched this week (redirected in a loop)."
    )
    # the board is not retried: a loop is no passing fault (six requests: five redirects)
    assert len([r for r in boards.log if r[:2] == ("greenhouse", "acme")]) == 6


@pytest.mark.parametrize(
    ("location", "scheme"),
    [
        ("ftp://files.example.com/jobs.json", "ftp"),
        ("file:///etc/passwd", "file"),
        ("javascript:alert(1)", "javascript"),
    ],
)
def test_a_redirect_to_a_scheme_other_than_http_fails_its_board_at_once(
    cfg: Config, boards: FakeBoards, location: str, scheme: str
) -> None:
    """A board redirecting to ``ftp:`` or ``file:`` failed as a connection error after every
    retry ("connection failed (UnsupportedProtocol: ...)"), and to ``javascript:`` as an
    "unexpected InvalidURL": it is refused at the first answer, in one line, with no retry
    and no wait, and the other boards are collected."""
    boards.faults[("greenhouse", "acme")] = [f"redirect:{location}"] * 5
    clock = FixedClock(NOW)
    sleep = FakeSleep(clock)
    done = run(cfg, sources=SOURCES[:2], clock=clock, sleep=sleep)
    rows = {b.key: b for b in done.boards}
    acme = rows["greenhouse:acme"]
    assert acme.status == "failed"
    assert acme.reason == f"redirected from 127.0.0.1 to scheme {scheme}, not http(s): not followed"
    assert rows["lever:widget"].status == "ok"
    assert len([r for r in boards.log if r[:2] == ("greenhouse", "acme")]) == 1
    assert sleep.waits == []
    (warning,) = done.report.source_warnings
    assert warning.message == (
        "Source greenhouse:acme (Acme AI) could not be fetched this week (could not connect)."
    )


def test_a_slow_board_times_out_and_the_others_finish(
    tmp_path: Path, served: str, boards: FakeBoards
) -> None:
    cfg = collect_config(tmp_path, served, read_timeout_seconds=0.3, max_attempts=2)
    boards.faults[("lever", "widget")] = ["slow:1.5", "slow:1.5"]
    done = run(cfg, sources=SOURCES[:3], sleep=FakeSleep(FixedClock(NOW)))
    status = {b.key: b for b in done.boards}
    assert status["lever:widget"].status == "failed"
    assert "timed out" in (status["lever:widget"].reason or "")
    assert status["greenhouse:acme"].status == status["ashby:orbit"].status == "ok"


def test_the_size_cap_is_enforced_while_streaming(
    tmp_path: Path, served: str, boards: FakeBoards
) -> None:
    cfg = collect_config(tmp_path, served, max_response_bytes=4096)
    done = run(cfg, sources=SOURCES[:2])
    status = {b.key: b for b in done.boards}
    assert status["greenhouse:acme"].status == "ok"
    assert status["lever:widget"].status == "failed"
    assert "cap" in (status["lever:widget"].reason or "")


def test_a_compressed_bomb_is_refused_at_the_cap_without_being_inflated(
    tmp_path: Path, served: str, boards: FakeBoards
) -> None:
    import tracemalloc

    # 64 MiB of zeros travel as some 64 KiB (under the cap): the cap is on the decoded bytes,
    # and decoding stops there, never inflating a whole network read (one read of 64 KiB is
    # 64 MiB of text)
    cfg = collect_config(tmp_path, served, max_response_bytes=256 * 1024, max_attempts=1)
    boards.faults[("greenhouse", "acme")] = ["bomb"]
    boards.faults[("ashby", "orbit")] = ["badgzip"]
    tracemalloc.start()
    try:
        got = check_sources(cfg, [SOURCES[0], SOURCES[2]], clock=FixedClock(NOW))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    acme, orbit = got
    for encoding in ("gzip", "deflate"):  # a compressed answer under the cap reads as ever
        boards.faults[("recruitee", "smallco")] = [encoding]
        (small,) = check_sources(cfg, [SOURCES[5]], clock=FixedClock(NOW))
        assert (small.status, small.jobs) == ("ok", 4), small.reason
    # bytes sent past the end of the gzip stream inflate to nothing, and still count
    boards.faults[("recruitee", "smallco")] = ["gzip-tail"]
    (small,) = check_sources(cfg, [SOURCES[5]], clock=FixedClock(NOW))
    assert (small.status, small.problem) == ("failed", "too_large"), small.reason
    assert (acme.status, acme.problem) == ("failed", "too_large"), acme.reason
    assert peak < 16 * 1024 * 1024, f"{peak:,} bytes at the peak"
    assert (orbit.status, orbit.problem) == ("failed", "unreadable"), orbit.reason
    assert orbit.reason is not None and orbit.reason.startswith("a body that is not gzip"), orbit


def test_a_failed_board_is_carried_then_expires(cfg: Config, boards: FakeBoards) -> None:
    week2, week3 = WEEK + timedelta(7), WEEK + timedelta(14)
    run(cfg)
    before = read_snapshot(cfg.data.snapshots_dir, WEEK).filter(pl.col("source") == "lever:widget")
    boards.faults[("lever", "widget")] = ["503"] * 3
    sleep = FakeSleep(FixedClock(NOW + timedelta(7)))
    done = run(cfg, week2, clock=sleep.clock, sleep=sleep)
    snap2 = read_snapshot(cfg.data.snapshots_dir, week2)
    carried = snap2.filter(pl.col("source") == "lever:widget")
    assert carried.sort("posting_id").equals(before.sort("posting_id"))  # carried, unchanged
    assert done.report.carried == 250
    (stale,) = done.report.stale_sources
    assert (stale.source, stale.postings, stale.last_good) == ("lever:widget", 250, WEEK)
    row = next(b for b in done.boards if b.key == "lever:widget")
    assert (row.status, row.postings, row.before) == ("carried", 250, 250)
    signals = build_signals(cfg, week2)
    assert signals.totals.removed == 0 and signals.totals.new == 0  # not a market move
    (warning,) = [w for w in signals.data_health.warnings if w.kind == "source_stale"]
    assert warning.name == "lever:widget" and "Widget Co" in warning.message
    note = " ".join(render_issue(signals, cfg).text.split())  # the email's data-health note
    assert "Source lever:widget (Widget Co) could not be fetched this week (HTTP 503)" in note
    # a third week still failing: beyond carry_forward_weeks = 1, no longer carried
    boards.faults[("lever", "widget")] = ["503"] * 3
    sleep = FakeSleep(FixedClock(NOW + timedelta(14)))
    done3 = run(cfg, week3, clock=sleep.clock, sleep=sleep)
    snap3 = read_snapshot(cfg.data.snapshots_dir, week3)
    assert snap3.filter(pl.col("source") == "lever:widget").is_empty()
    assert [w.kind for w in done3.report.source_warnings] == ["source_expired"]
    signals3 = build_signals(cfg, week3)
    assert signals3.totals.removed == 250
    assert {w.kind for w in signals3.data_health.warnings} >= {"source_expired", "source_drop"}


def test_a_board_with_zero_jobs_is_kept_with_a_warning(cfg: Config, boards: FakeBoards) -> None:
    week2 = WEEK + timedelta(7)
    run(cfg, sources=SOURCES[:2])
    boards.add("lever", "widget", [])
    done = run(cfg, week2, sources=SOURCES[:2])
    snap = read_snapshot(cfg.data.snapshots_dir, week2)
    assert snap.filter(pl.col("source") == "lever:widget").is_empty()  # a freeze is real news
    (warning,) = done.report.source_warnings
    assert (warning.kind, warning.name, warning.before) == ("source_empty", "lever:widget", 250)
    assert next(b for b in done.boards if b.key == "lever:widget").status == "empty"


def test_a_week_where_every_board_is_empty_is_written(cfg: Config, boards: FakeBoards) -> None:
    run(cfg, sources=SOURCES[:2])
    boards.add("greenhouse", "acme", [])
    boards.add("lever", "widget", [])
    done = run(cfg, sources=SOURCES[:2])  # a rerun: the week's files replaced by empty ones
    assert read_snapshot(cfg.data.snapshots_dir, WEEK).is_empty()
    assert (done.report.rows_read, done.report.kept) == (0, 0)
    assert [(b.status, b.postings) for b in done.boards] == [("empty", 0), ("empty", 0)]
    assert not list(cfg.data.snapshots_dir.glob(".ingest-*"))  # no scratch folder left


def test_small_boards_that_empty_do_not_warn(cfg: Config, boards: FakeBoards) -> None:
    run(cfg, sources=SOURCES[:1])  # 3 jobs, below empty_warning_min
    boards.add("greenhouse", "acme", [])
    done = run(cfg, WEEK + timedelta(7), sources=SOURCES[:1])
    assert done.report.source_warnings == ()


def test_the_diff_of_two_weeks_is_the_diff_of_the_served_ids(
    cfg: Config, boards: FakeBoards
) -> None:
    week2 = WEEK + timedelta(7)
    run(cfg)
    ids1 = served_ids(boards)
    boards.add("lever", "widget", [lever_posting(i) for i in range(40, 290)])  # -40 +40
    boards.add("greenhouse", "acme", [greenhouse_job(i) for i in (0, 2, 7, 8)])  # -1 +2
    boards.add("workable", "hf", [workable_job(i) for i in range(5, 25)])  # -5
    run(cfg, week2)
    ids2 = served_ids(boards)
    s1 = set(read_snapshot(cfg.data.snapshots_dir, WEEK)["posting_id"])
    s2 = set(read_snapshot(cfg.data.snapshots_dir, week2)["posting_id"])
    assert (s2 - s1, s1 - s2) == (ids2 - ids1, ids1 - ids2)
    totals = build_signals(cfg, week2).totals
    assert (totals.new, totals.removed) == (len(ids2 - ids1), len(ids1 - ids2)) == (42, 46)


def test_recollecting_a_week_replaces_it_and_replay_rebuilds_it(
    cfg: Config, boards: FakeBoards
) -> None:
    run(cfg)
    boards.add("greenhouse", "acme", [greenhouse_job(i) for i in range(10)])
    run(cfg)
    snap = read_snapshot(cfg.data.snapshots_dir, WEEK)
    assert snap.filter(pl.col("source") == "greenhouse:acme").height == 10
    again = replay(cfg, WEEK, clock=FixedClock(NOW))
    assert (
        read_snapshot(cfg.data.snapshots_dir, WEEK)
        .sort("posting_id")
        .equals(snap.sort("posting_id"))
    )
    assert again.report.rows_read == snap.height


def test_a_second_collection_of_a_week_while_one_runs_is_refused(
    cfg: Config, boards: FakeBoards
) -> None:
    import threading

    # the second one cleared the first one's staging folder as a killed run's leftovers: the
    # first then lost the board it had fetched, and, finishing last, published the week
    # without it
    run(cfg, sources=SOURCES[:2])  # the week was collected once: a replay has a manifest
    boards.faults[("lever", "widget")] = ["hold"]
    first: list[Any] = []
    runner = threading.Thread(target=lambda: first.append(run(cfg, sources=SOURCES[:2])))
    runner.start()
    try:
        assert boards.held.wait(60)
        busy = "another collect or ingest of the week of 2026-11-23"
        with pytest.raises(CollectError, match=busy):
            run(cfg, sources=SOURCES[:2])
        with pytest.raises(CollectError, match=busy):
            replay(cfg, WEEK, clock=FixedClock(NOW))
    finally:
        boards.release.set()
        runner.join(60)
    (done,) = first
    assert [(b.key, b.status) for b in done.boards] == [
        ("greenhouse:acme", "ok"),
        ("lever:widget", "ok"),
    ]
    snap = read_snapshot(cfg.data.snapshots_dir, WEEK)
    assert set(snap["source"]) == {"greenhouse:acme", "lever:widget"}
    assert run(cfg, sources=SOURCES[:2]).boards[0].status == "ok"  # released when done


def test_boards_given_in_code_differing_only_by_case_are_refused_like_the_files(
    cfg: Config, boards: FakeBoards
) -> None:
    """sources.toml and `sources add` refuse "acme" beside "Acme" (one board: the boards'
    APIs read names without case), but the boards a program gave collect() were not checked:
    the one board was fetched twice, its postings counted twice under two sources. Now the
    same check refuses them, in one line, before anything is fetched or written."""
    twice = [*SOURCES[:2], Source(ats="greenhouse", board="Acme", company="Acme")]
    with pytest.raises(CollectError) as err:
        run(cfg, sources=twice)
    assert str(err.value) == (
        "the sources given to collect: source 3: greenhouse:Acme is listed twice (also "
        "source 1, as greenhouse:acme: board names are not case-sensitive)"
    )
    assert boards.log == [] and not cfg.data.snapshots_dir.exists()
    with pytest.raises(CollectError, match=r"2 problems: .*source 2: lever:widget is listed"):
        run(cfg, sources=[SOURCES[1], SOURCES[1], SOURCES[0], twice[2]])
    assert [b.key for b in run(cfg, sources=SOURCES[:2]).boards] == [s.key for s in SOURCES[:2]]


def test_a_snapshot_folder_named_like_a_glob_pattern_is_a_folder(
    tmp_path: Path, served: str, boards: FakeBoards
) -> None:
    # polars reads a path as a glob pattern unless told not to: under "[prod] snapshots" the
    # ingest's scratch files and the snapshots were looked for as a pattern (a traceback)
    cfg = collect_config(tmp_path, served, max_attempts=1)
    folder = tmp_path / "[prod] snapshots*?"
    cfg = cfg.model_copy(update={"data": cfg.data.model_copy(update={"snapshots_dir": folder})})
    assert [b.status for b in run(cfg, sources=SOURCES[:2]).boards] == ["ok", "ok"]
    boards.faults[("lever", "widget")] = ["503"]
    later = WEEK + timedelta(days=7)
    done = run(cfg, later, sources=SOURCES[:2])
    assert [b.status for b in done.boards] == ["ok", "carried"]
    assert read_snapshot(folder, later).height == 3 + 250
    assert [b.status for b in replay(cfg, later, clock=FixedClock(NOW)).boards] == [
        "ok",
        "carried",
    ]


def test_a_rerun_saves_the_same_raw_bytes(cfg: Config) -> None:
    # each raw page's gzip header held the wall clock's time and the random temporary name
    # it was written under: the same answers gave other bytes on every run
    def raw() -> dict[str, bytes]:
        folder = raw_path(cfg.data.snapshots_dir, WEEK)
        return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*.gz")}

    run(cfg, sources=SOURCES[:2])
    first = raw()
    run(cfg, sources=SOURCES[:2])
    assert raw() == first and len(first) == 4
    for body in first.values():
        assert body[3:8] == bytes(5)  # no FNAME flag, no time (MTIME 0)


def test_no_board_answering_writes_nothing(cfg: Config) -> None:
    sources = [Source(ats="greenhouse", board="gone", company="Gone")]
    with pytest.raises(CollectError, match="no board answered"):
        run(cfg, sources=sources)
    assert not snapshot_path(cfg.data.snapshots_dir, WEEK).exists()
    assert not raw_path(cfg.data.snapshots_dir, WEEK).exists()


def test_the_rate_per_host_spaces_requests(tmp_path: Path, served: str) -> None:
    cfg = collect_config(tmp_path, served, per_host_rate=2.0)
    sleep = FakeSleep(FixedClock(NOW))
    run(cfg, sources=SOURCES[:3], clock=sleep.clock, sleep=sleep)
    # five requests (Lever has three pages) to one host at 2/s: starts 0.5 s apart
    assert sleep.clock.now() - NOW == timedelta(seconds=2.0)
    assert len(sleep.waits) == 4


def test_every_redirect_hop_takes_its_hosts_turn(
    tmp_path: Path, served: str, boards: FakeBoards
) -> None:
    # httpx followed redirects inside one request: the hop to another host started at once,
    # outside that host's rate (and its slots), as if it were still the first host's request
    mirror = served.replace("127.0.0.1", "localhost")  # the same server, another host
    cfg = collect_config(tmp_path, served, per_host_rate=2.0, ashby={"base_url": f"{mirror}/ashby"})
    boards.faults[("greenhouse", "acme")] = [f"redirect:{mirror}/gh/v1/boards/acme/jobs"]
    sleep = FakeSleep(FixedClock(NOW))
    done = run(cfg, sources=[SOURCES[0], SOURCES[2]], clock=sleep.clock, sleep=sleep)
    assert [(b.status, b.postings) for b in done.boards] == [("ok", 3), ("ok", 5)]
    assert [r[:2] for r in boards.log].count(("greenhouse", "acme")) == 2  # asked, then the hop
    # localhost: Ashby at 0, the hop half a second later (2/s); 127.0.0.1: one request
    assert sleep.waits == [0.5]
    assert sleep.clock.now() - NOW == timedelta(seconds=0.5)


def test_a_url_source_is_read_through_the_ingest_formats(
    tmp_path: Path, served: str, boards: FakeBoards
) -> None:
    boards.files["jobs.csv"] = (
        b"id,title,company,location,salary\n1,ML Engineer,Foo,Boston MA,$150k-$180k\n"
        b"2,Data Scientist,Bar,Remote,\n3,,Baz,Austin TX,\n"
    )
    cfg = collect_config(tmp_path, served)
    source = Source(ats="url", board="feed", url=f"{served}/files/jobs.csv", format="csv")
    done = run(cfg, sources=[source])
    snap = read_snapshot(cfg.data.snapshots_dir, WEEK)
    assert sorted(snap["posting_id"]) == ["url:feed:1", "url:feed:2"]
    assert set(snap["company"]) == {"Foo", "Bar"}  # a url source keeps the file's companies
    assert done.report.rejected_by_reason == {"missing title": 1}


def test_a_compressed_answer_cut_short_fails_its_board_not_a_partial_export(
    tmp_path: Path, served: str, boards: FakeBoards
) -> None:
    # a gzip body whose end never came (the server died mid-stream; the chunked framing
    # closed cleanly): the rows inflated so far are a valid CSV, but not the whole export
    rows = "".join(f"{i},ML Engineer {i * 7919},Foo,City {i * 104729}\n" for i in range(3000))
    boards.files["jobs.csv"] = f"id,title,company,location\n{rows}".encode()
    boards.faults[("files", "jobs.csv")] = ["gzip-cut"] * 3
    cfg = collect_config(tmp_path, served)
    feed = Source(ats="url", board="feed", url=f"{served}/files/jobs.csv", format="csv")
    sleep = FakeSleep(FixedClock(NOW))
    done = run(cfg, sources=[SOURCES[0], feed], clock=sleep.clock, sleep=sleep)
    status = {b.key: b for b in done.boards}
    assert status["greenhouse:acme"].status == "ok"
    assert status["url:feed"].status == "failed"
    assert "cut short" in (status["url:feed"].reason or "")
    assert len(sleep.waits) == cfg.collect.max_attempts - 1  # retried, as a cut body is
    assert set(read_snapshot(cfg.data.snapshots_dir, WEEK)["source"]) == {"greenhouse:acme"}


def test_a_rerun_keeps_the_weeks_own_answer_of_a_board_that_now_fails(
    cfg: Config, boards: FakeBoards
) -> None:
    bee = Source(ats="greenhouse", board="bee", company="Bee")
    two = [SOURCES[0], bee]
    week0 = WEEK - timedelta(7)
    boards.add("greenhouse", "bee", [greenhouse_job(i, board="bee") for i in range(3)])
    run(cfg, week0, sources=two)  # last week: bee had 3 postings
    boards.add("greenhouse", "bee", [greenhouse_job(i, board="bee") for i in range(10, 15)])
    first = FixedClock(NOW)
    run(cfg, sources=two, clock=first)  # this week, run 1: bee answers with 5
    snap1 = read_snapshot(cfg.data.snapshots_dir, WEEK)
    folder = raw_path(cfg.data.snapshots_dir, WEEK)
    page = (folder / "greenhouse/bee.p000.json.gz").read_bytes()
    boards.faults[("greenhouse", "bee")] = ["503"] * 3
    sleep = FakeSleep(FixedClock(NOW + timedelta(hours=5)))
    done = run(cfg, sources=two, clock=sleep.clock, sleep=sleep)  # run 2: bee fails
    snap2 = read_snapshot(cfg.data.snapshots_dir, WEEK)
    bees = snap2.filter(pl.col("source") == "greenhouse:bee").sort("posting_id")
    assert bees.equals(snap1.filter(pl.col("source") == "greenhouse:bee").sort("posting_id"))
    assert bees.height == 5 and done.report.carried == 0  # this week's 5, not last week's 3
    assert (folder / "greenhouse/bee.p000.json.gz").read_bytes() == page  # raw pages kept
    row = next(b for b in done.boards if b.key == "greenhouse:bee")
    assert (row.status, row.postings, row.before) == ("kept", 5, 3)
    (warning,) = done.report.source_warnings
    assert warning.kind == "source_kept" and warning.name == "greenhouse:bee"
    assert "kept from this week's earlier collection at 2026-11-23 09:00 UTC" in warning.message
    manifest = read_manifest(cfg.data.snapshots_dir, WEEK)
    assert manifest is not None
    record = next(b for b in manifest.boards if b.key == "greenhouse:bee")
    assert record.ok and record.kept_from == NOW and record.reason == "HTTP 503"
    # a third run, still failing: the same first answer, still dated from run 1
    boards.faults[("greenhouse", "bee")] = ["503"] * 3
    sleep = FakeSleep(FixedClock(NOW + timedelta(hours=9)))
    done = run(cfg, sources=two, clock=sleep.clock, sleep=sleep)
    assert "at 2026-11-23 09:00 UTC" in done.report.source_warnings[0].message
    # and the week replays from its files without the network
    again = replay(cfg, WEEK, clock=FixedClock(NOW + timedelta(hours=10)))
    assert next(b for b in again.boards if b.key == "greenhouse:bee").postings == 5


def test_a_board_whose_records_lack_titles_rejects_them_and_stays_ok(
    cfg: Config, boards: FakeBoards
) -> None:
    untitled = [greenhouse_job(i, board="notitle") for i in range(3)]
    for job in untitled:
        del job["title"]
    boards.add("greenhouse", "notitle", untitled)
    source = Source(ats="greenhouse", board="notitle", company="No Title")
    done = run(cfg, sources=[SOURCES[0], source])
    row = next(b for b in done.boards if b.key == "greenhouse:notitle")
    assert (row.status, row.postings) == ("ok", 0)  # it answered: 3 rows, all rejected
    r = done.report
    assert r.rejected_by_reason == {"missing title": 3}
    assert (r.rows_read, r.kept, r.rejected, r.duplicates) == (6, 3, 3, 0) and r.balanced


def test_the_rejects_name_the_raw_file_where_it_is_kept(cfg: Config, boards: FakeBoards) -> None:
    # a collection reads its pages from a staging folder renamed into place at the end: the
    # rejects' source_file, like the report, names the file where it is kept (a path that
    # exists, the same on every run of the week and on a replay), never the staging folder
    boards.boards[("greenhouse", "acme")][1]["title"] = None
    folder = raw_path(cfg.data.snapshots_dir, WEEK)
    named: list[set[str]] = []
    for again in (run, lambda c: replay(c, WEEK, clock=FixedClock(NOW))):
        again(cfg)
        rejects = pl.read_parquet(rejects_path(cfg.data.snapshots_dir, WEEK))
        named.append(set(rejects["source_file"]))
    assert named[0] == named[1] == {str(folder / "greenhouse" / "acme.p000.json.gz")}
    assert Path(next(iter(named[0]))).is_file()


def test_what_readers_see_of_a_failed_board_holds_no_path_or_server_text(
    cfg: Config, boards: FakeBoards, served: str
) -> None:
    boards.files["feed.json"] = b'[{"title": "ML Engineer", "company": "Foo"'  # cut short
    feed = Source(ats="url", board="feed", url=f"{served}/files/feed.json", format="json")
    boards.faults[("ashby", "orbit")] = ["garbage"]
    done = run(cfg, sources=[SOURCES[0], SOURCES[2], feed])
    status = {b.key: b for b in done.boards}
    # the operator's console keeps the detail, the file named where it is kept
    why = status["url:feed"].reason or ""
    assert status["url:feed"].status == "failed" and why.startswith("unreadable: url/feed.json")
    assert ".partial-" not in why and str(cfg.data.snapshots_dir) not in why
    messages = {w.name: w.message for w in done.report.source_warnings}
    assert messages == {
        "url:feed": "Source url:feed could not be fetched this week (answered with unreadable "
        "data).",
        "ashby:orbit": "Source ashby:orbit (Orbit Labs) could not be fetched this week "
        "(answered with unreadable data).",
    }
    signals = build_signals(cfg, WEEK)
    public = signals.model_dump_json()
    note = " ".join(render_issue(signals, cfg).text.split())
    for text in (public, note):
        assert "answered with unreadable data" in text
        assert str(cfg.data.snapshots_dir) not in text and "feed.json" not in text
        assert "not valid JSON" not in text and "unparsable" not in text


def test_a_failed_write_leaves_the_raw_pages_behind_the_existing_snapshot(
    cfg: Config, boards: FakeBoards
) -> None:
    run(cfg, sources=SOURCES[:2])
    directory = cfg.data.snapshots_dir
    folder = raw_path(directory, WEEK)
    before = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    snapshot = snapshot_path(directory, WEEK).read_bytes()
    boards.add("greenhouse", "acme", [greenhouse_job(i) for i in range(10)])
    reports = directory / "reports"
    shutil.rmtree(reports)
    reports.write_text("not a folder")  # the report cannot be written
    with pytest.raises(IngestError, match="cannot write"):
        run(cfg, sources=SOURCES[:2])
    after = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert after == before  # the raw pages still match the snapshot: both the old ones
    assert snapshot_path(directory, WEEK).read_bytes() == snapshot
    assert not list(folder.parent.glob(".*"))  # no staging or set-aside folder left


@pytest.mark.parametrize(
    ("kind", "quirk"),
    [("smartrecruiters", "total-as-text"), ("smartrecruiters", "no-total"),
     ("smartrecruiters", "total-of-5000-digits"), ("workable", "token-as-number")],
)  # fmt: skip
def test_paging_fields_of_another_type_are_followed(
    cfg: Config, boards: FakeBoards, kind: str, quirk: str
) -> None:
    source = next(s for s in SOURCES if s.ats == kind)
    boards.quirks[(kind, source.board)] = quirk
    done = run(cfg, sources=[source])
    (row,) = done.boards
    served = len(boards.boards[(kind, source.board)])
    assert (row.status, row.postings) == ("ok", served)  # 230 / 25: every page read
    assert done.report.source_warnings == ()


def test_paging_that_cannot_be_followed_marks_the_board_incomplete(
    cfg: Config, boards: FakeBoards
) -> None:
    boards.quirks[("workable", "hf")] = "token-as-object"
    done = run(cfg, sources=[SOURCES[4]])
    (row,) = done.boards
    assert (row.status, row.postings) == ("incomplete", 10)  # the first page of 25
    assert row.reason == "nextPage is not a page token (dict): stopped after 1 page"
    assert_incomplete(cfg, done, row, "Hugging Co", "its pages could not be followed")


def test_a_greenhouse_answer_short_of_its_meta_total_marks_the_board_incomplete(
    cfg: Config, boards: FakeBoards
) -> None:
    boards.quirks[("greenhouse", "acme")] = "total-over"
    done = run(cfg, sources=[SOURCES[0]])
    (row,) = done.boards
    served = len(boards.boards[("greenhouse", "acme")])
    assert (row.status, row.postings) == ("incomplete", served)
    assert row.reason == (
        f"the answer holds {served} of the {served + 5} jobs its meta.total counts: "
        "stopped after 1 page"
    )
    assert_incomplete(cfg, done, row, "Acme AI", "its pages could not be followed")


def assert_incomplete(cfg: Config, done: Any, row: Any, company: str, why: str) -> None:
    """``row`` is the only board warned about, incomplete for ``why``, in the manifest too."""
    (warning,) = done.report.source_warnings
    assert (warning.kind, warning.name, warning.after) == (
        "source_incomplete",
        row.key,
        row.postings,
    )
    assert warning.message == (
        f"Source {row.key} ({company}) answered only in part this week: {row.postings} "
        f"postings read before {why}."
    )
    manifest = read_manifest(cfg.data.snapshots_dir, WEEK)
    assert manifest is not None
    assert {b.key: b.incomplete for b in manifest.boards}[row.key] == row.reason


def test_a_board_over_the_page_limit_keeps_what_was_read_marked_incomplete(
    tmp_path: Path, served: str, boards: FakeBoards
) -> None:
    # it failed ("more than 2 pages"): its pages read were thrown away, and last week's
    # postings carried in their place
    cfg = collect_config(tmp_path, served, max_pages=2)
    done = run(cfg, sources=SOURCES[:2])  # Lever: 250 postings, three pages of 100
    row = {b.key: b for b in done.boards}["lever:widget"]
    assert (row.status, row.postings) == ("incomplete", 200)
    assert row.reason == "page limit reached ([collect] max_pages = 2): stopped after 2 pages"
    assert [r[2].get("skip") for r in boards.log if r[0] == "lever"] == ["0", "100"]
    snap = read_snapshot(cfg.data.snapshots_dir, WEEK)
    assert snap.filter(pl.col("source") == "lever:widget").height == 200
    assert_incomplete(cfg, done, row, "Widget Co", "the collection's page limit was reached")


def test_a_board_whose_pages_go_on_past_the_time_limit_is_kept_incomplete(
    tmp_path: Path, served: str, boards: FakeBoards
) -> None:
    # each further page comes 100 s after the last (the host's rate, on the fake clock): a
    # board that pages slowly, or without end, held up the week's snapshot for hours
    cfg = collect_config(tmp_path, served, per_host_rate=0.01, max_board_seconds=50)
    sleep = FakeSleep(FixedClock(NOW))
    done = run(cfg, sources=[SOURCES[0], SOURCES[4]], clock=sleep.clock, sleep=sleep)
    rows = {b.key: b for b in done.boards}
    assert rows["greenhouse:acme"].status == "ok"
    row = rows["workable:hf"]  # three pages of 10: the third asked for 100 s after the first
    assert (row.status, row.postings) == ("incomplete", 20)
    assert row.reason == (
        "time limit reached ([collect] max_board_seconds = 50): stopped after 2 pages"
    )
    assert len([k for k, *_ in boards.log if k == "workable"]) == 2
    assert_incomplete(
        cfg, done, row, "Hugging Co", "its pages took longer than the collection's time limit"
    )


def test_an_incomplete_boards_unread_postings_are_carried_not_removed(
    tmp_path: Path, served: str, boards: FakeBoards
) -> None:
    # the postings of last week that the board's pages did not reach this week were missing
    # from the snapshot: the signals counted them as removed, and only a warning said so
    run(collect_config(tmp_path, served), sources=SOURCES[1:2])  # 250 read, three pages
    week2 = WEEK + timedelta(7)
    cfg = collect_config(tmp_path, served, max_pages=2)
    done = run(cfg, week2, sources=SOURCES[1:2])  # stops mid-way: 200 read
    (row,) = done.boards
    assert (row.status, row.postings, row.before) == ("incomplete", 250, 250)
    assert (done.report.kept, done.report.carried) == (200, 50)
    snap = read_snapshot(cfg.data.snapshots_dir, week2)
    assert snap.sort("posting_id").equals(
        read_snapshot(cfg.data.snapshots_dir, WEEK).sort("posting_id")
    )
    (warning,) = done.report.source_warnings
    assert warning.message == (
        "Source lever:widget (Widget Co) answered only in part this week: 200 postings read "
        "before the collection's page limit was reached; its other postings of the week of "
        "2026-11-23 are carried forward, marked stale, and are neither new nor removed."
    )
    signals = build_signals(cfg, week2)
    assert (signals.totals.removed, signals.totals.new) == (0, 0)
    assert "source_incomplete" in {w.kind for w in signals.data_health.warnings}


def test_structured_pay_given_as_text_is_read(cfg: Config, boards: FakeBoards) -> None:
    """Amounts sent as strings, a summary in words only, a salary as text, an open range."""

    def comp(**over: Any) -> dict[str, Any]:
        part = {"compensationType": "Salary", "interval": "1 YEAR", "currencyCode": "USD"}
        return {"summaryComponents": [{**part, **over}], "compensationTiers": []}

    gh_range = {"min_cents": "15000000", "max_cents": "20000000", "currency_type": "USD"}
    boards.add("greenhouse", "acme", [
        greenhouse_job(1, content="", pay_input_ranges=[gh_range]),
        greenhouse_job(2, content="", pay_input_ranges=[{**gh_range, "min_cents": "15,000"}]),
    ])  # fmt: skip
    boards.add("ashby", "orbit", [
        ashby_job(1, compensation=comp(minValue="150000", maxValue="200000")),
        ashby_job(2, compensation={"compensationTierSummary": "$150K – $200K • Offers Equity"}),
        ashby_job(3, compensation=comp(minValue=150000, maxValue=None)),
    ])  # fmt: skip
    boards.add("recruitee", "smallco", [recruitee_offer(1, salary="60000-80000 EUR")])
    done = run(cfg, sources=[SOURCES[0], SOURCES[2], SOURCES[5]])
    snap = read_snapshot(cfg.data.snapshots_dir, WEEK)
    pay = {
        r["posting_id"]: (r["salary_min"], r["salary_max"], r["salary_mid"], r["currency"])
        for r in snap.iter_rows(named=True)
    }
    assert pay["greenhouse:acme:4000001"] == (150_000, 200_000, 175_000, "USD")
    aid = "ashby:orbit:0b8c1e2f-0000-4000-9000-00000000000"
    assert pay[f"{aid}1"] == (150_000, 200_000, 175_000, "USD")
    assert pay[f"{aid}2"] == (150_000, 200_000, 175_000, "USD")
    assert pay[f"{aid}3"] == (150_000, None, 150_000, "USD")  # "from 150,000": min only
    assert pay["recruitee:smallco:1200001"] == (60_000, 80_000, 70_000, "EUR")
    # "15,000" (cents) is no number: never guessed (the description, empty here, is read)
    assert pay["greenhouse:acme:4000002"] == (None, None, None, None)
    assert done.report.salary_unparsed == 0 and done.report.with_pay == 5


def test_a_bad_raw_file_fails_only_its_board_on_replay(cfg: Config, boards: FakeBoards) -> None:
    run(cfg, sources=SOURCES[:3])
    folder = raw_path(cfg.data.snapshots_dir, WEEK)
    page = folder / "lever/widget.p001.json.gz"
    good = page.read_bytes()
    page.write_bytes(good[: len(good) // 2])  # a truncated gzip file
    (folder / "ashby/orbit.p000.json.gz").unlink()  # a missing one
    again = replay(cfg, WEEK, clock=FixedClock(NOW + timedelta(hours=1)))
    status = {b.key: (b.status, b.reason) for b in again.boards}
    assert status["greenhouse:acme"] == ("ok", None)
    lever_status, lever_why = status["lever:widget"]
    assert lever_status == "failed"
    assert (lever_why or "").startswith(
        "replay: unreadable: lever/widget.p001.json.gz: broken gzip data"
    )
    assert status["ashby:orbit"][0] == "failed"
    assert "ashby/orbit.p000.json.gz" in (status["ashby:orbit"][1] or "")
    snap = read_snapshot(cfg.data.snapshots_dir, WEEK)
    assert set(snap["source"]) == {"greenhouse:acme"}
    # the manifest still records what was fetched, and when: restored, the file replays
    manifest = read_manifest(cfg.data.snapshots_dir, WEEK)
    assert manifest is not None and manifest.collected_at == NOW
    assert all(b.ok for b in manifest.boards)
    page.write_bytes(good)
    again = replay(cfg, WEEK, clock=FixedClock(NOW + timedelta(hours=2)))
    assert {b.key: b.status for b in again.boards}["lever:widget"] == "ok"


def test_a_stray_latin1_byte_is_read_not_a_failed_board(cfg: Config, boards: FakeBoards) -> None:
    """A Latin-1 answer is read as Windows-1252 (as ingest reads a file); a stray byte past
    the first 64 KB of UTF-8 becomes U+FFFD, as in a CSV export."""
    small = [greenhouse_job(i, title=f"Ingénieur ML {i}") for i in range(3)]
    boards.add("greenhouse", "acme", small, "latin1")
    big = [greenhouse_job(i, board="big") for i in range(150)]
    big.append(greenhouse_job(150, board="big", title="Ingénieur ML"))
    boards.add("greenhouse", "big", big, "latin1")
    done = run(cfg, sources=[SOURCES[0], Source(ats="greenhouse", board="big", company="Big")])
    assert [(b.status, b.postings) for b in done.boards] == [("ok", 3), ("ok", 151)]
    snap = read_snapshot(cfg.data.snapshots_dir, WEEK)
    titles = dict(zip(snap["posting_id"], snap["title"], strict=True))
    assert titles["greenhouse:acme:4000001"] == "Ingénieur ML 1"
    assert titles["greenhouse:big:4000150"] == "Ing\ufffdnieur ML"
    assert done.report.text_replaced == 1  # the replaced byte is counted, not silent
    assert replay(cfg, WEEK, clock=FixedClock(NOW)).report.kept == 154  # and it replays


def test_a_number_too_long_for_an_int_is_one_posting_not_a_failed_board(
    cfg: Config, boards: FakeBoards
) -> None:
    # Python refuses to turn more than 4,300 digits into an int: the whole page was
    # "unparsable" for one posting's field
    boards.faults[("greenhouse", "acme")] = ["bignum"]
    done = run(cfg, sources=SOURCES[:2])
    assert [(b.key, b.status) for b in done.boards] == [
        ("greenhouse:acme", "ok"),
        ("lever:widget", "ok"),
    ]
    snap = read_snapshot(cfg.data.snapshots_dir, WEEK)
    acme = snap.filter(pl.col("source") == "greenhouse:acme")
    assert acme.height == 4 and "Big Data Engineer" in set(acme["title"])
    assert replay(cfg, WEEK, clock=FixedClock(NOW)).boards[0].status == "ok"


def test_only_http_links_and_places_in_words_reach_the_snapshot(
    cfg: Config, boards: FakeBoards
) -> None:
    boards.add("greenhouse", "acme", [
        greenhouse_job(1, absolute_url="javascript:alert(document.cookie)"),
        greenhouse_job(2, absolute_url="data:text/html,<script>alert(1)</script>"),
        greenhouse_job(3, absolute_url="https://jobs.example.local/3"),
        greenhouse_job(4, location="Remote"),  # a string, not {"name": ...}
    ])  # fmt: skip
    boards.add("lever", "widget", [
        lever_posting(1, categories={"allLocations": ["Paris", None, 5, {"city": "Lyon"}]}),
        lever_posting(2, categories="New York"),
    ])  # fmt: skip
    done = run(cfg, sources=SOURCES[:2])
    snap = read_snapshot(cfg.data.snapshots_dir, WEEK)
    rows = {r["posting_id"]: r for r in snap.iter_rows(named=True)}
    assert [rows[f"greenhouse:acme:400000{i}"]["url"] for i in (1, 2, 3)] == [None] * 3
    assert rows["greenhouse:acme:4000004"]["url"] == greenhouse_job(4)["absolute_url"]
    assert done.report.urls_dropped == 3 and done.report.kept == 6  # kept, without a link
    assert rows["greenhouse:acme:4000004"]["location"] == "Remote"
    lever = "lever:widget:5a1b2c3d-0000-4000-8000-00000000000"
    assert rows[f"{lever}1"]["location"] == "Paris"  # not "Paris; 5"
    assert rows[f"{lever}2"]["location"] == "New York"
