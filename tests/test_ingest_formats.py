"""Adapters: generic CSV/TSV/JSONL/JSON/Parquet (gzip), SimplifyJobs, Greenhouse, Lever,
column aliases and [ingest.columns], and the errors for unreadable input."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from newsletter.data.ingest import Format, ingest
from newsletter.data.ingest.formats import detect
from newsletter.data.ingest.rules import Rules
from newsletter.errors import ConfigError, IngestError
from tests.conftest import NOW

DATA = Path(__file__).parent / "data"
WEEK = date(2026, 11, 23)
ROWS = [
    {"id": "1", "job_title": "Senior Data Scientist", "company_name": "Acme",
     "job_location": "Austin, TX", "salary": "$150K-$180K", "description": "Python and SQL",
     "date_posted": "2026-11-20"},
    {"id": "2", "job_title": "Machine Learning Engineer", "company_name": "Beta Inc",
     "job_location": "Remote", "salary": "", "description": "PyTorch", "date_posted": "2026-11-21"},
]  # fmt: skip


def run(paths: list[Path], rules: Rules, **kw: object) -> pl.DataFrame:
    return ingest(paths, WEEK, rules, **kw, now=NOW).snapshot  # type: ignore[arg-type]


def check_rows(snap: pl.DataFrame) -> None:
    assert snap.height == 2
    first = snap.row(0, named=True)
    assert first["title"] == "Senior Data Scientist"
    assert first["salary_mid"] == 165_000
    assert first["metro"] == "Austin"
    assert first["seniority"] == "senior"
    assert first["posted_at"] == date(2026, 11, 20)
    assert first["skills"] == ["Python", "SQL"]
    assert snap["work_mode"][1] == "remote"


@pytest.mark.parametrize(
    "suffix", [".csv", ".csv.gz", ".tsv", ".jsonl", ".jsonl.gz", ".json", ".parquet"]
)
def test_generic_formats(tmp_path: Path, ingest_rules: Rules, suffix: str) -> None:
    frame = pl.DataFrame(ROWS)
    path = tmp_path / f"export{suffix}"
    plain = tmp_path / "plain"
    if suffix.startswith(".csv"):
        frame.write_csv(plain)
    elif suffix == ".tsv":
        frame.write_csv(plain, separator="\t")
    elif suffix.startswith(".jsonl"):
        frame.write_ndjson(plain)
    elif suffix == ".json":
        plain.write_text(json.dumps(ROWS))
    else:
        frame.write_parquet(plain)
    if suffix.endswith(".gz"):
        path.write_bytes(gzip.compress(plain.read_bytes()))
    else:
        shutil.copyfile(plain, path)
    snap = run([path], ingest_rules)
    check_rows(snap)
    assert snap["posting_id"].to_list() == [f"{detect(path).value}:1", f"{detect(path).value}:2"]


@pytest.mark.parametrize("name", ["export.json", "export.json.gz"])
def test_json_lines_named_json_are_read_as_json_lines(
    tmp_path: Path, ingest_rules: Rules, name: str
) -> None:
    """A JSON Lines export named .json (a common name for one) was refused as invalid JSON."""
    lines = "".join(json.dumps(r) + "\n" for r in ROWS).encode()
    path = tmp_path / name
    path.write_bytes(gzip.compress(lines) if name.endswith(".gz") else lines)
    assert detect(path) is Format.jsonl
    check_rows(run([path], ingest_rules))


NESTED_PAY = [
    {"id": "1", "title": "Data Engineer", "company": "Acme",
     "salary": {"min": 100_000, "max": 150_000, "currency": "USD", "period": "year"}},
    {"id": "2", "title": "ML Engineer", "company": "Beta",
     "salary": {"min": "50", "max": "60", "currency": "EUR", "period": "hourly"}},
    {"id": "3", "title": "Data Analyst", "company": "Gamma", "salary": None},
    {"id": "4", "title": "Research Scientist", "company": "Delta",
     "salary": {"min": 120_000, "max": None, "currency": None, "period": None}},
]  # fmt: skip


@pytest.mark.parametrize("suffix", [".json", ".jsonl", ".parquet"])
def test_a_nested_pay_object_is_read_by_its_fields(
    tmp_path: Path, ingest_rules: Rules, suffix: str
) -> None:
    """``"salary": {"min", "max", "currency", "period"}``: its JSON text alone was read as
    one amount (the minimum: 100,000 to 100,000)."""
    path = tmp_path / f"export{suffix}"
    if suffix == ".json":  # a list wrapped in an object, as APIs answer
        path.write_text(json.dumps({"results": NESTED_PAY}), encoding="utf-8")
    elif suffix == ".jsonl":  # read by polars: the objects are a struct column
        path.write_text("".join(json.dumps(r) + "\n" for r in NESTED_PAY), encoding="utf-8")
    else:
        pl.DataFrame(NESTED_PAY).write_parquet(path)
    snap = run([path], ingest_rules)
    got = snap.select("salary_min", "salary_max", "salary_mid", "currency").rows()
    assert got == [
        (100_000, 150_000, 125_000, "USD"),
        (50 * 2080, 60 * 2080, 55 * 2080, "EUR"),
        (None, None, None, None),
        (120_000, None, 120_000, "USD"),
    ]


@pytest.mark.parametrize("suffix", [".json", ".jsonl", ".parquet"])
def test_an_object_for_a_company_or_a_place_is_read_as_its_name_or_place(
    tmp_path: Path, ingest_rules: Rules, suffix: str
) -> None:
    """Their JSON (``{"name": "Acme", "id": 7}``, ``null``) was the company and the place
    readers saw."""
    records = [
        {"title": "Data Engineer", "company": {"name": "Acme", "id": 7},
         "location": {"city": "Austin", "state": "TX", "zip": "78701"}},
        {"title": "ML Engineer", "company": {"name": "Beta", "id": 8}, "location": None},
        {"title": "Data Scientist", "company": {"name": "Gamma", "id": 9},
         "location": {"name": "New York, NY", "city": None, "state": None, "zip": "10001"}},
    ]  # fmt: skip
    path = tmp_path / f"export{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(records), encoding="utf-8")
    elif suffix == ".jsonl":  # read by polars: the objects are struct columns
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    else:
        pl.DataFrame(records).write_parquet(path)
    snap = run([path], ingest_rules)
    assert snap["company"].to_list() == ["Acme", "Beta", "Gamma"]
    assert snap["location"].to_list() == ["Austin, TX", None, "New York, NY"]
    assert snap["metro"].to_list() == ["Austin", None, "New York"]


def test_a_field_that_is_an_object_in_some_lines_and_text_in_others(
    tmp_path: Path, ingest_rules: Rules
) -> None:
    """JSON Lines whose company, place or pay is an object in one record and text in another:
    polars read each such field as text, the objects as their JSON, so readers saw the
    company ``{"name": "Acme"}`` and the pay object's fields were never read."""
    records = [
        {"id": "1", "title": "ML Engineer", "company": {"name": "Acme"},
         "location": {"city": "Austin", "state": "TX"},
         "salary": {"min": 120000, "max": 150000, "currency": "USD"}},
        {"id": "2", "title": "Data Scientist", "company": "Beta", "location": "Seattle, WA",
         "salary": "$130,000 - $160,000"},
        {"id": "3", "title": "Data Engineer", "company": "Gamma", "location": "Boston, MA",
         "description": "{not an object, a text in braces}"},
    ]  # fmt: skip
    path = tmp_path / "mixed.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    snap = run([path], ingest_rules)
    assert snap["company"].to_list() == ["Acme", "Beta", "Gamma"]
    assert snap["location"].to_list() == ["Austin, TX", "Seattle, WA", "Boston, MA"]
    got = snap.select("salary_min", "salary_max", "currency").rows()
    assert got == [(120_000, 150_000, "USD"), (130_000, 160_000, "USD"), (None, None, None)]


