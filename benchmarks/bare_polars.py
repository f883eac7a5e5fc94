"""A bare polars script doing a smaller version of the project's weekly data work: the yardstick
for ``bench_scale.py`` (project / bare, same inputs, same run).

Ingest: scan a raw CSV export, trim and reject rows without title or company, read the first
pay range of the salary text (``$120,000 - $150,000``, ``120k-150k``), match 35 skills in
title + description with one Aho-Corasick pass, a role category and a seniority from a dozen
title rules, a metro from the city, a hashed fingerprint, drop repeated ids, sink a Parquet
snapshot. Signals: new and removed postings between two snapshots, open counts by category,
seniority and metro, median pay now and before, skill counts of new and removed postings,
top companies. What it leaves out is what the project adds: HTML to text, every pay format,
per-location pay, 200 skills with context rules, 300 title rules, places, stable sha1 ids,
rejects and the report, statistical tests, gates and the typed contract.

    python benchmarks/bare_polars.py ingest RAW.csv OUT.parquet
    python benchmarks/bare_polars.py signals THIS.parquet PREVIOUS.parquet
"""

from __future__ import annotations

import sys

import polars as pl
from shapes import SKILL_WORDS

#: The skills the generated exports mention (benchmarks/shapes.py), lower case.
SKILLS = [w.lower() for w in SKILL_WORDS]
CATEGORIES = [
    ("Data Scientist", r"data scien"), ("Research Scientist", r"research|applied scien"),
    ("MLOps Engineer", r"mlops|ml platform|ml infra"), ("Data Engineer", r"data engineer"),
    ("AI Product Manager", r"product manager"), ("AI/ML Engineer", r"\b(?:ml|ai|llm|nlp)\b"),
    ("AI/ML Engineer", r"machine learning"), ("AI Software Engineer", r"software engineer"),
]  # fmt: skip
LEVELS = [
    ("leadership", r"\b(?:head|director|vp|chief)\b"),
    ("senior", r"\b(?:senior|sr|staff|principal|lead)\b"),
    ("entry", r"\b(?:junior|intern|new grad|associate)\b"),
]  # fmt: skip
METROS = {
    "san francisco": "San Francisco Bay Area", "san jose": "San Francisco Bay Area",
    "palo alto": "San Francisco Bay Area", "mountain view": "San Francisco Bay Area",
    "new york": "New York", "seattle": "Seattle", "austin": "Austin", "boston": "Boston",
    "cambridge": "Boston", "chicago": "Chicago", "los angeles": "Los Angeles", "denver": "Denver",
    "london": "London", "berlin": "Berlin", "toronto": "Toronto", "bangalore": "Bengaluru",
}  # fmt: skip


def _first_match(text: pl.Expr, rules: list[tuple[str, str]], default: str) -> pl.Expr:
    out: pl.Expr = pl.lit(default)
    for name, pattern in reversed(rules):
        out = pl.when(text.str.contains(pattern)).then(pl.lit(name)).otherwise(out)
    return out


def _amount(n: pl.Expr, k: pl.Expr) -> pl.Expr:
    value = n.str.replace_all(",", "").cast(pl.Float64, strict=False)
    return pl.when(k.str.to_lowercase() == "k").then(value * 1000).otherwise(value)


def ingest(raw: str, out: str) -> None:
    title, company = pl.col("title").str.strip_chars(), pl.col("company").str.strip_chars()
    low_title = pl.col("title").str.to_lowercase()
    rng = pl.col("salary").str.extract_groups(
        r"(\d[\d,]*(?:\.\d+)?)\s*([kK])?\s*(?:-|–|to)\s*\$?(\d[\d,]*(?:\.\d+)?)\s*([kK])?"
    )
    text = pl.concat_str([pl.col("title"), pl.col("description")], separator=" ", ignore_nulls=True)
    city = pl.col("location").str.split(",").list.first().str.strip_chars().str.to_lowercase()
    (
        pl.scan_csv(raw, infer_schema=False)
        .with_columns(title=title, company=company)
        .filter(pl.col("title").str.len_bytes() > 0, pl.col("company").str.len_bytes() > 0)
        .with_columns(
            salary_min=_amount(rng.struct.field("1"), rng.struct.field("2")),
            salary_max=_amount(rng.struct.field("3"), rng.struct.field("4")),
            skills=text.str.to_lowercase()
            .str.extract_many(SKILLS, overlapping=True)
            .list.unique()
            .list.sort(),
            category=_first_match(low_title, CATEGORIES, "Other"),
            seniority=_first_match(low_title, LEVELS, "mid"),
            metro=city.replace_strict(METROS, default=None, return_dtype=pl.String),
            remote=pl.col("location").str.contains("(?i)remote").fill_null(False),
            posting_id=pl.lit("csv:") + pl.col("id"),
        )
        .with_columns(
            salary_mid=(pl.col("salary_min") + pl.col("salary_max")) / 2,
            fingerprint=pl.concat_str(
                [company.str.to_lowercase(), low_title, pl.col("metro")], ignore_nulls=True
            ).hash(),
        )
        .unique(subset="posting_id", keep="first", maintain_order=True)
        .select(
            "posting_id",
            "fingerprint",
            "title",
            "company",
            "location",
            "metro",
            "remote",
            "category",
            "seniority",
            "salary_min",
            "salary_max",
            "salary_mid",
            "skills",
            "url",
        )
        .sink_parquet(out)
    )


def signals(this: str, previous: str) -> dict[str, object]:
    cur, prev = pl.scan_parquet(this), pl.scan_parquet(previous)
    new = cur.join(prev, on="posting_id", how="anti")
    removed = prev.join(cur, on="posting_id", how="anti")

    def counts(frame: pl.LazyFrame, by: str) -> pl.LazyFrame:
        return frame.group_by(by).agg(n=pl.len(), median=pl.col("salary_mid").median())

    def skills(frame: pl.LazyFrame) -> pl.LazyFrame:
        return frame.select("skills").explode("skills").group_by("skills").len()

    plans = [
        cur.select(pl.len(), pl.col("salary_mid").median(), pl.col("remote").mean()),
        prev.select(pl.len(), pl.col("salary_mid").median(), pl.col("remote").mean()),
        new.select(pl.len()),
        removed.select(pl.len()),
        *(counts(f, c) for f in (cur, prev) for c in ("category", "seniority", "metro")),
        skills(new),
        skills(removed),
        skills(cur),
        cur.group_by("company").len().top_k(10, by="len"),
    ]
    frames = pl.collect_all(plans)
    return {"open": frames[0].item(0, 0), "new": frames[2].item(), "removed": frames[3].item()}


if __name__ == "__main__":
    if sys.argv[1] == "ingest":
        ingest(sys.argv[2], sys.argv[3])
    else:
        print(signals(sys.argv[2], sys.argv[3]))
