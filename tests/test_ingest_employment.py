"""Employment type at ingest: the classifier of an employment field on every real spelling and
the job boards' codes, the title and pay-text readers with their traps, which reader decides,
a CSV with a job_type column through `newsletter ingest`, and the real data's own column."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.data.ingest import ingest
from newsletter.data.ingest.employment import (
    EMPLOYMENT_SOURCES,
    add_employment,
    classify_employment,
    pay_employment,
    title_employment,
)
from newsletter.data.ingest.rules import Rules, load_rules
from newsletter.data.snapshots import EMPLOYMENT_TYPES, read_snapshot, report_path
from newsletter.errors import IngestError
from tests.conftest import NOW, REPO
from tests.ingest_support import normalized

#: Every value of the real data's own columns (lukebarousse ``job_schedule_type`` of 2023, HN
#: ``job_type`` of February 2026), as the classifier must read it. Where several types are
#: named, internship > contract > temporary > full_time > part_time (rules/employment.yaml).
REAL = {
    "Full-time": "full_time",
    "Contractor": "contract",
    "Full-time and Part-time": "full_time",
    "Contractor and Temp work": "contract",
    "Part-time": "part_time",
    "Full-time and Contractor": "contract",
    "Full-time, Part-time, and Internship": "internship",
    "Internship": "internship",
    "Full-time and Temp work": "temporary",
    "Temp work": "temporary",
    "Full-time and Internship": "internship",
    "Full-time, Part-time, and Contractor": "contract",
    "Full-time, Contractor, and Temp work": "contract",
    "Full-time, Part-time, and Temp work": "temporary",
    "Part-time and Contractor": "contract",
    "Part-time, Contractor, and Temp work": "contract",
    "Part-time and Internship": "internship",
    "Temp work and Internship": "internship",
    "Full-time, Contractor, and Internship": "internship",
    "Full-time and Per diem": "temporary",
    "Internship and Full-time": "internship",
    "Full-time, Temp work, and Internship": "internship",
    "Part-time and Full-time": "full_time",
    "Full-time, Part-time, and Volunteer": "full_time",
    "Part-time and Temp work": "temporary",
    "Full-time, Part-time, and Per diem": "temporary",
    # Hacker News "Who is hiring?"
    "Contract": "contract",
    "Full-time or Contract": "contract",
    "Full-time, Contract": "contract",
    "Full-time or Contract to Full-time": "contract",
    "Full-Time": "full_time",
    "Full-time, Part-time": "full_time",
    "Partnership": None,
    "Not specified": None,
}

#: The job boards' codes and the common words.
CODES = {
    # Lever categories.commitment
    "Full Time": "full_time", "Part-time": "part_time", "Intern": "internship",
    "Temporary": "temporary",
    # Ashby employmentType
    "FullTime": "full_time", "PartTime": "part_time", "Contract": "contract",
    # SmartRecruiters typeOfEmployment id / label, Workable type
    "permanent": "full_time", "part-time": "part_time", "intern": "internship",
    "full": "full_time", "part": "part_time", "contract": "contract",
    # Recruitee employment_type_code
    "fulltime": "full_time", "fulltime_permanent": "full_time", "parttime": "part_time",
    "temporary": "temporary", "internship": "internship", "freelance": "contract",
    "fulltime_fixed_term": "temporary", "traineeship": "internship",
    # exports in capitals (LinkedIn's work_type), camelCase, entities, invisible characters
    "FULL_TIME": "full_time", "CONTRACT": "contract", "PART_TIME": "part_time",
    "INTERNSHIP": "internship", "TEMPORARY": "temporary", "ContractToHire": "contract",
    "Full&#45;time": "full_time", "Full\u200btime": "full_time", "  full-time  ": "full_time",
    # common words
    "W2": "contract", "1099": "contract", "C2C": "contract", "corp-to-corp": "contract",
    "Corp to Corp": "contract", "contract-to-hire": "contract",
    "Contract to Full-time": "contract", "Freelancer": "contract", "Contractor": "contract",
    "Full-time W2": "full_time", "Permanent, W2": "full_time",
    "seasonal": "temporary", "temp": "temporary", "Fixed-term": "temporary",
    "fixed term contract": "temporary", "Per Diem": "temporary",
    "co-op": "internship", "Co-op": "internship", "Apprentice": "internship",
    "Apprenticeship": "internship", "Trainee": "internship", "Working student": "internship",
    "Werkstudent": "internship",
    # no type
    "Other": None, "Volunteer": None, "Remote": None, "On-site": None, "N/A": None, "": None,
    "Partner": None, "Parts": None, "Internal": None, "International": None,
    "Template": None, "Temporal": None,
}  # fmt: skip


def classify(rules: Rules, values: list[str | None]) -> list[str | None]:
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    return frame.select(classify_employment(pl.col("v"), rules.employment).alias("v"))[
        "v"
    ].to_list()


@pytest.mark.parametrize("table", [REAL, CODES], ids=["real", "codes"])
def test_every_spelling_of_an_employment_field(
    ingest_rules: Rules, table: dict[str, str | None]
) -> None:
    got = dict(zip(table, classify(ingest_rules, list(table)), strict=True))
    wrong = {v: (want, got[v]) for v, want in table.items() if got[v] != want}
    assert not wrong, wrong
    assert classify(ingest_rules, [None]) == [None]


#: Titles -> employment, with the traps: contracts work is not contract work, "intern" is not
#: "internal", "temp" is not "template".
TITLES = {
    "Data Analyst (Contract)": "contract",
    "Data Analyst - Contract": "contract",
    "LLM Teacher - Contract - Remote": "contract",
    "Data Analyst || NYC ONSITE || Contract Role": "contract",
    "Data Scientist (Contract Role)": "contract",
    "Senior Data Engineer - (Streaming)(Contract)": "contract",
    "Senior Data Scientist - 6+ Month Contract (W2)": "contract",
    "Data Analytics & Automation Analyst - 9-12 month contract": "contract",
    "Data Engineer - W2 Contract": "contract",
    "Remote - Azure Data Engineer - Full time Contract": "contract",
    "Power BI Specialist (Specific contract duration)": "contract",
    "Analyst contract": "contract",
    "Senior Data Engineer - Contractor": "contract",
    "Korean Speaking Mentors - Independent Contractor - Data Analytics": "contract",
    "Earth Observation Data Scientist - Contract to Hire": "contract",
    "Summer Intern -- Data Engineer - Contract to Hire": "contract",
    "Master Data Management (MDM) Analyst - HYBRID - Contract/C-to-H": "contract",
    "Data Engineer C2C": "contract",
    "Master Data Analyst (W2 only No C2C Contract position)": "contract",
    "Data Scientist (1099)": "contract",
    "Freelance ML Engineer": "contract",
    "Contract Data Engineer - AWS": "contract",
    "Part-time Data Analyst": "part_time",
    "Part Time – Clinical Robot Associate - Chicago - IL": "part_time",
    "Temporary Data Analyst": "temporary",
    "Temp Data Entry Clerk": "temporary",
    "Trading Card Specialist - Temp-to-hire": "temporary",
    "Data Engineer (Fixed Term)": "temporary",
    "Data Scientist 12-month FTC": "temporary",
    "Seasonal Data Entry Clerk": "temporary",
    "Data Science Intern": "internship",
    "Summer Internship 2024 - Data": "internship",
    "Co-op Software Engineer": "internship",
    "Apprentice Data Analyst": "internship",
    "Trainee Data Analyst": "internship",
    "Werkstudent Data Science (m/w/d)": "internship",
    "Summer Analyst - Data": "internship",
    "Data Scientist (Full-Time)": "full_time",
    "Contracts Operations Data Analyst - Full-time": "full_time",
    # traps: none of these states an employment type
    "Contract Manager": None,
    "Contracts Administrator": None,
    "Government Contracts Analyst": None,
    "Contract Specialist": None,
    "Contract Analyst - Remote": None,
    "Data Analyst (Contract Management)": None,
    "Contract Deliverables Data Analyst": None,
    "Healthcare Contract/Data Analyst": None,
    "Smart Contract Engineer": None,
    "Blockchain Engineer - Smart Contract": None,
    "Machine Learning Engineer, Contracts Intelligence": None,
    "Government Contractor Data Analyst": None,
    "Internal Audit Data Analyst": None,
    "International Data Analyst": None,
    "Internet Search Quality Rater": None,
    "Software Engineer - Security Platform - Internal PKI": None,
    "Internship Program Manager": None,
    "Intern Coordinator": None,
    "Template Engineer": None,
    "Temporal Data Scientist": None,
    "Tempus AI Engineer": None,
    "Seasonal Forecasting Data Scientist": None,
    "Data Engineer #1099": None,
    "Data Engineer - Req 1099": None,
    "Data Scientist - Ad Placement": None,
    "Senior Data Scientist": None,
}

PAY = {
    "$70/hr C2C": "contract",
    "$60/hr on W2 contract": "contract",
    "Up to $90/hr W2 only": "contract",
    "1099 only": "contract",
    "$50/hr 1099, no benefits": "contract",
    "Corp to Corp": "contract",
    "contract rate $80/hr": "contract",
    "$80/hr contract": "contract",
    "$65/hr (contract)": "contract",
    "$120,000 - $150,000": None,
    "$1099 per week": None,
    "$1,099": None,
    "W2 employee, $120k": None,
    "€500 day rate": None,
    "Salary based on contract negotiation": None,
}


def _read(reader: object, rules: Rules, values: list[str]) -> list[str | None]:
    assert callable(reader)
    frame = pl.DataFrame({"v": values})
    return frame.select(reader(pl.col("v"), rules.employment).alias("v"))["v"].to_list()


@pytest.mark.parametrize(
    ("reader", "table"),
    [(title_employment, TITLES), (pay_employment, PAY)],
    ids=["title", "pay"],
)
def test_titles_and_pay_texts(ingest_rules: Rules, reader: object, table: dict[str, str]) -> None:
    got = dict(zip(table, _read(reader, ingest_rules, list(table)), strict=True))
    wrong = {v: (want, got[v]) for v, want in table.items() if got[v] != want}
    assert not wrong, wrong


def test_an_employment_field_wins_then_the_title_then_the_pay_text(ingest_rules: Rules) -> None:
    rows = [
        {"title": "Data Engineer (Contract)", "employment": "Full-time"},  # the field decides
        {"title": "Data Engineer (Contract)", "employment": "Not specified"},  # says nothing
        {"title": "Data Engineer", "salary": "$70/hr C2C"},
        {"title": "Data Science Intern", "salary": "$70/hr C2C"},
        {"title": "Data Engineer", "employment": "Partnership", "salary": "$150,000"},
        {"title": "Data Engineer", "employment": "<b>Contract</b>"},
    ]
    out = normalized(ingest_rules, rows)
    assert list(zip(out["employment"], out["employment_source"], strict=True)) == [
        ("full_time", "explicit"),
        ("contract", "title"),
        ("contract", "pay"),
        ("internship", "title"),
        (None, "none"),
        ("contract", "explicit"),
    ]
    assert out.schema["employment"] == pl.String


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.text(max_size=40), st.sampled_from(list(REAL))),
            st.text(min_size=1, max_size=60),
            st.one_of(st.none(), st.text(max_size=40)),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_the_output_is_a_type_or_null_and_nothing_else(
    ingest_rules: Rules, rows: list[tuple[str | None, str, str | None]]
) -> None:
    frame = pl.LazyFrame(
        {
            "employment": [e for e, _, _ in rows],
            "title": [t for _, t, _ in rows],
            "salary": [s for _, _, s in rows],
        },
        schema={"employment": pl.String, "title": pl.String, "salary": pl.String},
    )
    out = add_employment(frame, ingest_rules.employment).collect()
    assert out.height == len(rows)
    assert set(out["employment"].drop_nulls()) <= set(EMPLOYMENT_TYPES)
    assert set(out["employment_source"]) <= set(EMPLOYMENT_SOURCES)
    assert out["title"].to_list() == [t for _, t, _ in rows]  # rows kept, in order


def test_a_rules_file_names_only_known_types(tmp_path: Path) -> None:
    own = tmp_path / "rules"
    shutil.copytree(REPO / "rules", own)
    path = own / "employment.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("employment: full_time", "employment: fulltime"),
        encoding="utf-8",
    )
    with pytest.raises(IngestError, match=r"employment\.yaml: explicit\.\d+\.employment"):
        load_rules(own)


def test_a_job_type_column_through_newsletter_ingest(tmp_path: Path, runner: CliRunner) -> None:
    raw = tmp_path / "jobs.csv"
    pl.DataFrame(
        {
            "title": ["Data Engineer", "ML Engineer", "Data Analyst (Contract)", "AI Intern",
                      "Data Scientist", "Analytics Engineer", "MLOps Engineer"],
            "company": ["Acme"] * 7,
            "job_type": ["Full-time", "Contractor and Temp work", None, "Full-time and Internship",
                         "Not specified", "Part-time", None],
            "salary": [None, "$90/hr", None, None, None, None, "$75/hr C2C"],
        }
    ).write_csv(raw)  # fmt: skip
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[data]\nsnapshots_dir = "snaps"\nrules_dir = "{REPO / "rules"}"\n')
    week = date(2026, 11, 23)
    res = runner.invoke(app, ["--config", str(cfg), "ingest", str(raw), "--week", str(week)])
    assert res.exit_code == 0, res.output
    snap = read_snapshot(tmp_path / "snaps", week)
    assert dict(zip(snap["title"], snap["employment"], strict=True)) == {
        "Data Engineer": "full_time",
        "ML Engineer": "contract",
        "Data Analyst (Contract)": "contract",
        "AI Intern": "internship",
        "Data Scientist": None,
        "Analytics Engineer": "part_time",
        "MLOps Engineer": "contract",
    }
    report = json.loads(report_path(tmp_path / "snaps", week).read_text())
    assert report["employment"] == {
        "contract": 3, "(none)": 1, "full_time": 1, "internship": 1, "part_time": 1,
    }  # fmt: skip
    assert report["employment_source"] == {"explicit": 4, "none": 1, "pay": 1, "title": 1}
    lines = res.output.splitlines()
    for label, n in (("employment: contract", 3), ("employment: not stated", 1),
                     ("employment read from an employment field", 4),
                     ("employment read from the title", 1),
                     ("employment read from the pay text", 1)):  # fmt: skip
        row = [line for line in lines if label in line]
        assert row and f" {n} " in row[0], (label, row)


def _schedule_counts(frame: pl.DataFrame, column: str) -> Counter[str]:
    """Postings per type, as the source column's values map to one (REAL)."""
    return Counter(t for v in frame[column].drop_nulls() if (t := REAL[v]) is not None)