def test_source_column_option_and_hash_ids(tmp_path: Path, ingest_rules: Rules) -> None:
    rows = [{k: v for k, v in r.items() if k != "id"} for r in ROWS]
    path = tmp_path / "x.csv"
    pl.DataFrame(rows).write_csv(path)
    a = run([path], ingest_rules, source="board")
    b = run([path], ingest_rules, source="board")
    assert a["posting_id"].to_list() == b["posting_id"].to_list()  # stable across runs
    assert all(p.startswith("board:") and len(p) == len("board:") + 16 for p in a["posting_id"])
    with_source = tmp_path / "y.csv"
    pl.DataFrame([{**r, "source": "indeed"} for r in ROWS]).write_csv(with_source)
    assert run([with_source], ingest_rules, source="board")["source"].to_list() == ["indeed"] * 2


def test_config_column_mapping(tmp_path: Path, ingest_rules: Rules) -> None:
    path = tmp_path / "odd.csv"
    pl.DataFrame({"Job Name": ["Data Engineer"], "Employer": ["Acme"], "Pay": ["$100k"]}).write_csv(
        path
    )
    snap = run([path], ingest_rules, mapping={"Job Name": "title", "Employer": "company"})
    assert snap.row(0, named=True)["company"] == "Acme"
    with pytest.raises(ConfigError, match="unknown target"):
        run([path], ingest_rules, mapping={"Job Name": "job"})


