"""The streamed ingest (``newsletter ingest``: batches spooled to disk, deduplicated and
written with polars' streaming engine) writes what the in-memory one does, and both say
where their time went (``--profile``, ``report.timings``, on the injected clock)."""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.cli._app import CliState
from newsletter.data.ingest import ingest, ingest_into, write
from newsletter.data.ingest.batches import Input
from newsletter.data.ingest.rules import Rules
from newsletter.data.ingest.run import HELD_BYTES, MIN_PART_ROWS, _cut_ends, _small
from newsletter.data.ingest.spool import Spool
from newsletter.data.ingest.timing import STAGES
from newsletter.data.snapshots import rejects_path, report_path, snapshot_path, writing_week
from newsletter.data.synth import write_raw_csv
from newsletter.errors import IngestError
from newsletter.util.clock import FixedClock
from tests.conftest import NOW, REPO
from tests.ingest_support import normalized

WEEK = date(2026, 11, 23)
DATA = Path(__file__).parent / "data"


def _files(tmp_path: Path) -> list[Path]:
    raw = write_raw_csv(tmp_path / "raw.csv", 2500)
    return [DATA / "greenhouse_jobs.json", raw, DATA / "lever_postings.json", raw]


def _report(path: Path) -> dict[str, object]:
    report = json.loads(path.read_text())
    report.pop("timings")
    return report


@pytest.mark.parametrize("held_bytes", [0, HELD_BYTES], ids=["spooled", "held"])
def test_streamed_ingest_writes_what_the_in_memory_one_does(
    tmp_path: Path, ingest_rules: Rules, held_bytes: int
) -> None:
    files = _files(tmp_path)
    one = write(ingest(files, WEEK, ingest_rules, now=NOW), tmp_path / "one", WEEK)
    # small batches: the CSV is read in slices, batches stack files, the spool has many parts
    # (on disk, or held in memory: the files are small)
    _, many = ingest_into(
        files, WEEK, ingest_rules, tmp_path / "many", now=NOW, chunk_rows=300,
        group_bytes=50_000, held_bytes=held_bytes,
    )  # fmt: skip
    for a, b in ((one.snapshot, many.snapshot), (one.rejects, many.rejects)):
        assert_frame_equal(pl.read_parquet(a), pl.read_parquet(b), check_exact=True)
    assert _report(one.report) == _report(many.report)
    assert pl.read_parquet(many.snapshot)["posting_id"].is_duplicated().sum() == 0
    assert not list((tmp_path / "many").glob(".ingest-*"))  # the scratch folder is gone


def test_batch_boundaries_change_nothing(tmp_path: Path, ingest_rules: Rules) -> None:
    files = _files(tmp_path)
    one = ingest(files, WEEK, ingest_rules, now=NOW)
    each = ingest(files, WEEK, ingest_rules, now=NOW, chunk_rows=97, group_bytes=1)
    assert_frame_equal(one.snapshot, each.snapshot, check_exact=True)
    assert_frame_equal(one.rejects, each.rejects, check_exact=True)
    assert one.report == each.report


def test_profile_prints_every_stage_timed_on_the_injected_clock(
    tmp_path: Path, runner: CliRunner
) -> None:
    raw = write_raw_csv(tmp_path / "raw.csv", 800)
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[data]\nsnapshots_dir = "snaps"\nrules_dir = "{REPO / "rules"}"\n')
    argv = ["--config", str(cfg), "ingest", str(raw), "--week", "2026-11-23", "--profile"]
    res = runner.invoke(app, argv, obj=CliState(clock=FixedClock(NOW)))
    assert res.exit_code == 0, res.output
    assert "Ingest stages" in res.output and "wall time" in res.output
    report = json.loads(report_path(tmp_path / "snaps", WEEK).read_text())
    timings = report["timings"]
    # every stage a run goes through, in order, then the total; a fixed clock: all zero
    assert list(timings) == [*STAGES, "total"]
    assert set(timings.values()) == {0.0}
    for stage in STAGES:
        assert stage in res.output
    assert snapshot_path(tmp_path / "snaps", WEEK).exists()
    assert rejects_path(tmp_path / "snaps", WEEK).exists()