def test_lukebarousse_schedule_types(shared_real: Path, ingest_rules: Rules) -> None:
    """Every posting whose source states a schedule type carries the type that value maps to
    (REAL), read from the field; the counts are the source column's, value for value."""
    files = sorted((shared_real / "lukebarousse-data-jobs" / "2023-salaried").glob("*.csv"))
    assert len(files) == 53
    result = ingest(files, date(2023, 12, 25), ingest_rules, now=NOW)
    source = (
        pl.concat([pl.read_csv(f, infer_schema=False) for f in files])
        .unique("job_key", keep="first", maintain_order=True)  # the source repeats 6 keys
        .select(posting_id="csv:" + pl.col("job_key"), schedule=pl.col("job_schedule_type"))
    )
    assert set(source["schedule"].drop_nulls()) <= set(REAL)  # every real value is in REAL
    snap = result.snapshot.join(source, on="posting_id", how="left", validate="1:1")
    stated = snap.filter(pl.col("schedule").is_not_null())
    want = _schedule_counts(source, "schedule")
    assert Counter(stated["employment"]) == want
    assert want["contract"] > 5_000 and want["full_time"] > 25_000 and want["internship"] > 250
    report = result.report
    assert report.employment_source["explicit"] == stated.height
    assert sum(report.employment_source.values()) == report.kept
    for kind, n in want.items():
        assert report.employment[kind] >= n  # and what the titles of the rest state


def test_hacker_news_job_types(shared_real: Path, ingest_rules: Rules) -> None:
    path = shared_real / "hn-who-is-hiring" / "hn_who_is_hiring_2026-02.json"
    result = ingest([path], date(2026, 2, 2), ingest_rules, now=NOW)
    records = json.loads(path.read_text(encoding="utf-8"))
    kept = [r for r in records if any(t.strip() for t in r["job_titles"])]  # others: no title
    want = _schedule_counts(pl.DataFrame({"job_type": [r["job_type"] for r in kept]}), "job_type")
    got = Counter(
        result.snapshot.filter(pl.col("employment").is_not_null())["employment"].to_list()
    )
    assert want == got  # no title or pay text of this thread states one
    assert want["contract"] == 6 and want["part_time"] == 1 and want["full_time"] > 250