def test_simplify_adapter(tmp_path: Path, ingest_rules: Rules) -> None:
    listings = [
        {"source": "Simplify", "company_name": "DoorDash", "id": "u1",
         "title": "Software Engineer I",
         "active": True, "is_visible": True, "date_posted": 1729811575, "url": "https://x/1",
         "locations": ["Seattle, WA", "SF", "NYC"], "sponsorship": "Other"},
        {"source": "someone", "company_name": "Acme", "id": "u2", "title": "ML Engineer",
         "active": False, "is_visible": True, "date_posted": 1729811575, "url": "https://x/2",
         "locations": ["Remote in USA"]},
        {"source": "Simplify", "company_name": "Beta", "id": "u3", "title": "Data Scientist",
         "active": True, "is_visible": False, "date_posted": 1729811575, "url": "https://x/3",
         "locations": []},
    ]  # fmt: skip
    path = tmp_path / "listings.json"
    path.write_text(json.dumps(listings))
    assert detect(path) is Format.simplify
    result = ingest([path], WEEK, ingest_rules, now=NOW)
    snap = result.snapshot
    assert snap["posting_id"].to_list() == ["simplify:u1"]
    row = snap.row(0, named=True)
    assert (row["metro"], row["location"], row["seniority"]) == (
        "Seattle",
        "Seattle, WA; SF; NYC",
        "entry",
    )
    assert row["posted_at"] == date(2024, 10, 24)
    assert result.report.rejected_by_reason == {"closed": 1, "hidden": 1}
    assert result.report.rejected_not_open == 2


def test_greenhouse_adapter(ingest_rules: Rules) -> None:
    path = DATA / "greenhouse_jobs.json"
    assert detect(path) is Format.greenhouse
    result = ingest([path], WEEK, ingest_rules, now=NOW)
    snap = result.snapshot
    assert snap["posting_id"].to_list() == ["greenhouse:4012345", "greenhouse:4012346"]
    first, second = snap.row(0, named=True), snap.row(1, named=True)
    assert first["company"] == "Acme AI" and second["company"] == "acmeai"  # board token
    assert (first["salary_min"], first["salary_max"]) == (190_000, 250_000)  # from the text
    assert (second["salary_min"], second["salary_max"]) == (150_000, 180_000)  # pay_input_ranges
    assert {"vLLM", "PyTorch", "Kubernetes", "LLMs"} <= set(first["skills"])
    assert first["category"] == "AI/ML Engineer" and first["seniority"] == "senior"
    assert second["work_mode"] == "remote"
    # the board's "Employment Type" field; the second job has no metadata
    assert (first["employment"], second["employment"]) == ("full_time", None)
    assert result.report.rejected_by_reason == {"missing title": 1}