def test_the_in_memory_ingest_is_untimed_unless_given_a_clock(
    tmp_path: Path, ingest_rules: Rules
) -> None:
    files = _files(tmp_path)[:1]
    assert ingest(files, WEEK, ingest_rules, now=NOW).report.timings == {}
    clock = FixedClock(NOW)
    timed = ingest(files, WEEK, ingest_rules, now=NOW, clock=clock).report.timings
    assert set(timed) >= {"read", "split", "text", "pay", "dedup", "total"}


def test_ids_and_fingerprints_are_sha1_of_the_documented_keys(ingest_rules: Rules) -> None:
    """The id of a posting without a source id and every fingerprint are the sha1 hex of the
    normalized keys (identity.py), the same digests :mod:`hashlib` gives, so ids computed by
    any version match every earlier week's snapshot."""
    rows = [
        {"title": "Senior Data Scientist (Remote)", "company": "Acme, Inc.",
         "location": "Berlin, Germany"},
        {"title": "ML Engineer", "company": "Zeta GmbH", "location": "Nowhere Town",
         "source_id": "42"},
        {"title": "Ingénieur ML", "company": "Café Labs", "location": "Paris",
         "work_mode": "remote", "country": "FR"},
    ]  # fmt: skip
    got = normalized(ingest_rules, rows).select("posting_id", "fingerprint", "metro").rows()

    def sha1(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    berlin = got[0][2].lower()
    assert got[0][0] == "t:" + sha1("acme|senior data scientist|berlin germany")[:16]
    assert got[0][1] == sha1(f"acme|senior data scientist|{berlin}")
    assert got[1][0] == "t:42"
    assert got[1][1] == sha1("zeta|ml engineer|nowhere town")
    paris = got[2][2]
    assert got[2][1] == sha1(f"café labs|ingénieur ml|{paris.lower() if paris else 'remote-fr'}")


def test_ids_are_the_same_when_the_hash_plugin_cannot_load(
    ingest_rules: Rules, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """polars-hash is a compiled plugin: where it cannot load (a polars upgrade ahead of it),
    the same digests come from hashlib, with a warning, and ingest goes on."""
    from newsletter.data.ingest import identity

    rows = [
        {"title": f"Data Scientist {i}", "company": "Acme", "location": "Berlin"} for i in range(50)
    ]
    with_plugin = normalized(ingest_rules, rows).select("posting_id", "fingerprint")
    assert identity.vectorised_sha1()
    monkeypatch.setitem(sys.modules, "polars_hash", None)  # import fails, as a broken plugin
    identity.vectorised_sha1.cache_clear()
    try:
        without = normalized(ingest_rules, rows).select("posting_id", "fingerprint")
        assert not identity.vectorised_sha1()
    finally:
        identity.vectorised_sha1.cache_clear()
    assert_frame_equal(without, with_plugin)
    assert "ids are hashed with hashlib" in caplog.text


def test_the_spool_holds_a_week_that_fits_else_sends_it_all_to_disk_in_order(
    tmp_path: Path,
) -> None:
    batches = [pl.DataFrame({"i": list(range(k * 1000, (k + 1) * 1000))}) for k in range(5)]
    size = int(batches[0].estimated_size())
    fits = Spool(tmp_path / "fits", held_bytes=5 * size)
    for b in batches:
        fits.add(b, b.head(0))
    assert fits.spilled == 0
    # the third batch does not fit: the two held ones go to disk with it, and all later ones
    (tmp_path / "big").mkdir()
    big = Spool(tmp_path / "big", held_bytes=2 * size)
    for b in batches[:2]:
        big.add(b, b.head(0))
    assert big.spilled == 0
    for b in batches[2:]:
        big.add(b, b.head(0))
    assert big.spilled == 10  # kept and rejected rows of five batches
    assert len(list((tmp_path / "big").glob("kept-*.arrow"))) == 5
    assert big.normalized().collect()["i"].to_list() == list(range(5000))
    assert Spool(None).spilled == 0


def test_only_a_small_uncompressed_input_is_held(tmp_path: Path) -> None:
    raw = write_raw_csv(tmp_path / "raw.csv", 200)
    size = raw.stat().st_size
    assert _small([Input(raw)], size) and not _small([Input(raw)], size - 1)
    assert not _small([Input(raw), Input(raw)], 2 * size - 1)
    packed = tmp_path / "raw.csv.gz"
    packed.write_bytes(gzip.compress(raw.read_bytes()))
    assert not _small([Input(packed)], HELD_BYTES)  # its size says little about its rows
    parquet = tmp_path / "raw.parquet"
    pl.read_csv(raw).write_parquet(parquet)
    assert not _small([Input(parquet)], HELD_BYTES)


def test_the_library_write_holds_the_weeks_writing_like_the_commands(
    tmp_path: Path, ingest_rules: Rules
) -> None:
    """``write`` put the week's files in place without the lock ``newsletter ingest`` and
    ``collect`` take: a program's write and a running ingest of the same week could rename
    their snapshots, rejects and reports in place file by file, mixed. Now either one, while
    the other writes, is refused at once with the one-line "another collect or ingest"."""
    files = _files(tmp_path)
    result = ingest(files, WEEK, ingest_rules, now=NOW)
    out = tmp_path / "snaps"
    busy = "another collect or ingest of the week of 2026-11-23 is running"
    refused: list[str] = []

    def meanwhile() -> None:  # while write holds the week: an `ingest` of it starts
        with pytest.raises(IngestError, match=busy) as info:
            ingest_into(files, WEEK, ingest_rules, out, now=NOW)
        refused.append(str(info.value))

    written = write(result, out, WEEK, before_rename=meanwhile)
    assert len(refused) == 1 and "\n" not in refused[0]
    first = written.snapshot.read_bytes()
    # and the other way round: while an ingest (here: holding the week as it does) runs
    with writing_week(out, WEEK, IngestError), pytest.raises(IngestError, match=busy):
        write(ingest(files[:1], WEEK, ingest_rules, now=NOW), out, WEEK)
    assert written.snapshot.read_bytes() == first  # the refused write changed nothing
    assert sorted(p.name for p in out.iterdir()) == ["2026-11-23.parquet", "rejects", "reports"]


@pytest.mark.parametrize(
    ("batches", "parts"),
    [
        # one batch: cut for both threads, as the first (no read ahead) and as the last was
        ([4], [2, 2]),
        # the first batch in halves, handed out before the second is read; the last cut
        # where a thread would wait idle for it (an odd number of parts)
        ([4, 4, 4], [2, 2, 4, 4]),
        ([4, 4, 4, 4], [2, 2, 4, 4, 2, 2]),
        # a part has at least MIN_PART_ROWS rows: a batch too small to cut stays whole
        ([1, 4], [1, 4]),
        ([3, 1], [1.5, 1.5, 1]),
    ],
)
def test_first_and_last_batches_are_cut_for_the_threads(
    batches: list[int], parts: list[float]
) -> None:
    """Two threads: the first batch goes out in two parts at once (the second thread waited
    for two more batches to be read), the last where it would leave a thread idle; every
    row once, in input order."""
    unit = MIN_PART_ROWS
    frames, start = [], 0
    for n in batches:
        frames.append(pl.DataFrame({"i": range(start, start + n * unit)}))
        start += n * unit
    got = list(_cut_ends(iter(frames), 2))
    assert [f.height / unit for f in got] == parts
    assert pl.concat(got)["i"].to_list() == list(range(start))
