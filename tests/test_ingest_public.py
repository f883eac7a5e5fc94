"""Widely used public exports and APIs, read as they are published, with no
``[ingest.columns]`` mapping: LinkedIn's job postings (the Kaggle "arshkon" dataset),
Glassdoor's scrape, the Adzuna, Remotive and Himalayas APIs, and schema.org ``JobPosting``
JSON-LD as sites publish it. Each fixture is a few rows in the source's own shape."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from newsletter.data.ingest import ingest
from newsletter.data.ingest.columns import fold, resolve_columns
from newsletter.data.ingest.rules import Rules
from newsletter.errors import IngestError
from tests.conftest import NOW

WEEK = date(2026, 11, 23)
#: 2026-11-20 15:30 UTC as Unix seconds
FRIDAY = 1_795_188_600
COLUMNS = (
    "title", "company", "location", "metro", "country", "salary_min", "salary_max",
    "salary_mid", "currency", "posted_at", "url", "work_mode", "seniority", "employment",
)  # fmt: skip


def run(path: Path, rules: Rules) -> list[dict[str, Any]]:
    result = ingest([path], WEEK, rules, now=NOW)
    assert result.rejects.is_empty(), result.rejects.to_dicts()
    return result.snapshot.select(COLUMNS).to_dicts()


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(header)
        out.writerows(rows)
    return path


def posting(**values: object) -> dict[str, object]:
    """One snapshot row as expected: the columns not given are null."""
    return {c: values.get(c) for c in COLUMNS}


@pytest.mark.parametrize(
    ("name", "folded"),
    [
        ("minSalary", "min_salary"),
        ("jobID", "job_id"),
        ("companyURL", "company_url"),
        ("pubDate", "pub_date"),
        ("Job Title", "job_title"),
        ("JOB_TITLE", "job_title"),
        ("Salary Estimate", "salary_estimate"),
        ("hiringOrganization.name", "hiring_organization_name"),
    ],
)
def test_camel_case_names_fold_to_snake_case(name: str, folded: str) -> None:
    assert fold(name) == folded


def test_camel_case_names_resolve_and_old_ones_still_do() -> None:
    """``minSalary`` folded to ``minsalary``, which no alias knows; the names that resolved
    as one lower-case word (``jobtitle``, ``descriptionPlain``) still do."""
    names = ["jobTitle", "companyName", "minSalary", "maxSalary", "datePosted",
             "applicationLink", "descriptionPlain", "jobID"]  # fmt: skip
    assert resolve_columns(names, {}) == {
        "jobTitle": "title", "companyName": "company", "minSalary": "salary_min",
        "maxSalary": "salary_max", "datePosted": "posted_at", "applicationLink": "url",
        "descriptionPlain": "description", "jobID": "source_id",
    }  # fmt: skip
    assert resolve_columns(["hostedUrl", "workplaceType"], {}) == {
        "hostedUrl": "url",
        "workplaceType": "work_mode",
    }
    flat = ["jobtitle", "companyname", "descriptionplain", "workplacetype", "employmenttype"]
    assert resolve_columns(flat, {}) == {
        "jobtitle": "title", "companyname": "company", "descriptionplain": "description",
        "workplacetype": "work_mode", "employmenttype": "employment",
    }  # fmt: skip
    # a mapping written in either form names the camelCase column
    assert resolve_columns(["reqTitle"], {"reqtitle": "title"}) == {"reqTitle": "title"}
    assert resolve_columns(["reqTitle"], {"req_title": "title"}) == {"reqTitle": "title"}


def test_an_alias_never_takes_a_better_column() -> None:
    """The new aliases come after the old ones: an export with both keeps the old one."""
    names = ["job_posting_url", "url", "listed_time", "original_listed_time", "date_posted"]
    chosen = resolve_columns(names, {})
    assert chosen["url"] == "url" and chosen["date_posted"] == "posted_at"
    assert "job_posting_url" not in chosen and "listed_time" not in chosen


LINKEDIN_HEADER = [
    "job_id", "company_name", "title", "description", "max_salary", "pay_period", "location",
    "company_id", "views", "med_salary", "min_salary", "formatted_work_type", "applies",
    "original_listed_time", "remote_allowed", "job_posting_url", "application_url",
    "application_type", "expiry", "closed_time", "formatted_experience_level", "skills_desc",
    "listed_time", "posting_domain", "sponsored", "work_type", "currency", "compensation_type",
    "normalized_salary", "zip_code", "fips",
]  # fmt: skip


def test_linkedin_job_postings(tmp_path: Path, ingest_rules: Rules) -> None:
    """Kaggle's LinkedIn job postings (``postings.csv``): times in epoch milliseconds written
    as floats, ``remote_allowed`` 1.0 or empty, the level in ``formatted_experience_level``,
    the link in ``job_posting_url``, a median alone in ``med_salary``."""

    def row(**given: str) -> list[object]:
        jid = given["job_id"]
        values = {
            "description": "We build data products.", "company_id": "1009.0", "views": "14.0",
            "applies": "2.0", "original_listed_time": f"{FRIDAY * 1000}.0",
            "job_posting_url": f"https://www.linkedin.com/jobs/view/{jid}/?trk=jobs_biz_prem_srch",
            "application_type": "OffsiteApply", "expiry": f"{(FRIDAY + 30 * 86_400) * 1000}.0",
            "listed_time": f"{(FRIDAY + 86_400) * 1000}.0", "sponsored": "0",
            "currency": "USD" if given.get("pay_period") else "",
            "compensation_type": "BASE_SALARY" if given.get("pay_period") else "",
            "zip_code": "78701", "fips": "48453", **given,
        }  # fmt: skip
        return [values.get(c, "") for c in LINKEDIN_HEADER]

    path = write_csv(tmp_path / "postings.csv", LINKEDIN_HEADER, [
        row(job_id="3884428798", company_name="Acme Analytics", title="Data Engineer",
            max_salary="80.0", pay_period="HOURLY", location="Austin, TX", min_salary="60.0",
            formatted_work_type="Contract", formatted_experience_level="Mid-Senior level",
            work_type="CONTRACT"),
        row(job_id="3887473071", company_name="Beta Corp", title="Software Engineer",
            max_salary="150000.0", pay_period="YEARLY", location="United States",
            min_salary="120000.0", formatted_work_type="Full-time", remote_allowed="1.0",
            formatted_experience_level="Entry level", work_type="FULL_TIME"),
        row(job_id="3887473072", company_name="Gamma LLC", title="Operations Analyst",
            pay_period="YEARLY", location="Seattle, WA", med_salary="95000.0",
            formatted_work_type="Full-time", formatted_experience_level="Executive",
            work_type="FULL_TIME"),
        row(job_id="3887473073", company_name="Delta Inc", title="Data Analyst",
            location="Chicago, IL", formatted_work_type="Internship",
            formatted_experience_level="Internship", work_type="INTERNSHIP"),
    ])  # fmt: skip
    got = run(path, ingest_rules)
    posted = date(2026, 11, 20)

    def url(jid: str) -> str:
        return f"https://www.linkedin.com/jobs/view/{jid}/?trk=jobs_biz_prem_srch"

    assert got == [
        posting(title="Data Engineer", company="Acme Analytics", location="Austin, TX",
                metro="Austin", country="US", salary_min=60 * 2080, salary_max=80 * 2080,
                salary_mid=70 * 2080, currency="USD", posted_at=posted, url=url("3884428798"),
                work_mode="onsite", seniority="senior", employment="contract"),
        posting(title="Software Engineer", company="Beta Corp", location="United States",
                country="US", salary_min=120_000, salary_max=150_000, salary_mid=135_000,
                currency="USD", posted_at=posted, url=url("3887473071"), work_mode="remote",
                seniority="entry", employment="full_time"),
        posting(title="Operations Analyst", company="Gamma LLC", location="Seattle, WA",
                metro="Seattle", country="US", salary_min=95_000, salary_max=95_000,
                salary_mid=95_000, currency="USD", posted_at=posted, url=url("3887473072"),
                work_mode="onsite", seniority="leadership", employment="full_time"),
        posting(title="Data Analyst", company="Delta Inc", location="Chicago, IL",
                metro="Chicago", country="US", posted_at=posted, url=url("3887473073"),
                work_mode="onsite", seniority="entry", employment="internship"),
    ]  # fmt: skip


GLASSDOOR_HEADER = [
    "index",
    "Job Title",
    "Salary Estimate",
    "Job Description",
    "Rating",
    "Company Name",
    "Location",
    "Headquarters",
    "Size",
    "Founded",
    "Type of ownership",
    "Industry",
    "Sector",
    "Revenue",
    "Competitors",
]


def test_glassdoor_scrape(tmp_path: Path, ingest_rules: Rules) -> None:
    """Kaggle's Glassdoor scrape: pay in ``Salary Estimate``, the company's rating on a second
    line of ``Company Name`` ("Tecolote Research\\n3.8"), ``-1`` for what it does not know.
    Glassdoor's own estimate ("$53K-$91K (Glassdoor est.)") is no posted pay (it was read as
    the posting's): only the employer's ("Employer Provided Salary:", "(Employer est.)")."""
    tail = ["-1", "-1", "-1", "Company - Private", "-1", "-1", "Unknown / Non-Applicable", "-1"]
    path = write_csv(tmp_path / "glassdoor_jobs.csv", GLASSDOOR_HEADER, [
        ["0", "Data Scientist", "$53K-$91K (Glassdoor est.)", "Data Scientist\nLocation: "
         "Albuquerque, NM", "3.8", "Tecolote Research\n3.8", "Albuquerque, NM", *tail],
        ["1", "Healthcare Data Scientist", "$63K-$112K (Glassdoor est.)", "What You Will Do",
         "3.4", "University of Maryland Medical System\n3.4", "Boston, MA", *tail],
        ["2", "Senior Data Analyst", "Employer Provided Salary:$120K-$140K", "SQL daily",
         "-1", "Kensho Technologies", "New York, NY", *tail],
        ["3", "Data Analyst", "$17-$24 Per Hour(Glassdoor est.)", "Excel", "4.5",
         "Clear Ridge Defense\n4.5", "Chicago, IL", *tail],
        ["4", "Data Engineer", "$80K - $100K (Employer est.)", "Estimated start date: May",
         "4.1", "Acme\n4.1", "Austin, TX", *tail],
    ])  # fmt: skip
    result = ingest([path], WEEK, ingest_rules, now=NOW)
    assert result.report.salary_estimated == 3
    got = result.snapshot.select(COLUMNS).to_dicts()
    assert got == [
        posting(title="Data Scientist", company="Tecolote Research", location="Albuquerque, NM",
                metro="Albuquerque", country="US", work_mode="onsite", seniority="mid"),
        posting(title="Healthcare Data Scientist",
                company="University of Maryland Medical System", location="Boston, MA",
                metro="Boston", country="US", work_mode="onsite", seniority="mid"),
        posting(title="Senior Data Analyst", company="Kensho Technologies",
                location="New York, NY", metro="New York", country="US", salary_min=120_000,
                salary_max=140_000, salary_mid=130_000, currency="USD", work_mode="onsite",
                seniority="senior"),
        posting(title="Data Analyst", company="Clear Ridge Defense", location="Chicago, IL",
                metro="Chicago", country="US", work_mode="onsite", seniority="mid"),
        posting(title="Data Engineer", company="Acme", location="Austin, TX", metro="Austin",
                country="US", salary_min=80_000, salary_max=100_000, salary_mid=90_000,
                currency="USD", work_mode="onsite", seniority="mid"),
    ]  # fmt: skip


def test_google_jobs_via_geebo_company_rating(tmp_path: Path, ingest_rules: Rules) -> None:
    """Google Jobs' postings via Geebo carry the company's rating after a spaced dash
    ("Deloitte - 3.9"): no part of the name, which is the same company as "Deloitte" (each
    was a company apart). A dash before words or a version stays. Rows as the lukebarousse
    2023 data set (Apache-2.0, Luke Barousse) has them, trimmed."""
    header = ["job_key", "job_title", "job_location", "job_via", "job_schedule_type",
              "job_posted_date", "salary_rate", "salary_hour_avg", "company_name"]  # fmt: skip
    path = write_csv(tmp_path / "postings.csv", header, [
        ["252576059142c8df", "Strategic Analytics Lead Data Scientist", "Cincinnati, OH",
         "via Cincinnati, OH - Geebo", "Full-time", "2026-11-20 23:56:42", "hour", "24",
         "Deloitte - 3.9"],
        ["825eebc912a8504d", "Data Science Analyst - Research", "Phoenix, AZ",
         "via Phoenix, AZ - Geebo", "Full-time", "2026-11-20 00:26:23", "hour", "24",
         "Mayo Clinic - 4.0"],
        ["1", "Data Engineer", "Austin, TX", "via LinkedIn", "Full-time", "2026-11-20", "hour",
         "24", "Acme - Data Services"],
        ["2", "Data Engineer", "Austin, TX", "via LinkedIn", "Full-time", "2026-11-20", "hour",
         "24", "Industry 4.0 Labs"],
    ])  # fmt: skip
    got = [r["company"] for r in run(path, ingest_rules)]
    assert got == ["Deloitte", "Mayo Clinic", "Acme - Data Services", "Industry 4.0 Labs"]


def _adzuna_job(jid: str, title: str, company: str, place: str, area: list[str],
                **pay: object) -> dict[str, object]:  # fmt: skip
    return {
        "__CLASS__": "Adzuna::API::Response::Job", "id": jid, "adref": "eyJhbGciOiJIUzI1NiJ9",
        "title": title, "description": "Design data pipelines in Python ...",
        "created": "2026-11-20T14:03:11Z",
        "redirect_url": f"https://www.adzuna.com/details/{jid}?utm_medium=api&utm_source=x",
        "company": {"__CLASS__": "Adzuna::API::Response::Company", "display_name": company},
        "location": {"__CLASS__": "Adzuna::API::Response::Location", "display_name": place,
                     "area": area},
        "category": {"__CLASS__": "Adzuna::API::Response::Category", "label": "IT Jobs",
                     "tag": "it-jobs"},
        "latitude": 30.26, "longitude": -97.74, "salary_is_predicted": "0", **pay,
    }  # fmt: skip


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_adzuna_api(tmp_path: Path, ingest_rules: Rules, suffix: str) -> None:
    """Adzuna's search answer: the company and the place are objects read by their
    ``display_name``, the date in ``created``, the link in ``redirect_url``, part time in
    ``contract_time``. A salary Adzuna predicted (``salary_is_predicted`` "1", or true) is no
    posted pay: counted as estimated (it was read as the posting's)."""
    jobs = [
        _adzuna_job("4512345678", "Senior Data Engineer", "Acme Analytics",
                    "Austin, Travis County", ["US", "Texas", "Travis County", "Austin"],
                    salary_min=140000, salary_max=170000, contract_time="full_time",
                    contract_type="permanent"),
        _adzuna_job("4512345679", "Data Analyst", "Beta Health", "Seattle, King County",
                    ["US", "Washington", "King County", "Seattle"], salary_min=31.5,
                    salary_max=31.5, contract_time="part_time"),
        *(_adzuna_job(jid, "Data Engineer", "Gamma Labs", "Austin, Travis County",
                      ["US", "Texas", "Travis County", "Austin"], salary_is_predicted=flag,
                      salary_min=98765.43, salary_max=98765.43, contract_time="full_time")
          for jid, flag in (("4512345680", "1"), ("4512345681", True))),
    ]  # fmt: skip
    path = tmp_path / f"adzuna{suffix}"
    if suffix == ".json":
        answer = {"__CLASS__": "Adzuna::API::Response::JobSearchResults", "count": 4,
                  "mean": 98765.43, "results": jobs}  # fmt: skip
        path.write_text(json.dumps(answer), encoding="utf-8")
    else:
        path.write_text("".join(json.dumps(j) + "\n" for j in jobs), encoding="utf-8")
    result = ingest([path], WEEK, ingest_rules, now=NOW)
    assert (result.report.salary_estimated, result.report.with_pay) == (2, 2)
    got = result.snapshot.select(COLUMNS).to_dicts()
    url = "https://www.adzuna.com/details/{}?utm_medium=api&utm_source=x"
    assert got == [
        posting(title="Senior Data Engineer", company="Acme Analytics",
                location="Austin, Travis County", metro="Austin", country="US",
                salary_min=140_000, salary_max=170_000, salary_mid=155_000, currency="USD",
                posted_at=date(2026, 11, 20), url=url.format("4512345678"),
                work_mode="onsite", seniority="senior", employment="full_time"),
        posting(title="Data Analyst", company="Beta Health", location="Seattle, King County",
                metro="Seattle", country="US", salary_min=31.5 * 2080, salary_max=31.5 * 2080,
                salary_mid=31.5 * 2080, currency="USD", posted_at=date(2026, 11, 20),
                url=url.format("4512345679"), work_mode="onsite", seniority="mid",
                employment="part_time"),
        *(posting(title="Data Engineer", company="Gamma Labs", location="Austin, Travis County",
                  metro="Austin", country="US", posted_at=date(2026, 11, 20), url=url.format(jid),
                  work_mode="onsite", seniority="mid", employment="full_time")
          for jid in ("4512345680", "4512345681")),
    ]  # fmt: skip


def test_adzuna_api_of_a_country_site(tmp_path: Path, ingest_rules: Rules) -> None:
    """Adzuna's UK and German sites answer with pay fields that name no currency: pounds and
    euros, the site's (``redirect_url``), never US dollars (as they were read)."""
    jobs = [
        {**_adzuna_job(jid, "Data Engineer", "Acme", place, area, salary_min=45000,
                       salary_max=55000),
         "redirect_url": f"https://www.adzuna.{domain}/details/{jid}?utm_medium=api"}
        for jid, domain, place, area in (
            ("1", "co.uk", "Shoreditch, East London", ["UK", "London", "Shoreditch"]),
            ("2", "de", "Mitte, Berlin", ["Deutschland", "Berlin", "Mitte"]),
        )
    ]  # fmt: skip
    path = tmp_path / "adzuna.json"
    path.write_text(json.dumps({"count": 2, "results": jobs}), encoding="utf-8")
    result = ingest([path], WEEK, ingest_rules, now=NOW)
    got = result.snapshot.select("salary_min", "salary_max", "currency").rows()
    assert got == [(45_000.0, 55_000.0, "GBP"), (45_000.0, 55_000.0, "EUR")]
    assert result.report.currency_source == {"site": 2}


KAGGLE_ADZUNA_HEADER = [
    "Id", "Title", "FullDescription", "LocationRaw", "LocationNormalized", "ContractType",
    "ContractTime", "Company", "Category", "SalaryRaw", "SalaryNormalized", "SourceName",
]  # fmt: skip


def test_kaggle_adzuna_salary_prediction(tmp_path: Path, ingest_rules: Rules) -> None:
    """Kaggle's "Adzuna job salary prediction" (UK, ``Train_rev1.csv``): the text in
    ``FullDescription``, the place in ``LocationNormalized`` (``LocationRaw`` as the
    advertiser wrote it), the pay text in ``SalaryRaw``, read as pay text is, in the
    currency of the place's country (pounds, never assumed US dollars; ``SalaryNormalized``,
    an annual amount naming no currency, is not read as a structured US-dollar amount), full
    or part time in ``ContractType``, else permanent or contract in ``ContractTime``."""
    rows = [
        ["12612628", "Senior Data Engineer",
         "Our client in the City is looking for a Senior Data Engineer (Python, SQL) ...",
         "The City, London", "London", "full_time", "permanent", "Gregory Martin International",
         "IT Jobs", "35000 - 45000/annum 35-45K + pension", "40000", "cv-library.co.uk"],
        ["12612830", "Data Analyst",
         "Data Analyst required for a 6 month contract, SQL and Excel ...", "UK", "UK", "",
         "contract", "Acme Recruitment", "IT Jobs", "20000 - 30000/annum 30k+ pension",
         "25000", "jobsite.co.uk"],
        ["12612844", "Data Engineer",
         "Part time Data Engineer to join our Edinburgh team ...",
         "Leith, Edinburgh", "Edinburgh", "part_time", "", "Beta Systems", "IT Jobs",
         "Up to 18,000 per annum", "18000", "totaljobs.com"],
    ]  # fmt: skip
    path = write_csv(tmp_path / "Train_rev1.csv", KAGGLE_ADZUNA_HEADER, rows)
    result = ingest([path], WEEK, ingest_rules, now=NOW)
    assert result.rejects.is_empty(), result.rejects.to_dicts()
    got = result.snapshot.select(*COLUMNS, "skills", "source").to_dicts()
    assert got == [
        {**posting(title="Senior Data Engineer", company="Gregory Martin International",
                   location="London", metro="London", country="GB", salary_min=35_000,
                   salary_max=45_000, salary_mid=40_000, currency="GBP", work_mode="onsite",
                   seniority="senior", employment="full_time"),
         "skills": ["Python", "SQL"], "source": "cv-library.co.uk"},
        {**posting(title="Data Analyst", company="Acme Recruitment", location="UK",
                   country="GB", salary_min=20_000, salary_max=30_000, salary_mid=25_000,
                   currency="GBP", work_mode="unknown", seniority="mid", employment="contract"),
         "skills": ["Excel", "SQL"], "source": "jobsite.co.uk"},
        {**posting(title="Data Engineer", company="Beta Systems", location="Edinburgh",
                   metro="Edinburgh", country="GB", salary_max=18_000, salary_mid=18_000,
                   currency="GBP", work_mode="onsite", seniority="mid", employment="part_time"),
         "skills": [], "source": "totaljobs.com"},
    ]  # fmt: skip
    assert result.report.currency_source == {"place": 3}


def test_remotive_api(tmp_path: Path, ingest_rules: Rules) -> None:
    """Remotive's ``/api/remote-jobs``: where applicants may live in
    ``candidate_required_location`` (the posting is remote), the date in ``publication_date``;
    its ``tags`` are no skill list (a board's tags mix skills and labels): the skills are
    read from the text."""
    base = {"company_logo": "https://remotive.com/job/1/logo", "category": "Software Development",
            "description": "<p>Our <b>platform</b> team: Python, Django, AWS</p>"}  # fmt: skip
    answer = {
        "0-legal-notice": "Remotive API Legal Notice", "00-warning": "...", "job-count": 2,
        "total-job-count": 2,
        "jobs": [
            {**base, "id": 1912345, "title": "Senior Python Developer", "company_name": "Acme",
             "url": "https://remotive.com/remote-jobs/software-dev/senior-python-dev-1912345",
             "tags": ["python", "django", "aws"], "job_type": "full_time",
             "publication_date": "2026-11-20T10:41:30", "candidate_required_location": "USA",
             "salary": "$120k - $150k"},
            {**base, "id": 1912346, "title": "Data Engineer", "company_name": "Beta",
             "url": "https://remotive.com/remote-jobs/data/data-engineer-1912346",
             "tags": ["sql", "airflow"], "job_type": "contract",
             "publication_date": "2026-11-21T08:00:00",
             "candidate_required_location": "Worldwide", "salary": ""},
        ],
    }  # fmt: skip
    path = tmp_path / "remote-jobs.json"
    path.write_text(json.dumps(answer), encoding="utf-8")
    result = ingest([path], WEEK, ingest_rules, now=NOW)
    got = result.snapshot.select(COLUMNS).to_dicts()
    assert got == [
        posting(title="Senior Python Developer", company="Acme", location="USA", country="US",
                salary_min=120_000, salary_max=150_000, salary_mid=135_000, currency="USD",
                posted_at=date(2026, 11, 20), url=answer["jobs"][0]["url"],  # type: ignore[index]
                work_mode="remote", seniority="senior", employment="full_time"),
        posting(title="Data Engineer", company="Beta", location="Worldwide",
                posted_at=date(2026, 11, 21), url=answer["jobs"][1]["url"],  # type: ignore[index]
                work_mode="remote", seniority="mid", employment="contract"),
    ]  # fmt: skip
    skills = result.snapshot["skills"].to_list()
    assert {"Python", "Django", "AWS"} <= set(skills[0])
    assert not {"SQL", "Airflow"} & set(skills[1])  # its tags only


def test_himalayas_api(tmp_path: Path, ingest_rules: Rules) -> None:
    """Himalayas' ``/jobs/api``: camelCase fields (``minSalary``, ``pubDate`` in epoch
    seconds, ``applicationLink``), where applicants may live in ``locationRestrictions``."""
    link = "https://himalayas.app/companies/acme/jobs/{}"
    job = {"excerpt": "Build the API.", "companySlug": "acme", "companyLogo": "https://x.y/l.png",
           "timezoneRestrictions": [-5, -6], "categories": ["Backend-Engineer"],
           "parentCategories": ["Software Development"], "description": "<p>Go and Python</p>",
           "expiryDate": FRIDAY + 30 * 86_400}  # fmt: skip
    answer = {
        "updatedAt": FRIDAY, "offset": 0, "limit": 20, "totalCount": 2,
        "jobs": [
            {**job, "title": "Backend Engineer", "companyName": "Acme",
             "employmentType": "Full Time", "minSalary": 150000, "maxSalary": 180000,
             "seniority": ["Senior"], "currency": "USD",
             "locationRestrictions": ["United States", "Canada"], "pubDate": FRIDAY,
             "applicationLink": link.format("backend-engineer"),
             "guid": link.format("backend-engineer")},
            {**job, "title": "Product Designer", "companyName": "Acme",
             "employmentType": "Contractor", "minSalary": 60, "maxSalary": 75,
             "seniority": ["Mid-level"], "currency": "EUR",
             "locationRestrictions": ["Germany"], "pubDate": FRIDAY - 86_400,
             "applicationLink": link.format("product-designer"),
             "guid": link.format("product-designer")},
        ],
    }  # fmt: skip
    path = tmp_path / "himalayas.json"
    path.write_text(json.dumps(answer), encoding="utf-8")
    got = run(path, ingest_rules)
    assert got == [
        posting(title="Backend Engineer", company="Acme", location="United States; Canada",
                country="US", salary_min=150_000, salary_max=180_000, salary_mid=165_000,
                currency="USD", posted_at=date(2026, 11, 20),
                url=link.format("backend-engineer"), work_mode="remote", seniority="senior",
                employment="full_time"),
        posting(title="Product Designer", company="Acme", location="Germany", country="DE",
                salary_min=60 * 2080, salary_max=75 * 2080, salary_mid=67.5 * 2080,
                currency="EUR", posted_at=date(2026, 11, 19),
                url=link.format("product-designer"), work_mode="remote", seniority="mid",
                employment="contract"),
    ]  # fmt: skip


def _address(city: str, region: str, country: object) -> dict[str, object]:
    return {"@type": "Place", "address": {
        "@type": "PostalAddress", "streetAddress": "500 Main St", "addressLocality": city,
        "addressRegion": region, "postalCode": "02110", "addressCountry": country}}  # fmt: skip


def _job_posting(ident: str, title: str, **fields: object) -> dict[str, object]:
    return {
        "@context": "https://schema.org/", "@type": "JobPosting", "title": title,
        "description": "<p>Build models in <b>Python</b>.</p>",
        "identifier": {"@type": "PropertyValue", "name": "Acme Robotics", "value": ident},
        "datePosted": "2026-11-19", "validThrough": "2026-12-31T00:00",
        "hiringOrganization": {"@type": "Organization", "name": "Acme Robotics",
                               "sameAs": "https://www.acmerobotics.com"},
        "url": f"https://careers.acmerobotics.com/jobs/{ident}", **fields,
    }  # fmt: skip


JSON_LD = [
    _job_posting(
        "MLE-1042", "Machine Learning Engineer", employmentType="FULL_TIME",
        jobLocation=_address("Boston", "MA", "US"),
        baseSalary={"@type": "MonetaryAmount", "currency": "USD", "value": {
            "@type": "QuantitativeValue", "minValue": 140000, "maxValue": 180000,
            "unitText": "YEAR"}}),
    _job_posting(
        "DE-77", "Data Engineer", employmentType=["CONTRACTOR"],
        jobLocation=[_address("Seattle", "WA", {"@type": "Country", "name": "US"}),
                     _address("San Francisco", "CA", {"@type": "Country", "name": "US"})],
        baseSalary={"@type": "MonetaryAmount", "currency": "USD", "value": {
            "@type": "QuantitativeValue", "value": 85, "unitText": "HOUR"}}),
    _job_posting(
        "RS-9", "Research Scientist", employmentType=["FULL_TIME", "PART_TIME"],
        jobLocationType="TELECOMMUTE",
        applicantLocationRequirements={"@type": "Country", "name": "Germany"},
        baseSalary={"@type": "MonetaryAmount", "currency": "EUR", "value": {
            "@type": "QuantitativeValue", "minValue": 5000, "maxValue": 6000,
            "unitText": "MONTH"}}),
]  # fmt: skip
JSON_LD_EXPECTED = [
    posting(title="Machine Learning Engineer", company="Acme Robotics",
            location="Boston, MA, US", metro="Boston", country="US", salary_min=140_000,
            salary_max=180_000, salary_mid=160_000, currency="USD", posted_at=date(2026, 11, 19),
            url="https://careers.acmerobotics.com/jobs/MLE-1042", work_mode="onsite",
            seniority="mid", employment="full_time"),
    posting(title="Data Engineer", company="Acme Robotics",
            location="Seattle, WA, US; San Francisco, CA, US", metro="Seattle", country="US",
            salary_min=85 * 2080, salary_max=85 * 2080, salary_mid=85 * 2080, currency="USD",
            posted_at=date(2026, 11, 19), url="https://careers.acmerobotics.com/jobs/DE-77",
            work_mode="onsite", seniority="mid", employment="contract"),
    posting(title="Research Scientist", company="Acme Robotics", location="Germany",
            country="DE", salary_min=60_000, salary_max=72_000, salary_mid=66_000,
            currency="EUR", posted_at=date(2026, 11, 19),
            url="https://careers.acmerobotics.com/jobs/RS-9", work_mode="remote",
            seniority="mid", employment="full_time"),
]  # fmt: skip


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_schema_org_job_postings(tmp_path: Path, ingest_rules: Rules, suffix: str) -> None:
    """schema.org ``JobPosting`` JSON-LD as sites publish it: the company in
    ``hiringOrganization``, the place in ``jobLocation.address`` (one place or a list), pay
    in ``baseSalary.value`` with its ``unitText``, a remote posting by ``jobLocationType``
    ``TELECOMMUTE`` and ``applicantLocationRequirements``, the id in ``identifier.value``."""
    path = tmp_path / f"jobs{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(JSON_LD), encoding="utf-8")
    else:
        path.write_text("".join(json.dumps(j) + "\n" for j in JSON_LD), encoding="utf-8")
    result = ingest([path], WEEK, ingest_rules, now=NOW)
    assert result.snapshot.select(COLUMNS).to_dicts() == JSON_LD_EXPECTED
    assert result.snapshot["posting_id"].str.ends_with(":MLE-1042").any()


def test_schema_org_objects_read_as_columns(tmp_path: Path, ingest_rules: Rules) -> None:
    """JSON Lines whose ``jobLocation`` is a list of places in every line: read by polars, as
    a column of lists of structs (the JSON reader above reads records one by one)."""
    country = {"@type": "Country", "name": "US"}
    lines = [JSON_LD[1], {**JSON_LD[0], "jobLocation": [_address("Boston", "MA", country)]}]
    path = tmp_path / "jobs.jsonl"
    path.write_text("".join(json.dumps(j) + "\n" for j in lines), encoding="utf-8")
    snap = ingest([path], WEEK, ingest_rules, now=NOW).snapshot
    assert snap["location"].to_list() == [
        "Seattle, WA, US; San Francisco, CA, US",
        "Boston, MA, US",
    ]
    assert snap["company"].to_list() == ["Acme Robotics", "Acme Robotics"]
    assert snap["salary_min"].to_list() == [85 * 2080, 140_000]
    assert snap["metro"].to_list() == ["Seattle", "Boston"]


def _node(posting: dict[str, object]) -> dict[str, object]:
    """A posting as a node of an ``@graph`` (the ``@context`` is the document's)."""
    return {k: v for k, v in posting.items() if k != "@context"}


def test_schema_org_single_job_posting(tmp_path: Path, ingest_rules: Rules) -> None:
    """A page's JSON-LD is one ``JobPosting`` object, not a list: it is one posting (its
    lists, ``jobLocation`` and ``employmentType``, are no list of records)."""
    for i, (ld, expected) in enumerate(zip(JSON_LD, JSON_LD_EXPECTED, strict=True)):
        path = tmp_path / f"job{i}.json"
        path.write_text(json.dumps(ld, indent=2), encoding="utf-8")
        assert run(path, ingest_rules) == [expected]


def test_schema_org_graph(tmp_path: Path, ingest_rules: Rules) -> None:
    """A JSON-LD document with an ``@context`` and an ``@graph`` holding the postings beside
    the page's other nodes: only the ``JobPosting`` nodes are postings; an ``Organization``,
    a ``WebPage`` or a ``BreadcrumbList`` is no row at all (neither kept nor rejected)."""
    graph = {"@context": "https://schema.org", "@graph": [
        {"@type": "Organization", "@id": "https://acmerobotics.com/#org", "name": "Acme Robotics",
         "url": "https://www.acmerobotics.com"},
        {"@type": "WebPage", "@id": "https://careers.acmerobotics.com/#page", "name": "Careers"},
        *[_node(j) for j in JSON_LD[:2]],
        {"@type": "BreadcrumbList", "itemListElement": [
            {"@type": "ListItem", "position": 1, "name": "Jobs"}]},
        {**_node(JSON_LD[2]), "@type": ["JobPosting"]},
    ]}  # fmt: skip
    path = tmp_path / "careers.json"
    path.write_text(json.dumps(graph), encoding="utf-8")
    result = ingest([path], WEEK, ingest_rules, now=NOW)
    assert result.rejects.is_empty(), result.rejects.to_dicts()
    assert result.snapshot.select(COLUMNS).to_dicts() == JSON_LD_EXPECTED
    assert result.report.rows_read == 3


@pytest.mark.parametrize("typed_list", [False, True])
def test_schema_org_documents_one_a_line(
    tmp_path: Path, ingest_rules: Rules, typed_list: bool
) -> None:
    """JSON Lines whose lines are JSON-LD documents, as a crawler saves each page's: an
    ``@graph`` with postings beside the page's other nodes, a single ``JobPosting`` (its
    ``@type`` a list too), a page's ``Organization`` alone. They read as the same documents
    in one JSON file do: the postings are the rows, the other nodes no row at all."""
    org = {"@type": "Organization", "name": "Acme Robotics"}
    last = {**JSON_LD[2], "@type": ["JobPosting"]} if typed_list else JSON_LD[2]
    lines = [
        {"@context": "https://schema.org", "@graph": [org, *[_node(j) for j in JSON_LD[:2]]]},
        {"@context": "https://schema.org", **org},
        last,
    ]
    path = tmp_path / "pages.jsonl"
    path.write_text("".join(json.dumps(j) + "\n" for j in lines), encoding="utf-8")
    result = ingest([path], WEEK, ingest_rules, now=NOW)
    assert result.rejects.is_empty(), result.rejects.to_dicts()
    assert result.snapshot.select(COLUMNS).to_dicts() == JSON_LD_EXPECTED
    assert result.report.rows_read == 3
    one_file = tmp_path / "pages.json"
    one_file.write_text(json.dumps(lines), encoding="utf-8")
    same = ingest([one_file], WEEK, ingest_rules, now=NOW).snapshot
    assert same.select(COLUMNS).to_dicts() == JSON_LD_EXPECTED


def test_schema_org_graph_without_postings_is_refused(tmp_path: Path, ingest_rules: Rules) -> None:
    path = tmp_path / "about.json"
    path.write_text(json.dumps({"@context": "https://schema.org", "@graph": [
        {"@type": "Organization", "name": "Acme Robotics"}]}), encoding="utf-8")  # fmt: skip
    with pytest.raises(IngestError, match="no JobPosting"):
        ingest([path], WEEK, ingest_rules, now=NOW)


@pytest.mark.parametrize("listed", [False, True])
def test_schema_org_nested_object_or_text(
    tmp_path: Path, ingest_rules: Rules, listed: bool
) -> None:
    """JSON Lines whose ``jobLocation.address.addressCountry`` is a ``Country`` object on one
    line and text on the next: polars reads the field as text, the object as its JSON; it is
    read as the country's name, as the top-level field of mixed types is (``jobLocation``
    one place, or a list of places)."""

    def line(ident: str, country: object) -> str:
        where: object = _address("Boston", "MA", country)
        ld = {**JSON_LD[0], "identifier": {"@type": "PropertyValue", "value": ident},
              "jobLocation": [where] if listed else where}  # fmt: skip
        return json.dumps(ld) + "\n"

    path = tmp_path / "jobs.jsonl"
    path.write_text(line("A-1", {"@type": "Country", "name": "US"}) + line("A-2", "US"))
    snap = ingest([path], WEEK, ingest_rules, now=NOW).snapshot
    assert snap["location"].to_list() == ["Boston, MA, US", "Boston, MA, US"]
    assert snap["metro"].to_list() == ["Boston", "Boston"]
    assert snap["salary_min"].to_list() == [140_000, 140_000]