def test_lever_adapter(ingest_rules: Rules) -> None:
    path = DATA / "lever_postings.json"
    assert detect(path) is Format.lever
    snap = ingest([path], WEEK, ingest_rules, now=NOW).snapshot
    first, second = snap.row(0, named=True), snap.row(1, named=True)
    assert first["company"] == "widgetco"
    assert first["posting_id"] == "lever:5a1b2c3d-0000-4000-8000-000000000001"
    assert (first["metro"], first["work_mode"], first["salary_mid"]) == (
        "New York",
        "hybrid",
        180_000,
    )
    assert first["category"] == "MLOps Engineer"
    assert {"AWS", "Kubeflow", "MLflow", "Terraform", "Docker"} <= set(first["skills"])
    assert first["posted_at"] == date(2025, 11, 20)
    assert (second["work_mode"], second["seniority"], second["salary_min"]) == (
        "remote",
        "entry",
        40 * 2080,
    )
    assert {"RAG", "LangChain"} <= set(second["skills"])
    assert (first["employment"], second["employment"]) == ("full_time", "internship")  # commitment


def test_several_files_stack_and_dedupe(tmp_path: Path, ingest_rules: Rules) -> None:
    path = tmp_path / "a.csv"
    pl.DataFrame(ROWS).write_csv(path)
    result = ingest([path, path, DATA / "lever_postings.json"], WEEK, ingest_rules, now=NOW)
    r = result.report
    assert (r.rows_read, r.kept, r.duplicates) == (6, 4, 2)
    assert r.sources == {"csv": 2, "lever": 2}
    assert r.kept + r.rejected + r.duplicates == r.rows_read


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.txt", b"hello world", "unknown format"),
        ("x.csv", b"", "not a readable CSV"),
        ("x.csv", b"colour,size\nred,1\n", "no title column"),
        ("x.json", b"{not json", "not valid JSON"),
        ("x.json", b"[1, 2, 3]", "not a list of job records"),
        ("x.parquet", b"PAR1garbage", "not a readable Parquet"),
        ("x.csv.gz", b"\x1f\x8bnot really gzip", "broken gzip"),
    ],
)
def test_bad_input_is_one_clear_error(
    tmp_path: Path, ingest_rules: Rules, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IngestError, match=message) as err:
        ingest([path], WEEK, ingest_rules, now=NOW)
    assert "\n" not in str(err.value)


def test_missing_file(tmp_path: Path, ingest_rules: Rules) -> None:
    with pytest.raises(IngestError, match="no such file"):
        ingest([tmp_path / "absent.csv"], WEEK, ingest_rules, now=NOW)


def test_a_folder_is_not_a_file(tmp_path: Path, ingest_rules: Rules) -> None:
    with pytest.raises(IngestError, match="is a folder, not a file"):
        ingest([tmp_path], WEEK, ingest_rules, now=NOW)


def test_wrong_format_option_is_one_clear_error(tmp_path: Path, ingest_rules: Rules) -> None:
    path = tmp_path / "records.json"
    path.write_text(json.dumps([{"name": "x", "employer": "y"}]))
    with pytest.raises(IngestError, match="no record has a title; is this a Lever"):
        ingest([path], WEEK, ingest_rules, fmt=Format.lever, now=NOW)
    with pytest.raises(IngestError, match="not valid JSON"):
        ingest([DATA / "golden_titles.csv"], WEEK, ingest_rules, fmt=Format.greenhouse, now=NOW)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pl.DataFrame({"title": [b"\xff\xfe"], "company": ["a"]}), "invalid utf8"),
        (
            pl.DataFrame({"title": ["x"], "company": ["a"], "posted_at": [1]}).with_columns(
                pl.col("posted_at").cast(pl.Duration("us"))
            ),
            "Duration",
        ),
    ],
)
def test_uncastable_column_is_one_clear_error(
    tmp_path: Path, ingest_rules: Rules, frame: pl.DataFrame, message: str
) -> None:
    """A Parquet column whose values cannot become text (bad UTF-8, a duration, nested
    numbers) stops the ingest with one IngestError line naming the file, not a traceback."""
    path = tmp_path / "odd.parquet"
    frame.write_parquet(path)
    with pytest.raises(IngestError, match=message) as err:
        ingest([path], WEEK, ingest_rules, now=NOW)
    assert str(err.value).startswith(f"{path}: ")
    assert "\n" not in str(err.value)
